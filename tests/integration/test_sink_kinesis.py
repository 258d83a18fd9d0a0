"""sink.type kinesis: events land in Kinesis streams in Debezium Server's layout (stream = topic,
partition key = key, data = value, no tombstones), and the no-loss promise holds through an
outage of the endpoint.

kinesalite (npm, tests/integration/kinesis_emulator: Kinesis's HTTP API over LevelDB) plays
Kinesis: started once for the module on a free loopback port with its data in a temp dir, so a
stop/start keeps the streams and their records. Streams are read back with boto3 (Debian's
python3-boto3), a client pgcdc did not write. kinesalite checks that requests are signed but not
the signature itself, so wrong credentials cannot be shown here (tests/unit/sinks checks the
signing against AWS's test vectors)."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import boto3
import botocore
import botocore.config
import pytest
import requests

from avro_records import decode, encode
from pgcdc_harness import Pgcdc, free_port, wait_until
from schema_registry import SchemaRegistry

HERE = os.path.dirname(os.path.abspath(__file__))
KINESALITE = os.path.join(HERE, "kinesis_emulator", "node_modules", "kinesalite", "cli.js")
SECRET = "kin-Secret/Never+Printed-9f3a"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "AKIDPGCDCTEST", "AWS_SECRET_ACCESS_KEY": SECRET}


class Kinesalite:
    """kinesalite in a temp dir; stop()/start() keep the dir and port (the same streams)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pgcdc-kinesis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["node", KINESALITE, "--port", str(self.port), "--path", self.dir,
             "--createStreamMs", "300", "--shardLimit", "1000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ready, 30, what="kinesalite to answer ListStreams")
        return self

    def _ready(self):
        assert self.proc.poll() is None, "kinesalite exited"
        try:
            self.client().list_streams()
            return True
        except botocore.exceptions.EndpointConnectionError:
            return False

    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        return boto3.client("kinesis", region_name="us-east-1", endpoint_url=self.endpoint(),
                            aws_access_key_id="reader", aws_secret_access_key="reader",
                            config=botocore.config.Config(retries={"max_attempts": 1}))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def kin():
    if not os.path.exists(KINESALITE):
        pytest.fail("kinesalite is not installed: run scripts/install-deps.sh "
                    "(npm ci in tests/integration/kinesis_emulator)")
    saved = {k: os.environ.get(k) for k in list(AWS_ENV) + ["AWS_SESSION_TOKEN", "AWS_PROFILE"]}
    os.environ.update(AWS_ENV)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    server = Kinesalite().start()
    yield server
    server.close()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def kinesis_config(pg, kin, name, workdir, **sink):
    return {
        "name": name,
        "source": {"dsn": pg.dsn(name), "status_interval_ms": 1000},
        "snapshot": {"mode": "never"},
        "format": {"schemas": False},
        "sink": {"type": "kinesis",
                 "kinesis": {"region": "us-east-1", "endpoint": kin.endpoint(), **sink}},
        "offsets": {"file": os.path.join(workdir, "o.offsets"), "commit_interval_ms": 200},
        "metrics": {"listen": "127.0.0.1:0"},
    }


def create_stream(kin, name, shards=1):
    c = kin.client()
    c.create_stream(StreamName=name, ShardCount=shards)
    wait_until(lambda: c.describe_stream_summary(StreamName=name)
               ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", 30,
               what=f"stream {name} ACTIVE")


def records(kin, stream, raw=False):
    """[(partition key, data)] of every shard, each shard in sequence order, shards one after
    the other (order holds within a shard, which is all Kinesis keeps). The data as text, or as
    bytes with raw=True."""
    c = kin.client()
    out = []
    for shard in c.list_shards(StreamName=stream)["Shards"]:
        it = c.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            got = c.get_records(ShardIterator=it, Limit=10000)
            if not got["Records"]:
                break
            out += [(r["PartitionKey"], r["Data"] if raw else r["Data"].decode())
                    for r in got["Records"]]
            it = got.get("NextShardIterator")
    return out


def wait_records(kin, stream, n, timeout=60, raw=False):
    def enough():
        try:
            return len(records(kin, stream, raw=True)) >= n
        except kin.client().exceptions.ResourceNotFoundException:
            return False  # not created yet
    wait_until(enough, timeout, what=f"{n} records in {stream}")
    return records(kin, stream, raw)


def by_key(recs):
    """{partition key: [value payload, ...]} in stream order."""
    out = {}
    for k, v in recs:
        out.setdefault(k, []).append(json.loads(v))
    return out


def run_cli(args, env=None):
    path = os.environ.get("PGCDC_BIN") or os.path.join(HERE, "..", "..", "build", "pgcdc")
    return subprocess.run([path] + args, capture_output=True, text=True, timeout=120,
                          env=env if env is not None else os.environ.copy())


def write_config(workdir, cfg, name="k.yaml"):
    import yaml_writer
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    return path


def no_secret(*outputs):
    text = "\n".join(outputs)
    leaked = [SECRET[i:i + 4] for i in range(len(SECRET) - 3) if SECRET[i:i + 4] in text]
    assert not leaked, f"fragments of the secret key in the output: {leaked[:5]}"


def test_streaming_layout_keys_and_order(pg, kin, workdir):
    db = "kstream"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    pg.execute("CREATE TABLE nokey(v text)", db=db)
    pg.execute("CREATE TABLE longkey(k text PRIMARY KEY, v text)", db=db)
    for table, shards in (("t", 2), ("nokey", 1), ("longkey", 1)):
        create_stream(kin, f"{db}.public.{table}", shards)
    p = Pgcdc(kinesis_config(pg, kin, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", db=db)
    for i in range(5):
        pg.execute(f"UPDATE t SET v = 'b{i}' WHERE id = 2", db=db)
    pg.execute("DELETE FROM t WHERE id = 3", db=db)
    pg.execute("INSERT INTO nokey VALUES ('x'), ('y')", db=db)
    long_key = "k" * 300
    pg.execute(f"INSERT INTO longkey VALUES ('{long_key}', 'v1')", db=db)
    pg.execute(f"UPDATE longkey SET v = 'v2' WHERE k = '{long_key}'", db=db)
    wait_records(kin, f"{db}.public.t", 9)
    wait_records(kin, f"{db}.public.nokey", 2)
    wait_records(kin, f"{db}.public.longkey", 2)
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))
    time.sleep(1)  # a tombstone (format.tombstones is on) would have arrived by now
    assert p.stop() == 0, p.log()

    got = by_key(records(kin, f"{db}.public.t"))
    # Partition key = the key as pgcdc writes it; data = the value; the delete's tombstone is
    # not written (exactly 9 records), and each key's records are in commit order.
    assert set(got) == {'{"id":1}', '{"id":2}', '{"id":3}'}, got.keys()
    assert [v["op"] for v in got['{"id":1}']] == ["c"]
    assert [(v["op"], v["after"]["v"]) for v in got['{"id":2}']] == \
        [("c", "b")] + [("u", f"b{i}") for i in range(5)]
    assert [v["op"] for v in got['{"id":3}']] == ["c", "d"]
    assert got['{"id":3}'][1]["before"]["id"] == 3 and got['{"id":3}'][1]["after"] is None
    assert got['{"id":1}'][0]["source"]["table"] == "t"
    # A null key is the partition key "default", as Debezium Server writes it.
    nokey = records(kin, f"{db}.public.nokey")
    assert [k for k, _ in nokey] == ["default", "default"]
    assert sorted(json.loads(v)["after"]["v"] for _, v in nokey) == ["x", "y"]
    # A key over Kinesis's 256 characters: the hex SHA-256 of the key, the same for both.
    expected = hashlib.sha256(json.dumps({"k": long_key}, separators=(",", ":")).encode()) \
        .hexdigest()
    lk = records(kin, f"{db}.public.longkey")
    assert [k for k, _ in lk] == [expected, expected]
    assert [json.loads(v)["op"] for _, v in lk] == ["c", "u"]


def test_avro_values_and_hashed_avro_keys(pg, kin, workdir):
    """format.type avro on Kinesis: the data is the Confluent-framed Avro value, under the id
    registered for <topic>-value; the partition key is the hex SHA-256 of the Avro key's bytes
    (binary, so not a partition key Kinesis takes as it is), one per key, so a key's records
    stay in order on one shard. Decoded by confluent_kafka.avro and python3-avro; each key's
    expected bytes are written by python3-avro under the registered key schema."""
    db = "kavro"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    create_stream(kin, stream, 2)
    with SchemaRegistry() as registry:
        cfg = kinesis_config(pg, kin, db, workdir)
        cfg["format"] = {"type": "avro", "schema_registry": {"url": registry.url}}
        p = Pgcdc(cfg, workdir).start()
        p.wait_streaming()
        pg.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')", db=db)
        for i in range(3):
            pg.execute(f"UPDATE t SET v = 'b{i}' WHERE id = 2", db=db)
        pg.execute("DELETE FROM t WHERE id = 1", db=db)
        wait_records(kin, stream, 6, raw=True)
        pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))
        time.sleep(1)  # a tombstone (format.tombstones is on) would have arrived by now
        assert p.stop() == 0, p.log()

        assert registry.subjects() == [f"{stream}-key", f"{stream}-value"]
        key_id = requests.get(f"{registry.url}/subjects/{stream}-key/versions/1", timeout=10) \
            .json()["id"]
        got = {}
        value_ids = set()
        for partition_key, data in records(kin, stream, raw=True):
            value_id, value = decode(data, registry.url)
            value_ids.add(value_id)
            got.setdefault(partition_key, []).append(value)
        assert len(value_ids) == 1 and key_id not in value_ids, (key_id, value_ids)
        key_of = {row_id: hashlib.sha256(encode(key_id, registry.url, {"id": row_id})).hexdigest()
                  for row_id in (1, 2)}

    assert set(got) == set(key_of.values()), got.keys()
    assert [(v["op"], v["after"]) for v in got[key_of[2]]] == \
        [("c", {"id": 2, "v": "b"})] + [("u", {"id": 2, "v": f"b{i}"}) for i in range(3)]
    one = got[key_of[1]]
    assert [v["op"] for v in one] == ["c", "d"]  # no tombstone record
    assert one[1]["before"]["id"] == 1 and one[1]["after"] is None
    assert one[0]["source"]["table"] == "t"


def test_snapshot_creates_missing_stream(pg, kin, workdir):
    db = "ksnap"
    pg.create_database(db)
    pg.execute("CREATE TABLE s(id int PRIMARY KEY, v text)", db=db)
    pg.execute("INSERT INTO s SELECT g, 'r' || g FROM generate_series(1, 50) g", db=db)
    cfg = kinesis_config(pg, kin, db, workdir, create_streams=True, shard_count=2)
    cfg["snapshot"] = {"mode": "initial"}
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming(timeout=90)
    pg.execute("INSERT INTO s VALUES (51, 'new')", db=db)
    wait_records(kin, f"{db}.public.s", 51)
    assert p.stop() == 0, p.log()
    assert f"created stream '{db}.public.s'" in p.log(), p.log()
    summary = kin.client().describe_stream_summary(StreamName=f"{db}.public.s")
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2

    got = by_key(records(kin, f"{db}.public.s"))
    assert sorted(got) == sorted(json.dumps({"id": i}, separators=(",", ":"))
                                 for i in range(1, 52))
    assert all(len(v) == 1 for v in got.values())
    assert [v[0]["op"] for k, v in got.items() if k != '{"id":51}'] == ["r"] * 50
    assert got['{"id":51}'][0]["op"] == "c"


def test_missing_streams_named_on_one_line(pg, kin, workdir):
    db = "kmissing"
    pg.create_database(db)
    pg.execute("CREATE TABLE a(id int PRIMARY KEY)", db=db)
    pg.execute("CREATE TABLE b(id int PRIMARY KEY)", db=db)
    pg.execute("CREATE TABLE c(id int PRIMARY KEY)", db=db)
    create_stream(kin, f"{db}.public.c")
    cfg = kinesis_config(pg, kin, db, workdir)
    path = write_config(workdir, cfg)

    v = run_cli(["validate", "-c", path])
    assert v.returncode != 0, v.stdout + v.stderr
    fails = [ln for ln in (v.stdout + v.stderr).splitlines() if ln.startswith("FAIL")]
    assert len(fails) == 1, v.stdout + v.stderr
    assert f"{db}.public.a, {db}.public.b" in fails[0] and "create_streams" in fails[0], fails[0]
    assert f"{db}.public.c" not in fails[0], fails[0]

    p = Pgcdc(cfg, workdir).start()
    wait_until(lambda: not p.alive(), 60, what="pgcdc to refuse the missing streams")
    assert p.proc.returncode != 0, p.log()
    last = p.log().strip().splitlines()[-1]
    assert f"{db}.public.a, {db}.public.b" in last and "create_streams" in last, last
    names = {s for s in kin.client().list_streams()["StreamNames"] if s.startswith(db)}
    assert names == {f"{db}.public.c"}, names  # nothing was created

    cfg["sink"]["kinesis"]["create_streams"] = True
    path = write_config(workdir, cfg)
    v = run_cli(["validate", "-c", path])
    out = v.stdout + v.stderr
    assert v.returncode == 0, out
    assert f"run creates {db}.public.a, {db}.public.b" in out, out


def test_outage_freezes_confirmed_lsn_and_loses_nothing(pg, kin, workdir):
    db = "koutage"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    create_stream(kin, stream, 2)
    p = Pgcdc(kinesis_config(pg, kin, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t SELECT g, 'before' FROM generate_series(1, 10) g", db=db)
    wait_records(kin, stream, 10)
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))

    kin.stop()
    try:
        first_commit_end = None
        deadline = time.monotonic() + 10
        i = 11
        while time.monotonic() < deadline:
            pg.execute(f"INSERT INTO t VALUES ({i}, 'during')", db=db)
            # Keepalives may confirm WAL before the first write's commit, never the commit.
            first_commit_end = first_commit_end or pg.current_wal_lsn(db)
            pg.execute(f"UPDATE t SET v = 'during2' WHERE id = {i}", db=db)
            i += 1
            cf = pg.confirmed_flush(f"pgcdc_{db}", db)
            assert cf < first_commit_end, f"confirmed_flush {cf:X} passed undelivered changes"
            time.sleep(0.05)
        last = i - 1
        assert p.alive(), p.log()
        assert "wait for acknowledgement" in p.log(), p.log()
    finally:
        kin.start()  # same dir: the streams and their records are back
    ids = set(range(1, last + 1))
    wait_until(lambda: {json.loads(k)["id"] for k, _ in records(kin, stream)} >= ids, 90,
               what=f"all {last} rows in the stream")
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=90)
    assert p.stop() == 0, p.log()
    assert "takes records again" in p.log(), p.log()

    got = by_key(records(kin, stream))
    for i in range(1, last + 1):
        ops = [(v["op"], v["after"]["v"]) for v in got[json.dumps({"id": i}, separators=(",", ":"))]]
        if i <= 10:
            assert ops[-1] == ("c", "before"), (i, ops)
            continue
        # At least once, and in order per key: re-sent records may repeat, never jump back.
        assert ops[-1] == ("u", "during2"), (i, ops)
        first_update = ops.index(("u", "during2"))
        assert ("c", "during") in ops[:first_update], (i, ops)


def test_bad_endpoint_and_credentials_one_line(pg, kin, workdir):
    db = "kbad"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    create_stream(kin, f"{db}.public.t")
    cfg = kinesis_config(pg, kin, db, workdir)
    cfg["sink"]["kinesis"]["endpoint"] = f"http://127.0.0.1:{free_port()}"
    path = write_config(workdir, cfg)

    v = run_cli(["validate", "-c", path])
    out = v.stdout + v.stderr
    assert v.returncode != 0, out
    fails = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert len(fails) == 1 and "kinesis: ListStreams at http://127.0.0.1:" in fails[0] and \
        "could not establish a connection" in fails[0], out
    p = Pgcdc(cfg, workdir).start()
    wait_until(lambda: not p.alive(), 60, what="pgcdc to stop on the unreachable endpoint")
    assert p.proc.returncode != 0, p.log()
    last = p.log().strip().splitlines()[-1]
    assert "kinesis: ListStreams at http://127.0.0.1:" in last, last
    no_secret(out, p.log())

    # No credentials anywhere: one line saying where pgcdc looked.
    home = tempfile.mkdtemp(prefix="pgcdc-home-")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["HOME"] = home
        cfg["sink"]["kinesis"]["endpoint"] = kin.endpoint()
        path = write_config(workdir, cfg)
        v = run_cli(["validate", "-c", path], env=env)
        out = v.stdout + v.stderr
        assert v.returncode != 0, out
        fails = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
        assert len(fails) == 1 and "no AWS credentials" in fails[0] and \
            "AWS_ACCESS_KEY_ID" in fails[0], out

        # The profile file works, and its secret is not printed either.
        creds = os.path.join(home, "creds")
        with open(creds, "w") as f:
            f.write(f"[other]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = {SECRET}\n")
        env.update(AWS_SHARED_CREDENTIALS_FILE=creds, AWS_PROFILE="other")
        v = run_cli(["validate", "-c", path], env=env)
        out = v.stdout + v.stderr
        assert v.returncode == 0, out
        assert "kinesis reachable" in out, out
        no_secret(out)
        env["AWS_PROFILE"] = "missing"
        v = run_cli(["validate", "-c", path], env=env)
        assert v.returncode != 0 and f"no profile 'missing' in {creds}" in v.stdout + v.stderr, v.stdout
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_config_errors_one_line(pg, kin, workdir):
    db = "kconf"
    for sink, key in (({"endpoint": kin.endpoint()}, "sink.kinesis.region"),
                      ({"region": "us-east-1", "endpoint": "ftp://x"}, "sink.kinesis.endpoint"),
                      ({"region": "Not A Region"}, "sink.kinesis.region")):
        cfg = kinesis_config(pg, kin, db, workdir)
        cfg["sink"]["kinesis"] = sink
        r = run_cli(["validate", "-c", write_config(workdir, cfg)])
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert r.returncode == 2 and len(lines) == 1 and key in lines[0], (sink, r.stderr)


def test_record_over_1mib_stops_without_confirming(pg, kin, workdir):
    db = "klarge"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    create_stream(kin, stream)
    p = Pgcdc(kinesis_config(pg, kin, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'small')", db=db)
    wait_records(kin, stream, 1)
    insert_end = pg.commit_end("INSERT INTO t VALUES (7, repeat('x', 1100000))", db)
    pg.execute("INSERT INTO t VALUES (8, 'later')", db=db)
    p.proc.wait(timeout=60)
    # Exit 3: refused for good, recorded as the stuck event; nothing after it is confirmed.
    assert p.proc.returncode == 3, p.log()
    assert "over Kinesis's limit of 1048576" in p.log(), p.log()
    assert pg.confirmed_flush(f"pgcdc_{db}", db) < insert_end
    assert [json.loads(k)["id"] for k, _ in records(kin, stream)] == [1]


def test_table_joining_later_gets_a_stream_or_a_clear_stop(pg, kin, workdir):
    # create_streams: true creates the stream of a table that appears while streaming.
    db = "klate"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    create_stream(kin, f"{db}.public.t")
    p = Pgcdc(kinesis_config(pg, kin, db, workdir, create_streams=True), workdir).start()
    p.wait_streaming()
    pg.execute("CREATE TABLE late(id int PRIMARY KEY)", db=db)
    pg.execute("INSERT INTO late VALUES (1), (2)", db=db)
    got = wait_records(kin, f"{db}.public.late", 2)
    assert sorted(json.loads(k)["id"] for k, _ in got) == [1, 2]
    assert p.stop() == 0, p.log()

    # create_streams: false: pgcdc stops on it, naming the stream, and confirms nothing past it.
    db = "klate2"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    create_stream(kin, f"{db}.public.t")
    cfg = kinesis_config(pg, kin, db, workdir)
    cfg["offsets"]["file"] = os.path.join(workdir, "o2.offsets")
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    pg.execute("CREATE TABLE late(id int PRIMARY KEY)", db=db)
    insert_end = pg.commit_end("INSERT INTO late VALUES (1)", db)
    wait_until(lambda: not p.alive(), 60, what="pgcdc to stop on the missing stream")
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    assert f"kinesis: stream '{db}.public.late' does not exist" in last, last
    assert "create_streams" in last, last
    assert pg.confirmed_flush(f"pgcdc_{db}", db) < insert_end
