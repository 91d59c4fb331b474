#!/usr/bin/env python3
"""Time prometheus_client's text parser on the synthetic Pulsar scrape.

Reference point for benches/metrics_parse.rs ("parse" bench). Generate the
very same file first:

    cargo run --release --example gen_scrape -- /tmp/scrape.prom
    pip install prometheus_client
    python3 scripts/bench-metrics-python.py /tmp/scrape.prom

Only parsing is timed (text_string_to_metric_families, consuming every
sample); reading the file into memory is not, which favours Python.
"""
import sys
import time

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        data = f.read()
    size = len(data.encode("utf-8"))
    t0 = time.perf_counter()
    families = 0
    samples = 0
    for fam in text_string_to_metric_families(data):
        families += 1
        samples += len(fam.samples)
    dt = time.perf_counter() - t0
    print(
        f"prometheus_client: {size / 1e6:.1f} MB, {families} families, "
        f"{samples} samples in {dt:.2f} s -> {size / 1e6 / dt:.1f} MB/s, "
        f"{samples / dt / 1e6:.3f} M samples/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
