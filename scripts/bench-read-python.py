#!/usr/bin/env python3
"""The Python side of scripts/bench-read: a pulsar-client reader loop writing the JSON lines
that `pulsar-tui read --format jsonl` writes.

    scripts/bench-read-python.py TOPIC N [SERVICE_URL]

Reads a (non-partitioned) topic from the earliest message with the official client's
Reader (non-durable, like ours) until it has N messages, and writes one envelope per
message to stdout (see "The JSON-lines envelope" in the README): topic, message_id
(ledger:entry:partition:batch), partition, key, ordering_key, properties, publish_time and
event_time (RFC 3339, ms, UTC), producer, sequence_id, schema_version, redelivery_count,
size, value (the payload as JSON when it parses, else UTF-8 text, else hex), decode_error.
Deviations: `sequence_id` is null (pulsar-client 3.x does not expose it) and
`redelivery_count` is the client's (0), where ours writes null. Keys keep our order.

The elapsed time and rate go to stderr as `count=N elapsed_s=S msgs_per_s=R`; the clock
starts before the client connects, as for the other two readers of the benchmark.
"""

import json
import sys
import time

import pulsar

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_loads = json.loads
_gmtime = time.gmtime
_strftime = time.strftime


def rfc3339_ms(ms):
    """Milliseconds since the epoch as 2026-11-27T10:00:00.123Z (None for 0 = unset)."""
    if not ms:
        return None
    s, frac = divmod(ms, 1000)
    return "%s.%03dZ" % (_strftime("%Y-%m-%dT%H:%M:%S", _gmtime(s)), frac)


def decode(payload):
    """Schemaless decoding as ours does it: JSON document, else text, else hex."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.hex()
    try:
        return _loads(text)
    except ValueError:
        return text


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: bench-read-python.py TOPIC N [SERVICE_URL]")
    topic, n = sys.argv[1], int(sys.argv[2])
    url = sys.argv[3] if len(sys.argv) > 3 else "pulsar://127.0.0.1:6650"
    start = time.perf_counter()
    client = pulsar.Client(url, operation_timeout_seconds=30, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    reader = client.create_reader(topic, pulsar.MessageId.earliest)
    out = sys.stdout
    write = out.write
    count = 0
    while count < n:
        try:
            m = reader.read_next(30_000)
        except pulsar.Timeout:
            break
        mid = m.message_id()
        partition = mid.partition()
        payload = m.data()
        key = m.partition_key() or None
        ordering_key = m.ordering_key() or None
        sv = m.schema_version()
        envelope = {
            "topic": m.topic_name(),
            "message_id": "%d:%d:%d:%d" % (mid.ledger_id(), mid.entry_id(), partition, mid.batch_index()),
            "partition": partition,
            "key": key,
            "ordering_key": ordering_key,
            "properties": m.properties(),
            "publish_time": rfc3339_ms(m.publish_timestamp()),
            "event_time": rfc3339_ms(m.event_timestamp()),
            "producer": m.producer_name(),
            "sequence_id": None,
            "schema_version": int.from_bytes(sv, "big") if isinstance(sv, bytes) and sv else (sv or None),
            "redelivery_count": m.redelivery_count(),
            "size": len(payload),
            "value": decode(payload),
            "decode_error": None,
        }
        write(_dumps(envelope))
        write("\n")
        count += 1
    out.flush()
    elapsed = time.perf_counter() - start
    reader.close()
    client.close()
    print("count=%d elapsed_s=%.3f msgs_per_s=%.0f" % (count, elapsed, count / elapsed), file=sys.stderr)
    if count < n:
        sys.exit("bench-read-python: the topic ended after %d of %d messages" % (count, n))


if __name__ == "__main__":
    main()
