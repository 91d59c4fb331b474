"""DLQ flows of the official Python pulsar-client, for tests/broker_dlq.rs.

  dlq_flow.py dead-letter SERVICE TOPIC SUB DLQ N OUT
      Produce N messages (key k-i, properties {"i": i, "origin": "python"}, payload
      "payload-i") to TOPIC, then consume them on SUB (Shared) with
      ConsumerDeadLetterPolicy(max_redeliver_count=3, dead_letter_topic=DLQ): every message
      with i % 3 == 0 is negatively acknowledged until the policy moves it to the DLQ, the
      rest are acknowledged. Writes {"dead": [i...], "acked": [i...]} to OUT.

  dlq_flow.py avro-dead-letter SERVICE TOPIC SUB DLQ OUT
      Produce two orders with AvroSchema v1 and two with v2 (a field with a default added),
      then dead-letter all four through a consumer WITHOUT schema (bytes), as on-call tools
      do: its DLQ producer republishes them with no schema version. Writes the produced
      values (by id) to OUT.

  dlq_flow.py consume SERVICE TOPIC SUB COUNT OUT
      Receive COUNT messages on SUB (Shared, existing cursor) and acknowledge them; writes
      them as JSON lines (key, properties, payload) to OUT. Stops after 60 s without news.

The Python client logs to stdout, so results go to OUT files.
"""
import json
import sys
import time

import pulsar

from dead_letters import dead_letter_consumer, receive_until_quiet


def dead_letter(service, topic, sub, dlq, n, out):
    client = pulsar.Client(service, operation_timeout_seconds=30)
    # subscribe first, so that the subscription sees every message
    consumer = dead_letter_consumer(client, topic, sub, dlq, max_redeliver_count=3)
    producer = client.create_producer(topic, batching_enabled=False)
    for i in range(n):
        producer.send(f"payload-{i}".encode(), partition_key=f"k-{i}",
                      properties={"i": str(i), "origin": "python"})
    producer.close()
    dead = sorted(i for i in range(n) if i % 3 == 0)
    acked = set()

    def settle(msg):
        i = int(msg.properties()["i"])
        if i % 3 == 0:
            consumer.negative_acknowledge(msg)
        else:
            consumer.acknowledge(msg)
            acked.add(i)

    # the DLQ holds a message once it was delivered max_redeliver_count + 1 times and nacked;
    # stop when every good one is acked and the bad ones stopped coming for a while
    receive_until_quiet(consumer, settle, done=lambda: len(acked) == n - len(dead))
    consumer.close()
    client.close()
    with open(out, "w") as f:
        json.dump({"dead": dead, "acked": sorted(acked)}, f)


ORDER_V1 = {"type": "record", "name": "Order", "namespace": "it",
            "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "double"}]}
ORDER_V2 = dict(ORDER_V1, fields=ORDER_V1["fields"] + [{"name": "currency", "type": "string", "default": "USD"}])


def avro_dead_letter(service, topic, sub, dlq, out):
    from pulsar.schema import AvroSchema
    client = pulsar.Client(service, operation_timeout_seconds=30)
    consumer = dead_letter_consumer(client, topic, sub, dlq, max_redeliver_count=1)
    values = {}
    for definition, batch in ((ORDER_V1, [{"id": "o-1", "amount": 10.5}, {"id": "o-2", "amount": 20.25}]),
                              (ORDER_V2, [{"id": "o-3", "amount": 30.0, "currency": "EUR"},
                                          {"id": "o-4", "amount": 1.0, "currency": "USD"}])):
        p = client.create_producer(topic, schema=AvroSchema(None, schema_definition=definition),
                                   batching_enabled=False)
        for v in batch:
            p.send(v, partition_key=v["id"])
            values[v["id"]] = v
        p.close()
    receive_until_quiet(consumer, consumer.negative_acknowledge)
    consumer.close()
    client.close()
    with open(out, "w") as f:
        json.dump(values, f)


def consume(service, topic, sub, count, out):
    client = pulsar.Client(service, operation_timeout_seconds=30)
    consumer = client.subscribe(topic, sub, consumer_type=pulsar.ConsumerType.Shared)
    got = []
    deadline = time.time() + 60
    while len(got) < count and time.time() < deadline:
        try:
            msg = consumer.receive(timeout_millis=1000)
        except pulsar.Timeout:
            continue
        got.append({"key": msg.partition_key(), "properties": msg.properties(),
                    "payload": msg.data().decode("utf-8", "replace")})
        consumer.acknowledge(msg)
    consumer.close()
    client.close()
    with open(out, "w") as f:
        for g in got:
            f.write(json.dumps(g) + "\n")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "dead-letter":
        dead_letter(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7])
    elif mode == "avro-dead-letter":
        avro_dead_letter(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
    elif mode == "consume":
        consume(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(f"unknown mode {mode}")
