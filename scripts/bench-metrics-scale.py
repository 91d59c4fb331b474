#!/usr/bin/env python3
"""scripts/bench-metrics-scale.py - the metrics of a 100,000-topic broker, end to end (issue 21).

A synthetic /metrics of TOPICS topics x 3 subscriptions (examples/gen_scrape.rs: every family a
Pulsar 4.0.8 broker writes per topic and per subscription) is written once and served by a
small local HTTP server (python's http.server, streaming the file). Then:

  headless   `pulsar-tui metrics --metrics-url URL` to /dev/null: wall time and peak RSS
             (/usr/bin/time), once keeping every row (no filter: it prints them all) and once
             with --namespace (a bounded scrape: namespace totals for all, rows for one).
  TUI        pulsar-tui in a pty (scripts/bench-tui.py's harness) with the config's
             metrics_urls pointing at the server: while its scrapes stream, j/k are pressed
             for SECONDS; every key's key-to-frame time (reported, never asserted: the
             reliability row of the README), the scrape's own time from the metrics view's
             header ("every N s: scrape takes X s") and the peak RSS (VmHWM).

usage: bench-metrics-scale.py --ours BIN [--topics 100000] [--seconds 40] [--file PATH]
Prints a JSON object (the last line) and a summary on stderr. Wrap it in
`flock /work/bench.lock` when others run benchmarks.
"""

import argparse
import http.server
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_tui", os.path.join(HERE, "bench-tui.py"))
bench_tui = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_tui)


def log(msg):
    print("bench-metrics-scale: " + msg, file=sys.stderr, flush=True)


def serve(directory):
    """A threaded HTTP server for `directory` on a free port; returns the port."""
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=directory, **k)
    http.server.ThreadingHTTPServer.daemon_threads = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.RequestHandlerClass.log_message = lambda *a, **k: None
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def timed(argv):
    """Runs argv with /usr/bin/time; returns (wall s, peak RSS MB, exit status)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "peak_rss_kb=%M"] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    m = re.search(r"peak_rss_kb=(\d+)", p.stderr)
    return wall, (int(m.group(1)) / 1024 if m else None), p.returncode, p.stderr[-400:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--topics", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--file")
    ap.add_argument("--admin-url", default=os.environ.get("PULSAR_ADMIN_URL", "http://127.0.0.1:8080"))
    ap.add_argument("--service-url", default=os.environ.get("PULSAR_SERVICE_URL", "pulsar://127.0.0.1:6650"))
    args = ap.parse_args()
    root = os.path.dirname(HERE)
    path = args.file or os.path.join(root, "target", "bench-metrics", "scale-%d.prom" % args.topics)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        log("writing %s (%d topics x 63 families, %d subscriptions x 32)" % (path, args.topics, 3 * args.topics))
        subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "gen_scrape", "--", path,
                        str(args.topics * 63), str(args.topics * 3 * 32)], cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
    size_mb = os.path.getsize(path) / 1e6
    port = serve(os.path.dirname(path))
    url = "http://127.0.0.1:%d/%s" % (port, os.path.basename(path))
    out = {"topics": args.topics, "subscriptions": 3 * args.topics, "scrape_mb": round(size_mb, 1)}
    base = [args.ours, "--admin-url", args.admin_url, "--service-url", args.service_url, "metrics",
            "--metrics-url", url]

    for what, extra in (("headless_all", []), ("headless_namespace", ["--namespace", "tenant-0/ns-0"])):
        wall, rss, status, err = timed(base + extra)
        log("%s: %.1f s, peak RSS %.0f MB (exit %s)" % (what, wall, rss or -1, status))
        if status != 0:
            log(err)
        out[what] = {"seconds": round(wall, 2), "peak_rss_mb": round(rss or 0, 1), "exit": status}

    work = tempfile.mkdtemp(prefix="pulsar-tui-metrics-scale.")
    ours = bench_tui.Ours(args.ours, args.service_url, args.admin_url, work)
    with open(ours.config, "w") as f:
        f.write('metrics_urls = ["%s"]\nmetrics_interval_secs = 5\n' % url)
    term = ours.start()
    try:
        term.wait_for(bench_tui.contains("public"), 60, "the tenant list")
        term.learn_noise(0.5)
        keys, t_end, i = [], time.perf_counter() + args.seconds, 0
        while time.perf_counter() < t_end:
            lat = term.key_latency(b"j" if i % 2 == 0 else b"k")
            i += 1
            if lat is not None:
                keys.append(lat * 1000)
        rss = term.rss_kb()
        term.send(b"m")
        term.wait_for(bench_tui.contains("brokers:"), 30, "the metrics view")
        try:
            term.wait_for(bench_tui.contains("scrape takes"), 120, "a scrape's time in the header")
        except RuntimeError:
            pass
        header = next((l for l in term.screen.display if "brokers:" in l), "").strip()
        rss_end = term.rss_kb()
    finally:
        term.stop(ours.quit)
    keys.sort()
    tui = {
        "keys": len(keys),
        "key_median_ms": round(statistics.median(keys), 1) if keys else None,
        "key_p99_ms": round(keys[int(len(keys) * 0.99) - 1], 1) if keys else None,
        "key_max_ms": round(keys[-1], 1) if keys else None,
        "keys_over_50ms": sum(1 for k in keys if k > 50),
        "peak_rss_mb": round(max(rss.get("VmHWM", 0), rss_end.get("VmHWM", 0)) / 1024, 1),
        "header": header,
    }
    m = re.search(r"scrape takes ([\d.]+) s", header)
    tui["scrape_s"] = float(m.group(1)) if m else None
    out["tui"] = tui
    log("TUI: %d keys while scraping, median %s ms, p99 %s ms, max %s ms, %d over 50 ms; peak RSS %s MB"
        % (tui["keys"], tui["key_median_ms"], tui["key_p99_ms"], tui["key_max_ms"], tui["keys_over_50ms"],
           tui["peak_rss_mb"]))
    log("header: " + header)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
