"""Real components for pgcdc's integration tests and demo.

PostgresServer: a throwaway PostgreSQL from Debian's packages (initdb + pg_ctl) in a temp dir, on
a free loopback port, with wal_level=logical. MockBroker: the pgcdc-mock-broker process (librdkafka's
mock cluster speaking the Kafka protocol on loopback). Pgcdc: the daemon under test, as a process.
TopicReader: a real Kafka client (confluent_kafka) reading topics back.

Everything started here is stopped by its stop() method; the pytest fixtures in conftest.py make
sure that happens.
"""

import glob
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import psycopg2
from confluent_kafka import Consumer, KafkaException, TopicPartition, OFFSET_BEGINNING

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pg_bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        d = out.stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries (initdb) not found; install postgresql-15")
    return os.path.dirname(found[-1])


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binary(env_name, default_rel):
    path = os.environ.get(env_name) or os.path.join(ROOT, default_rel)
    if not os.path.exists(path):
        raise RuntimeError(f"{path} not found; build first (cmake --build build)")
    return path


def cache_root():
    """Where fetched test tools live (Maven builds of Debezium, Apicurio, Kafka):
    ${PGCDC_CACHE:-/var/cache/pgcdc}, or ~/.cache/pgcdc when that is not writable."""
    root = os.environ.get("PGCDC_CACHE", "/var/cache/pgcdc")
    try:
        os.makedirs(root, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except OSError:
        pass
    return os.path.join(os.path.expanduser("~"), ".cache", "pgcdc")


def parse_metrics(text):
    """Prometheus text as {sample name with labels: value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def wait_until(predicate, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class PostgresServer:
    """A private PostgreSQL cluster. initdb refuses root, so as root it runs as 'postgres'."""

    def __init__(self, extra_conf=None):
        self.bindir = _pg_bindir()
        self.port = free_port()
        self.extra_conf = extra_conf or {}
        self.dir = None
        self.running = False

    def _as_owner(self, cmd):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + cmd
        return cmd

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="pgcdc-pg-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = os.path.join(self.dir, "data")
        subprocess.run(self._as_owner([os.path.join(self.bindir, "initdb"), "-D", data, "-U",
                                       "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]),
                       check=True, capture_output=True)
        conf = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.dir}'",
            "wal_level": "logical",
            "max_wal_senders": 10,
            "max_replication_slots": 10,
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "64MB",
        }
        conf.update(self.extra_conf)
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            for k, v in conf.items():
                f.write(f"{k} = {v}\n")
        self._pg_ctl("start")
        self.running = True
        return self

    def _pg_ctl(self, action, *extra):
        data = os.path.join(self.dir, "data")
        log = os.path.join(self.dir, "server.log")
        subprocess.run(self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", data, "-l", log,
                                       "-w", "-t", "60", action, *extra]),
                       check=True, capture_output=True)

    def restart(self):
        self._pg_ctl("restart", "-m", "fast")

    def stop(self):
        if self.running:
            try:
                self._pg_ctl("stop", "-m", "immediate")
            except subprocess.CalledProcessError:
                pass
            self.running = False
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def dsn(self, db="postgres", user="postgres"):
        return f"host=127.0.0.1 port={self.port} dbname={db} user={user}"

    def connect(self, db="postgres"):
        conn = psycopg2.connect(self.dsn(db))
        conn.autocommit = True
        return conn

    def execute(self, sql, db="postgres"):
        conn = self.connect(db)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def create_database(self, name):
        self.execute(f'CREATE DATABASE "{name}"')

    def slot(self, name, db="postgres"):
        rows = self.execute(
            "SELECT confirmed_flush_lsn::text, active FROM pg_replication_slots "
            f"WHERE slot_name = '{name}'", db)
        return rows[0] if rows else None

    def confirmed_flush(self, name, db="postgres"):
        row = self.slot(name, db)
        return lsn_to_int(row[0]) if row and row[0] else None

    def current_wal_lsn(self, db="postgres"):
        """pg_current_wal_lsn() as an int: everything committed so far ends at or before it."""
        return lsn_to_int(self.execute("SELECT pg_current_wal_lsn()::text", db)[0][0])

    def commit_end(self, sql, db="postgres"):
        """Runs `sql` as one transaction and returns pg_current_wal_insert_lsn() read on the same
        connection just after it: the end of its commit record, or a little past it if another
        backend wrote WAL in between. A slot confirmed below it has not confirmed the transaction.
        Tests that a change was not confirmed bound the slot by this, not by the LSN before the
        write: with nothing outstanding, pgcdc may confirm a keepalive's position, and the
        walsender may already have read the row's own record, ahead of its commit."""
        conn = self.connect(db)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                cur.execute("SELECT pg_current_wal_insert_lsn()::text")
                return lsn_to_int(cur.fetchone()[0])
        finally:
            conn.close()

    def wait_confirmed(self, slot, db, lsn, timeout=60):
        """Waits until the slot's confirmed_flush_lsn reaches `lsn`; returns it."""
        wait_until(lambda: (self.confirmed_flush(slot, db) or 0) >= lsn, timeout,
                   what=f"{slot}'s confirmed_flush_lsn to reach {lsn:X}")
        return self.confirmed_flush(slot, db)


def lsn_to_int(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


class MockBroker:
    """The pgcdc-mock-broker process; commands go over its stdin."""

    def __init__(self, brokers=1):
        self.path = binary("PGCDC_MOCK_BROKER", "build/pgcdc-mock-broker")
        self.brokers = brokers
        self.proc = None
        self.bootstrap = None

    def start(self):
        self.proc = subprocess.Popen([self.path, "--brokers", str(self.brokers)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("BOOTSTRAP "):
            raise RuntimeError(f"mock broker did not start: {line!r}")
        self.bootstrap = line.split(" ", 1)[1]
        return self

    def command(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if reply != "OK":
            raise RuntimeError(f"mock broker: {cmd!r} -> {reply!r}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Pgcdc:
    """pgcdc as a process, with its YAML config written to a temp dir."""

    instances = []  # every Pgcdc made; conftest kills the ones a failed test left running

    def __init__(self, config, workdir):
        Pgcdc.instances.append(self)
        self.path = binary("PGCDC_BIN", "build/pgcdc")
        self.config = config
        self.workdir = workdir
        self.config_path = os.path.join(workdir, f"pgcdc-{uuid.uuid4().hex[:8]}.yaml")
        self.proc = None
        self.log_path = None
        self.out_path = None
        self.runs = 0

    def write_config(self):
        import yaml_writer  # local, tiny: no PyYAML dependency needed
        # Any free port: tests run side by side and must not fight over the default 9187.
        self.config.setdefault("metrics", {"listen": "127.0.0.1:0"})
        with open(self.config_path, "w") as f:
            f.write(yaml_writer.dump(self.config))

    def start(self):
        self.write_config()
        self.runs += 1
        self.log_path = self.run_path(self.runs, "log")
        self.out_path = self.run_path(self.runs, "out")
        self.proc = subprocess.Popen([self.path, "run", "-c", self.config_path],
                                     stdout=open(self.out_path, "w"),
                                     stderr=open(self.log_path, "w"))
        return self

    def run_path(self, run, kind):
        """The stderr ("log") or stdout ("out") file of start number `run` (1, 2, ...). Named
        after this instance's config: tests run several connectors in one workdir, and a shared
        log would let one instance read another's metrics port and "streaming" line."""
        return f"{os.path.splitext(self.config_path)[0]}-run{run}.{kind}"

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def metrics_base(self, timeout=30):
        """http://host:port of this run's metrics server (metrics.listen, port 0 by default).
        The port is the one thing read from the log: pgcdc binds it and says so at start-up."""
        pattern = re.compile(r"metrics on (http://[\d.]+:\d+)/metrics")
        wait_until(lambda: pattern.search(self.log()) or not self.alive(), timeout,
                   what="pgcdc's metrics server")
        found = pattern.search(self.log())
        assert found, f"pgcdc exited before serving metrics:\n{self.log()}"
        return found.group(1)

    def scrape(self):
        """/metrics as {sample name with labels: value}."""
        text = urllib.request.urlopen(self.metrics_base() + "/metrics", timeout=5).read().decode()
        return parse_metrics(text)

    def state(self):
        """The connector's state as /metrics reports it (pgcdc_state), or None when unreadable."""
        try:
            for name, value in self.scrape().items():
                if name.startswith('pgcdc_state{state="') and value == 1:
                    return name[len('pgcdc_state{state="'):-2]
        except OSError:
            return None
        return None

    def wait_streaming(self, timeout=30):
        """Waits until /metrics says the connector streams (pgcdc_state{state="streaming"})."""
        if not self.config.get("metrics", {}).get("listen"):
            # No metrics server in this configuration: the start-up line is all there is.
            wait_until(lambda: "streaming from slot" in self.log() or not self.alive(), timeout,
                       what="pgcdc to start streaming")
        else:
            wait_until(lambda: not self.alive() or self.state() == "streaming", timeout,
                       what="pgcdc to start streaming")
        assert self.alive(), f"pgcdc exited early:\n{self.log()}"

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"pgcdc did not stop within {timeout}s:\n{self.log()}")

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


def run_pgcdc(args, timeout=60):
    path = binary("PGCDC_BIN", "build/pgcdc")
    return subprocess.run([path] + args, capture_output=True, text=True, timeout=timeout)


def _json_or_none(raw):
    if raw is None or raw[:1] == b"\x00":
        return None
    return json.loads(raw)


class Record:
    def __init__(self, msg):
        self.topic = msg.topic()
        self.partition = msg.partition()
        self.offset = msg.offset()
        self.raw_key = msg.key()
        self.raw_value = msg.value()
        self.headers = dict(msg.headers() or [])
        # JSON formats are parsed here; a record in Confluent's wire format (magic byte 0, format
        # avro) keeps key and value None: tests decode raw_key/raw_value with a registry client.
        self.key = _json_or_none(self.raw_key)
        self.value = _json_or_none(self.raw_value)

    @property
    def payload(self):
        """The envelope payload, whether or not schemas are enabled."""
        if self.value is None:
            return None
        return self.value["payload"] if "schema" in self.value and "payload" in self.value \
            else self.value

    @property
    def key_payload(self):
        if self.key is None:
            return None
        return self.key["payload"] if "schema" in self.key and "payload" in self.key else self.key

    def __repr__(self):
        return f"Record({self.topic}[{self.partition}]@{self.offset} key={self.raw_key!r})"


class TopicReader:
    """Reads topics from the beginning with a real librdkafka consumer (confluent_kafka)."""

    def __init__(self, bootstrap, topics):
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": "pgcdc-test-" + uuid.uuid4().hex,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": 1000,
            # The mock broker does not return a batch larger than the fetch size (real brokers
            # do, KIP-74); snapshots fill the producer's 1 MB batches.
            "fetch.message.max.bytes": 16 << 20,
            "fetch.max.bytes": 64 << 20,
        })
        self.topics = list(topics)
        self.assigned = set()
        self.records = []
        self.counts = {}  # (topic, partition) -> records read

    def _assign_new(self):
        if {t for t, _ in self.assigned} >= set(self.topics):
            return  # topics do not grow partitions in these tests
        try:
            md = self.consumer.list_topics(timeout=5)
        except KafkaException:
            return  # broker briefly unreachable (outage tests): try again on the next poll
        new = []
        for t in self.topics:
            tm = md.topics.get(t)
            if tm is None or tm.error is not None:
                continue
            for p in tm.partitions:
                if (t, p) not in self.assigned:
                    self.assigned.add((t, p))
                    new.append(TopicPartition(t, p, OFFSET_BEGINNING))
        if new:
            # Only the new partitions: re-assigning the others would read them again.
            self.consumer.incremental_assign(new)

    def poll(self, seconds=1.0):
        self._assign_new()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for msg in self.consumer.consume(num_messages=5000, timeout=0.2):
                if msg.error():
                    continue
                r = Record(msg)
                self.records.append(r)
                self.counts[(r.topic, r.partition)] = self.counts.get((r.topic, r.partition), 0) + 1
        return self.records

    def watermarks(self):
        """{(topic, partition): high watermark} as the broker reports it now."""
        self._assign_new()
        return {(t, p): self.consumer.get_watermark_offsets(TopicPartition(t, p), timeout=5,
                                                            cached=False)[1]
                for (t, p) in self.assigned}

    def read_below(self, marks, timeout=60):
        """Reads until every record below the given watermarks has been consumed; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [r for r in self.records if r.offset < marks.get((r.topic, r.partition), 0)]
            if len({(r.topic, r.partition, r.offset) for r in got}) >= sum(marks.values()):
                return got
            self.poll(0.3)
        raise AssertionError(f"could not read up to {marks} within {timeout}s")

    def drain(self, timeout=180):
        """Reads until every partition's position reaches its high watermark."""
        deadline = time.monotonic() + timeout
        behind = {}
        while time.monotonic() < deadline:
            self.poll(0.3)
            behind = {}
            for (t, p) in self.assigned:
                lo, hi = self.consumer.get_watermark_offsets(TopicPartition(t, p), timeout=5)
                if lo > self.counts.get((t, p), 0):
                    raise AssertionError(
                        f"{t}[{p}] starts at offset {lo}: the mock broker keeps 5 MB per "
                        "partition and dropped older records; create the topic with more "
                        "partitions (MockBroker.command('topic NAME N'))")
                if hi > self.counts.get((t, p), 0):
                    behind[(t, p)] = (self.counts.get((t, p), 0), hi)
            if not behind and self.assigned:
                return self.records
        raise AssertionError(f"could not read all records within {timeout}s: (read, end) of "
                             f"partitions behind: {behind}; {len(self.records)} read")

    def wait_for(self, predicate, timeout=60, what="records"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll(0.5)
            if predicate(self.records):
                return self.records
        raise AssertionError(f"timed out waiting for {what}; have {len(self.records)} records")

    def wait_count(self, n, timeout=60):
        return self.wait_for(lambda r: len(r) >= n, timeout, what=f"{n} records")

    def close(self):
        self.consumer.close()


def java_murmur2_partition(key, partitions):
    """The partition Kafka's Java DefaultPartitioner picks for a non-null key:
    toPositive(Utils.murmur2(key)) % partitions."""
    seed, m, r = 0x9747b28c, 0x5bd1e995, 24
    length = len(key)
    h = (seed ^ length) & 0xffffffff
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(key[i:i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> r
        k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff
        h ^= k
    tail = length % 4
    base = length - tail
    if tail == 3:
        h ^= key[base + 2] << 16
    if tail >= 2:
        h ^= key[base + 1] << 8
    if tail >= 1:
        h ^= key[base]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return (h & 0x7fffffff) % partitions


def replay(records):
    """Applies records per key in partition order: last event wins, tombstones delete.
    Returns {key_json: after_row}."""
    state = {}
    for r in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        k = json.dumps(r.key_payload, sort_keys=True)
        if r.value is None:
            state.pop(k, None)
            continue
        p = r.payload
        if p["op"] in ("c", "u", "r"):
            state[k] = p["after"]
        elif p["op"] == "d":
            state.pop(k, None)
    return state
