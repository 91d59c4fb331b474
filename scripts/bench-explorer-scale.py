#!/usr/bin/env python3
"""scripts/bench-explorer-scale.py - the explorer with 100,000 topics in one namespace (issue 21).

The admin REST API is SYNTHETIC: a small local HTTP server (python's http.server) answers the
admin endpoints the TUI calls at start and when a namespace is expanded (clusters, broker
version and list, tenants, namespaces, the four topic listings of a namespace, each
partitioned topic's partition count, a topic's stats). Creating 100,000 real topics on the
shared standalone broker takes ~15 minutes and makes every other benchmark's and test's
/metrics scrape huge; the TUI cannot tell the difference for what is measured here (listing,
filtering and scrolling the tree). The service URL points at the real standalone (nothing
measured here uses the binary protocol); no metrics_urls, and the one broker the synthetic API
lists answers /metrics with no series, so only the explorer is measured. One difference to
keep in mind: the synthetic API answers the 1,000 partition-count calls in ~0.13 s, where the
standalone broker of this machine takes ~0.5 s for 1,000 such calls (16 at a time), so against
a broker the list shows ~0.4 s later than here.

The namespace bench/scale-100k holds TOPICS topics, 1% of them partitioned (4 partitions):
the persistent listing names every partition, as a broker's does. The TUI runs in a pty of
160x48 (scripts/bench-tui.py's harness, the same measurements) and:

  list shown     the namespace is expanded (l); the server records when it finished writing
                 the last of the four topic listings ("the admin answer"); the harness
                 measures from then until the first topic is on screen. That includes the
                 TUI's partition-count calls (one per partitioned topic, answered by the
                 server: their span is printed too) and building the tree. --runs times.
  key to frame   j (then k) over --keys rows, PageDown / PageUp, End / g: each key until the
                 last byte of the frame it causes (30 ms of silence ends the frame; every move
                 also fetches the selected topic's stats, as against a broker).
  filter         `/`, then FILTER typed one character at a time (each its key to frame; the
                 last one until the filtered list shows), then Backspace over all of them (the
                 list grows back), then Esc.
  RSS            VmHWM (peak RSS) after all of that.
  stalls         every key over 100 ms, with the CPU time the TUI's threads ran during it and
                 the time they, this harness and the admin API's process waited for a CPU
                 (/proc/PID/task/*/schedstat): on a loaded 2-core machine a stall can be the
                 others' work, and this tells which.

Targets (issue 21): key-to-frame median < 16 ms; list shown < 2 s after the admin answer; no
stall (a key over 100 ms) while scrolling or filtering, but those the TUI spent waiting for a
CPU (reported apart). Prints a JSON object (the last line of stdout) and a summary on stderr. Wrap it in `flock /work/bench.lock` when others run benchmarks.

usage: bench-explorer-scale.py --ours BIN [--topics 100000] [--runs 3] [--keys 200]
"""

import argparse
import http.server
import importlib.util
import json
import math
import multiprocessing
import os
import queue
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_tui", os.path.join(HERE, "bench-tui.py"))
bench_tui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_tui)

TENANT = "bench"
NAMESPACE = "bench/scale-100k"
PARTITIONS = 4
FILTER = "payments-refund"
STALL_MS = 100
TREE_WIDTH = 64  # the explorer pane at 160 columns, borders included

DOMAINS = ["audit", "billing", "clicks", "inventory", "notifications", "orders", "payments", "search",
           "sessions", "shipping", "telemetry", "users"]
ENTITIES = ["account", "cart", "device", "invoice", "item", "refund", "store", "ticket"]
EVENTS = ["created", "updated", "deleted", "failed", "retried"]


def log(msg):
    print("bench-explorer-scale: " + msg, file=sys.stderr, flush=True)


def topic_locals(n):
    """n realistic, unique topic names (`payments-refund-created-00042`), every 100th partitioned."""
    out = []
    for i in range(n):
        name = "%s-%s-%s-%05d" % (DOMAINS[i % len(DOMAINS)], ENTITIES[(i // len(DOMAINS)) % len(ENTITIES)],
                                  EVENTS[(i // 7) % len(EVENTS)], i)
        out.append((name, PARTITIONS if i % 100 == 0 else 0))
    return out


class Admin:
    """The synthetic admin API: pre-encoded answers, the time each listing was finished."""

    def __init__(self, topics):
        full = lambda local: "persistent://%s/%s" % (NAMESPACE, local)
        persistent, partitioned = [], []
        self.partitions = {}
        for local, parts in topics:
            if parts:
                partitioned.append(full(local))
                persistent.extend(full("%s-partition-%d" % (local, p)) for p in range(parts))
                self.partitions[local] = parts
            else:
                persistent.append(full(local))
        base = "/admin/v2/persistent/" + NAMESPACE
        self.listings = {
            base: json.dumps(persistent).encode(),
            base + "/partitioned": json.dumps(partitioned).encode(),
            "/admin/v2/non-persistent/" + NAMESPACE: b"[]",
            "/admin/v2/non-persistent/" + NAMESPACE + "/partitioned": b"[]",
        }
        self.fixed = {
            "/admin/v2/clusters": b'["standalone"]',
            "/admin/v2/tenants": json.dumps([TENANT, "public", "pulsar"]).encode(),
            "/admin/v2/namespaces/" + TENANT: json.dumps([NAMESPACE]).encode(),
            "/admin/v2/namespaces/public": b'["public/default"]',
            "/admin/v2/namespaces/pulsar": b'["pulsar/system"]',
        }
        for t in (TENANT, "public", "pulsar"):
            self.fixed["/admin/v2/tenants/" + t] = b'{"adminRoles":[],"allowedClusters":["standalone"]}'
        for ns in ("public/default", "pulsar/system"):
            for kind in ("persistent", "non-persistent"):
                self.fixed["/admin/v2/%s/%s" % (kind, ns)] = b"[]"
                self.fixed["/admin/v2/%s/%s/partitioned" % (kind, ns)] = b"[]"
        # what the server did, sent by its process to this one (perf_counter is the system's
        # monotonic clock: the same in both)
        self.events = multiprocessing.Queue()
        self.listed_at = {}  # listing path -> perf_counter when its answer was written
        self.partition_calls = []  # perf_counter of each partition-count answer
        self.unknown = {}  # path -> count: what the TUI asked that this server does not know
        self.stats_calls = 0

    def answer(self, path):
        """(status, body, content type) for a GET of path."""
        path = path.split("?")[0]
        if path in self.listings:
            return 200, self.listings[path], "application/json"
        if path in self.fixed:
            return 200, self.fixed[path], "application/json"
        if path.rstrip("/") == "/metrics":
            # the brokers' metrics (the TUI scrapes every listed broker when no metrics_urls are
            # set): a broker exporting no topic series, so that only the explorer is measured
            return 200, b"", "text/plain; version=0.0.4"
        if path == "/admin/v2/brokers/version":
            return 200, b"4.0.8", "text/plain"
        if path.startswith("/admin/v2/brokers/"):
            return 200, json.dumps([self.host]).encode(), "application/json"
        prefix = "/admin/v2/persistent/%s/" % NAMESPACE
        if path.startswith(prefix):
            local, _, what = path[len(prefix):].partition("/")
            if what == "partitions":
                return 200, json.dumps({"partitions": self.partitions.get(local, 0)}).encode(), "application/json"
            if what in ("stats", "partitioned-stats"):
                self.events.put(("stats", path, 0.0))
                stats = {"msgRateIn": 0.0, "msgRateOut": 0.0, "msgInCounter": 0, "storageSize": 0,
                         "publishers": [], "subscriptions": {}, "replication": {}}
                if what == "partitioned-stats":
                    stats["metadata"] = {"partitions": self.partitions.get(local, 0)}
                return 200, json.dumps(stats).encode(), "application/json"
            if what == "subscriptions":
                return 200, b"[]", "application/json"
        self.events.put(("unknown", path, 0.0))
        return 404, b'{"reason":"not served by the synthetic admin API"}', "application/json"

    def serve(self):
        admin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a broker's Jetty
            # headers and body are two writes: without this, Nagle's algorithm holds the body
            # until the client's delayed ACK (40 ms) on every small answer
            disable_nagle_algorithm = True

            def do_GET(self):
                status, body, ctype = admin.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                done = time.perf_counter()
                path = self.path.split("?")[0]
                if path in admin.listings:
                    admin.events.put(("listing", path, done))
                elif path.endswith("/partitions"):
                    admin.events.put(("partitions", path, done))

            def log_message(self, *a):
                pass

        http.server.ThreadingHTTPServer.daemon_threads = True
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = "127.0.0.1:%d" % srv.server_address[1]
        # a process of its own (forked: the answers are encoded already), so that answering
        # never holds the harness's interpreter lock while it timestamps the terminal's output
        self.process = multiprocessing.Process(target=srv.serve_forever, daemon=True)
        self.process.start()
        srv.socket.close()
        return "http://" + self.host

    def drain(self):
        """Takes in what the server reported so far."""
        while True:
            try:
                kind, path, at = self.events.get(timeout=0.2)
            except queue.Empty:
                return
            if kind == "listing":
                self.listed_at[path] = at
            elif kind == "partitions":
                self.partition_calls.append(at)
            elif kind == "stats":
                self.stats_calls += 1
            else:
                self.unknown[path] = self.unknown.get(path, 0) + 1

    def reset(self):
        self.drain()
        self.listed_at.clear()
        self.partition_calls.clear()


def summary(values_s):
    """median, p90 (nearest rank), max in ms, and how many were stalls (over STALL_MS)."""
    if not values_s:
        return None
    v = sorted(x * 1000 for x in values_s)
    return {"median_ms": round(statistics.median(v), 2), "p90_ms": round(v[math.ceil(0.9 * len(v)) - 1], 2),
            "max_ms": round(v[-1], 2), "n": len(v), "stalls": sum(1 for x in v if x > STALL_MS)}


def sched(pid):
    """(ms on a CPU, ms waiting for one) summed over the process's threads (/proc schedstat)."""
    run = wait = 0
    task = "/proc/%d/task" % pid
    for tid in os.listdir(task):
        try:
            with open("%s/%s/schedstat" % (task, tid)) as f:
                r, w, _ = f.read().split()
        except (OSError, ValueError):
            continue  # a thread that just ended
        run, wait = run + int(r), wait + int(w)
    return run / 1e6, wait / 1e6


STALLS = []  # every key over STALL_MS: which, how long, and where the time went
HELPERS = [os.getpid()]  # this harness and the synthetic admin API: their waits delay a frame too


def keys_latency(term, keys, what):
    out = []
    for k in keys:
        before = sched(term.proc.pid)
        helpers_before = sum(sched(p)[1] for p in HELPERS)
        lat = term.key_latency(k)
        if lat is None:
            continue
        out.append(lat)
        if lat * 1000 > STALL_MS:
            after = sched(term.proc.pid)
            # a stall the TUI spent waiting for a CPU is the machine's load, not its work
            helpers = sum(sched(p)[1] for p in HELPERS) - helpers_before
            cpu, waited = after[0] - before[0], after[1] - before[1]
            STALLS.append({"what": what, "key": k.decode(errors="replace"), "ms": round(lat * 1000, 1),
                           "cpu_ms": round(cpu, 1), "runqueue_wait_ms": round(waited, 1),
                           "harness_and_server_wait_ms": round(helpers, 1),
                           # the machine's: the TUI barely ran, and it, the harness timing it or
                           # the admin API answering the key's stats request waited for a CPU
                           "load": cpu < STALL_MS / 2 and waited + helpers >= STALL_MS / 2})
    return out


def open_namespace(ours, admin, first_topic):
    """Starts the TUI, expands bench and bench/scale-100k; returns (term, seconds from the last
    listing answer to the first topic on screen, span of the partition-count calls)."""
    admin.reset()
    term = ours.start()
    term.wait_for(bench_tui.contains("T pulsar"), 60, "the tenant list")
    term.settle()
    term.send(b"l")  # bench is selected first: expand it
    term.wait_for(bench_tui.contains("N scale-100k"), 60, "the namespaces of bench")
    term.settle()
    term.send(b"j")  # the namespace
    term.settle()
    sent = time.perf_counter()
    term.send(b"l")
    # the pane cuts long names in the middle and keeps their end: the first topic's suffix
    shown = term.start + term.wait_for(bench_tui.contains(first_topic[-8:]), 120, "the topic list")
    term.settle()  # the partition counts' answers are reported by now
    admin.drain()
    answered = max(admin.listed_at.values()) if len(admin.listed_at) == len(admin.listings) else None
    calls = sorted(admin.partition_calls)
    if answered is None:
        raise RuntimeError("the TUI did not ask for all four topic listings: %s" % sorted(admin.listed_at))
    return term, {"after_answer_s": shown - answered, "after_key_s": shown - sent,
                  "answer_after_key_s": answered - sent,
                  "partition_calls": len(calls),
                  "partition_calls_span_s": (calls[-1] - answered) if calls else 0.0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--topics", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--service-url", default=os.environ.get("PULSAR_SERVICE_URL", "pulsar://127.0.0.1:6650"))
    args = ap.parse_args()

    load_at_start = os.getloadavg()[0]
    topics = topic_locals(args.topics)
    first_topic = min(local for local, _ in topics)
    admin = Admin(topics)
    admin_url = admin.serve()
    HELPERS.append(admin.process.pid)
    log("synthetic admin API at %s: %s holds %d topics (%d partitioned x %d), listing of %.1f MB"
        % (admin_url, NAMESPACE, len(topics), len(admin.partitions), PARTITIONS,
           sum(len(b) for b in admin.listings.values()) / 1e6))
    work = tempfile.mkdtemp(prefix="pulsar-tui-explorer-scale.")
    ours = bench_tui.Ours(args.ours, args.service_url, admin_url, work)  # empty config: no metrics_urls

    lists = []
    term = None
    for run in range(args.runs):
        if term is not None:
            term.stop(ours.quit)
        term, m = open_namespace(ours, admin, first_topic)
        lists.append(m)
        log("run %d: list shown %.0f ms after the admin answer (%.0f ms after the key; %d partition-count "
            "calls answered within %.0f ms of it)" % (run + 1, m["after_answer_s"] * 1000, m["after_key_s"] * 1000,
                                                     m["partition_calls"], m["partition_calls_span_s"] * 1000))
    out = {"admin_api": "synthetic (a local http.server: 100,000 real topics on the shared standalone would "
                        "take ~15 min to create and swell every other scrape)",
           "topics": len(topics), "partitioned": len(admin.partitions), "partitions_each": PARTITIONS,
           "list_shown_ms": [round(m["after_answer_s"] * 1000, 1) for m in lists],
           "list_shown_median_ms": round(statistics.median(m["after_answer_s"] for m in lists) * 1000, 1),
           "list_after_key_ms": [round(m["after_key_s"] * 1000, 1) for m in lists],
           "answer_after_key_ms": [round(m["answer_after_key_s"] * 1000, 1) for m in lists],
           "partition_calls_span_ms": [round(m["partition_calls_span_s"] * 1000, 1) for m in lists]}
    try:
        term.settle()
        term.learn_noise()
        half = args.keys // 2
        out["scroll_jk"] = summary(keys_latency(term, [b"j"] * half + [b"k"] * half, "j/k"))
        out["page"] = summary(keys_latency(term, [b"\x1b[6~"] * 20 + [b"\x1b[5~"] * 20, "page"))  # PageDown, PageUp
        out["end_top"] = summary(keys_latency(term, [b"\x1b[F", b"g"] * 5, "end/top"))  # End, then g (top)
        if "payments-" not in term.text():
            term.send(b"j")  # off the namespace row: the filter keeps the selection on a match
        filter_keys = [b"/"] + [c.encode() for c in FILTER]
        typed = keys_latency(term, filter_keys, "filter")
        out["filter_typing"] = summary(typed)
        out["filter_last_key_ms"] = round(typed[-1] * 1000, 2) if typed else None
        # the tree's topic rows (4 spaces in: tenant, namespace, topic), their names cut in the middle
        rows = [line[:TREE_WIDTH] for line in term.screen.display if line.startswith("┃    ")]
        shown = [row for row in rows if row.split()[2].startswith(FILTER[:5])]
        out["filter_matches_on_screen"] = len(shown)
        if not shown or len(shown) != len(rows):
            raise RuntimeError("the filtered list does not show %r; screen:\n%s" % (FILTER, term.text()))
        out["filter_backspace"] = summary(keys_latency(term, [b"\x7f"] * len(FILTER), "backspace"))
        out["filter_esc"] = summary(keys_latency(term, [b"\x1b"], "esc"))
        admin.drain()
        out["stats_calls"] = admin.stats_calls
        rss = term.rss_kb()
        out["peak_rss_mb"] = round(rss.get("VmHWM", 0) / 1024, 1)
    finally:
        term.stop(ours.quit)
    admin.drain()
    admin.process.terminate()
    out["unknown_paths"] = sorted(admin.unknown)[:20]
    # the machine's load: a key's stall may be another process's build on a 2-core machine
    out["load"] = [round(load_at_start, 2), round(os.getloadavg()[0], 2)]
    keys = [out[k] for k in ("scroll_jk", "page", "end_top", "filter_typing", "filter_backspace") if out.get(k)]
    out["stalls"] = sum(k["stalls"] for k in keys)
    out["stall_detail"] = STALLS
    out["stalls_load"] = sum(1 for st in STALLS if st["load"])
    # a stall counts against the TUI unless it spent it waiting for a CPU (the machine's load)
    out["met"] = (out["list_shown_median_ms"] < 2000 and out["scroll_jk"]["median_ms"] < 16
                  and out["stalls"] == out["stalls_load"])

    log("ADMIN API SYNTHETIC (local http.server; see the header for why)")
    log("list shown after the admin answer: %s ms (median %s; target < 2000)"
        % (out["list_shown_ms"], out["list_shown_median_ms"]))
    for k, what in (("scroll_jk", "j/k"), ("page", "PageDown/PageUp"), ("end_top", "End/g"),
                    ("filter_typing", "filter: / + %r typed" % FILTER), ("filter_backspace", "filter: Backspace"),
                    ("filter_esc", "filter: Esc")):
        s = out.get(k)
        if s:
            log("%-34s median %6.1f ms, p90 %6.1f ms, max %6.1f ms over %d keys, %d over %d ms"
                % (what, s["median_ms"], s["p90_ms"], s["max_ms"], s["n"], s["stalls"], STALL_MS))
    log("filter's last key to the filtered list: %s ms" % out["filter_last_key_ms"])
    log("load average %s -> %s (a stall may be another process's)" % tuple(out["load"]))
    for st in STALLS:
        log("stall: %s key %r %.0f ms: the TUI ran %.0f ms and waited for a CPU %.0f ms, the harness and "
            "the admin API waited %.0f ms: %s"
            % (st["what"], st["key"], st["ms"], st["cpu_ms"], st["runqueue_wait_ms"], st["harness_and_server_wait_ms"],
               "the machine's load" if st["load"] else "THE TUI'S"))
    log("peak RSS %s MB; %d stats calls; unknown paths asked: %s"
        % (out["peak_rss_mb"], out["stats_calls"], out["unknown_paths"] or "none"))
    log("targets (median < 16 ms, list < 2 s, no stall > %d ms but the machine's): %s"
        % (STALL_MS, "met" if out["met"] else "MISSED"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
