"""The official client's consume-only limit for scripts/bench-requeue: the Python client (C++
underneath) reads a DLQ's backlog on an Exclusive durable subscription, nothing sent and
nothing acknowledged.

  bench-requeue-consume-python.py SERVICE DLQ SUBSCRIPTION N [RECEIVER_QUEUE]

The same consumer as scripts/bench-requeue-python.py (receiver_queue_size 1000, the client's
default: 1000 permits at subscribe, then a CommandFlow each time the application has taken
half of them); it only stops calling produce and acknowledge. Exits after N messages; prints
{"read": N, "seconds": s} as the last line (s from before the client is created).
"""
import json
import sys
import time

import pulsar

service, dlq, sub, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
queue = int(sys.argv[5]) if len(sys.argv) > 5 else 1000

start = time.time()
client = pulsar.Client(service, operation_timeout_seconds=30,
                       logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
consumer = client.subscribe(dlq, sub, consumer_type=pulsar.ConsumerType.Exclusive,
                            initial_position=pulsar.InitialPosition.Earliest, receiver_queue_size=queue)
read = 0
for _ in range(n):
    consumer.receive()
    read += 1
seconds = time.time() - start
consumer.close()
client.close()
print(json.dumps({"read": read, "seconds": seconds}))
