#!/usr/bin/env python3
"""pgcdc benchmarks against the physical limits, measured side by side in one run.

  snapshot  pgcdc's snapshot rows/s against `COPY (SELECT ...) TO STDOUT` of the same table,
            and against pgcdc's Kafka sink alone sending the same records (pgcdc-sink-bench):
            the broker client's own ceiling on this machine
  stream    pgcdc's end-to-end rate (events acknowledged by the broker, LSN confirmed) against
            pg_recvlogical draining slots created at the same LSN (pgoutput to /dev/null)
  latency   commit-to-acknowledgement p50/p99 at a steady transaction rate (pgbench -R)
  memory    pgcdc's peak RSS with one large bytea or text value (1, 10, 100 MB) in a snapshot and
            in the stream, both schema modes, against the bound 64 MB + 3.5x the value (README)
  incremental  an incremental snapshot's rows/s (signal-table row on a streaming pgcdc to its
            last record on the broker) against the initial snapshot of the same table, and the
            commit-to-ack p50/p99 at --tps (default 1000) while it runs against a baseline
            without it (issue 15's goals: >= 0.5x, p99 <= 100 ms)

Each starts a throwaway PostgreSQL and the mock broker (tests/integration/pgcdc_harness.py), or
with --broker kafka a real single-node Apache Kafka (tests/integration/real_kafka.py), runs each
record format of --formats (default json-schemas,json,avro: JSON with and without schemas, and
Avro with ids from the test Schema Registry, tests/tools/schema_registry.py, started once for the
run), prints rates, ratios and pgcdc's peak RSS (/usr/bin/time -v), and cleans up.
Never a timed test: these machines are shared, so compare the ratios, not the absolute numbers.

For Avro it also prints each run's registry requests (pgcdc_schema_registry_requests_total and
the registry's own request log: a few per run, never per record). `snapshot` ends with the bytes
per record of each format on the same rows, read back from the broker: key + value, and per
value inside lz4 frames of 1,000 consecutive values (python3-lz4). The sink-alone ceiling is
JSON only (bench/sink_bench.cc reads text lines), and so is --peer debezium (no Avro converter).

--peer debezium (needs --broker kafka) adds Debezium's PostgreSQL connector in a Kafka Connect
standalone worker (bench/debezium_peer.py) to `snapshot` and `stream`: the same table, the same
WAL (its slot created at pgcdc's LSN), the same broker, measured the same way (bench/drain.py:
records on the topic counted by librdkafka's watermarks, CPU from /proc, peak RSS from
/usr/bin/time -v), and prints the ratios pgcdc / Debezium.

  python3 bench/bench.py snapshot --rows 1000000
  python3 bench/bench.py stream --changes 1000000
  python3 bench/bench.py latency --tps 5000 --seconds 20
  python3 bench/bench.py memory --sizes 1,10,100
  python3 bench/bench.py incremental --rows 1000000 --tps 1000 --seconds 20
  python3 bench/bench.py all
  python3 bench/bench.py snapshot stream --formats json,avro --rows 200000 --changes 200000
  python3 bench/bench.py stream --sink redis --changes 300000   # or nats, rabbitmq, kinesis
  python3 bench/bench.py stream snapshot --broker kafka --peer debezium \
      --changes 300000 --rows 300000
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

try:
    import psycopg2  # noqa: F401  (the harness needs it)
except ImportError:
    # A python3 on PATH without Debian's python3-psycopg2 (pyenv, venv): use the system one,
    # which install-deps.sh provides.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("PGCDC_BIN", os.path.join(ROOT, "build", "pgcdc"))
os.environ.setdefault("PGCDC_MOCK_BROKER", os.path.join(ROOT, "build", "pgcdc-mock-broker"))
os.environ.setdefault("PGCDC_SINK_BENCH", os.path.join(ROOT, "build", "pgcdc-sink-bench"))

from pgcdc_harness import MockBroker, PostgresServer, lsn_to_int, wait_until  # noqa: E402
import yaml_writer  # noqa: E402
from drain import Measured, TopicCount, drain  # noqa: E402
import sink_targets  # noqa: E402

COLUMNS = """id bigint PRIMARY KEY, customer_id int NOT NULL, sku text NOT NULL,
             quantity int NOT NULL, price numeric(12,2) NOT NULL, placed_at timestamptz NOT NULL,
             shipped boolean NOT NULL, note text"""


def fill(pg, db, table, rows, wide):
    pg.execute(f"CREATE TABLE {table}({COLUMNS})", db=db)
    note = "repeat(md5(g::text), 64)" if wide else "'note ' || g"  # 2 KB text when wide
    pg.execute(f"INSERT INTO {table} SELECT g, g % 1000, 'SKU-' || (g % 5000), g % 7 + 1, "
               f"(g % 10000) / 100.0, now() - (g || ' seconds')::interval, g % 2 = 0, {note} "
               f"FROM generate_series(1, {rows}) g", db=db)
    pg.execute(f"VACUUM ANALYZE {table}", db=db)


def copy_rate(pg, db, table, rows):
    """Best of three COPY (SELECT ...) TO STDOUT runs, read by psql into /dev/null."""
    best = None
    for _ in range(3):
        t0 = time.monotonic()
        subprocess.run([os.path.join(pg.bindir, "psql"), "-X", "-q", "-d", pg.dsn(db), "-c",
                        f"COPY (SELECT * FROM {table}) TO STDOUT"],
                       stdout=subprocess.DEVNULL, check=True)
        dt = time.monotonic() - t0
        best = dt if best is None else min(best, dt)
    return rows / best


class RegistryRequests:
    """The Schema Registry requests of one Avro run of pgcdc, counted on both ends: the test
    registry's request LOG (cleared when this starts) and pgcdc's own
    pgcdc_schema_registry_requests_total, scraped from its /metrics every 0.2 s by a thread
    (a snapshot run exits by itself, so the last scrape before it exits is the end value; a
    stream run is scraped once more just before it is stopped). Used by run_pgcdc, one run."""

    def __init__(self, log_path):
        REGISTRY.clear_requests()
        self.log_path = log_path
        self.port = None
        self.metric = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def scrape(self):
        if self.port is None:
            m = re.search(r"metrics on http://[\d.]+:(\d+)/", open(self.log_path).read())
            if not m:
                return
            self.port = m.group(1)
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics",
                                          timeout=2).read().decode()
        except OSError:
            return  # exiting, or not yet listening: the last value stands
        m = re.search(r"^pgcdc_schema_registry_requests_total (\S+)$", text, re.M)
        if m:
            self.metric = int(float(m.group(1)))

    def _poll(self):
        while not self.done.wait(0.2):
            self.scrape()

    def finish(self, log_text):
        """Stops the polling; returns (a line for the report: both counts, what was asked, the
        ids pgcdc logged; the LOG's count; the metric's last value)."""
        self.done.set()
        self.thread.join()
        reqs = REGISTRY.requests()
        kinds = {}
        for r in reqs:
            route = re.sub(r"/subjects/[^/]+", "/subjects/S", r["path"].split("?")[0])
            route = re.sub(r"/\d+$", "/N", route)
            key = f"{r['method']} {route} {r['status']}"
            kinds[key] = kinds.get(key, 0) + 1
        ids = len(re.findall(r"schema registry: subject '[^']+' has id", log_text))
        return (f"registry requests: pgcdc_schema_registry_requests_total "
                f"{'n/a' if self.metric is None else self.metric}, the registry's LOG "
                f"{len(reqs)} ({', '.join(f'{v}x {k}' for k, v in sorted(kinds.items()))}); "
                f"{ids} subject ids logged by pgcdc"), len(reqs), self.metric


def run_pgcdc(config, workdir, until=None, during=None, timeout=3600, registry=None):
    """Runs pgcdc under /usr/bin/time -v. `during(log_path)` runs once pgcdc streams; `until` (a
    callable) then decides when to stop it. Returns (log text, peak RSS in MB, CPU seconds).
    For an Avro run, `registry` (a dict) receives "line", "log" and "metric": its registry
    requests (RegistryRequests)."""
    path = os.path.join(workdir, f"bench-{time.monotonic_ns()}.yaml")
    with open(path, "w") as f:
        f.write(yaml_writer.dump(config))
    log_path = path + ".log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["/usr/bin/time", "-v", os.environ["PGCDC_BIN"], "run", "-c",
                                 path], stdout=subprocess.DEVNULL, stderr=log)
        requests = None
        if config["format"].get("type") in REGISTRY_FORMATS:
            requests = RegistryRequests(log_path)
        if during is not None:
            wait_until(lambda: "streaming from slot" in open(log_path).read(), 120,
                       what="pgcdc to stream")
            during(log_path)
        if until is not None:
            wait_until(lambda: until() or proc.poll() is not None, timeout, interval=0.05,
                       what="pgcdc to catch up")
            if proc.poll() is not None and not until():
                # pgcdc stopped by itself before catching up: its rate would be meaningless.
                proc.wait()
                with open(log_path) as f:
                    errors = [ln for ln in f if " error " in ln or " critical " in ln]
                raise SystemExit(f"pgcdc exited ({proc.returncode}) before catching up: "
                                 + (errors[-1].strip() if errors else f"see {log_path}"))
            if requests is not None:
                requests.scrape()
            # Stop pgcdc itself; /usr/bin/time then reports and exits.
            child = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                   text=True).stdout.split()
            for pid in child:
                os.kill(int(pid), signal.SIGTERM)
        proc.wait(timeout=timeout)
    with open(log_path) as f:
        text = f.read()
    if requests is not None:
        line, logged, metric = requests.finish(text)
        if registry is not None:
            registry.update(line=line, log=logged, metric=metric)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text))
    return text, (int(m.group(1)) / 1024 if m else float("nan")), cpu


# --value-transfer for every run (None: pgcdc's default), so text and binary can be compared.
VALUE_TRANSFER = None
# --kafka PROP=VALUE for every run's sink, so producer settings can be compared.
EXTRA_KAFKA = {}
# --sink KIND: `stream` publishes to this sink_targets.SinkTarget instead of Kafka (None).
SINK_TARGET = None


# The record formats a run compares (--formats), in order: JSON with schemas (Debezium's
# JsonConverter with schemas.enable), JSON without, and Avro (Confluent's wire format, ids from
# the test Schema Registry that main() starts); json_schema (JsonSchemaConverter's wire format)
# and protobuf (ProtobufConverter's) on request. TAG: one letter in run, slot and topic names.
FORMATS = ["json-schemas", "json", "avro"]
TAG = {"json-schemas": "s", "json": "j", "avro": "a", "json_schema": "x", "protobuf": "p"}
# The formats whose records are framed with a registry's schema id (binary, never text lines).
REGISTRY_FORMATS = ("avro", "json_schema", "protobuf")
# The test registry (tests/tools/schema_registry.py) when a registry format is among them.
REGISTRY = None
# What the Avro runs measured, against the goals (printed at the end of the run).
AVRO_GOALS = []


def format_section(fmt):
    """pgcdc's `format` section for one of FORMATS."""
    if fmt in REGISTRY_FORMATS:
        return {"type": fmt, "schema_registry": {"url": REGISTRY.url}}
    return {"schemas": fmt == "json-schemas"}


def base(pg, broker, name, db, workdir, fmt):
    source = {"dsn": pg.dsn(db), "status_interval_ms": 1000}
    if VALUE_TRANSFER:
        source["value_transfer"] = VALUE_TRANSFER
    return {
        "name": name,
        "source": source,
        "format": format_section(fmt),
        "sink": {"type": "kafka", "kafka": {"bootstrap.servers": broker.bootstrap, **EXTRA_KAFKA}},
        "offsets": {"file": os.path.join(workdir, f"{name}.offsets"), "commit_interval_ms": 100},
        "log": {"level": "info"},
        # Every mode alike: Avro runs read pgcdc_schema_registry_requests_total from here.
        "metrics": {"listen": "127.0.0.1:0"},
    }


def measured_pgcdc(config, workdir):
    """pgcdc under drain.Measured (started; the caller stops it)."""
    path = os.path.join(workdir, f"bench-{time.monotonic_ns()}.yaml")
    with open(path, "w") as f:
        f.write(yaml_writer.dump(config))
    return Measured([os.environ["PGCDC_BIN"], "run", "-c", path], path + ".log").start()


def drained(label, m, d, changes, unit):
    """One side of a peer comparison: (rate, CPU seconds per change, peak RSS) and its line."""
    rate = d.rate(changes)
    cpu = d.cpu()
    if cpu != cpu:  # NaN: the process exited at the last record (a snapshot); time -v has it
        cpu = m.cpu_total - (d.cpu_first if d.cpu_first == d.cpu_first else 0)
    print(f"  {label:8} {rate:>10,.0f} {unit}/s (first record {d.first:.2f} s after start, last "
          f"{d.last:.2f} s: {changes / d.last:,.0f} {unit}/s from start); "
          f"CPU {cpu / changes * 1e6:.1f} us/{unit[:-1]} while draining, {m.cpu_total:.1f} s "
          f"in all; peak RSS {m.rss_mb:.0f} MB")
    return rate, cpu / changes, m.rss_mb


def print_ratios(ours, theirs, unit):
    """ours and theirs: (rate, CPU seconds per unit, peak RSS MB)."""
    def ratio(a, b):
        if not a > 0 or not b > 0:  # too short a run for time's 10 ms CPU resolution
            return "n/a"
        return f"{a / b:.3f}x (1/{b / a:.1f})"
    print(f"  pgcdc / Debezium: {ours[0] / theirs[0]:.2f}x the {unit} rate, "
          f"{ratio(ours[1], theirs[1])} the CPU per {unit[:-1]}, "
          f"{ratio(ours[2], theirs[2])} the peak RSS")


def topic_count(broker, topic):
    """A TopicCount for a topic created first with the broker's partitions (4): neither side's
    clock then includes the broker's auto-creation of its topic."""
    broker.create_topic(topic, broker.partitions)
    return TopicCount(broker.bootstrap, topic)


def proc_cpu(pid):
    """User + system CPU seconds of a process so far (its threads included), or 0 once gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def broker_pids(broker):
    """The broker's processes: each node of a real Kafka, or the mock's one."""
    nodes = getattr(broker, "nodes", None)
    if nodes:
        return [n.proc.pid for n in nodes.values() if n.proc is not None]
    return [broker.proc.pid] if getattr(broker, "proc", None) is not None else []


def drop_slot(pg, db, slot):
    """Drops slot if it exists, once its walsender has gone (it may outlive its client)."""
    wait_until(lambda: not (pg.slot(slot, db) or (None, False))[1], 30,
               what=f"slot {slot} to be released")
    pg.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
               f"WHERE slot_name = '{slot}'", db=db)


def run_drain(m, count, expected):
    """drain() then stop, the process stopped even when the drain fails."""
    try:
        d = drain(m, count, expected)
    finally:
        m.stop()
        count.close()
    return d


def peer_snapshot(pg, broker, workdir, db, rows, fmt, parallelism, wide):
    """The same table snapshotted by pgcdc (snapshot.parallelism as given) and by Debezium
    (snapshot.mode=initial_only, its one snapshot thread), each timed to its last record. JSON
    modes only: the Connect worker has no Avro converter."""
    import debezium_peer
    schemas = fmt == "json-schemas"
    tag = f"{int(schemas)}{int(wide)}"
    print(f"  -- peer, schemas={str(schemas).lower()}: rows on the topic (created beforehand, "
          f"{broker.partitions} partitions), counted by watermarks")
    name = f"sp{tag}"
    cfg = base(pg, broker, name, db, workdir, fmt)
    cfg["snapshot"] = {"mode": "initial_only", "parallelism": parallelism}
    count = topic_count(broker, f"{name}.public.orders")
    m = measured_pgcdc(cfg, workdir)
    d = run_drain(m, count, rows)
    ours = drained("pgcdc", m, d, rows, "rows")
    drop_slot(pg, db, f"pgcdc_{name}")
    w = debezium_peer.ConnectWorker(workdir, broker.bootstrap, pg, db, f"dbzsnap{tag}",
                                    f"dbzsnap{tag}", f"dbzsnap{tag}", "initial_only", schemas,
                                    publication_mode="filtered")
    count = topic_count(broker, w.topic)
    m = w.start()
    d = run_drain(m, count, rows)
    theirs = drained("Debezium", m, d, rows, "rows")
    print_ratios(ours, theirs, "rows")
    drop_slot(pg, db, f"dbzsnap{tag}")


def bench_snapshot(pg, broker, workdir, rows, wide, parallelism, peer=None):
    db = "snapbench" + ("_wide" if wide else "")
    pg.create_database(db)
    fill(pg, db, "orders", rows, wide)
    copy = copy_rate(pg, db, "orders", rows)
    table = f"{rows} rows{' (2 KB text column)' if wide else ''}"
    print(f"\n== snapshot: {table}, parallelism {parallelism}")
    print(f"COPY (SELECT * FROM orders) TO STDOUT via psql: {copy:,.0f} rows/s (best of 3)")
    topics = {}
    for fmt in FORMATS:
        # Best of three, like COPY: on a shared machine the fastest run is the least disturbed.
        best = None
        name = None
        registry_lines = []
        for attempt in range(3):
            name = f"sb{TAG[fmt]}{int(wide)}{attempt}"
            cfg = base(pg, broker, name, db, workdir, fmt)
            cfg["snapshot"] = {"mode": "initial_only", "parallelism": parallelism}
            registry = {}
            log, rss, cpu = run_pgcdc(cfg, workdir, registry=registry)
            m = re.search(r"snapshot complete: (\d+) rows from \d+ tables in ([\d.]+) s", log)
            if not m:
                print(log)
                raise SystemExit("pgcdc snapshot failed")
            pg.execute(f"SELECT pg_drop_replication_slot('pgcdc_{name}')", db=db)
            run = (float(m.group(2)), int(m.group(1)), rss, cpu)
            best = run if best is None or run[0] < best[0] else best
            if registry:
                registry_lines.append(registry["line"])
        secs, done, rss, cpu = best
        rate = done / secs
        topics[fmt] = f"{name}.public.orders"
        if fmt in REGISTRY_FORMATS:
            # bench/sink_bench.cc reads key<TAB>value text lines: framed records do not fit.
            sink = None
            print(f"pgcdc's Kafka sink alone, {fmt:12}: n/a (the sink bench's samples are text "
                  "lines)")
        else:
            sink = sink_rate(broker, workdir, topics[fmt], rows, parallelism)
            print(f"pgcdc's Kafka sink alone, {fmt:12}: {sink:,.0f} msg/s "
                  f"(the same records, best of 3) = {sink / copy:.2f}x COPY")
        print(f"pgcdc snapshot, {fmt:12}: {rate:,.0f} rows/s "
              f"({done} rows in {secs:.3f} s, best of 3) = {rate / copy:.2f}x COPY"
              + (f", {rate / sink:.2f}x the sink alone" if sink else "") + "; "
              f"peak RSS {rss:.0f} MB, pgcdc CPU {cpu:.1f} s ({cpu / done * 1e6:.2f} us/row)")
        for i, line in enumerate(registry_lines):
            print(f"  run {i + 1}: {line}")
        if fmt == "avro":
            AVRO_GOALS.append((f"snapshot, {table}: {rate / copy:.2f}x COPY at parallelism "
                               f"{parallelism}", "goal >= 0.8x on narrow rows" if not wide
                               else "no goal for wide rows", None if wide else rate / copy >= 0.8))
            AVRO_GOALS.append((f"snapshot, {table}: peak RSS {rss:.0f} MB", "goal <= 64 MB",
                               rss <= 64))
        if peer and fmt not in REGISTRY_FORMATS:
            peer_snapshot(pg, broker, workdir, db, rows, fmt, parallelism, wide)
    record_sizes(broker, topics, rows)


def record_key_id(fmt, key):
    """The row id in a record key of `fmt`: {"id": N} in JSON (inside "payload" with schemas),
    in Avro the long after Confluent's 5-byte header (zig-zag varint), in JSON Schema the JSON
    after it, in Protobuf field 1 (tag byte 08, a plain varint; absent when 0) after the header
    and the message-index byte."""
    if fmt == "avro":
        z = shift = 0
        for b in key[5:]:
            z |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        return (z >> 1) ^ -(z & 1)
    if fmt == "json_schema":
        return json.loads(key[5:])["id"]
    if fmt == "protobuf":
        if len(key) == 6:
            return 0
        assert key[6] == 0x08, key[:8]
        v = shift = 0
        for b in key[7:]:
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        return v - (1 << 64) if v >= 1 << 63 else v
    k = json.loads(key)
    return (k["payload"] if fmt == "json-schemas" else k)["id"]


def read_topic(broker, topic, each):
    """Calls each(partition, key, value) for every record the broker still holds of `topic`,
    partition by partition in offset order."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": f"sizes-{topic}",
                  "enable.auto.commit": False, "enable.partition.eof": True,
                  "auto.offset.reset": "earliest", "log_level": 3})
    try:
        parts = c.list_topics(topic, timeout=30).topics[topic].partitions
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        pending = set(parts)
        deadline = time.monotonic() + 600
        while pending and time.monotonic() < deadline:
            for msg in c.consume(10000, timeout=1.0):
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        pending.discard(msg.partition())
                        continue
                    raise SystemExit(f"reading {topic}: {msg.error()}")
                each(msg.partition(), msg.key() or b"", msg.value() or b"")
    finally:
        c.close()


def record_sizes(broker, topics, rows, batch=1000):
    """Bytes per record of each format on the same rows, read back from the broker: each
    format's last snapshot run. The mock broker keeps about 5 MB of (compressed) batches per
    partition and drops the oldest, so only the rows every format's topic still holds are
    counted (matched by the id in the key). Per record: key + value as published. Per lz4
    batch: `batch` consecutive values of a partition (of those rows) concatenated and
    compressed as one lz4 frame (python3-lz4), as librdkafka's compression.type=lz4 sees a
    batch; averaged over the full batches."""
    import lz4.frame
    seen = {}
    for fmt, topic in topics.items():
        ids = seen[fmt] = {}

        def note(part, k, v, fmt=fmt, ids=ids):
            if fmt in REGISTRY_FORMATS and not (k[:1] == b"\0" and v[:1] == b"\0"):
                raise SystemExit(f"{topics[fmt]}: a record without Confluent's magic byte")
            ids[record_key_id(fmt, k)] = (len(k), len(v))
        read_topic(broker, topic, note)
    common = set.intersection(*(set(ids) for ids in seen.values()))
    if not common:
        raise SystemExit(f"record sizes: no row on every topic ({topics})")
    print(f"-- record sizes: the {len(common)} of {rows} rows that every format's last run "
          f"still has on the broker; lz4: frames of {batch} consecutive values of a partition")
    print(f"  {'format':12} {'key B':>7} {'value B':>8} {'key+value B':>12} "
          f"{'lz4 B/value':>12} {'lz4 ratio':>9}")
    sizes = {}
    for fmt, topic in topics.items():
        keys = sum(seen[fmt][i][0] for i in common)
        values = sum(seen[fmt][i][1] for i in common)
        bufs, comp = {}, [0, 0]

        def add(part, k, v, fmt=fmt, bufs=bufs, comp=comp):
            if record_key_id(fmt, k) not in common:
                return
            buf = bufs.setdefault(part, [])
            buf.append(v)
            if len(buf) == batch:
                comp[0] += len(lz4.frame.compress(b"".join(buf)))
                comp[1] += batch
                buf.clear()
        read_topic(broker, topic, add)
        n = len(common)
        per = comp[0] / comp[1] if comp[1] else float("nan")
        sizes[fmt] = ((keys + values) / n, per)
        print(f"  {fmt:12} {keys / n:7.1f} {values / n:8.1f} {(keys + values) / n:12.1f} "
              f"{per:12.1f} {values / n / per:8.2f}x")
    if "avro" in sizes:
        for fmt in ("json-schemas", "json"):
            if fmt in sizes:
                print(f"  avro / {fmt}: {sizes['avro'][0] / sizes[fmt][0]:.2f}x the bytes per "
                      f"record, {sizes['avro'][1] / sizes[fmt][1]:.2f}x per lz4-compressed value")


def sink_rate(broker, workdir, topic, messages, threads):
    """The ceiling the broker client sets: pgcdc's KafkaSink alone (bench/sink_bench.cc), fed
    2,000 records pgcdc just published (read back with kcat), sending `messages` of them from
    `threads` threads to the same broker. Best of three."""
    samples = os.path.join(workdir, f"{topic}.samples")
    with open(samples, "w") as f:
        subprocess.run(["kcat", "-C", "-q", "-b", broker.bootstrap, "-t", topic, "-p", "0",
                        "-o", "-2000", "-c", "2000", "-e", "-f", "%k\t%s\n"],
                       stdout=f, check=True, timeout=120)
    best = None
    for attempt in range(3):
        out = subprocess.run([os.environ["PGCDC_SINK_BENCH"], "--bootstrap", broker.bootstrap,
                              "--samples", samples, "--messages", str(messages), "--threads",
                              str(threads), "--topic", f"sinkbench.{topic}.{attempt}"],
                             capture_output=True, text=True, check=True, timeout=600).stdout
        m = re.search(r"= (\d+) msg/s", out)
        if not m:
            raise SystemExit(f"pgcdc-sink-bench printed no rate: {out}")
        best = max(best or 0, int(m.group(1)))
    return best


def workload_counts(changes):
    """(inserts, updates, deletes) of stream_workload: whole 100-row transactions."""
    inserts = changes // 2
    updates = changes // 3
    deletes = changes - inserts - updates
    return inserts // 100 * 100, updates, deletes // 100 * 100


def stream_workload(pg, db, table, changes, wide):
    """Half bulk inserts in 100-row transactions, a third single-row updates (one transaction
    each), the rest deletes in 100-row transactions."""
    inserts = changes // 2
    updates = changes // 3
    deletes = changes - inserts - updates
    note = "repeat(md5(g::text), 64)" if wide else "'note ' || g"
    pg.execute(f"""DO $$ BEGIN
        FOR b IN 0..{inserts // 100 - 1} LOOP
          INSERT INTO {table} SELECT g, g % 1000, 'SKU-' || (g % 5000), g % 7 + 1,
            (g % 10000) / 100.0, now(), false, {note}
            FROM generate_series(b * 100 + 1, b * 100 + 100) g;
          COMMIT;
        END LOOP;
        FOR i IN 1..{updates} LOOP
          UPDATE {table} SET quantity = quantity + 1, shipped = true WHERE id = i;
          COMMIT;
        END LOOP;
        FOR b IN 0..{deletes // 100 - 1} LOOP
          DELETE FROM {table} WHERE id > {inserts} - (b + 1) * 100 AND id <= {inserts} - b * 100;
          COMMIT;
        END LOOP;
      END $$""", db=db)
    return inserts // 100 * 100 + updates + deletes // 100 * 100


def bench_stream(pg, broker, workdir, changes, wide, peer=None):
    print(f"\n== stream: {changes} changes{' (2 KB text column)' if wide else ''}: "
          "bulk inserts in 100-row transactions, single-row updates, deletes"
          + (f"; sink {SINK_TARGET.kind}: {SINK_TARGET.describe()}" if SINK_TARGET else ""))
    for fmt in FORMATS:
        schemas = fmt == "json-schemas"
        # The Connect worker has no Confluent converters: no peer for the registry formats.
        peer_here = peer if fmt not in REGISTRY_FORMATS else None
        db = f"streambench{TAG[fmt]}{int(wide)}"
        pg.create_database(db)
        pg.execute(f"CREATE TABLE orders({COLUMNS})", db=db)
        pg.execute("CREATE PUBLICATION bench FOR TABLE orders", db=db)
        name = f"st{TAG[fmt]}{int(wide)}"
        slot_pgcdc = f"pgcdc_{name}"
        # pg_recvlogical drains one slot before pgcdc and one after, so the order (WAL in the
        # page cache or not) cannot favour either side.
        slots_recv = [f"recv_{name}_before", f"recv_{name}_after"]
        # The peer's slot at the same LSN: Debezium streams the same WAL.
        slot_peer = [f"dbz_{name}"] if peer_here else []
        pg.execute("SELECT " + ", ".join(f"pg_create_logical_replication_slot('{s}', 'pgoutput')"
                                         for s in [slot_pgcdc] + slots_recv + slot_peer), db=db)
        n = stream_workload(pg, db, "orders", changes, wide)
        end = pg.execute("SELECT pg_current_wal_lsn()::text", db=db)[0][0]

        def recvlogical(slot):
            t0 = time.monotonic()
            subprocess.run([os.path.join(pg.bindir, "pg_recvlogical"), "-d", pg.dsn(db), "-S",
                            slot, "--start", "--no-loop", "-E", end, "-o", "proto_version=1",
                            "-o", "publication_names=bench", "-f", "/dev/null"], check=True)
            return time.monotonic() - t0

        recv_secs = [recvlogical(slots_recv[0])]
        cfg = base(pg, broker, name, db, workdir, fmt)
        cfg["source"]["publication"] = "bench"
        cfg["source"]["create_publication"] = False
        cfg["snapshot"] = {"mode": "never"}
        if SINK_TARGET is not None:
            cfg["sink"] = SINK_TARGET.section(name)
        target = lsn_to_int(end)
        registry = {}
        if peer_here:
            # Every change is a record, and a tombstone follows each delete, on both sides.
            records = n + workload_counts(changes)[2]
            ours, pgcdc_secs, rss, cpu = peer_stream_pgcdc(pg, broker, workdir, cfg, db,
                                                           slot_pgcdc, target, records)
            theirs = peer_stream_debezium(pg, broker, workdir, db, name, slot_peer[0], schemas,
                                          records)
            others = ""
        else:
            if hasattr(broker, "create_topic") and SINK_TARGET is None:
                # As with a peer: pgcdc's clock must not include the real broker's auto-creation
                # of its topic (metadata retries, a leader election), which pg_recvlogical has
                # no counterpart of. The mock creates topics at once.
                broker.create_topic(f"{name}.public.orders", broker.partitions)
            # Where the time goes besides pgcdc: the CPU of its walsender and of the broker
            # while it drains (pg_recvlogical's walsender does the same decoding work).
            pids = broker_pids(broker) if SINK_TARGET is None else SINK_TARGET.pids()
            broker_cpu0 = sum(proc_cpu(p) for p in pids)
            walsender = {}

            def caught_up():
                if "pid" not in walsender:
                    row = pg.execute("SELECT active_pid FROM pg_replication_slots WHERE "
                                     f"slot_name = '{slot_pgcdc}'", db=db)
                    if row and row[0][0]:
                        walsender["pid"] = row[0][0]
                walsender["cpu"] = proc_cpu(walsender["pid"]) if "pid" in walsender else 0.0
                return (pg.confirmed_flush(slot_pgcdc, db) or 0) >= target

            t0 = time.monotonic()
            log, rss, cpu = run_pgcdc(cfg, workdir, until=caught_up, registry=registry)
            pgcdc_secs = time.monotonic() - t0
            others = (f"; CPU of its walsender {walsender.get('cpu', 0.0):.1f} s, of the "
                      f"{'broker' if SINK_TARGET is None else SINK_TARGET.kind + ' server'} "
                      f"{sum(proc_cpu(p) for p in pids) - broker_cpu0:.1f} s")
        recv_secs.append(recvlogical(slots_recv[1]))
        recv_rate, pgcdc_rate = n / (sum(recv_secs) / 2), n / pgcdc_secs
        print(f"{fmt:12} pg_recvlogical: {recv_rate:,.0f} changes/s "
              f"(mean of {recv_secs[0]:.2f} s before and {recv_secs[1]:.2f} s after); "
              f"pgcdc acknowledged: {pgcdc_rate:,.0f} changes/s ({pgcdc_secs:.2f} s) = "
              f"{pgcdc_rate / recv_rate:.2f}x; peak RSS {rss:.0f} MB, pgcdc CPU {cpu:.1f} s"
              f"{others}")
        if registry:
            print(f"  {registry['line']}")
        if fmt == "avro":
            table = f"{changes} changes{' (2 KB text)' if wide else ''}"
            AVRO_GOALS.append((f"stream, {table}: {pgcdc_rate / recv_rate:.2f}x pg_recvlogical",
                               "goal >= 1.0x", pgcdc_rate / recv_rate >= 1.0))
            AVRO_GOALS.append((f"stream, {table}: peak RSS {rss:.0f} MB", "goal <= 64 MB",
                               rss <= 64))
        if peer_here:
            print(f"  -- peer: {n} changes + {records - n} tombstones on the topic (created "
                  f"beforehand, {broker.partitions} partitions), counted by watermarks")
            print_ratios(drained("pgcdc", *ours, n, "changes"),
                         drained("Debezium", *theirs[:2], n, "changes"), "changes")
            print(f"  Debezium's producer (as the worker logged it): {theirs[2]}")


def peer_stream_pgcdc(pg, broker, workdir, cfg, db, slot, target, records):
    """pgcdc draining its slot, timed by the records on its topic and, as without a peer, by
    the slot's confirmed LSN. Returns ((Measured, Drain), seconds to confirmed, RSS, CPU)."""
    count = topic_count(broker, f"{cfg['name']}.public.orders")
    m = measured_pgcdc(cfg, workdir)
    try:
        d = drain(m, count, records)
        wait_until(lambda: (pg.confirmed_flush(slot, db) or 0) >= target or not m.alive(), 600,
                   interval=0.05, what="pgcdc to confirm")
        secs = time.monotonic() - m.t_start
    finally:
        m.stop()
        count.close()
    return (m, d), secs, m.rss_mb, m.cpu_total


def peer_stream_debezium(pg, broker, workdir, db, name, slot, schemas, records):
    """Debezium draining its own slot (created with pgcdc's) into the same broker, from the same
    publication. Returns (Measured, Drain, its producer's settings)."""
    import debezium_peer
    w = debezium_peer.ConnectWorker(workdir, broker.bootstrap, pg, db, f"dbz{name}", slot,
                                    "bench", "no_data", schemas)
    count = topic_count(broker, w.topic)
    m = w.start()
    d = run_drain(m, count, records)
    drop_slot(pg, db, slot)
    return m, d, w.producer_settings()


def quantile(buckets, q):
    """Prometheus-style quantile from cumulative (upper bound, count) buckets."""
    total = buckets[-1][1]
    if total == 0:
        return float("nan")
    rank, prev_bound, prev_count = q * total, 0.0, 0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return prev_bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / max(count - prev_count, 1)
        prev_bound, prev_count = bound, count
    return prev_bound


def bench_latency(pg, broker, workdir, tps, seconds):
    """Commit-to-acknowledgement latency at a steady rate of single-row transactions (pgbench
    -R), from pgcdc's own pgcdc_commit_to_ack_seconds histogram."""
    print(f"\n== latency: single-row insert transactions at {tps}/s for {seconds} s (pgbench -R)")
    for fmt in FORMATS:
        db = f"latency{TAG[fmt]}"
        pg.create_database(db)
        pg.execute("CREATE TABLE events(id bigserial PRIMARY KEY, kind text NOT NULL, "
                   "amount numeric(12,2), at timestamptz NOT NULL DEFAULT now())", db=db)
        script = os.path.join(workdir, "insert.sql")
        with open(script, "w") as f:
            f.write("INSERT INTO events(kind, amount) VALUES ('purchase', random() * 100);\n")
        name = f"lat{TAG[fmt]}"
        cfg = base(pg, broker, name, db, workdir, fmt)
        cfg["snapshot"] = {"mode": "never"}
        cfg["metrics"] = {"listen": "127.0.0.1:0"}
        result = {}

        def load(log_path):
            out = subprocess.run([os.path.join(pg.bindir, "pgbench"), "-n", "-c", "4", "-j", "2",
                                  "-R", str(tps), "-T", str(seconds), "-f", script, "-d",
                                  pg.dsn(db)], capture_output=True, text=True, check=True).stdout
            m = re.search(r"tps = ([\d.]+)", out)
            result["tps"] = float(m.group(1)) if m else float("nan")
            port = re.search(r"metrics on http://[\d.]+:(\d+)/", open(log_path).read()).group(1)
            end = lsn_to_int(pg.execute("SELECT pg_current_wal_lsn()::text", db=db)[0][0])
            wait_until(lambda: (pg.confirmed_flush(f"pgcdc_{name}", db) or 0) >= end, 120,
                       what="pgcdc to catch up")
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
            buckets = []
            for le, count in re.findall(
                    r'pgcdc_commit_to_ack_seconds_bucket\{le="([^"]+)"\} (\S+)', text):
                buckets.append((float("inf") if le == "+Inf" else float(le), float(count)))
            result["buckets"] = buckets

        _, rss, cpu = run_pgcdc(cfg, workdir, during=load, until=lambda: True)
        b = result["buckets"]
        print(f"{fmt:12} {result['tps']:,.0f} tx/s achieved, "
              f"{b[-1][1]:,.0f} transactions: commit-to-ack p50 "
              f"{quantile(b, 0.5) * 1000:.1f} ms, p99 {quantile(b, 0.99) * 1000:.1f} ms; "
              f"peak RSS {rss:.0f} MB, pgcdc CPU {cpu:.1f} s")


def metrics_port(log_text):
    m = re.search(r"metrics on http://[\d.]+:(\d+)/", log_text)
    return m.group(1) if m else None


def ack_buckets(port):
    """pgcdc_commit_to_ack_seconds now: cumulative (upper bound, count) buckets."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return [(float("inf") if le == "+Inf" else float(le), float(count)) for le, count in
            re.findall(r'pgcdc_commit_to_ack_seconds_bucket\{le="([^"]+)"\} (\S+)', text)]


def bucket_diff(after, before):
    """The transactions acknowledged between two scrapes, as cumulative buckets."""
    return [(le, a - b) for (le, a), (_, b) in zip(after, before)]


def within(buckets, bound):
    """The share of the histogram's observations at or under one of its bucket bounds."""
    total = buckets[-1][1]
    return next(c for le, c in buckets if le == bound) / total if total else float("nan")


# Issue 15's goals, with what `incremental` measured (printed at the end of the run).
INCREMENTAL_GOALS = []


def bench_incremental(pg, broker, workdir, rows, parallelism, tps, seconds):
    """Incremental snapshots (issue 15): (1) the rows/s of an incremental snapshot of a table,
    started by a signal-table row on a streaming pgcdc and timed from the signal's commit to its
    last record on the broker (the topic's high watermarks, counted by a client pgcdc did not
    write), against the initial snapshot of the same table by the same build into the same
    broker (pgcdc's own 'snapshot complete' time: slot's snapshot exported to every row
    acknowledged; best of 3 at --parallelism, pgcdc's default 2, and once at 1, as the
    incremental snapshot reads one chunk at a time); (2) commit-to-ack p50/p99 of single-row
    transactions at --tps (pgbench -R on another table of the same database) while an incremental
    snapshot runs, from the difference of pgcdc's pgcdc_commit_to_ack_seconds histogram between
    the signal and the snapshot's last record, against the same load for --seconds before the
    signal, in the same pgcdc. Chunk size: pgcdc's default (snapshot.chunk_size 4096)."""
    print(f"\n== incremental: {rows} rows (public.orders), pgcdc's default chunk size; streaming "
          f"load {tps} single-row tx/s (pgbench -R) on public.events")
    db = "incbench"
    pg.create_database(db)
    fill(pg, db, "orders", rows, False)
    pg.execute("CREATE TABLE events(id bigserial PRIMARY KEY, kind text NOT NULL, "
               "amount numeric(12,2), at timestamptz NOT NULL DEFAULT now())", db=db)
    pg.execute("CREATE TABLE dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, "
               "data varchar(2048))", db=db)
    script = os.path.join(workdir, "incremental-insert.sql")
    with open(script, "w") as f:
        f.write("INSERT INTO events(kind, amount) VALUES ('purchase', random() * 100);\n")
    for fmt in FORMATS:
        # (1a) The initial snapshot of the same table (public.orders only).
        initial = {}
        for par in sorted({parallelism, 1}, reverse=True):
            best = None
            for attempt in range(3 if par == parallelism else 1):
                name = f"ii{TAG[fmt]}{par}{attempt}"
                cfg = base(pg, broker, name, db, workdir, fmt)
                cfg["source"]["tables"] = ["public.orders"]
                cfg["snapshot"] = {"mode": "initial_only", "parallelism": par}
                log, rss, cpu = run_pgcdc(cfg, workdir)
                m = re.search(r"snapshot complete: (\d+) rows from \d+ tables in ([\d.]+) s", log)
                if not m or int(m.group(1)) != rows:
                    print(log)
                    raise SystemExit("pgcdc's initial snapshot failed")
                pg.execute(f"SELECT pg_drop_replication_slot('pgcdc_{name}')", db=db)
                secs = float(m.group(2))
                best = secs if best is None else min(best, secs)
            initial[par] = (rows / best, best, 3 if par == parallelism else 1)

        # (1b, 2) One streaming pgcdc: two incremental snapshots alone, then the load: a
        # baseline window, and an incremental snapshot under it.
        name = f"inc{TAG[fmt]}"
        cfg = base(pg, broker, name, db, workdir, fmt)
        cfg["source"]["tables"] = ["public.orders", "public.events"]
        cfg["snapshot"] = {"mode": "never"}
        cfg["signals"] = {"table": "public.dbz_signal"}
        topic = f"{name}.public.orders"
        count = (topic_count(broker, topic) if hasattr(broker, "create_topic")
                 else TopicCount(broker.bootstrap, topic))
        proc = measured_pgcdc(cfg, workdir)
        load = None
        done = [0]  # incremental snapshots finished so far (records on the topic: rows each)

        def incremental(label):
            t0 = time.monotonic()
            pg.execute(f"INSERT INTO dbz_signal VALUES ('{name}-{done[0]}', 'execute-snapshot', "
                       "'{\"data-collections\": [\"public.orders\"], \"type\": \"incremental\"}')",
                       db=db)
            expected = rows * (done[0] + 1)
            wait_until(lambda: count() >= expected or not proc.alive(), 3600, interval=0.02,
                       what=f"incremental snapshot {label}")
            secs = time.monotonic() - t0
            if not proc.alive():
                print(proc.log())
                raise SystemExit("pgcdc exited during the incremental snapshot")
            done[0] += 1
            wait_until(lambda: proc.log().count(
                f"incremental snapshot of public.orders done: {rows} rows") >= done[0], 60,
                what="pgcdc's 'done' line")
            return secs

        try:
            wait_until(lambda: "streaming from slot" in proc.log() or not proc.alive(), 120,
                       what="pgcdc to stream")
            port = metrics_port(proc.log())
            if port is None:
                print(proc.log())
                raise SystemExit("pgcdc did not start streaming")
            alone = [incremental("alone") for _ in range(2)]
            load = subprocess.Popen([os.path.join(pg.bindir, "pgbench"), "-n", "-c", "4", "-j",
                                     "2", "-R", str(tps), "-T", "3600", "-f", script, "-d",
                                     pg.dsn(db)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(3)  # connections up, the rate steady
            b0, t0 = ack_buckets(port), time.monotonic()
            time.sleep(seconds)
            b1, t1 = ack_buckets(port), time.monotonic()
            loaded = incremental("under load")
            b2, t2 = ack_buckets(port), time.monotonic()
            load.terminate()
            load.wait()
            load = None
            after = proc.log()
        finally:
            if load is not None:
                load.terminate()
                load.wait()
            proc.stop()
            count.close()
        drop_slot(pg, db, f"pgcdc_{name}")
        chunks = re.findall(r"incremental snapshot of public.orders done: \d+ rows in (\d+) chunks",
                            after)
        base_b, inc_b = bucket_diff(b1, b0), bucket_diff(b2, b1)
        rate_p, secs_p, n_p = initial[parallelism]
        best_alone = min(alone)
        rate_alone = rows / best_alone
        rate_loaded = rows / loaded
        print(f"{fmt}:")
        for par in sorted(initial, reverse=True):
            r, s, n = initial[par]
            print(f"  initial snapshot, parallelism {par}: {r:,.0f} rows/s ({rows} rows in "
                  f"{s:.3f} s, {'best of 3' if n == 3 else 'one run'})")
        print(f"  incremental snapshot, alone:  {rate_alone:,.0f} rows/s (signal to last record "
              f"on the broker; best of {len(alone)}: "
              f"{', '.join(f'{s:.3f}' for s in alone)} s; {chunks[0] if chunks else '?'} chunks) "
              f"= {rate_alone / rate_p:.2f}x the initial snapshot at parallelism {parallelism}"
              + (f", {rate_alone / initial[1][0]:.2f}x at 1" if 1 in initial and parallelism != 1
                 else ""))
        print(f"  incremental snapshot, under {tps} tx/s: {rate_loaded:,.0f} rows/s "
              f"({loaded:.3f} s) = {rate_loaded / rate_p:.2f}x the initial snapshot")
        for label, b, secs in ((f"baseline, {seconds} s before the signal", base_b, t1 - t0),
                               ("during the incremental snapshot", inc_b, t2 - t1)):
            print(f"  commit-to-ack, {label}: {b[-1][1] / secs:,.0f} tx/s acknowledged "
                  f"({b[-1][1]:,.0f} transactions in {secs:.1f} s), p50 "
                  f"{quantile(b, 0.5) * 1000:.1f} ms, p99 {quantile(b, 0.99) * 1000:.1f} ms; "
                  f"{within(b, 0.1) * 100:.1f}% within 100 ms")
        # The histogram counts every transaction pgcdc retires, the snapshot's own too: a low
        # and a high watermark per chunk and the signal row. The share of pgbench's within
        # 100 ms, at worst (had every one of those been within 100 ms):
        w = 2 * int(chunks[-1]) + 1 if len(chunks) == 3 else 0
        n, c100 = inc_b[-1][1], within(inc_b, 0.1) * inc_b[-1][1]
        user100 = (c100 - w) / (n - w) if n > w else float("nan")
        print(f"  of those, {w} are the snapshot's own (2 watermarks a chunk, the signal): "
              f"pgbench's {n - w:,.0f} alone are >= {user100 * 100:.1f}% within 100 ms")
        print(f"  pgcdc (streaming run): peak RSS {proc.rss_mb:.0f} MB, CPU {proc.cpu_total:.1f} s")
        ratio = rate_alone / rate_p
        INCREMENTAL_GOALS.append((f"{fmt}: incremental snapshot {rate_alone:,.0f} rows/s = "
                                  f"{ratio:.2f}x the initial snapshot ({rate_p:,.0f} rows/s, "
                                  f"parallelism {parallelism})", "goal >= 0.5x", ratio >= 0.5))
        p99 = quantile(inc_b, 0.99) * 1000
        INCREMENTAL_GOALS.append((f"{fmt}: commit-to-ack p99 {p99:.1f} ms at {tps} tx/s during "
                                  f"the incremental snapshot (baseline "
                                  f"{quantile(base_b, 0.99) * 1000:.1f} ms); pgbench's "
                                  f"transactions >= {user100 * 100:.1f}% within 100 ms",
                                  "goal <= 100 ms", p99 <= 100 and user100 >= 0.99))


def bench_memory(pg, broker, workdir, sizes_mb, extra_kafka=(), transfer=None):
    """One row holding one large value of each size, read by the snapshot and then inserted again
    and streamed; peak RSS of each pgcdc run. bytea: pseudo-random bytes (md5 output,
    incompressible), which a text COPY snapshot and a text-transfer stream receive as hex (twice
    their size) and a binary COPY snapshot and a binary-transfer stream as raw bytes; text: the
    same as hex digits. `transfer`: source.value_transfer for every run (None: the default,
    auto); each line shows the mode pgcdc logged (the snapshot's COPY format, the stream's value
    transfer)."""
    print("\n== memory: one large value per run; bound = 64 MB + 3.5x the value")
    for kind in ("bytea", "text"):
        for mb in sizes_mb:
            db = f"membench{kind}{mb}"
            pg.create_database(db)
            pg.execute(f"CREATE TABLE blobs(id int PRIMARY KEY, data {kind})", db=db)
            pg.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL", db=db)
            pg.execute("CREATE PUBLICATION membench FOR TABLE blobs", db=db)
            digits = "string_agg(md5(g::text), '')"
            value = f"decode({digits}, 'hex')" if kind == "bytea" else digits
            fill_sql = (f"INSERT INTO blobs SELECT %d, substring({value} FROM 1 FOR "
                        f"{mb * 1024 * 1024}) FROM generate_series(1, {mb * 1024 * 1024 // 16 + 1}) g")
            pg.execute(fill_sql % 1, db=db)
            bound = 64 + 3.5 * mb
            for fmt in FORMATS:
                for phase in ("snapshot", "stream"):
                    name = f"mem{kind[0]}{mb}{TAG[fmt]}{phase[:2]}"
                    cfg = base(pg, broker, name, db, workdir, fmt)
                    cfg["source"]["publication"] = "membench"
                    cfg["source"]["create_publication"] = False
                    # Large enough for the value's JSON (base64 is 4/3 of it, plus the schema).
                    cfg["sink"]["kafka"]["message.max.bytes"] = str(
                        min(1_000_000_000, mb * 2 * 1024 * 1024 + 1_000_000))
                    for kv in extra_kafka:
                        k, v = kv.split("=", 1)
                        cfg["sink"]["kafka"][k] = v
                    if transfer:
                        cfg["source"]["value_transfer"] = transfer
                    if phase == "snapshot":
                        cfg["snapshot"] = {"mode": "initial_only", "parallelism": 2}
                        log, rss, _ = run_pgcdc(cfg, workdir)
                        if "snapshot complete: 1 rows" not in log:
                            print(log)
                            raise SystemExit("pgcdc snapshot failed")
                    else:
                        slot = f"pgcdc_{name}"
                        pg.execute(f"SELECT pg_create_logical_replication_slot('{slot}', "
                                   "'pgoutput')", db=db)
                        pg.execute(fill_sql % 2, db=db)
                        pg.execute("DELETE FROM blobs WHERE id = 2", db=db)
                        end = pg.execute("SELECT pg_current_wal_lsn()::text", db=db)[0][0]
                        cfg["snapshot"] = {"mode": "never"}
                        cfg["source"]["slot"] = slot
                        target = lsn_to_int(end)
                        log, rss, _ = run_pgcdc(
                            cfg, workdir,
                            until=lambda: (pg.confirmed_flush(slot, db) or 0) >= target)
                        # The walsender may outlive pgcdc by a moment.
                        wait_until(lambda: not pg.slot(slot, db)[1], 30,
                                   what="the walsender to exit")
                        pg.execute(f"SELECT pg_drop_replication_slot('{slot}')", db=db)
                    verdict = "within" if rss <= bound else "OVER"
                    # Binaries before the snapshot's binary COPY log no "snapshot copy" line.
                    mode = re.search(r"value transfer: (\w+)" if phase == "stream"
                                     else r"snapshot copy: (\w+)", log)
                    how = mode.group(1) if mode else "text"
                    print(f"{mb:4d} MB {kind:5}, {phase:8}, {fmt:12}, "
                          f"{how:6}: peak RSS {rss:6.0f} MB; bound {bound:4.0f} MB: {verdict}",
                          flush=True)
            pg.execute(f"DROP DATABASE {db}")


def start_broker(kind):
    if kind == "mock":
        return MockBroker().start()
    from real_kafka import KafkaCluster
    # Large records for `memory` (its 100 MB values): the broker's 1 MB and 100 MB defaults
    # would refuse them. One node, 4 partitions per auto-created topic, as the mock.
    cluster = KafkaCluster(brokers=1, partitions=4,
                           config={"message.max.bytes": 1_000_000_000,
                                   "socket.request.max.bytes": 1_000_000_000})
    cluster.start()
    print(f"real Kafka ({os.path.basename(cluster.home)}) at {cluster.bootstrap}")
    return cluster


def main():
    global VALUE_TRANSFER, FORMATS, REGISTRY, SINK_TARGET
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="+", choices=["snapshot", "stream", "latency", "memory", "incremental", "all"])
    ap.add_argument("--broker", choices=["mock", "kafka"], default="mock",
                    help="librdkafka's mock cluster (default) or a real single-node Kafka")
    ap.add_argument("--peer", choices=["debezium"],
                    help="snapshot, stream: also run Debezium (Kafka Connect) on the same data")
    ap.add_argument("--rows", type=int, default=1_000_000, help="snapshot table rows")
    ap.add_argument("--changes", type=int, default=1_000_000, help="streamed changes")
    ap.add_argument("--parallelism", type=int, default=2)
    ap.add_argument("--wide", action="store_true", help="also run the 2 KB text variant")
    ap.add_argument("--tps", type=int, help="latency, incremental: transactions per second "
                    "(default 5000 for latency, 1000 for incremental)")
    ap.add_argument("--seconds", type=int, default=20,
                    help="latency: how long; incremental: the baseline window")
    ap.add_argument("--sizes", default="1,10,100", help="memory: value sizes in MB")
    ap.add_argument("--kafka", action="append", default=[], metavar="PROP=VALUE",
                    help="a librdkafka property for pgcdc's sink in every run (repeatable)")
    ap.add_argument("--sink", choices=["kafka"] + sink_targets.KINDS, default="kafka",
                    help="stream: the sink pgcdc publishes to (not Kafka: its server, started "
                         "here as the integration tests start it)")
    ap.add_argument("--value-transfer", choices=["auto", "text", "binary"],
                    help="source.value_transfer of every run (default: pgcdc's)")
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help="the record formats each benchmark runs, in this order (default "
                         "%(default)s): json-schemas (format.schemas true), json (false), avro, "
                         "json_schema and protobuf (those format.types against the test Schema "
                         "Registry)")
    args = ap.parse_args()
    VALUE_TRANSFER = args.value_transfer
    FORMATS = [f for f in args.formats.split(",") if f]
    if not FORMATS or any(f not in TAG for f in FORMATS) or len(set(FORMATS)) != len(FORMATS):
        ap.error(f"--formats {args.formats}: a list of distinct {', '.join(TAG)}")
    for kv in args.kafka:
        k, sep, v = kv.partition("=")
        if not sep:
            ap.error(f"--kafka {kv}: expected PROP=VALUE")
        EXTRA_KAFKA[k] = v
    what = set(args.what)
    if "all" in what:
        what = {"snapshot", "stream", "latency", "memory", "incremental"}
    if args.sink != "kafka" and (args.peer or what != {"stream"}):
        ap.error("--sink other than kafka: `stream` only, without --peer")
    if args.peer and args.broker != "kafka":
        ap.error("--peer debezium needs --broker kafka (Kafka Connect on a real broker)")
    if args.peer:
        import debezium_peer
        debezium_peer.connect_libs()  # fetched before any clock starts
        print(debezium_peer.describe())
    workdir = tempfile.mkdtemp(prefix="pgcdc-bench-")
    os.chmod(workdir, 0o777)
    pg = PostgresServer(extra_conf={"shared_buffers": "512MB", "max_replication_slots": "20",
                                    "max_wal_senders": "20", "max_wal_size": "4GB"}).start()
    broker = None
    try:
        broker = start_broker(args.broker)
        if any(f in REGISTRY_FORMATS for f in FORMATS):
            from schema_registry import SchemaRegistry
            REGISTRY = SchemaRegistry().start()
            print(f"test Schema Registry (tests/tools/schema_registry.py) at {REGISTRY.url}")
        if args.sink != "kafka":
            SINK_TARGET = sink_targets.SinkTarget(args.sink)
            SINK_TARGET.start()
    except BaseException:
        if SINK_TARGET is not None:
            SINK_TARGET.stop()
        if REGISTRY is not None:
            REGISTRY.stop()
        if broker is not None:
            broker.stop()
        pg.stop()
        raise
    try:
        for wide in ([False, True] if args.wide else [False]):
            if "snapshot" in what:
                bench_snapshot(pg, broker, workdir, args.rows // (4 if wide else 1), wide,
                               args.parallelism, args.peer)
            if "stream" in what:
                bench_stream(pg, broker, workdir, args.changes // (10 if wide else 1), wide,
                             args.peer)
        if "latency" in what:
            bench_latency(pg, broker, workdir, args.tps or 5000, args.seconds)
        if "memory" in what:
            bench_memory(pg, broker, workdir, [int(x) for x in args.sizes.split(",")],
                         args.kafka, args.value_transfer)
        if "incremental" in what:
            bench_incremental(pg, broker, workdir, args.rows, args.parallelism,
                              args.tps or 1000, args.seconds)
        if AVRO_GOALS:
            print("\n== avro against the issue's goals (ratios measured side by side above)")
            for what, goal, met in AVRO_GOALS:
                print(f"  {what}: {goal}" + ("" if met is None else
                                                 f": {'met' if met else 'NOT met'}"))
        if INCREMENTAL_GOALS:
            print("\n== incremental snapshots against issue 15's goals (measured side by side "
                  "above)")
            for what, goal, met in INCREMENTAL_GOALS:
                print(f"  {what}: {goal}: {'met' if met else 'NOT met'}")
    finally:
        if SINK_TARGET is not None:
            SINK_TARGET.stop()
        if REGISTRY is not None:
            REGISTRY.stop()
        broker.stop()
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
