#!/usr/bin/env python3
"""seed-demo.py - fill a running Apache Pulsar broker with pulsar-tui's demo data.

    python3 scripts/seed-demo.py [--service-url pulsar://127.0.0.1:6650] [--admin-url http://127.0.0.1:8080]
                                 [--pulsar-tui BIN] [--pulsar-home DIR] [--token TOKEN]
                                 [--grow-backlog [SECONDS] | --follow] [--rate MSGS_PER_S]

Everything goes through the real broker: tenants, namespaces, topics and subscriptions through
the admin REST API, messages through the official Python client (pulsar-client), the KEY_VALUE
topic through the distribution's Java CLI (bin/pulsar-client), and the text topic through
pulsar-tui's own `produce` subcommand. Python deps: pip install -r scripts/requirements.txt

What it creates (idempotent: structure is create-if-missing, topics that already hold messages
are not written again, so a rerun only adds messages where a topic is still empty):

  tenants acme, ops (allowed cluster: standalone); namespaces acme/shop, acme/billing, ops/alerts
  (7-day / 512 MB retention so consumed messages stay browsable)
  acme/shop/orders              partitioned (4), AVRO Order v1 + v2 (v2 adds currency="USD"),
                                100 msgs each with keys, properties, event timestamps;
                                subs: payments (Shared, drained; nacks amount > 1000 until the
                                dead-letter policy moves them), analytics (never read: backlog)
  acme/shop/orders-payments-DLQ the dead-letter topic of `payments` (sub dlq-triage keeps them)
  acme/shop/customers           JSON schema, batched producer
  acme/shop/inventory           KEY_VALUE<STRING, JSON> INLINE, produced by bin/pulsar-client
  acme/billing/invoices         PROTOBUF_NATIVE (descriptor built in code, imports Timestamp)
  acme/billing/ledger           STRING schema
  acme/billing/refunds          partitioned (2), empty, no schema
  ops/alerts/events             JSON schema; sub slow-dashboard never reads (backlog);
                                --grow-backlog keeps adding ~2 msg/s until SIGINT/SIGTERM
  ops/alerts/pager-log          no schema, UTF-8 text lines, written by `pulsar-tui produce`

Environment: PULSAR_SERVICE_URL, PULSAR_WEB_SERVICE_URL (as printed by scripts/pulsar-standalone env),
PULSAR_TOKEN (or PULSAR_ADMIN_TOKEN), PULSAR_TUI_BIN, PULSAR_HOME. The pulsar-tui child gets
PULSAR_SERVICE_URL, PULSAR_WEB_SERVICE_URL and (if set) PULSAR_TOKEN in its environment.

Exit status: 0 ok, 1 a step failed or a check did not hold, 2 bad setup (broker unreachable,
binary or Pulsar distribution missing, dependency missing).
"""

import argparse
import glob
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import fastavro
    import pulsar
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
    from pulsar.schema import AvroSchema, Integer, JsonSchema, Long, ProtobufNativeSchema, Record, String, StringSchema
except ImportError as e:  # pragma: no cover - depends on the environment
    print(f"seed-demo: ERROR: missing Python dependency ({e}).\n"
          f"  install them with: pip install -r {os.path.dirname(os.path.abspath(__file__))}/requirements.txt",
          file=sys.stderr)
    sys.exit(2)

# --------------------------------------------------------------------------- constants --
CLUSTER = "standalone"
TENANTS = ["acme", "ops"]
NAMESPACES = ["acme/shop", "acme/billing", "ops/alerts"]
RETENTION = {"retentionTimeInMinutes": 7 * 24 * 60, "retentionSizeInMB": 512}

ORDERS = "persistent://acme/shop/orders"
ORDERS_DLQ = "persistent://acme/shop/orders-payments-DLQ"
CUSTOMERS = "persistent://acme/shop/customers"
INVENTORY = "persistent://acme/shop/inventory"
INVOICES = "persistent://acme/billing/invoices"
LEDGER = "persistent://acme/billing/ledger"
REFUNDS = "persistent://acme/billing/refunds"
EVENTS = "persistent://ops/alerts/events"
PAGER_LOG = "persistent://ops/alerts/pager-log"

# topic -> number of partitions (0 = non-partitioned)
TOPICS = {ORDERS: 4, ORDERS_DLQ: 0, CUSTOMERS: 0, INVENTORY: 0,
          INVOICES: 0, LEDGER: 0, REFUNDS: 2, EVENTS: 0, PAGER_LOG: 0}
# subscriptions created at the earliest position (so they see everything produced later)
SUBSCRIPTIONS = [(ORDERS, "payments"), (ORDERS, "analytics"), (ORDERS_DLQ, "dlq-triage"),
                 (INVOICES, "accounting"), (EVENTS, "slow-dashboard")]

ORDERS_PER_VERSION = 100
DLQ_AMOUNT_THRESHOLD = 1000.0   # payments nacks orders above this amount ...
DLQ_MAX_REDELIVER = 3           # ... and after this many redeliveries they go to ORDERS_DLQ
NACK_DELAY_MS = 200

ORDER_V1 = {
    "type": "record", "name": "Order", "namespace": "acme.shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "customer", "type": "string"},
    ],
}
ORDER_V2 = dict(ORDER_V1, fields=ORDER_V1["fields"] + [{"name": "currency", "type": "string", "default": "USD"}])

# value schema of the KEY_VALUE topic (Pulsar JSON schemas are written as Avro records)
STOCK_LEVEL = {
    "type": "record", "name": "StockLevel", "namespace": "acme.shop",
    "fields": [
        {"name": "sku", "type": "string"},
        {"name": "warehouse", "type": "string"},
        {"name": "on_hand", "type": "int"},
        {"name": "reserved", "type": "int"},
        {"name": "updated_at", "type": "long"},
    ],
}


class Customer(Record):
    _avro_namespace = "acme.shop"
    id = String(required=True)
    name = String()
    email = String()
    tier = String()
    lifetime_orders = Integer()
    signup_ts = Long()


class AlertEvent(Record):
    _avro_namespace = "ops.alerts"
    id = String(required=True)
    host = String()
    severity = String()
    message = String()
    ts = Long()


class Fatal(Exception):
    """A failure that ends the run with a clear message (exit code in .code)."""

    def __init__(self, msg, code=1):
        super().__init__(msg)
        self.code = code


def log(msg):
    print(f"[seed-demo] {msg}", flush=True)


# ------------------------------------------------------------------------- admin REST --
class Admin:
    def __init__(self, base_url, token, timeout=10.0):
        self.base = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method, path, body=None, ok=(200, 204), accept=()):
        """Return (status, parsed JSON or text). Raises Fatal unless status is in ok or accept."""
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise Fatal(f"cannot reach the Pulsar admin API at {self.base} ({method} {path}): {reason}", 2)
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        if status in ok or status in accept:
            return status, parsed
        if status in (401, 403):
            hint = "pass --token / PULSAR_TOKEN" if not self.token else "the token was rejected"
            raise Fatal(f"admin API refused {method} {path}: HTTP {status} ({hint})", 2)
        reason = parsed.get("reason") if isinstance(parsed, dict) else text
        raise Fatal(f"admin API {method} {path} failed: HTTP {status}: {reason}")

    def get(self, path, **kw):
        return self.call("GET", path, **kw)[1]


def topic_path(topic):
    """persistent://t/n/x -> persistent/t/n/x (URL-quoted local name)."""
    domain, rest = topic.split("://", 1)
    tenant, ns, local = rest.split("/", 2)
    return f"{domain}/{tenant}/{ns}/{urllib.parse.quote(local, safe='')}"


def schema_path(topic):
    _, rest = topic.split("://", 1)
    tenant, ns, local = rest.split("/", 2)
    return f"/admin/v2/schemas/{tenant}/{ns}/{urllib.parse.quote(local, safe='')}"


# ---------------------------------------------------------------------- structure --
def ensure_structure(admin):
    clusters = admin.get("/admin/v2/clusters") or []
    if CLUSTER not in clusters:
        raise Fatal(f"the broker has no cluster named {CLUSTER!r} (it has {clusters})")
    for tenant in TENANTS:
        st, _ = admin.call("PUT", f"/admin/v2/tenants/{tenant}",
                           {"adminRoles": [], "allowedClusters": [CLUSTER]}, accept=(409,))
        if st == 409:
            info = admin.get(f"/admin/v2/tenants/{tenant}")
            if CLUSTER not in info.get("allowedClusters", []):
                info["allowedClusters"] = sorted(set(info.get("allowedClusters", [])) | {CLUSTER})
                admin.call("POST", f"/admin/v2/tenants/{tenant}", info)
        log(f"tenant {tenant}: {'exists' if st == 409 else 'created'}")
    for ns in NAMESPACES:
        st, _ = admin.call("PUT", f"/admin/v2/namespaces/{ns}", accept=(409,))
        admin.call("POST", f"/admin/v2/namespaces/{ns}/retention", RETENTION)
        log(f"namespace {ns}: {'exists' if st == 409 else 'created'} (retention 7d/512MB)")
    for topic, parts in TOPICS.items():
        p = topic_path(topic)
        st, meta = admin.call("GET", f"/admin/v2/{p}/partitions", accept=(404,))
        have = (meta or {}).get("partitions", 0) if st == 200 else 0
        if parts > 0:
            if have == 0:
                st, _ = admin.call("PUT", f"/admin/v2/{p}/partitions", parts, accept=(409,))
                if st == 409:
                    raise Fatal(f"{topic} exists as a NON-partitioned topic; delete it to let the seed "
                                f"create it with {parts} partitions")
                state = f"created with {parts} partitions"
            elif have < parts:
                admin.call("POST", f"/admin/v2/{p}/partitions", parts)
                state = f"grown from {have} to {parts} partitions"
            else:
                state = f"exists ({have} partitions)"
        else:
            if have > 0:
                raise Fatal(f"{topic} exists as a partitioned topic ({have}); the seed wants it non-partitioned")
            st, _ = admin.call("PUT", f"/admin/v2/{p}", accept=(409,))
            state = "exists" if st == 409 else "created"
        log(f"topic {topic}: {state}")
    earliest = {"ledgerId": -1, "entryId": -1, "partitionIndex": -1}
    for topic, sub in SUBSCRIPTIONS:
        st, _ = admin.call("PUT", f"/admin/v2/{topic_path(topic)}/subscription/{sub}", earliest,
                           accept=(409,))
        log(f"subscription {topic} [{sub}]: {'exists' if st == 409 else 'created at earliest'}")


def sub_backlog(admin, topic, sub):
    kind = "partitioned-stats" if TOPICS.get(topic, 0) > 0 else "stats"
    stats = admin.get(f"/admin/v2/{topic_path(topic)}/{kind}")
    return (stats.get("subscriptions", {}).get(sub) or {}).get("msgBacklog", 0)


# -------------------------------------------------------------------- pulsar client --
def new_client(args):
    auth = pulsar.AuthenticationToken(args.token) if args.token else None
    return pulsar.Client(args.service_url, authentication=auth, operation_timeout_seconds=15,
                         connection_timeout_ms=5000, io_threads=1,
                         logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))


def check_broker_port(service_url):
    u = urllib.parse.urlparse(service_url)
    if u.scheme not in ("pulsar", "pulsar+ssl"):
        raise Fatal(f"--service-url must be pulsar://host:port or pulsar+ssl://host:port, got {service_url}", 2)
    host, port = u.hostname or "127.0.0.1", u.port or (6651 if u.scheme == "pulsar+ssl" else 6650)
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as e:
        raise Fatal(f"cannot reach the Pulsar broker at {service_url} ({host}:{port}): {e}", 2)


def count_messages(client, topic, limit=None):
    """Number of messages readable from the earliest position (stops at limit if given)."""
    reader = client.create_reader(topic, pulsar.MessageId.earliest)
    n = 0
    try:
        while (limit is None or n < limit) and reader.has_message_available():
            reader.read_next(5000)
            n += 1
    finally:
        reader.close()
    return n


def has_data(client, topic):
    return count_messages(client, topic, limit=1) > 0


class AsyncSends:
    """send_async + flush, collecting failures."""

    def __init__(self, producer):
        self.producer = producer
        self.errors = []
        self.sent = 0

    def send(self, value, **kw):
        def done(res, _msg_id):
            if res != pulsar.Result.Ok:
                self.errors.append(res)
        self.producer.send_async(value, done, **kw)
        self.sent += 1

    def finish(self, what):
        self.producer.flush()
        self.producer.close()
        if self.errors:
            raise Fatal(f"{what}: {len(self.errors)} send(s) failed, first: {self.errors[0]}")
        return self.sent


# ------------------------------------------------------------------------- datasets --
NOW_MS = int(time.time() * 1000)
CUSTOMER_IDS = [f"cust-{i:03d}" for i in range(1, 31)]
FIRST = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Perlman"]


def order_rows():
    """200 deterministic orders; every 10th (i % 10 == 7) is above the payments threshold."""
    rng = random.Random(20261127)
    rows = []
    for i in range(2 * ORDERS_PER_VERSION):
        big = i % 10 == 7
        amount = round(rng.uniform(1000.01, 4999.99) if big else rng.uniform(4.99, 999.99), 2)
        rows.append({
            "id": f"ord-{i + 1:05d}",
            "amount": amount,
            "customer": rng.choice(CUSTOMER_IDS),
            "currency": rng.choice(["USD", "EUR", "GBP", "JPY"]),
            "channel": rng.choice(["web", "mobile", "pos"]),
            # event time: one order every ~90 s over the last ~5 hours
            "event_ts": NOW_MS - (2 * ORDERS_PER_VERSION - i) * 90_000,
        })
    return rows


def produce_orders(client):
    rows = order_rows()
    for version, schema_def, chunk in (("v1", ORDER_V1, rows[:ORDERS_PER_VERSION]),
                                       ("v2", ORDER_V2, rows[ORDERS_PER_VERSION:])):
        sends = AsyncSends(client.create_producer(ORDERS, schema=AvroSchema(None, schema_definition=schema_def),
                                                  producer_name=f"seed-orders-{version}",
                                                  send_timeout_millis=15000))
        for r in chunk:
            value = {"id": r["id"], "amount": r["amount"], "customer": r["customer"]}
            if version == "v2":
                value["currency"] = r["currency"]
            sends.send(value, partition_key=r["customer"], event_timestamp=r["event_ts"],
                       properties={"source": "seed-demo", "schema": version, "channel": r["channel"],
                                   "trace-id": f"{random.Random(r['id']).getrandbits(64):016x}"})
        sends.finish(f"orders {version}")
    return len(rows)


def produce_customers(client):
    rng = random.Random(7)
    sends = AsyncSends(client.create_producer(
        CUSTOMERS, schema=JsonSchema(Customer), batching_enabled=True,
        batching_max_messages=10, batching_max_publish_delay_ms=50, producer_name="seed-customers"))
    for i, cid in enumerate(CUSTOMER_IDS):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 3) % len(LAST)]
        c = Customer(id=cid, name=f"{first} {last}", email=f"{first}.{last}{i}@example.com".lower(),
                     tier=rng.choice(["free", "silver", "gold"]), lifetime_orders=rng.randint(0, 250),
                     signup_ts=NOW_MS - rng.randint(1, 900) * 86_400_000)
        sends.send(c, partition_key=cid, properties={"source": "seed-demo"})
    return sends.finish("customers")


def invoice_class():
    """Build acme/billing/invoice.proto in code (no protoc needed) and return the message class.

    syntax = "proto3"; package acme.billing;
    import "google/protobuf/timestamp.proto";
    message Invoice {
      enum Status { DRAFT = 0; ISSUED = 1; PAID = 2; OVERDUE = 3; }
      message LineItem { string sku = 1; uint32 quantity = 2; int64 unit_price_cents = 3; }
      string invoice_id = 1; string customer_id = 2; int64 total_cents = 3; string currency = 4;
      Status status = 5; repeated LineItem lines = 6; google.protobuf.Timestamp issued_at = 7;
      map<string, string> labels = 8;
    }
    """
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="acme/billing/invoice.proto", package="acme.billing",
                                             syntax="proto3",
                                             dependency=["google/protobuf/timestamp.proto"])
    inv = fdp.message_type.add(name="Invoice")
    st = inv.enum_type.add(name="Status")
    for n, v in (("DRAFT", 0), ("ISSUED", 1), ("PAID", 2), ("OVERDUE", 3)):
        st.value.add(name=n, number=v)
    li = inv.nested_type.add(name="LineItem")
    li.field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, json_name="sku")
    li.field.add(name="quantity", number=2, type=F.TYPE_UINT32, label=F.LABEL_OPTIONAL, json_name="quantity")
    li.field.add(name="unit_price_cents", number=3, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL,
                 json_name="unitPriceCents")
    entry = inv.nested_type.add(name="LabelsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, json_name="key")
    entry.field.add(name="value", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL, json_name="value")
    fields = [("invoice_id", F.TYPE_STRING, None, "invoiceId"), ("customer_id", F.TYPE_STRING, None, "customerId"),
              ("total_cents", F.TYPE_INT64, None, "totalCents"), ("currency", F.TYPE_STRING, None, "currency"),
              ("status", F.TYPE_ENUM, ".acme.billing.Invoice.Status", "status"),
              ("lines", F.TYPE_MESSAGE, ".acme.billing.Invoice.LineItem", "lines"),
              ("issued_at", F.TYPE_MESSAGE, ".google.protobuf.Timestamp", "issuedAt"),
              ("labels", F.TYPE_MESSAGE, ".acme.billing.Invoice.LabelsEntry", "labels")]
    for num, (name, typ, type_name, json_name) in enumerate(fields, start=1):
        f = inv.field.add(name=name, number=num, type=typ, json_name=json_name,
                          label=F.LABEL_REPEATED if name in ("lines", "labels") else F.LABEL_OPTIONAL)
        if type_name:
            f.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    pool.Add(ts)
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.billing.Invoice"))


def produce_invoices(client):
    Invoice = invoice_class()
    rng = random.Random(11)
    sends = AsyncSends(client.create_producer(INVOICES, schema=ProtobufNativeSchema(Invoice),
                                              producer_name="seed-invoices"))
    for i in range(40):
        inv = Invoice(invoice_id=f"INV-2026-{i + 1:04d}", customer_id=rng.choice(CUSTOMER_IDS),
                      currency=rng.choice(["USD", "EUR"]), status=rng.choice([0, 1, 1, 2, 2, 2, 3]))
        total = 0
        for j in range(rng.randint(1, 4)):
            qty, price = rng.randint(1, 5), rng.randint(199, 49_999)
            inv.lines.add(sku=f"SKU-{rng.randint(1000, 1019)}", quantity=qty, unit_price_cents=price)
            total += qty * price
        inv.total_cents = total
        issued = NOW_MS - (40 - i) * 3_600_000
        inv.issued_at.FromMilliseconds(issued)
        inv.labels["region"] = rng.choice(["eu-west", "us-east"])
        if i % 5 == 0:
            inv.labels["priority"] = "high"
        sends.send(inv, partition_key=inv.invoice_id, event_timestamp=issued,
                   properties={"source": "seed-demo", "status": Invoice.Status.Name(inv.status)})
    return sends.finish("invoices")


def produce_ledger(client):
    rng = random.Random(13)
    sends = AsyncSends(client.create_producer(LEDGER, schema=StringSchema(), producer_name="seed-ledger"))
    for i in range(25):
        acct = f"acct-{rng.randint(1, 6):02d}"
        kind = rng.choice(["DEBIT", "CREDIT"])
        sends.send(f"{kind} {acct} {rng.randint(100, 99_999) / 100:.2f} EUR ref=INV-2026-{rng.randint(1, 40):04d}",
                   partition_key=acct, properties={"source": "seed-demo", "kind": kind.lower()},
                   event_timestamp=NOW_MS - (25 - i) * 600_000)
    return sends.finish("ledger")


HOSTS = ["web-01", "web-02", "db-01", "cache-01", "worker-03"]
ALERTS = [("info", "deploy finished"), ("warning", "disk usage above 80%"), ("critical", "p99 latency > 2s"),
          ("warning", "connection pool saturated"), ("info", "certificate renewed"), ("critical", "replica lag 45s")]


def alert_event(rng, seq):
    sev, text = rng.choice(ALERTS)
    host = rng.choice(HOSTS)
    return host, sev, AlertEvent(id=f"evt-{seq:06d}", host=host, severity=sev, message=f"{host}: {text}",
                                 ts=int(time.time() * 1000))


def produce_events(client, n=60):
    rng = random.Random(17)
    sends = AsyncSends(client.create_producer(EVENTS, schema=JsonSchema(AlertEvent), producer_name="seed-events"))
    for i in range(n):
        host, sev, ev = alert_event(rng, i + 1)
        sends.send(ev, partition_key=host, properties={"source": "seed-demo", "severity": sev})
    return sends.finish("events")


# ------------------------------------------------------------ payments sub -> DLQ --
def writer_schemas(admin, topic):
    out = {}
    for s in (admin.get(f"{schema_path(topic)}/schemas") or {}).get("getSchemaResponses", []):
        out[s["version"]] = fastavro.parse_schema(json.loads(s["data"]))
    return out


def msg_schema_version(msg):
    inner = getattr(msg, "_message", None)
    if inner is not None and hasattr(inner, "int_schema_version"):
        return inner.int_schema_version()
    raw = msg.schema_version()
    raw = raw.encode("latin-1") if isinstance(raw, str) else raw
    return int.from_bytes(raw, "big") if raw else -1


def run_payments(client, admin):
    """Drain sub `payments`: ack orders <= threshold, nack the others until the DLQ policy moves them.

    The consumer deliberately has NO schema (bytes): with a schema the C++ client's DLQ producer
    would register that schema on the DLQ topic and stamp every dead letter with it, mislabelling
    the v1-encoded orders. Payloads are decoded here with the writer schema of each message.
    """
    backlog = sub_backlog(admin, ORDERS, "payments")
    if backlog == 0:
        log("payments: nothing to consume (backlog 0), skipped")
        return 0, 0
    schemas = writer_schemas(admin, ORDERS)
    consumer = client.subscribe(
        ORDERS, "payments", consumer_type=pulsar.ConsumerType.Shared, consumer_name="seed-payments",
        initial_position=pulsar.InitialPosition.Earliest, negative_ack_redelivery_delay_ms=NACK_DELAY_MS,
        dead_letter_policy=pulsar.ConsumerDeadLetterPolicy(max_redeliver_count=DLQ_MAX_REDELIVER,
                                                           dead_letter_topic=ORDERS_DLQ))
    acked, nacked_ids, deliveries = 0, set(), 0
    deadline = time.time() + 30
    next_check = 0.0
    try:
        while True:
            if time.time() > deadline:
                raise Fatal(f"payments: backlog still {sub_backlog(admin, ORDERS, 'payments')} after 30 s "
                            f"(acked {acked}, nacked {len(nacked_ids)} distinct)")
            try:
                msg = consumer.receive(timeout_millis=300)
            except pulsar.Timeout:
                msg = None
            if msg is not None:
                deliveries += 1
                order = fastavro.schemaless_reader(io.BytesIO(msg.data()), schemas[msg_schema_version(msg)], None)
                if order["amount"] > DLQ_AMOUNT_THRESHOLD:
                    consumer.negative_acknowledge(msg)
                    nacked_ids.add(order["id"])
                else:
                    consumer.acknowledge(msg)
                    acked += 1
                continue
            if time.time() >= next_check:
                next_check = time.time() + 0.5
                if sub_backlog(admin, ORDERS, "payments") == 0:
                    break
    finally:
        consumer.close()
    log(f"payments: {deliveries} deliveries, acked {acked}, nacked {len(nacked_ids)} orders "
        f"(amount > {DLQ_AMOUNT_THRESHOLD:.0f}) until they went to the DLQ")
    return acked, len(nacked_ids)


def verify_dlq(client, admin):
    """Read ORDERS_DLQ; check it holds exactly the big orders, each with REAL_TOPIC/ORIGIN_MESSAGE_ID."""
    schemas = writer_schemas(admin, ORDERS)
    expected = set()
    reader = client.create_reader(ORDERS, pulsar.MessageId.earliest)
    payload_to_id = {}
    while reader.has_message_available():
        m = reader.read_next(5000)
        o = fastavro.schemaless_reader(io.BytesIO(m.data()), schemas[msg_schema_version(m)], None)
        payload_to_id[m.data()] = o["id"]
        if o["amount"] > DLQ_AMOUNT_THRESHOLD:
            expected.add(o["id"])
    reader.close()
    got, problems, sample = [], [], None
    reader = client.create_reader(ORDERS_DLQ, pulsar.MessageId.earliest)
    while reader.has_message_available():
        m = reader.read_next(5000)
        props = m.properties()
        if sample is None:
            sample = (m, props)
        oid = payload_to_id.get(m.data(), "?")
        got.append(oid)
        for k in ("REAL_TOPIC", "ORIGIN_MESSAGE_ID"):
            if k not in props:
                problems.append(f"{oid}: no {k} property")
        if not props.get("REAL_TOPIC", "").startswith(ORDERS + "-partition-"):
            problems.append(f"{oid}: REAL_TOPIC={props.get('REAL_TOPIC')!r}")
    reader.close()
    if sample:
        m, props = sample
        log(f"DLQ sample message: key={m.partition_key()!r} event_ts={m.event_timestamp()} "
            f"properties={json.dumps(props, sort_keys=True)}")
    if sorted(got) != sorted(expected):
        dup = len(got) - len(set(got))
        problems.append(f"DLQ holds {len(got)} messages ({dup} duplicates), expected exactly {len(expected)}: "
                        f"missing {sorted(expected - set(got))[:5]}, unexpected {sorted(set(got) - expected)[:5]}")
    if problems:
        raise Fatal("DLQ check failed:\n  " + "\n  ".join(problems[:10]))
    log(f"DLQ check ok: {ORDERS_DLQ} holds the {len(got)} orders above {DLQ_AMOUNT_THRESHOLD:.0f}, "
        f"each with REAL_TOPIC + ORIGIN_MESSAGE_ID")
    return len(got)


# ---------------------------------------------------------- KEY_VALUE via Java CLI --
def find_pulsar_home(arg):
    cands = [arg, os.environ.get("PULSAR_HOME")]
    cache = os.environ.get("PULSAR_CACHE_DIR", os.path.expanduser("~/.cache/pulsar-standalone"))
    ver = os.environ.get("PULSAR_VERSION", "4.0.8")
    cands.append(os.path.join(cache, ver, f"apache-pulsar-{ver}"))
    cands += sorted(glob.glob(os.path.join(cache, "*", "apache-pulsar-*")), reverse=True)
    for c in cands:
        if c and os.access(os.path.join(c, "bin", "pulsar-client"), os.X_OK):
            return os.path.abspath(c)
    tried = [c for c in cands if c]
    raise Fatal("no Pulsar distribution with bin/pulsar-client found (needed for the KEY_VALUE topic); "
                f"pass --pulsar-home DIR or set PULSAR_HOME (tried: {', '.join(tried) or 'nothing'})", 2)


INVENTORY_SKUS = {  # key -> stock updates (warehouse, on_hand, reserved)
    "SKU-1001": [("ams-1", 120, 4), ("fra-2", 80, 0), ("ams-1", 117, 7), ("lon-1", 42, 2)],
    "SKU-1002": [("fra-2", 5, 5), ("fra-2", 0, 0), ("ams-1", 300, 12), ("lon-1", 64, 1)],
    "SKU-1003": [("lon-1", 9, 0), ("ams-1", 250, 30), ("fra-2", 18, 3), ("lon-1", 7, 2)],
}


class JavaKvProducers:
    """One bin/pulsar-client process per key (the CLI sets a single KV key per run), started in parallel."""

    def __init__(self, args, home, tmpdir):
        self.procs = []
        base = [os.path.join(home, "bin", "pulsar-client"), "--url", args.service_url]
        if args.token:
            tok_file = os.path.join(tmpdir, "token")
            with open(os.open(tok_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(args.token)
            base += ["--auth-plugin", "org.apache.pulsar.client.impl.auth.AuthenticationToken",
                     "--auth-params", f"file://{tok_file}"]
        env = dict(os.environ)
        # a short-lived CLI: C1 only + serial GC roughly halves its start-up time on 2 cores
        env["PULSAR_EXTRA_OPTS"] = (env.get("PULSAR_EXTRA_OPTS", "") +
                                    " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto").strip()
        value_schema = "json:" + json.dumps(STOCK_LEVEL, separators=(",", ":"))
        for n, (sku, updates) in enumerate(INVENTORY_SKUS.items()):
            values = []
            for k, (wh, on_hand, reserved) in enumerate(updates):
                values.append(json.dumps({"sku": sku, "warehouse": wh, "on_hand": on_hand, "reserved": reserved,
                                          "updated_at": NOW_MS - (len(updates) - k) * 900_000},
                                         separators=(",", ":")))
            cmd = base + ["produce", INVENTORY, "-ks", "string", "-vs", value_schema, "-kvet", "inline",
                          "-kvk", sku, "-s", ";", "-m", ";".join(values),
                          "-p", "source=seed-demo", "-p", "producer=pulsar-client-cli"]
            out = open(os.path.join(tmpdir, f"kv-{n}.log"), "w+")  # noqa: SIM115 - closed in wait()
            self.procs.append((sku, len(values), subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                                                  stderr=subprocess.STDOUT, env=env), out))

    def kill(self):
        for _sku, _n, proc, _out in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def wait(self, timeout=90):
        deadline = time.time() + timeout
        total, errors = 0, []
        for sku, n, proc, out in self.procs:
            try:
                rc = proc.wait(timeout=max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = "timeout"
            out.seek(0)
            text = out.read()
            out.close()
            if rc != 0 or f"{n} messages successfully produced" not in text:
                tail = "\n    ".join(line for line in text.splitlines()[-8:])
                errors.append(f"bin/pulsar-client produce (key {sku}) exited {rc}:\n    {tail}")
            else:
                total += n
        if errors:
            raise Fatal("KEY_VALUE produce failed:\n  " + "\n  ".join(errors))
        return total


# ------------------------------------------------------------- pulsar-tui produce --
PAGER_LINES = {
    "alert-1": ["02:14 PAGE web-01 p99 latency > 2s (checkout)", "02:15 ack by Zoë Müller",
                "02:31 resolved → rolled back release 2026.11.3"],
    "alert-2": ["03:02 PAGE db-01 replica lag 45s", "03:04 ack by José Núñez",
                "03:20 note: vacuum on orders table, lag recovering ✅", "03:41 resolved"],
    "alert-3": ["05:55 PAGE cache-01 evictions spiking 🔥", "05:57 ack by 李雷",
                "06:10 résumé: maxmemory raised to 4 GiB, watching"],
}


def find_pulsar_tui(arg):
    src = "--pulsar-tui" if arg else "PULSAR_TUI_BIN" if os.environ.get("PULSAR_TUI_BIN") else None
    cand = arg or os.environ.get("PULSAR_TUI_BIN")
    if not cand:
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for c in (os.path.join(repo, "target", "release", "pulsar-tui"),
                  os.path.join(repo, "target", "debug", "pulsar-tui"), shutil.which("pulsar-tui")):
            if c and os.access(c, os.X_OK):
                cand, src = c, "default lookup"
                break
    if not cand:
        raise Fatal("pulsar-tui binary not found: ops/alerts/pager-log is written by `pulsar-tui produce`; "
                    "pass --pulsar-tui BIN or set PULSAR_TUI_BIN (e.g. after `cargo build --release`: "
                    "target/release/pulsar-tui)", 2)
    path = cand if os.sep in cand else (shutil.which(cand) or cand)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise Fatal(f"pulsar-tui binary {cand!r} (from {src}) does not exist or is not executable", 2)
    return os.path.abspath(path), src


def produce_pager_log(args, bin_path):
    env = dict(os.environ, PULSAR_SERVICE_URL=args.service_url, PULSAR_WEB_SERVICE_URL=args.admin_url)
    if args.token:
        env["PULSAR_TOKEN"] = args.token
    total = 0
    for key, lines in PAGER_LINES.items():
        cmd = [bin_path, "produce", PAGER_LOG, "--key", key, "--property", "source=seed"]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        try:
            res = subprocess.run(cmd, input=data, capture_output=True, timeout=30, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise Fatal(f"`{' '.join(cmd)}` did not finish within 30 s")
        except OSError as e:
            raise Fatal(f"cannot run `{' '.join(cmd)}`: {e}")
        if res.returncode != 0:
            err = (res.stderr or res.stdout).decode("utf-8", "replace").strip()
            raise Fatal(f"`{' '.join(cmd)}` exited with status {res.returncode}:\n    "
                        + "\n    ".join(err.splitlines()[-10:] or ["(no output)"]))
        total += len(lines)
    return total


# --------------------------------------------------------------------- grow backlog --
def grow_backlog(args, client, admin, seconds):
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    producer = client.create_producer(EVENTS, schema=JsonSchema(AlertEvent), producer_name="seed-events-follow")
    rng = random.Random()
    interval = 1.0 / max(args.rate, 0.01)
    end = time.time() + seconds if seconds else None
    log(f"growing the backlog of {EVENTS} [slow-dashboard] at ~{args.rate:g} msg/s "
        + (f"for {seconds:g}s" if seconds else "until SIGINT/SIGTERM"))
    sent, next_report, seq = 0, time.time() + 10, int(time.time())
    try:
        while not stop.is_set() and (end is None or time.time() < end):
            seq += 1
            host, sev, ev = alert_event(rng, seq)
            producer.send(ev, partition_key=host, properties={"source": "seed-demo-follow", "severity": sev})
            sent += 1
            if time.time() >= next_report:
                next_report = time.time() + 10
                log(f"  +{sent} sent, slow-dashboard backlog now {sub_backlog(admin, EVENTS, 'slow-dashboard')}")
            stop.wait(interval)
    finally:
        producer.flush()
        producer.close()
    log(f"stopped growing: {sent} messages sent; slow-dashboard backlog "
        f"{sub_backlog(admin, EVENTS, 'slow-dashboard')}")


# ----------------------------------------------------------------------------- main --
def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("--service-url", default=os.environ.get("PULSAR_SERVICE_URL", "pulsar://127.0.0.1:6650"))
    ap.add_argument("--admin-url", default=os.environ.get("PULSAR_WEB_SERVICE_URL", "http://127.0.0.1:8080"))
    ap.add_argument("--pulsar-tui", metavar="BIN", default=None,
                    help="pulsar-tui binary (default: $PULSAR_TUI_BIN, then target/{release,debug}/pulsar-tui, "
                         "then PATH)")
    ap.add_argument("--pulsar-home", metavar="DIR", default=None,
                    help="Pulsar distribution with bin/pulsar-client (default: $PULSAR_HOME, then "
                         "~/.cache/pulsar-standalone/<version>/apache-pulsar-<version>)")
    ap.add_argument("--token", default=os.environ.get("PULSAR_TOKEN") or os.environ.get("PULSAR_ADMIN_TOKEN"),
                    help="JWT for the broker and the admin API (default: $PULSAR_TOKEN, $PULSAR_ADMIN_TOKEN)")
    grow = ap.add_mutually_exclusive_group()
    grow.add_argument("--grow-backlog", metavar="SECONDS", type=float, nargs="?", const=0.0, default=None,
                      help="after seeding keep producing to ops/alerts/events for SECONDS (0 or no value: "
                           "until SIGINT/SIGTERM)")
    grow.add_argument("--follow", action="store_true", help="same as --grow-backlog without a limit")
    ap.add_argument("--rate", type=float, default=2.0, help="messages per second for --grow-backlog (default 2)")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.follow:
        args.grow_backlog = 0.0
    t0 = time.time()
    admin = Admin(args.admin_url, args.token)
    failures = []

    # ---- preflight: fail fast (exit 2) when the broker or a needed tool is missing
    admin.get("/admin/v2/clusters")
    check_broker_port(args.service_url)
    client = new_client(args)
    tmpdir = tempfile.mkdtemp(prefix="seed-demo-")
    kv = None
    try:
        ensure_structure(admin)
        todo = {t: not has_data(client, t) for t in (ORDERS, CUSTOMERS, INVENTORY, INVOICES, LEDGER, EVENTS,
                                                   PAGER_LOG)}
        tui = find_pulsar_tui(args.pulsar_tui) if todo[PAGER_LOG] else None
        home = find_pulsar_home(args.pulsar_home) if todo[INVENTORY] else None
        skipped = [t for t, need in todo.items() if not need]
        if skipped:
            log("already hold messages, not written again: " + ", ".join(skipped))

        # ---- KEY_VALUE through the Java CLI, in the background while Python produces the rest
        kv = JavaKvProducers(args, home, tmpdir) if todo[INVENTORY] else None
        if kv:
            log(f"inventory: started {len(kv.procs)} bin/pulsar-client produce runs from {home}")

        steps = [(ORDERS, produce_orders), (CUSTOMERS, produce_customers), (INVOICES, produce_invoices),
                 (LEDGER, produce_ledger), (EVENTS, produce_events)]
        for topic, fn in steps:
            if todo[topic]:
                n = fn(client)
                log(f"{topic}: produced {n}")

        run_payments(client, admin)

        if todo[PAGER_LOG]:
            bin_path, src = tui
            log(f"pager-log: writing through `{bin_path} produce` (from {src})")
            try:
                n = produce_pager_log(args, bin_path)
                log(f"{PAGER_LOG}: produced {n} via pulsar-tui")
            except Fatal as e:
                failures.append(f"pulsar-tui produce failed: {e}")

        if kv:
            n = kv.wait()
            log(f"{INVENTORY}: produced {n} via bin/pulsar-client (KEY_VALUE INLINE)")

        # ---- checks through the admin API and readers
        verify_dlq(client, admin)
        failures += check_schemas(admin)
        summary(client, admin, t0)

        if failures:
            for f in failures:
                print(f"seed-demo: ERROR: {f}", file=sys.stderr)
            return 1
        if args.grow_backlog is not None:
            grow_backlog(args, client, admin, args.grow_backlog)
        return 0
    finally:
        if kv:
            kv.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)
        client.close()


def check_schemas(admin):
    want = {ORDERS: ("AVRO", 2), CUSTOMERS: ("JSON", 1), INVENTORY: ("KEY_VALUE", 1),
            INVOICES: ("PROTOBUF_NATIVE", 1), LEDGER: ("STRING", 1), EVENTS: ("JSON", 1)}
    problems = []
    for topic, (typ, versions) in want.items():
        got = (admin.get(f"{schema_path(topic)}/schemas") or {}).get("getSchemaResponses", [])
        types = {s["type"] for s in got}
        if len(got) != versions or types != {typ}:
            problems.append(f"schema registry of {topic}: expected {versions} {typ} version(s), "
                            f"got {[(s['version'], s['type']) for s in got]}")
    if not problems:
        log("schema registry ok: orders has 2 AVRO versions; JSON, KEY_VALUE, PROTOBUF_NATIVE, STRING present")
    return problems


def summary(client, admin, t0):
    rows = []
    for topic, parts in TOPICS.items():
        n = count_messages(client, topic)
        kind = "partitioned-stats" if parts else "stats"
        stats = admin.get(f"/admin/v2/{topic_path(topic)}/{kind}")
        subs = ", ".join(f"{s}={v.get('msgBacklog', 0)}" for s, v in sorted(stats.get("subscriptions", {}).items())
                         if v.get("isDurable", True))  # hide the readers' transient subscriptions
        st, sch = admin.call("GET", f"{schema_path(topic)}/schema", accept=(404,))
        schema = sch.get("type", "?") if st == 200 and isinstance(sch, dict) else "-"
        rows.append((topic, n, f"{parts}p" if parts else "", schema, subs))
    w = max(len(r[0]) for r in rows)
    print(f"\n{'topic':<{w}}  {'msgs':>5}  {'part':>4}  {'schema':<15}  subscriptions (backlog)")
    for topic, n, parts, schema, subs in rows:
        print(f"{topic:<{w}}  {n:>5}  {parts:>4}  {schema:<15}  {subs or '-'}")
    print(f"\nseeded in {time.time() - t0:.1f} s\n", flush=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fatal as e:
        print(f"seed-demo: ERROR: {e}", file=sys.stderr)
        sys.exit(e.code)
    except pulsar.PulsarException as e:
        print(f"seed-demo: ERROR: Pulsar client: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("seed-demo: interrupted", file=sys.stderr)
        sys.exit(130)
