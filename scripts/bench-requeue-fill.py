"""Fills DLQ topics for scripts/bench-requeue with the official Python client.

  bench-requeue-fill.py SERVICE N BATCH REAL_TOPIC DLQ [DLQ ...]

Sends the same N small messages to each DLQ (payload "payload-<i>", key "k-<i>", properties
REAL_TOPIC and source=bench, as a dead-letter topic holds them). BATCH 0 turns batching off
(one entry per message, the usual DLQ: the Java client's dead-letter producer does not batch);
BATCH 100 puts up to 100 messages in one entry (batching_max_messages=100). Prints
{"topic": ..., "sent": N, "seconds": s} per DLQ.
"""
import json
import sys
import threading
import time

import pulsar

service, n, batch, real_topic, dlqs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]

client = pulsar.Client(service, operation_timeout_seconds=30,
                       logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
for dlq in dlqs:
    kw = {"batching_enabled": False}
    if batch > 0:
        kw = {"batching_enabled": True, "batching_max_messages": batch, "batching_max_publish_delay_ms": 10,
              "batching_max_allowed_size_in_bytes": 4 * 1024 * 1024}
    producer = client.create_producer(dlq, block_if_queue_full=True, max_pending_messages=5000, **kw)
    done = threading.Semaphore(0)
    failed = []

    def cb(res, _msg_id):
        if res != pulsar.Result.Ok:
            failed.append(str(res))
        done.release()

    props = {"REAL_TOPIC": real_topic, "source": "bench"}
    start = time.time()
    for i in range(n):
        producer.send_async(b"payload-%d" % i, cb, properties=props, partition_key="k-%d" % i)
    producer.flush()
    for _ in range(n):
        done.acquire()
    producer.close()
    if failed:
        sys.exit("bench-requeue-fill: %d sends to %s failed: %s" % (len(failed), dlq, failed[0]))
    print(json.dumps({"topic": dlq, "sent": n, "batch": batch, "seconds": round(time.time() - start, 3)}))
client.close()
