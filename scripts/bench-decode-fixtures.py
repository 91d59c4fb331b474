#!/usr/bin/env python3
"""Payloads and schemas for the decode benchmark (benches/decode.rs, scripts/bench-decode).

Writes into target/bench-decode/ (or the directory given as the first argument, or
$PULSAR_TUI_BENCH_DECODE_DIR), so that Rust and Python decode byte-identical payloads:

  order.avsc                 the Avro record (12 fields: strings, longs, doubles, a nested
                             record, an array of strings)
  avro.schema.json           AVRO admin schema response (GET .../schema) with that record
  json.schema.json           JSON admin schema response, same Avro-style definition
  bench.proto, bench.desc    the protobuf twin of the record and its FileDescriptorSet
  protobuf.schema.json       PROTOBUF_NATIVE admin schema response with that descriptor set
  avro.records               N payloads written by fastavro.schemaless_writer
  json.records               the same N records as compact JSON text (json.dumps)
  protobuf.records           the same N records written by python protobuf (SerializeToString)
  manifest.json              record count and byte sizes

A .records file is a sequence of [u32 little-endian length][payload]. Avro payloads are
about 200 bytes. The output is deterministic (fixed seed); N is $BENCH_DECODE_RECORDS
(default 1000).

Needs: pip install fastavro==1.13.1 protobuf==7.36.2 (scripts/requirements.txt) and either
grpcio-tools (grpc_tools.protoc) or a `protoc` binary on PATH.
"""

import base64
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid

import fastavro
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_TS = 1700000000000

AVRO_SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "bench",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "long"},
        {"name": "created_at", "type": "long"},
        {"name": "status", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "tax", "type": "double"},
        {"name": "currency", "type": "string"},
        {"name": "quantity", "type": "long"},
        {"name": "email", "type": "string"},
        {
            "name": "shipping",
            "type": {
                "type": "record",
                "name": "Address",
                "fields": [
                    {"name": "street", "type": "string"},
                    {"name": "city", "type": "string"},
                    {"name": "zip", "type": "string"},
                    {"name": "country", "type": "string"},
                ],
            },
        },
        {"name": "items", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": "string"},
    ],
}

# Same field names and order as the Avro record, so all three decode to the same JSON.
PROTO = """\
syntax = "proto3";

package bench;

message Address {
  string street = 1;
  string city = 2;
  string zip = 3;
  string country = 4;
}

message Order {
  string order_id = 1;
  int64 customer_id = 2;
  int64 created_at = 3;
  string status = 4;
  double amount = 5;
  double tax = 6;
  string currency = 7;
  int64 quantity = 8;
  string email = 9;
  Address shipping = 10;
  repeated string items = 11;
  string note = 12;
}
"""

STREETS = ["Elm Street", "Main Street", "Oak Avenue", "Harbour Road", "Station Lane", "Rue de la Paix"]
CITIES = ["Springfield", "Lyon", "Rotterdam", "Osaka", "Austin", "Porto", "Leipzig"]
STATUSES = ["NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]
WORDS = "please leave the parcel at the back door gift wrap fragile call on arrival".split()


def make_record(rng):
    return {
        "order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "customer_id": rng.randrange(1, 5_000_000_000),
        "created_at": SCHEMA_TS + rng.randrange(0, 90 * 86_400_000),
        "status": rng.choice(STATUSES),
        "amount": round(rng.uniform(1, 2000), 2),
        "tax": round(rng.uniform(0, 400), 2),
        "currency": rng.choice(["USD", "EUR", "JPY"]),
        "quantity": rng.randrange(1, 20),
        "email": "customer%d@example.com" % rng.randrange(100_000),
        "shipping": {
            "street": "%d %s" % (rng.randrange(1, 9999), rng.choice(STREETS)),
            "city": rng.choice(CITIES),
            "zip": "%05d" % rng.randrange(100_000),
            "country": rng.choice(["US", "FR", "NL", "JP", "DE", "PT"]),
        },
        "items": ["SKU-%06d" % rng.randrange(1_000_000) for _ in range(rng.randrange(2, 6))],
        "note": " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 6))),
    }


def compile_descriptor_set(proto_path):
    out_dir = tempfile.mkdtemp()
    try:
        out = os.path.join(out_dir, "bench.desc")
        args = ["-I" + os.path.dirname(proto_path), "--include_imports", "--descriptor_set_out=" + out, proto_path]
        try:
            from grpc_tools import protoc  # noqa: PLC0415

            rc = protoc.main(["protoc"] + args)
        except ImportError:
            if shutil.which("protoc") is None:
                sys.exit("bench-decode-fixtures: needs grpcio-tools (pip install grpcio-tools) or protoc on PATH")
            rc = subprocess.call(["protoc"] + args)
        if rc != 0:
            sys.exit("bench-decode-fixtures: protoc failed")
        with open(out, "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def write_records(path, payloads):
    with open(path, "wb") as f:
        for p in payloads:
            f.write(struct.pack("<I", len(p)))
            f.write(p)


def admin(schema_type, data):
    return json.dumps({"version": 0, "type": schema_type, "timestamp": SCHEMA_TS, "data": data, "properties": {}}, indent=2)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PULSAR_TUI_BENCH_DECODE_DIR")
    out = out or os.path.join(ROOT, "target", "bench-decode")
    n = int(os.environ.get("BENCH_DECODE_RECORDS", "1000"))
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20240601)
    records = [make_record(rng) for _ in range(n)]

    # Avro
    schema_text = json.dumps(AVRO_SCHEMA)
    parsed = fastavro.parse_schema(AVRO_SCHEMA)
    avro = []
    for r in records:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, r)
        avro.append(buf.getvalue())
    write(os.path.join(out, "order.avsc"), json.dumps(AVRO_SCHEMA, indent=2) + "\n")
    write(os.path.join(out, "avro.schema.json"), admin("AVRO", schema_text))
    write_records(os.path.join(out, "avro.records"), avro)

    # JSON: the same records as compact JSON text, same Avro-style definition
    js = [json.dumps(r, separators=(",", ":")).encode() for r in records]
    write(os.path.join(out, "json.schema.json"), admin("JSON", schema_text))
    write_records(os.path.join(out, "json.records"), js)

    # Protobuf
    proto_path = os.path.join(out, "bench.proto")
    write(proto_path, PROTO)
    fds_bytes = compile_descriptor_set(proto_path)
    write(os.path.join(out, "bench.desc"), fds_bytes)
    pool = descriptor_pool.DescriptorPool()
    for fd in descriptor_pb2.FileDescriptorSet.FromString(fds_bytes).file:
        pool.Add(fd)
    order_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("bench.Order"))
    pb = []
    for r in records:
        m = order_cls()
        for k, v in r.items():
            if k == "shipping":
                for sk, sv in v.items():
                    setattr(m.shipping, sk, sv)
            elif k == "items":
                m.items.extend(v)
            else:
                setattr(m, k, v)
        pb.append(m.SerializeToString())
    pb_data = json.dumps(
        {
            "fileDescriptorSet": base64.b64encode(fds_bytes).decode(),
            "rootMessageTypeName": "bench.Order",
            "rootFileDescriptorName": "bench.proto",
        }
    )
    write(os.path.join(out, "protobuf.schema.json"), admin("PROTOBUF_NATIVE", pb_data))
    write_records(os.path.join(out, "protobuf.records"), pb)

    manifest = {"records": n, "formats": {}}
    for name, payloads in (("avro", avro), ("json", js), ("protobuf", pb)):
        total = sum(len(p) for p in payloads)
        manifest["formats"][name] = {"file": name + ".records", "bytes": total, "avg_bytes": round(total / n, 1)}
    write(os.path.join(out, "manifest.json"), json.dumps(manifest, indent=2) + "\n")
    sizes = ", ".join("%s %.0f B" % (k, v["avg_bytes"]) for k, v in manifest["formats"].items())
    print("bench-decode-fixtures: %d records per format in %s (average %s)" % (n, out, sizes), file=sys.stderr)


if __name__ == "__main__":
    main()
