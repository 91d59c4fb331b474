#!/usr/bin/env python3
"""scripts/bench-health-python.py ADMIN_URL NAMESPACE - the script a team would write instead of
`pulsar-tui health --namespace NS`: list the namespace's topics with the admin REST API, GET
each topic's stats, and print every stalled subscription (a backlog and no consumer) as a JSON
line {"topic", "subscription", "backlog"}, then one summary line {"type": "summary", ...}.

One requests.Session (keep-alive), one call after the other: the obvious loop.
Environment: PULSAR_TOKEN (optional bearer token).
"""

import json
import os
import sys
import time
from urllib.parse import quote

import requests


def main():
    admin, ns = sys.argv[1].rstrip("/"), sys.argv[2].strip("/")
    s = requests.Session()
    token = os.environ.get("PULSAR_TOKEN")
    if token:
        s.headers["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    r = s.get(f"{admin}/admin/v2/persistent/{ns}", timeout=60)
    r.raise_for_status()
    topics = [t for t in r.json() if not t.rsplit("/", 1)[-1].startswith("__")]
    stalled = 0
    calls = 1
    for topic in topics:
        local = topic.rsplit("/", 1)[-1]
        r = s.get(f"{admin}/admin/v2/persistent/{ns}/{quote(local, safe='')}/stats", timeout=60)
        calls += 1
        if r.status_code == 404:  # deleted meanwhile
            continue
        r.raise_for_status()
        for name, sub in r.json().get("subscriptions", {}).items():
            if sub.get("msgBacklog", 0) > 0 and not sub.get("consumers"):
                stalled += 1
                print(json.dumps({"topic": topic, "subscription": name, "backlog": sub["msgBacklog"]}))
    print(json.dumps({"type": "summary", "topics": len(topics), "stalled": stalled, "calls": calls,
                      "seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
