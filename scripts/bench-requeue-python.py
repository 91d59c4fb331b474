"""The Python peer of `pulsar-tui dlq requeue`: consume a DLQ -> produce to a target -> ack.

  bench-requeue-python.py SERVICE DLQ SUBSCRIPTION TARGET N

The same safety as ours: a DLQ message is acknowledged only after the broker confirmed its
copy (send_async's callback acks it), properties copied with the DLQ bookkeeping stripped.
Exits after N messages; prints {"moved": N, "seconds": s} as the last line.
"""
import json
import sys
import threading
import time

import pulsar

service, dlq, sub, target, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
STRIP = {"REAL_TOPIC", "ORIGIN_MESSAGE_ID", "RECONSUMETIMES", "DELAY_TIME", "RETRY_TOPIC"}

client = pulsar.Client(service, operation_timeout_seconds=30)
consumer = client.subscribe(dlq, sub, consumer_type=pulsar.ConsumerType.Exclusive,
                            initial_position=pulsar.InitialPosition.Earliest, receiver_queue_size=1000)
producer = client.create_producer(target, batching_enabled=False, block_if_queue_full=True,
                                  max_pending_messages=1000)
done = threading.Semaphore(0)
failed = []


def acker(msg):
    def cb(res, _msg_id):
        if res == pulsar.Result.Ok:
            consumer.acknowledge(msg)
        else:
            failed.append(str(res))
        done.release()
    return cb


start = time.time()
for _ in range(n):
    m = consumer.receive()
    props = {k: v for k, v in m.properties().items() if k not in STRIP}
    props["REQUEUED_FROM"] = str(m.message_id())
    kw = {"properties": props}
    if m.partition_key():
        kw["partition_key"] = m.partition_key()
    if m.event_timestamp():
        kw["event_timestamp"] = m.event_timestamp()
    producer.send_async(m.data(), acker(m), **kw)
for _ in range(n):
    done.acquire()
seconds = time.time() - start
producer.close()
consumer.close()
client.close()
print(json.dumps({"moved": n - len(failed), "failed": len(failed), "seconds": seconds}))
