"""A producer at a known rate against a backlog quota, for tests/broker_policies.rs, through
the official Python pulsar-client.

  policies_quota.py SERVICE TOPIC RATE SIZE DEADLINE_S
      Producer A sends SIZE-byte messages (batching off) at RATE messages per second, paced
      by the clock. Every 0.2 s a new producer is created and closed again: the broker checks
      the backlog quota when a producer is created, so the first refusal is the moment the
      broker starts refusing producers (producer_exception quota). Prints JSON lines:
      {"event": "started", "at_ms": ...} after the first send, then
      {"event": "refused", "at_ms": ..., "error": ...} and exits 0, or
      {"event": "deadline"} and exits 1 after DEADLINE_S seconds.
"""
import json
import sys
import time

import pulsar


def say(**kw):
    print(json.dumps(kw), flush=True)


def main():
    service, topic = sys.argv[1], sys.argv[2]
    rate, size, deadline_s = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    client = pulsar.Client(service, operation_timeout_seconds=10)
    producer = client.create_producer(topic, batching_enabled=False, block_if_queue_full=True,
                                      max_pending_messages=10000)
    payload = b"x" * size
    start = time.time()
    sent = 0
    next_probe = start
    probes = 0
    while time.time() - start < deadline_s:
        now = time.time()
        due = int((now - start) * rate) + 1
        while sent < due:
            producer.send_async(payload, None)
            sent += 1
            if sent == 1:
                say(event="started", at_ms=int(time.time() * 1000))
        if now >= next_probe:
            next_probe = now + 0.2
            probes += 1
            try:
                p = client.create_producer(topic, producer_name=f"probe-{probes}", batching_enabled=False)
                p.close()
            except Exception as e:  # ProducerBlockedQuotaExceededException
                say(event="refused", at_ms=int(time.time() * 1000), error=f"{type(e).__name__}: {e}", sent=sent)
                producer.flush()
                client.close()
                return 0
        time.sleep(0.005)
    say(event="deadline", sent=sent)
    client.close()
    return 1


if __name__ == "__main__":
    sys.exit(main())
