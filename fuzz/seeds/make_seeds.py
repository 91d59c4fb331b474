#!/usr/bin/env python3
"""Regenerates the seed corpora in fuzz/seeds/<target>/ from tests/fixtures and
src/filter/tests.rs. Run from anywhere: python3 fuzz/seeds/make_seeds.py"""
import hashlib
import json
import pathlib
import re
import shutil

root = pathlib.Path(__file__).resolve().parents[2]
seeds = root / "fuzz" / "seeds"
dec = root / "tests" / "fixtures" / "decode"


def write(target, blobs):
    d = seeds / target
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    for b in blobs:
        (d / hashlib.sha1(b).hexdigest()).write_bytes(b)


# metrics_parser: the synthetic namespace-level scrape, and the first lines of a real one
metrics = root / "tests" / "fixtures" / "metrics"
real = (metrics / "standalone-4.0.8.txt").read_bytes().splitlines(keepends=True)
topic_lines = [l for l in real if b'topic="' in l][:40]
write("metrics_parser", [
    (metrics / "namespace-level-synthetic.txt").read_bytes(),
    b"".join(real[:60]),
    b"".join(topic_lines),
    b'# TYPE x counter\nx{a="b\\\\",c="d"} 1.5e3 1700000000000\nx{a="\\"} NaN\n# EOF\n',
])

# filter_parser: the expressions of the filter unit tests
src = (root / "src" / "filter" / "tests.rs").read_text()
exprs = set()
for m in re.finditer(r'(?:yes|no|eval|compile|Filter::compile)\(\s*(r#"(.*?)"#|"((?:[^"\\]|\\.)*)")', src, re.S):
    e = m.group(2) if m.group(2) is not None else m.group(3).encode().decode("unicode_escape")
    if e and len(e) < 400:
        exprs.add(e)
write("filter_parser", sorted(e.encode() for e in exprs))

# message_id
write("message_id", [s.encode() for s in [
    "123:45:-1:-1", "123:45", "(7,8,2,3)", " 1 : 2 : 3 ", "earliest", "latest", "-10", "+5",
    "2026-11-27T10:00:00Z", "2026-11-27T10:00:00.123+02:00", "15m", "2h", "1d", "30s", "1w",
]])

# decoders: [decoder index][key byte][key][payload]; the index is the position in
# FIXTURE_SCHEMAS of fuzz_targets/decoders.rs
order = ["avro_everything", "avro_node", "order_v1", "order_v2", "avro_java_names", "json_user",
         "protobuf_native_person", "protobuf_native_other", "protobuf_legacy_person",
         "protobuf_legacy_noinfo", "kv_inline", "kv_separated", "kv_primitive", "none", "auto_consume",
         "prim_string", "prim_boolean", "prim_int8", "prim_int16", "prim_int32", "prim_int64", "prim_float",
         "prim_double", "prim_date", "prim_timestamp", "prim_time", "prim_instant", "prim_local_date",
         "prim_local_time", "prim_local_date_time", "prim_bytes"]
cases = json.loads((dec / "cases.json").read_text())
blobs = []
for c in cases:
    schema = c["schema"] or "none.schema.json"
    name = schema[: -len(".schema.json")]
    if name not in order:
        continue
    payload = (dec / c["payload"]).read_bytes()
    if len(payload) > 1024:
        continue
    key = (dec / c["key"]).read_bytes() if c["key"] else None
    if key is None:
        blobs.append(bytes([order.index(name), 0xFF]) + payload)
    elif len(key) < 64:
        blobs.append(bytes([order.index(name), len(key)]) + key + payload)
write("decoders", blobs)

# schema_definition: every fixture schema, the list, and an .avsc
write("schema_definition", [p.read_bytes() for p in sorted(dec.glob("*.schema.json"))]
      + [(dec / "order_schemas.json").read_bytes(), (dec / "everything.avsc").read_bytes()])
