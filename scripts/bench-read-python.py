#!/usr/bin/env python3
"""The Python side of scripts/bench-read: a pulsar-client reader loop writing the JSON lines
that `pulsar-tui read --format jsonl` writes.

    scripts/bench-read-python.py TOPIC N [SERVICE_URL] [--avro ADMIN_URL] [--where EXPR]

Reads a (non-partitioned) topic from the earliest message with the official client's
Reader (non-durable, like ours) until it has N messages, and writes one envelope per
message to stdout (see "The JSON-lines envelope" in the README): topic, message_id
(ledger:entry:partition:batch), partition, key, ordering_key, properties, publish_time and
event_time (RFC 3339, ms, UTC), producer, sequence_id, schema_version, redelivery_count,
size, value (the payload as JSON when it parses, else UTF-8 text, else hex), decode_error.
Deviations: `sequence_id` is null (pulsar-client 3.x does not expose it) and
`redelivery_count` is the client's (0), where ours writes null. Keys keep our order.

--avro: the payloads are Avro; each is decoded with fastavro (`schemaless_reader`) with the
writer's schema, fetched once per schema version from the registry at ADMIN_URL, as ours
does. --where: write only the messages for which the Python expression EXPR, over the
decoded `value`, is true (the peer of `pulsar-tui read --filter`); every message is still
read and decoded.

The elapsed time and rate go to stderr as `count=N elapsed_s=S msgs_per_s=R`; the clock
starts before the client connects, as for the other two readers of the benchmark.
"""

import argparse
import io
import json
import sys
import time
import urllib.request

import fastavro

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


class AvroDecoder:
    """fastavro with the writer's schema of each version, fetched once from the registry."""

    def __init__(self, admin_url, topic):
        self.base = "%s/admin/v2/schemas/%s/schema" % (admin_url.rstrip("/"), topic.split("://", 1)[-1])
        self.parsed = {}

    def schema(self, version):
        parsed = self.parsed.get(version)
        if parsed is None:
            with urllib.request.urlopen("%s/%d" % (self.base, version), timeout=30) as resp:
                info = json.load(resp)
            parsed = fastavro.parse_schema(json.loads(info["data"]))
            self.parsed[version] = parsed
        return parsed

    def decode(self, payload, version):
        return fastavro.schemaless_reader(io.BytesIO(payload), self.schema(version))


def main():
    ap = argparse.ArgumentParser(usage="bench-read-python.py TOPIC N [SERVICE_URL] [--avro ADMIN_URL] [--where EXPR]")
    ap.add_argument("topic")
    ap.add_argument("n", type=int)
    ap.add_argument("url", nargs="?", default="pulsar://127.0.0.1:6650")
    ap.add_argument("--avro", metavar="ADMIN_URL")
    ap.add_argument("--where", metavar="EXPR")
    args = ap.parse_args()
    topic, n, url = args.topic, args.n, args.url
    avro = AvroDecoder(args.avro, topic) if args.avro else None
    where = eval("lambda value: " + args.where) if args.where else None  # noqa: S307 - the benchmark's own text
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
        version = int.from_bytes(sv, "big") if isinstance(sv, bytes) and sv else (sv or None)
        if avro is not None:
            version = m._message.int_schema_version()  # schema_version() is the raw bytes as str
            value = avro.decode(payload, version)
        else:
            value = decode(payload)
        count += 1
        if where is not None and not where(value):
            continue
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
            "schema_version": version,
            "redelivery_count": m.redelivery_count(),
            "size": len(payload),
            "value": value,
            "decode_error": None,
        }
        write(_dumps(envelope))
        write("\n")
    out.flush()
    elapsed = time.perf_counter() - start
    reader.close()
    client.close()
    print("count=%d elapsed_s=%.3f msgs_per_s=%.0f" % (count, elapsed, count / elapsed), file=sys.stderr)
    if count < n:
        sys.exit("bench-read-python: the topic ended after %d of %d messages" % (count, n))


if __name__ == "__main__":
    main()
