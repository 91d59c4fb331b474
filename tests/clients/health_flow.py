"""Conditions the health view must find, built with the official Python pulsar-client, for
tests/broker_health.rs. Each mode runs until killed (or until its work is done) and writes
"ready" to READY once the condition is under way (the client logs to stdout).

  health_flow.py hold SERVICE TOPIC SUB READY
      A Shared consumer that receives every message and never acknowledges one.

  health_flow.py nack SERVICE TOPIC SUB DLQ N READY
      Produce N messages, then nack every one through ConsumerDeadLetterPolicy
      (max_redeliver_count=1, nack delay 100 ms): they all end in DLQ. Exits when done.

  health_flow.py redeliver SERVICE TOPIC SUB N READY
      Produce N messages, then nack every message received (nack delay 50 ms, no dead-letter
      policy) until killed: a redelivery storm.

  health_flow.py produce SERVICE TOPIC GAP_MS READY
      Produce one message every GAP_MS until killed.
"""
import sys
import time

import pulsar

from dead_letters import dead_letter_consumer


def ready(path):
    with open(path, "w") as f:
        f.write("ready")


def hold(service, topic, sub, path):
    client = pulsar.Client(service, operation_timeout_seconds=30)
    consumer = client.subscribe(topic, sub, consumer_type=pulsar.ConsumerType.Shared,
                                initial_position=pulsar.InitialPosition.Earliest)
    ready(path)
    while True:
        try:
            consumer.receive(timeout_millis=1000)
        except pulsar.Timeout:
            pass


def nack(service, topic, sub, dlq, n, path):
    client = pulsar.Client(service, operation_timeout_seconds=30)
    consumer = dead_letter_consumer(client, topic, sub, dlq, max_redeliver_count=1)
    producer = client.create_producer(topic, batching_enabled=False)
    for i in range(n):
        producer.send(f"poison-{i}".encode(), properties={"i": str(i)})
    ready(path)
    deadline = time.time() + 120
    dead = client.subscribe(dlq, "watch", initial_position=pulsar.InitialPosition.Earliest)
    seen = 0
    while seen < n and time.time() < deadline:
        try:
            consumer.negative_acknowledge(consumer.receive(timeout_millis=500))
        except pulsar.Timeout:
            pass
        try:
            while True:
                dead.acknowledge(dead.receive(timeout_millis=10))
                seen += 1
        except pulsar.Timeout:
            pass
    client.close()
    sys.exit(0 if seen >= n else 1)


def redeliver(service, topic, sub, n, path):
    client = pulsar.Client(service, operation_timeout_seconds=30)
    consumer = client.subscribe(topic, sub, consumer_type=pulsar.ConsumerType.Shared,
                                initial_position=pulsar.InitialPosition.Earliest,
                                negative_ack_redelivery_delay_ms=50)
    producer = client.create_producer(topic, batching_enabled=False)
    for i in range(n):
        producer.send(f"retry-{i}".encode())
    ready(path)
    while True:
        try:
            consumer.negative_acknowledge(consumer.receive(timeout_millis=500))
        except pulsar.Timeout:
            pass


def produce(service, topic, gap_ms, path):
    client = pulsar.Client(service, operation_timeout_seconds=30)
    producer = client.create_producer(topic, batching_enabled=False)
    ready(path)
    i = 0
    while True:
        producer.send(f"m-{i}".encode())
        i += 1
        time.sleep(gap_ms / 1000.0)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "hold":
        hold(*args)
    elif mode == "nack":
        nack(args[0], args[1], args[2], args[3], int(args[4]), args[5])
    elif mode == "redeliver":
        redeliver(args[0], args[1], args[2], int(args[3]), args[4])
    elif mode == "produce":
        produce(args[0], args[1], int(args[2]), args[3])
    else:
        sys.exit(f"unknown mode {mode}")
