"""The peer of scripts/bench-produce: the official Python client producing Avro records read
from JSON lines, the way a Python service would: json.loads each line, an AvroSchema producer
(fastavro underneath) with batching on, send_async, flush at the end.

  bench-produce-python.py SERVICE TOPIC FILE SCHEMA_JSON

Prints {"sent": N, "seconds": s} as its last line (s from before the client is created).
"""
import json
import sys
import time

import pulsar
from pulsar.schema import AvroSchema

service, topic, path, schema_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
with open(schema_path) as f:
    definition = json.load(f)
start = time.time()
client = pulsar.Client(service, operation_timeout_seconds=30, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
producer = client.create_producer(topic, schema=AvroSchema(None, schema_definition=definition),
                                  batching_enabled=True, batching_max_messages=1000,
                                  batching_max_publish_delay_ms=10, block_if_queue_full=True,
                                  max_pending_messages=50000)
failed = []
sent = 0


def done(res, _msg_id):
    if res != pulsar.Result.Ok:
        failed.append(res)


with open(path) as f:
    for line in f:
        producer.send_async(json.loads(line), done)
        sent += 1
producer.flush()
producer.close()
client.close()
if failed:
    sys.exit("%d sends failed: %s" % (len(failed), failed[0]))
print(json.dumps({"sent": sent, "seconds": time.time() - start}))
