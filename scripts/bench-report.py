#!/usr/bin/env python3
"""scripts/bench-report.py DIR - the table of scripts/bench from the JSON files in DIR.

Reads machine.txt, read.json, metrics.json, requeue.json (one line per DLQ layout), produce.json,
tui.json and explorer.json (whichever exist) and prints one Markdown table: each row what was measured, ours,
the peer, the limit, the ratio that has a target, the target, and whether it was met.
"""

import json
import os
import sys


def load(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text.splitlines()[-1]) if text else None


def load_all(d, name):
    """Every JSON line of DIR/NAME (scripts/bench-requeue writes one per layout)."""
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rate(r):
    return "{:,.0f} msgs/s".format(r["rate"])


def ms(x):
    return "—" if x is None else ("%.0f ms" % x if x >= 10 else "%.1f ms" % x)


def mb(kb):
    return "—" if kb is None else "%.0f MB" % (kb / 1024)


def verdict(ok):
    return "met" if ok else "**missed**"


def main():
    d = sys.argv[1]
    machine = {}
    with open(os.path.join(d, "machine.txt")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            machine[k] = v
    rows = []

    read = load(d, "read.json")
    if read:
        r = read["rows"]
        ours, py, bare = r["ours"], r["python"], r["bare"]
        n = "{:,}".format(read["n"])
        a = ours["rate"] / py["rate"]
        b = bare["rate"] / ours["rate"]
        rows.append(("read + decode %s Avro messages to JSON lines" % n, rate(ours), rate(py) + " (reader + fastavro)",
                     rate(bare) + " (bare reader)", "%.1fx Python; bare/ours %.2fx" % (a, b), "≥ 5x; ≤ 1.3x",
                     verdict(a >= 5 and b <= 1.3)))
        if "ours-filter" in r:
            of, pf = r["ours-filter"], r["python-filter"]
            a = of["rate"] / pf["rate"]
            rows.append(("scan %s Avro messages, filter matching 1%%" % n, rate(of), rate(pf) + " (+ predicate)",
                         rate(bare) + " (bare reader)", "%.1fx Python; bare/ours %.2fx" % (a, bare["rate"] / of["rate"]),
                         "≥ 5x", verdict(a >= 5)))

    met = load(d, "metrics.json")
    if met:
        a = met["python_s"] / met["aggregate_s"]
        rows.append(("parse + aggregate a synthetic /metrics scrape of %.0f MB (%s series: 100,000 topic series, "
                     "300,000 subscription series)" % (met["bytes"] / 1e6, "{:,}".format(met["series"])),
                     ms(met["aggregate_s"] * 1000), ms(met["python_s"] * 1000) + " (prometheus_client %s)" % met["python_version"],
                     ms(met["wc_s"] * 1000) + " (wc -l)", "%.0fx Python; ours/wc %.1fx" % (a, met["aggregate_s"] / met["wc_s"]),
                     "≥ 10x", verdict(a >= 10)))

    for rq in load_all(d, "requeue.json"):
        n = "{:,}".format(rq["n"])
        if "layout" not in rq:  # before the two layouts (runs up to 2026-12-03)
            a = rq["ours"] / rq["python"]
            rows.append(("requeue %s DLQ messages" % n, "{:,.0f} msgs/s".format(rq["ours"]),
                         "{:,.0f} msgs/s (consume → produce → ack)".format(rq["python"]),
                         "{:,.0f} msgs/s produce-only; {:,.0f} msgs/s consume-only".format(rq["produce_only"],
                                                                                           rq["consume_only"]),
                         "%.2fx Python; %.2f of consume-only" % (a, rq["ours"] / rq["consume_only"]), "≥ 3x",
                         verdict(a >= 3)))
            continue
        what = "unbatched" if rq["batch"] == 0 else "in batches of %d" % rq["batch"]
        a = rq["ours"] / rq["python"]
        b = rq["ours"] / rq["python_consume_only"]
        rows.append(("requeue %s DLQ messages, %s (broker CPU s: ours %s, Python %s)"
                     % (n, what, rq["ours_broker_cpu_s"], rq["python_broker_cpu_s"]),
                     "{:,.0f} msgs/s".format(rq["ours"]),
                     "{:,.0f} msgs/s (consume → produce → ack)".format(rq["python"]),
                     "{:,.0f} msgs/s official consume-only; {:,.0f} msgs/s ours consume-only".format(
                         rq["python_consume_only"], rq["consume_only"]),
                     "%.2fx Python; %.2f of official consume-only" % (a, b), "≥ 1x; ≥ 0.9",
                     verdict(a >= 1 and b >= 0.9)))

    pr = load(d, "produce.json")
    if pr:
        a = pr["ours"] / pr["python"]
        rows.append(("produce %s Avro records from JSON lines (batching on)" % "{:,}".format(pr["n"]),
                     "{:,.0f} msgs/s".format(pr["ours"]),
                     "{:,.0f} msgs/s (json.loads + AvroSchema)".format(pr["python"]), "", "%.2fx Python" % a,
                     "≥ 3x", verdict(a >= 3)))
        rows.append(("replay them: read --raw | produce --format envelope (batching on)",
                     "{:,.0f} msgs/s".format(pr["replay"]), "",
                     "{:,.0f} msgs/s official consume-only".format(pr["consume_only"]),
                     "%.2f of consume-only" % (pr["replay"] / pr["consume_only"]), "", ""))

    tui = load(d, "tui.json")
    if tui:
        o = tui.get("pulsar-tui", {})
        l = tui.get("lgm")

        def med(p, k):
            return ((p or {}).get(k) or {}).get("median_ms")

        def peer(k, extra=""):
            if not l:
                return "not run"
            return ms(med(l, k)) + extra

        v = med(o, "first_frame")
        rows.append(("TUI: start to first frame (median of %d)" % (o["first_frame"]["n"]), ms(v),
                     peer("first_frame", " (lgm)"), "", "", "< 100 ms", verdict(v is not None and v < 100)))
        v2 = med(o, "list_shown")
        rows.append(("TUI: start until the broker's list shows", ms(v2), peer("list_shown", " (lgm)"), "", "", "", ""))
        v = med(o, "frame_topics")
        rows.append(("TUI: key to frame, 10,000 topics listed (median; p90 %s)" % ms(o["frame_topics"]["p90_ms"]), ms(v),
                     peer("frame_topics", " (lgm)"), "", "", "< 16 ms", verdict(v is not None and v < 16)))
        v = med(o, "frame_messages")
        rows.append(("TUI: key to frame, 5,000 messages loaded (median; p90 %s)" % ms(o["frame_messages"]["p90_ms"]), ms(v),
                     peer("frame_messages", " (lgm, listening)"), "", "", "< 16 ms", verdict(v is not None and v < 16)))
        rss = o.get("rss_kb", {}).get("VmHWM")
        rows.append(("TUI: peak RSS, 10,000 topics + 5,000 messages", mb(rss),
                     (mb(l.get("rss_kb", {}).get("VmHWM")) + " (lgm)") if l else "not run", "", "", "", ""))
    if read and "browse_vmhwm_kb" in read:
        kb = read["browse_vmhwm_kb"]
        rows.append(("TUI: peak RSS after paging %s messages" % "{:,}".format(read["n"]), mb(kb),
                     "n/a: lgm has no history (it listens from \"latest\")", "", "", "< 150 MB", verdict(kb < 150 * 1024)))

    ex = load(d, "explorer.json")
    if ex:
        what = "TUI explorer, %s topics in one namespace (%s partitioned; synthetic admin API%s)" % (
            "{:,}".format(ex["topics"]), "{:,}".format(ex["partitioned"]),
            "; load %s → %s" % tuple(ex["load"]) if "load" in ex else "")
        v = ex["list_shown_median_ms"]
        rows.append(("%s: list shown after the admin answer (median of %d; runs %s)"
                     % (what, len(ex["list_shown_ms"]), " / ".join(ms(x) for x in ex["list_shown_ms"])),
                     ms(v), "", "", "", "< 2 s", verdict(v < 2000)))
        for key, label in (("scroll_jk", "key to frame, j/k"), ("page", "key to frame, PageDown/PageUp"),
                           ("end_top", "key to frame, End/g"), ("filter_typing", "filter, each key typed"),
                           ("filter_backspace", "filter, each Backspace")):
            s = ex.get(key)
            if not s:
                continue
            # stalls the TUI spent waiting for a CPU (another process's work) are reported, not held against it
            kind = {"scroll_jk": "j/k", "page": "page", "end_top": "end/top", "filter_typing": "filter",
                    "filter_backspace": "backspace"}[key]
            waited = sum(1 for st in ex.get("stall_detail", []) if st["what"] == kind and st["load"])
            ok = s["stalls"] - waited == 0 and (key != "scroll_jk" or s["median_ms"] < 16)
            target = "< 16 ms; no key > 100 ms" if key == "scroll_jk" else "no key > 100 ms"
            stalls = ""
            if s["stalls"]:
                stalls = "; %d over 100 ms, %d of them waiting for a CPU" % (s["stalls"], waited)
            rows.append(("%s: %s (median of %d; p90 %s, max %s%s)"
                         % (what, label, s["n"], ms(s["p90_ms"]), ms(s["max_ms"]), stalls),
                         ms(s["median_ms"]), "", "", "", target, verdict(ok)))
        rows.append(("%s: peak RSS" % what, "%.0f MB" % ex["peak_rss_mb"], "", "", "", "", ""))

    print("scripts/bench, %s, %s cores (%s), %s GiB, Pulsar %s, commit %s, load %s → %s"
          % (machine.get("date"), machine.get("cores"), machine.get("cpu"), machine.get("memory_gib"),
             machine.get("pulsar"), machine.get("commit"), machine.get("load_at_start"), machine.get("load_at_end")))
    print()
    header = ("what", "ours", "peer", "limit", "ratio", "target", "")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
