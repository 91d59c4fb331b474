#!/usr/bin/env python3
"""scripts/bench-tui.py - pulsar-tui and lgm (the existing Pulsar TUI) side by side, black-box.

Both TUIs run in a pseudo-terminal of 160x48 that this script owns: it writes keys to the
pty and timestamps every chunk the program writes back. The same measurement applies to both
programs, so neither needs instrumenting (lgm cannot be):

  start to first frame   process start until the screen first shows anything (a terminal
                         emulator, pyte, interprets the output); also "until the list shows",
                         the first frame with data from the broker in it.
  frame time             a key press (j / k, alternately: the selection moves, so every key
                         changes the screen) until the last byte of the frame it causes (the
                         output burst ends with 30 ms of silence; the silence is not counted).
                         What a program writes over and over while idle (lgm redraws every
                         ~16 ms and repeats the same cursor sequence) is learnt first and
                         neither ends nor extends a burst.
                         Measured on a namespace of 10,000 topics, then on a list of 5,000
                         messages: ours pages a topic of 5,000 messages into its browser (the
                         window holds 5,000); lgm has no history, so it listens on a topic
                         (its Ctrl-s: a non-durable subscription at "latest") while 5,000
                         messages are produced.
  RSS                    VmHWM (peak RSS) of the process after the steps above.

The data lives in public/bench-10k (created once and kept: creating 10,000 topics takes
minutes): topics t-00000 … t-09999, t-00000 holding 5,000 messages (a subscription
`bench-retain` keeps them), lgm's listening runs on t-00001.

Prints a JSON object with every number (the last line of stdout) and a readable summary on
stderr. Needs pyte and pulsar-client (scripts/requirements.txt).

usage: bench-tui.py --ours BIN [--lgm BIN] [--runs N] [--keys N]
       [--service-url URL] [--admin-url URL]
"""

import argparse
import concurrent.futures
import fcntl
import json
import math
import os
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.error
import urllib.request

import pyte

COLS, ROWS = 160, 48
NAMESPACE = "public/bench-10k"
TOPICS = 10_000
MESSAGES = 5_000


def log(msg):
    print("[bench-tui] %s" % msg, file=sys.stderr, flush=True)


# --- the data ---------------------------------------------------------------------------


def http(admin, method, path, body=None, ok=(200, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(admin + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, None
        return e.code, e.read().decode(errors="replace")


def topic_name(i):
    return "persistent://%s/t-%05d" % (NAMESPACE, i)


def ensure_data(admin, service_url):
    status, namespaces = http(admin, "GET", "/admin/v2/namespaces/public")
    if NAMESPACE not in (namespaces or []):
        status, body = http(admin, "PUT", "/admin/v2/namespaces/" + NAMESPACE, {}, ok=(204, 409))
        log("created namespace %s (%s)" % (NAMESPACE, status))
    status, topics = http(admin, "GET", "/admin/v2/persistent/" + NAMESPACE)
    have = set(topics or [])
    missing = [i for i in range(TOPICS) if topic_name(i) not in have]
    if missing:
        log("creating %d topics in %s (once: they are kept for later runs)" % (len(missing), NAMESPACE))
        start = time.time()

        def create(i):
            for _ in range(5):
                code, body = http(admin, "PUT", "/admin/v2/persistent/%s/t-%05d" % (NAMESPACE, i), ok=(204, 409))
                if code in (204, 409):
                    return
                time.sleep(1)
            raise RuntimeError("creating %s: %s %s" % (topic_name(i), code, body))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(create, missing))
        log("created them in %.0f s" % (time.time() - start))
    # t-00000: exactly MESSAGES messages, kept by a subscription that never reads
    rest = "/admin/v2/persistent/%s/t-00000" % NAMESPACE
    status, stats = http(admin, "GET", rest + "/stats")
    backlog = (((stats or {}).get("subscriptions") or {}).get("bench-retain") or {}).get("msgBacklog")
    in_counter = (stats or {}).get("msgInCounter")
    if backlog != MESSAGES:
        log("filling t-00000 with %d messages (backlog of bench-retain was %s)" % (MESSAGES, backlog))
        http(admin, "DELETE", rest + "?force=true", ok=(204, 404))
        http(admin, "PUT", rest, ok=(204, 409))
        http(admin, "PUT", rest + "/subscription/bench-retain", {"ledgerId": -1, "entryId": -1}, ok=(204, 409))
        produce(service_url, topic_name(0), MESSAGES)
    elif in_counter is not None:
        log("t-00000 holds %d messages (kept from an earlier run)" % backlog)


def payload(i):
    return json.dumps({"n": i, "user": "u-%d" % (i % 1000), "amount": i % 97 + 0.5}).encode()


def produce(service_url, topic, n):
    import pulsar

    client = pulsar.Client(service_url, operation_timeout_seconds=30,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    # one message per entry (no batching), so that the backlog counts messages
    producer = client.create_producer(topic, batching_enabled=False, block_if_queue_full=True)
    failed = []
    for i in range(n):
        producer.send_async(payload(i), lambda r, _id: r == pulsar.Result.Ok or failed.append(r),
                            partition_key="k-%d" % (i % 100), properties={"src": "bench"})
    producer.flush()
    producer.close()
    client.close()
    if failed:
        raise RuntimeError("%d sends to %s failed: %s" % (len(failed), topic, failed[0]))


# --- the terminal -----------------------------------------------------------------------


class Term:
    """A program in a pty of COLS x ROWS, its output timestamped and interpreted by pyte."""

    def __init__(self, argv, env=None):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.fd = master
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        # output a program repeats while idle (lgm redraws every ~16 ms and writes the same
        # cursor sequence each time): not a frame, and not activity (see learn_noise)
        self.noise = set()
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.closed = False

    def read_once(self, timeout):
        """Reads what is there (waiting up to timeout); returns (time, bytes) or None."""
        if self.closed:
            time.sleep(timeout)
            return None
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return None
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        now = time.perf_counter()
        if not data:
            self.closed = True
            return None
        return now, data

    def feed(self, data):
        self.stream.feed(data)

    def text(self):
        return "\n".join(self.screen.display)

    def wait_for(self, pred, timeout, what):
        """Reads and interprets output until pred(self) holds; returns the arrival time (since
        start) of the chunk that made it hold."""
        deadline = time.perf_counter() + timeout
        if pred(self):
            return time.perf_counter() - self.start
        while time.perf_counter() < deadline:
            got = self.read_once(min(0.2, deadline - time.perf_counter()))
            if got is None:
                if self.closed or self.proc.poll() is not None:
                    raise RuntimeError("%s: the program ended (status %s) waiting for %s; screen:\n%s"
                                       % (self.proc.args[0], self.proc.poll(), what, self.text()))
                continue
            at, data = got
            self.feed(data)
            if pred(self):
                return at - self.start
        raise RuntimeError("timed out after %.0f s waiting for %s; screen:\n%s" % (timeout, what, self.text()))

    def settle(self, quiet=0.3, timeout=30):
        """Reads until the program has been silent (but for its idle noise) for `quiet` s."""
        deadline = time.perf_counter() + timeout
        last = time.perf_counter()
        while time.perf_counter() < deadline:
            got = self.read_once(0.05)
            if got:
                self.feed(got[1])
                if got[1] not in self.noise:
                    last = got[0]
            if time.perf_counter() - last >= quiet:
                return

    def learn_noise(self, seconds=0.5):
        """Records what the program writes again and again while nobody types."""
        seen = {}
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            got = self.read_once(end - time.perf_counter())
            if got:
                self.feed(got[1])
                seen[got[1]] = seen.get(got[1], 0) + 1
        self.noise |= {data for data, count in seen.items() if count >= 3}

    def send(self, keys):
        os.write(self.fd, keys)

    def key_latency(self, key, quiet=0.03, timeout=3.0):
        """Seconds from writing `key` to the last byte of the output burst it causes. Output
        is only fed to pyte after the burst, so interpreting it costs the program nothing."""
        self.settle(quiet=0.05, timeout=2)
        chunks = []
        t0 = time.perf_counter()
        self.send(key)
        deadline = t0 + timeout
        last = None  # the arrival of the last chunk that is not idle noise
        while time.perf_counter() < deadline:
            wait = (last + quiet - time.perf_counter()) if last else (deadline - time.perf_counter())
            if last and wait <= 0:
                break
            got = self.read_once(max(0.0, wait))
            if got:
                chunks.append(got)
                if got[1] not in self.noise:
                    last = got[0]
        for _, data in chunks:
            self.feed(data)
        if last is None:
            return None
        return last - t0

    def rss_kb(self):
        out = {}
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key, value = line.split(":")
                    out[key] = int(value.split()[0])
        return out

    def stop(self, quit_keys):
        if self.proc.poll() is None:
            try:
                self.send(quit_keys)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.fd)


def non_blank(term):
    return any(line.strip() for line in term.screen.display)


def contains(text):
    return lambda term: text in term.text()


# --- the programs -----------------------------------------------------------------------


class Ours:
    name = "pulsar-tui"
    quit = b"q"

    def __init__(self, binary, service_url, admin_url, work):
        self.binary, self.service_url, self.admin_url = binary, service_url, admin_url
        self.home = os.path.join(work, "ours-home")
        os.makedirs(self.home, exist_ok=True)
        self.config = os.path.join(self.home, "config.toml")
        open(self.config, "w").close()  # an empty config: the user's file plays no part

    def env(self):
        env = dict(os.environ, HOME=self.home, XDG_CONFIG_HOME=self.home + "/config",
                   XDG_DATA_HOME=self.home + "/data", XDG_STATE_HOME=self.home + "/state",
                   XDG_CACHE_HOME=self.home + "/cache", TERM="xterm-256color")
        for var in ("PULSAR_TOKEN", "PULSAR_TUI_CONFIG", "PULSARCONFIG"):
            env.pop(var, None)
        return env

    def argv(self, *extra):
        return [self.binary, "--service-url", self.service_url, "--admin-url", self.admin_url,
                "--config", self.config, "--log-file", self.home + "/pulsar-tui.log", *extra]

    def start(self):
        return Term(self.argv(), self.env())

    ready = staticmethod(contains("public"))  # the tenants are listed

    def topics_view(self):
        """A running pulsar-tui on the explorer, public/bench-10k expanded (10,000 topics),
        t-00000 selected."""
        term = Term(self.argv("--topic", topic_name(0)), self.env())
        # --topic opens the browser on the topic, the explorer behind it; Esc goes back
        term.wait_for(contains('"n":'), 60, "the browser on t-00000")
        term.settle()
        term.send(b"\x1b")
        term.wait_for(contains("t-00001"), 60, "the topic list")
        term.settle()
        return term

    def load_messages(self, term):
        term.settle()
        term.send(b"\r")  # open the browser on the selected topic
        term.wait_for(contains('"n":'), 60, "the first page of messages")
        # `G` on the last loaded row reads the next page, until the end of the topic
        deadline = time.time() + 120
        while time.time() < deadline:
            term.send(b"G")
            term.settle(quiet=0.3, timeout=5)
            if "end of topic" in term.text() and ("#%d" % MESSAGES) in term.text().replace(",", ""):
                return
        raise RuntimeError("the browser did not reach message %d; screen:\n%s" % (MESSAGES, term.text()))

    def back_to_topics(self, term):
        term.send(b"\x1b")
        term.settle()


class Lgm:
    name = "lgm"
    quit = b"\x03"

    def __init__(self, binary, service_url, admin_url, work):
        self.binary, self.service_url = binary, service_url
        self.home = os.path.join(work, "lgm-home")
        os.makedirs(self.home, exist_ok=True)
        self.config = os.path.join(self.home, "config.toml")
        with open(self.config, "w") as f:
            f.write('pulsar_url = "%s"\npulsar_admin_url = "%s"\ndefault_tenant = "public"\n'
                    '[auth]\ntype = "Token"\n[auth.args]\ntoken = ""\n' % (service_url, admin_url))

    def env(self):
        return dict(os.environ, HOME=self.home, TERM="xterm-256color")

    def start(self):
        return Term([self.binary, "--config", self.config], self.env())

    # lgm fetches the namespaces of its default tenant before its first frame
    ready = staticmethod(lambda term: "Namespaces of public" in term.text() and "default" in term.text())

    def topics_view(self):
        term = self.start()
        term.wait_for(contains("bench-10k"), 60, "lgm's namespaces")
        term.settle()
        term.send(b"/")
        term.settle()
        term.send(b"bench-10k")
        term.settle()
        term.send(b"\r")  # ends the search
        term.settle()
        term.send(b"\r")  # opens the namespace
        term.wait_for(contains("t-00001"), 60, "lgm's topic list")
        term.settle()
        return term

    def load_messages(self, term):
        term.send(b"j")  # t-00001
        term.settle()
        term.send(b"\x13")  # Ctrl-s: listen (a non-durable subscription at "latest")
        term.wait_for(contains("0 messages of"), 60, "lgm listening")
        term.settle(quiet=1.0)  # its consumer subscribes in the background
        produce(self.service_url, topic_name(1), MESSAGES)
        # lgm lists the messages as they come, its title counting them
        term.wait_for(contains("%d messages of" % MESSAGES), 300, "lgm listing %d messages" % MESSAGES)
        term.settle()


# --- measuring --------------------------------------------------------------------------


def startup(prog, runs):
    first, ready = [], []
    for _ in range(runs):
        term = prog.start()
        try:
            first.append(term.wait_for(non_blank, 60, "the first frame"))
            ready.append(term.wait_for(prog.ready, 60, "the list"))
        finally:
            term.stop(prog.quit)
    return first, ready


def latencies(term, keys):
    term.learn_noise()
    out = []
    for i in range(keys):
        lat = term.key_latency(b"j" if i % 2 == 0 else b"k")
        if lat is not None:
            out.append(lat)
    return out


def summary(values):
    if not values:
        return None
    values = sorted(values)
    return {
        "median_ms": round(statistics.median(values) * 1000, 2),
        "p90_ms": round(values[math.ceil(0.9 * len(values)) - 1] * 1000, 2),  # nearest rank
        "n": len(values),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--lgm")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--keys", type=int, default=100)
    ap.add_argument("--service-url", default=os.environ.get("PULSAR_SERVICE_URL", "pulsar://127.0.0.1:6650"))
    ap.add_argument("--admin-url", default=os.environ.get("PULSAR_ADMIN_URL", "http://127.0.0.1:8080"))
    args = ap.parse_args()

    ensure_data(args.admin_url, args.service_url)
    work = tempfile.mkdtemp(prefix="pulsar-tui-bench-tui.")
    progs = [Ours(args.ours, args.service_url, args.admin_url, work)]
    if args.lgm:
        progs.append(Lgm(args.lgm, args.service_url, args.admin_url, work))
    result = {}
    for prog in progs:
        log("%s: start to first frame, %d runs" % (prog.name, args.runs))
        first, ready = startup(prog, args.runs)
        r = {"first_frame": summary(first), "list_shown": summary(ready)}
        log("%s: frame time with %d topics" % (prog.name, TOPICS))
        term = prog.topics_view()
        try:
            r["frame_topics"] = summary(latencies(term, args.keys))
            log("%s: loading %d messages" % (prog.name, MESSAGES))
            prog.load_messages(term)
            r["frame_messages"] = summary(latencies(term, args.keys))
            r["rss_kb"] = term.rss_kb()
        finally:
            term.stop(prog.quit)
        result[prog.name] = r
        log("%s: %s" % (prog.name, json.dumps(r)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
