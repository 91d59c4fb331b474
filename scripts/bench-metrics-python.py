#!/usr/bin/env python3
"""Time prometheus_client's text parser on the synthetic Pulsar scrape.

The reference for benches/metrics_parse.rs ("parse" bench); scripts/bench-metrics
runs both on the same file and prints the ratio. By hand:

    cargo run --release --example gen_scrape -- /tmp/scrape.prom
    pip install prometheus_client
    python3 scripts/bench-metrics-python.py /tmp/scrape.prom [RUNS]

Only parsing is timed (text_string_to_metric_families, consuming every
sample); reading the file into memory is not, which favours Python (the Rust
bench parses from memory too). Prints one human line per run, then a JSON
line with the best run.
"""
import json
import sys
import time

from importlib.metadata import version

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) == 3 else 1
    with open(path, encoding="utf-8") as f:
        data = f.read()
    size = len(data.encode("utf-8"))
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        families = 0
        samples = 0
        for fam in text_string_to_metric_families(data):
            families += 1
            samples += len(fam.samples)
        dt = time.perf_counter() - t0
        print(
            f"prometheus_client {version('prometheus_client')}: "
            f"{size / 1e6:.1f} MB, {families} families, {samples} samples in {dt:.2f} s -> "
            f"{size / 1e6 / dt:.2f} MB/s, {samples / dt:,.0f} series/s",
            file=sys.stderr,
        )
        best = dt if best is None else min(best, dt)
    print(json.dumps({"bytes": size, "samples": samples, "families": families, "seconds": best,
                      "version": version("prometheus_client")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
