"""How fast a process puts records on a topic, measured the same way for pgcdc and its peers.

Measured runs a process under /usr/bin/time -v (peak RSS and CPU seconds over its whole life)
and samples its CPU seconds from /proc while it runs. TopicCount counts a topic's records with
a client the measured process did not write: confluent_kafka (librdkafka), by the sum of the
partitions' high watermarks. drain() polls both until the topic holds the expected records.

Everything here runs on bench.py's single thread. Measured.stop() ends the process it started;
bench.py calls it in a finally block, so no process outlives its run.
"""

import os
import re
import signal
import subprocess
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

TICKS = os.sysconf("SC_CLK_TCK")


class Measured:
    """One process under /usr/bin/time -v, its stderr (and time's report) in log_path."""

    def __init__(self, argv, log_path):
        self.argv = argv
        self.log_path = log_path
        self.proc = None
        self.pid = None  # the measured process itself, time's only child
        self.t_start = None
        self.rss_mb = float("nan")
        self.cpu_total = float("nan")

    def start(self):
        self.t_start = time.monotonic()
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(["/usr/bin/time", "-v"] + self.argv,
                                         stdout=subprocess.DEVNULL, stderr=log,
                                         stdin=subprocess.DEVNULL)
        return self

    def child(self):
        """The measured process's pid (time forks it just after starting), None until then."""
        if self.pid is None and self.proc is not None:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                 text=True).stdout.split()
            self.pid = int(out[0]) if out else None
        return self.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu(self):
        """User + system CPU seconds so far, all threads (a JVM is one process): /proc/PID/stat
        fields 14 and 15. NaN once the process is gone."""
        pid = self.child()
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, IndexError, TypeError, ValueError):
            return float("nan")

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, timeout=120):
        """SIGTERM to the measured process (a clean shutdown), SIGKILL after timeout; then reads
        time's peak RSS and CPU seconds."""
        if self.proc is None:
            return self
        if self.proc.poll() is None:
            pid = self.child()
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                if self.child() is not None:
                    try:
                        os.kill(self.child(), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.wait()
        text = self.log()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        self.rss_mb = int(m.group(1)) / 1024 if m else float("nan")
        self.cpu_total = sum(float(x) for x in
                             re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text))
        return self


class TopicCount:
    """Records on one topic now: the sum of its partitions' high watermarks (0 until it exists).
    On a single broker with acks=all the high watermark is what a consumer can read."""

    def __init__(self, bootstrap, topic):
        self.topic = topic
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "pgcdc-bench-count",
                                  "enable.auto.commit": False, "log_level": 0})
        self.partitions = []
        self.marks = {}  # partition -> last high watermark read

    def __call__(self):
        if not self.partitions:
            try:
                md = self.consumer.list_topics(self.topic, timeout=5).topics.get(self.topic)
            except KafkaException:
                return 0
            if md is None or md.error is not None or not md.partitions:
                return 0
            self.partitions = sorted(md.partitions)
        for p in self.partitions:
            try:
                self.marks[p] = self.consumer.get_watermark_offsets(
                    TopicPartition(self.topic, p), timeout=5, cached=False)[1]
            except KafkaException:
                pass  # a topic just created has no leader yet for a moment: the last answer
        return sum(self.marks.values())

    def close(self):
        self.consumer.close()


class Drain:
    """What drain() saw: seconds from start to the first and to the last expected record, and
    the process's CPU seconds at those moments."""

    def __init__(self, expected):
        self.expected = expected
        self.first = self.last = None
        self.empty = 0.0  # the last sample that saw no record
        self.cpu_first = self.cpu_last = float("nan")

    def rate(self, changes):
        """changes per second from the first record on the topic to the last: the drain itself,
        without the process's start (connecting, a JVM's boot)."""
        span = self.last - self.first
        if span <= 0:  # all of it between two samples: count the whole interval
            span = self.last - self.empty
        return changes / span

    def cpu(self):
        return self.cpu_last - self.cpu_first


def drain(measured, count, expected, timeout=1800, interval=0.05):
    """Polls count() every interval until it reaches expected; raises if the process exits or
    timeout passes first. The measured process keeps running (stop it after)."""
    d = Drain(expected)
    deadline = measured.t_start + timeout
    while True:
        n = count()
        now = time.monotonic() - measured.t_start
        if n == 0:
            d.empty = now
        elif d.first is None:
            d.first, d.cpu_first = now, measured.cpu()
        if n >= expected:
            d.last, d.cpu_last = now, measured.cpu()
            return d
        if not measured.alive():
            if count() >= expected:  # it put the last record there and exited (a snapshot)
                d.last, d.cpu_last = time.monotonic() - measured.t_start, float("nan")
                if d.first is None:
                    d.first = d.last
                return d
            raise SystemExit(f"{measured.argv[0]} exited with {n} of {expected} records on "
                             f"{count.topic}:\n{measured.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{n} of {expected} records on {count.topic} after {timeout}s:\n"
                             f"{measured.log()[-3000:]}")
        time.sleep(interval)
