"""Fill a topic with batched messages through the official Python pulsar-client, for the
requeue tests (tests/broker_requeue_batches.rs).

  produce_batched.py SERVICE TOPIC N BATCH [REAL_TOPIC]
      Sends N messages (payload "m-i", key "k-i", properties {"i": i, REAL_TOPIC,
      ORIGIN_MESSAGE_ID}) with batching on, BATCH messages per batch (the last batch may be
      shorter): send_async for all, then flush, so that every entry holds a full batch.
      BATCH 1 (the client refuses batching_max_messages < 2): each message is sent and
      waited for on its own with a 1 ms batching delay, so each entry is a batch of one.
      Prints {"sent": N} as its last line.
"""
import json
import sys

import pulsar


def main():
    service, topic, n, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    real = sys.argv[5] if len(sys.argv) > 5 else "persistent://public/default/unused"
    client = pulsar.Client(service, operation_timeout_seconds=30)
    producer = client.create_producer(
        topic,
        batching_enabled=True,
        batching_max_messages=max(batch, 2),
        batching_max_allowed_size_in_bytes=32 * 1024 * 1024,
        batching_max_publish_delay_ms=60_000 if batch > 1 else 1,
        max_pending_messages=max(batch * 2, 1000),
        block_if_queue_full=True,
    )
    failed = []
    for i in range(n):
        args = dict(partition_key=f"k-{i}",
                    properties={"i": str(i), "REAL_TOPIC": real, "ORIGIN_MESSAGE_ID": f"1:{i}:-1"})
        if batch == 1:
            producer.send(f"m-{i}".encode(), **args)
            continue
        producer.send_async(
            f"m-{i}".encode(),
            lambda res, _id, i=i: res == pulsar.Result.Ok or failed.append((i, str(res))),
            **args,
        )
    producer.flush()
    producer.close()
    client.close()
    if failed:
        raise SystemExit(f"sends failed: {failed[:5]}")
    print(json.dumps({"sent": n}))


if __name__ == "__main__":
    main()
