"""Message-fidelity fixtures of the official Python pulsar-client (3.x).

  fidelity.py write SERVICE TOPIC KIND OUT
      Write the deterministic messages of one KIND to TOPIC and write what was sent to OUT,
      a JSON list of {index, key, properties, payload_b64, size, sha256, null_value,
      event_time, message_id}; message_id is str() of the MessageId the send returned,
      "(ledger,entry,partition,batch_index)". Every message i has key "k-<i>", properties
      {"i": "<i>", "kind": KIND} and event time EVENT_TIME_BASE + i. KIND is one of
        plain-C        batching off, 20 messages, compression C
        batched-C      batching on (10 per batch, 60 s publish delay), 25 messages sent with
                       send_async then flush: entries of 10, 10 and 5 messages, compression C
        chunked-C      chunking on, batching off, compression C: a small message, one 7 MiB
                       pseudo-random payload (random.Random(CHUNK_SEED)) that does not
                       compress below the broker's 5 MB limit (the client compresses it whole,
                       then stores it as 2 chunks), and a small message
        encrypted      3 messages, encryption_key "fidelity-key", batching off
        encrypted-batched
                       10 messages in one encrypted batch
        delayed        3 messages with deliver_after one minute
        tombstone      k-0 a normal payload, k-1 a null value (tombstone), k-2 an empty,
                       non-null payload
        partitioned    30 messages, keys k-0..k-29, batching off; the caller creates TOPIC
                       with 3 partitions first (admin API)
      where C is NONE, LZ4, ZLIB, ZSTD or SNAPPY. The encrypted kinds use the RSA pair
      public.pem/private.pem of $FIDELITY_KEYS_DIR (made with openssl when missing); without
      that variable the pair is made in a new temporary directory, printed on stderr and kept.

  fidelity.py read SERVICE TOPIC OUT [--crypto-keys DIR]
      Read TOPIC from the earliest message until has_message_available() is false with the
      official Reader and write one JSON line per message to OUT: {message_id, partition,
      ledger, entry, batch_index, key, properties, payload_b64, publish_time, event_time, size,
      topic, null_value, encrypted, decryption_failed}. A partitioned topic is read with one
      Reader per partition, partition 0 first. The Reader uses crypto_failure_action=CONSUME,
      so without --crypto-keys (DIR holding public.pem and private.pem) an encrypted entry
      still gives a line: its payload is the ciphertext, and an encrypted batch is one line.

The Python client logs (warnings and errors only here) to stdout, so results go to OUT files.
"""
import base64
import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile

import pulsar

COMPRESSIONS = ("NONE", "LZ4", "ZLIB", "ZSTD", "SNAPPY")
KINDS = ([f"plain-{c}" for c in COMPRESSIONS] + [f"batched-{c}" for c in COMPRESSIONS]
         + [f"chunked-{c}" for c in COMPRESSIONS]
         + ["encrypted", "encrypted-batched", "delayed", "tombstone", "partitioned"])
EVENT_TIME_BASE = 1_764_237_600_000   # 2025-11-27T10:00:00Z, in ms
CHUNK_SEED = 20261127
CHUNK_SIZE = 7 * 1024 * 1024
ENCRYPTION_KEY = "fidelity-key"
LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit; "


def client(service):
    # a logging.Logger here makes the interpreter abort at exit after get_topic_partitions
    # ("terminate called without an active exception", pulsar-client 3.13)
    return pulsar.Client(service, operation_timeout_seconds=30,
                         logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))


def payload(kind, i):
    """Distinct, deterministic and compressible; every 4th one ends in non-UTF-8 bytes."""
    text = f"{kind} message {i}: " + LOREM * (1 + i % 5) + "ünïcödé ✓"
    data = text.encode()
    if i % 4 == 3:
        data += hashlib.sha256(data).digest() + bytes(range(256))
    return data


def keys_dir():
    """Directory with public.pem and private.pem, made with openssl when missing."""
    d = os.environ.get("FIDELITY_KEYS_DIR")
    if not d:
        d = tempfile.mkdtemp(prefix="fidelity-keys-")
        print(f"fidelity.py: RSA key pair in {d}", file=sys.stderr)
    os.makedirs(d, exist_ok=True)
    private, public = os.path.join(d, "private.pem"), os.path.join(d, "public.pem")
    if not (os.path.exists(private) and os.path.exists(public)):
        subprocess.run(["openssl", "genrsa", "-out", private, "2048"], check=True,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["openssl", "rsa", "-in", private, "-pubout", "-out", public], check=True,
                       stderr=subprocess.DEVNULL)
    return d


def key_reader(d):
    return pulsar.CryptoKeyReader(os.path.join(d, "public.pem"), os.path.join(d, "private.pem"))


def messages(kind):
    """(payload or None, send keyword arguments) per message i."""
    if kind.startswith("chunked-"):
        big = random.Random(CHUNK_SEED).randbytes(CHUNK_SIZE)
        bodies = [payload(kind, 0), big, payload(kind, 2)]
    elif kind == "tombstone":
        bodies = [payload(kind, 0), None, b""]
    else:
        n = {"plain": 20, "batched": 25, "encrypted": 3, "encrypted-batched": 10, "delayed": 3,
             "partitioned": 30}[kind.split("-")[0] if kind != "encrypted-batched" else kind]
        bodies = [payload(kind, i) for i in range(n)]
    out = []
    for i, body in enumerate(bodies):
        kw = {"partition_key": f"k-{i}", "properties": {"i": str(i), "kind": kind},
              "event_timestamp": EVENT_TIME_BASE + i}
        if kind == "delayed":
            kw["deliver_after"] = datetime.timedelta(minutes=1)
        out.append((body, kw))
    return out


def producer_options(kind):
    family, _, codec = kind.partition("-")
    opts = {"batching_enabled": False, "send_timeout_millis": 60000}
    if family in ("plain", "batched", "chunked"):
        opts["compression_type"] = getattr(pulsar.CompressionType, "ZLib" if codec == "ZLIB" else codec)
    if family == "batched" or kind == "encrypted-batched":
        opts.update(batching_enabled=True, batching_max_messages=10,
                    batching_max_publish_delay_ms=60000, batching_max_allowed_size_in_bytes=1 << 20)
    if family == "chunked":
        opts["chunking_enabled"] = True
    if family == "encrypted":
        opts.update(encryption_key=ENCRYPTION_KEY, crypto_key_reader=key_reader(keys_dir()))
    return opts


def write(service, topic, kind, out):
    if kind not in KINDS:
        sys.exit(f"unknown KIND {kind}; one of {', '.join(KINDS)}")
    msgs = messages(kind)
    c = client(service)
    opts = producer_options(kind)
    producer = c.create_producer(topic, **opts)
    ids = [None] * len(msgs)
    if opts["batching_enabled"]:
        errors = []

        def sent(i):
            def callback(res, msg_id):
                if res != pulsar.Result.Ok:
                    errors.append((i, res))
                ids[i] = msg_id
            return callback

        for i, (body, kw) in enumerate(msgs):
            producer.send_async(body, sent(i), **kw)
        producer.flush()
        if errors:
            sys.exit(f"send failed: {errors}")
    else:
        for i, (body, kw) in enumerate(msgs):
            ids[i] = producer.send(body, **kw)
    producer.close()
    c.close()
    records = []
    for i, ((body, kw), msg_id) in enumerate(zip(msgs, ids)):
        data = body or b""
        records.append({"index": i, "key": kw["partition_key"], "properties": kw["properties"],
                        "payload_b64": base64.b64encode(data).decode(), "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(), "null_value": body is None,
                        "event_time": kw["event_timestamp"], "message_id": str(msg_id)})
    with open(out, "w") as f:
        json.dump(records, f)


def read_topic(c, topic, crypto, f):
    opts = {"crypto_failure_action": pulsar.ConsumerCryptoFailureAction.CONSUME}
    if crypto:
        opts["crypto_key_reader"] = key_reader(crypto)
    reader = c.create_reader(topic, pulsar.MessageId.earliest, **opts)
    count = 0
    # After an encrypted batch it could not decrypt (delivered whole, batch index -1) the
    # Reader's has_message_available() stays true, as the topic's last id has a batch index:
    # then a quiet 3 s ends the topic.
    undecrypted_batch = False
    while reader.has_message_available():
        try:
            msg = reader.read_next(timeout_millis=3000 if undecrypted_batch else 30000)
        except pulsar.Timeout:
            if not undecrypted_batch:
                print(f"fidelity.py: {topic}: has_message_available() but nothing came in 30 s",
                      file=sys.stderr)
            break
        mid = msg.message_id()
        data = msg.data() or b""
        ctx = msg.encryption_context()
        undecrypted_batch = ctx is not None and ctx.is_decryption_failed() and ctx.batch_size() > 0
        f.write(json.dumps({
            "message_id": str(mid), "partition": mid.partition(), "ledger": mid.ledger_id(),
            "entry": mid.entry_id(), "batch_index": mid.batch_index(), "key": msg.partition_key(),
            "properties": msg.properties(), "payload_b64": base64.b64encode(data).decode(),
            "publish_time": msg.publish_timestamp(), "event_time": msg.event_timestamp(),
            "size": len(data), "topic": msg.topic_name(), "null_value": msg.has_null_value(),
            "encrypted": ctx is not None,
            "decryption_failed": ctx is not None and ctx.is_decryption_failed()}) + "\n")
        count += 1
    reader.close()
    return count


def read(service, topic, out, crypto=None):
    c = client(service)
    partitions = c.get_topic_partitions(topic)
    with open(out, "w") as f:
        # a non-partitioned topic is its own only "partition"
        for t in partitions:
            read_topic(c, t, crypto, f)
    c.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 5 and args[0] == "write":
        write(*args[1:])
    elif args[:1] == ["read"] and len(args) == 4:
        read(*args[1:])
    elif args[:1] == ["read"] and len(args) == 6 and args[4] == "--crypto-keys":
        read(*args[1:4], crypto=args[5])
    else:
        sys.exit(__doc__)
