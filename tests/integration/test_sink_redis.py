"""sink.type redis: events land in Redis streams in Debezium Server's layout, and the no-loss
promise holds through an outage of the server.

A real redis-server from Debian's packages (temp dir, free loopback port, appendonly yes +
appendfsync always, so an acknowledged entry survives kill -9), started once for the module and
stopped by it. Streams are read back with python3-redis, a client pgcdc did not write."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import redis

from pgcdc_harness import Pgcdc, free_port, run_pgcdc, wait_until


class RedisServer:
    """redis-server in a temp dir; kill()/start() keep the dir and port (the same data)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pgcdc-redis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ready, 20, what="redis-server to answer PING")
        return self

    def _ready(self):
        try:
            return self.client().ping()
        except redis.RedisError:
            assert self.proc.poll() is None, "redis-server exited"
            return False

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                           socket_timeout=5)

    def url(self, userinfo=""):
        return f"redis://{userinfo}127.0.0.1:{self.port}/0"

    def kill(self):
        """kill -9: only what Redis fsynced survives (everything it acknowledged, here)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def rds():
    server = RedisServer().start()
    yield server
    server.stop()


def redis_config(pg, rds, name, workdir, **sink):
    return {
        "name": name,
        "source": {"dsn": pg.dsn(name), "status_interval_ms": 1000},
        "snapshot": {"mode": "never"},
        "format": {"schemas": True},
        "sink": {"type": "redis", "redis": {"url": rds.url(), **sink}},
        "offsets": {"file": os.path.join(workdir, "o.offsets"), "commit_interval_ms": 200},
        "metrics": {"listen": "127.0.0.1:0"},
    }


def entries(rds, stream):
    """[(key, value)] of a compact stream, both parsed as JSON, in stream order."""
    out = []
    for _, fields in rds.client().xrange(stream):
        assert len(fields) == 1, f"compact entries have one field, got {fields}"
        (k, v), = fields.items()
        out.append((k if k == "default" else json.loads(k), json.loads(v)))
    return out


def wait_entries(rds, stream, n, timeout=60):
    wait_until(lambda: rds.client().xlen(stream) >= n, timeout,
               what=f"{n} entries in stream {stream}")
    return entries(rds, stream)


def test_streaming_compact_layout(pg, rds, workdir):
    db = "rstream"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    pg.execute("CREATE TABLE nokey(v text)", db=db)
    p = Pgcdc(redis_config(pg, rds, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", db=db)
    pg.execute("UPDATE t SET v = 'B' WHERE id = 2", db=db)
    pg.execute("DELETE FROM t WHERE id = 3", db=db)
    pg.execute("INSERT INTO nokey VALUES ('x')", db=db)
    got = wait_entries(rds, f"{db}.public.t", 5)
    nokey = wait_entries(rds, f"{db}.public.nokey", 1)
    after = pg.current_wal_lsn(db)
    pg.wait_confirmed(f"pgcdc_{db}", db, after)
    time.sleep(1)  # a tombstone (format.tombstones is on) would have arrived by now
    assert p.stop() == 0, p.log()

    got = entries(rds, f"{db}.public.t")
    # One entry per change, in commit order; the delete's tombstone is not written.
    assert [(k["payload"]["id"], v["payload"]["op"]) for k, v in got] == \
        [(1, "c"), (2, "c"), (3, "c"), (2, "u"), (3, "d")]
    assert got[3][1]["payload"]["after"] == {"id": 2, "v": "B"}
    assert got[4][1]["payload"]["before"]["id"] == 3 and got[4][1]["payload"]["after"] is None
    assert got[0][1]["payload"]["source"]["table"] == "t"
    # A null key is the string "default", as Debezium Server writes it.
    assert nokey[0][0] == "default" and nokey[0][1]["payload"]["after"] == {"v": "x"}


def test_snapshot_and_extended_format(pg, rds, workdir):
    db = "rsnap"
    pg.create_database(db)
    pg.execute("CREATE TABLE s(id int PRIMARY KEY, v text)", db=db)
    pg.execute("INSERT INTO s SELECT g, 'r' || g FROM generate_series(1, 50) g", db=db)
    cfg = redis_config(pg, rds, db, workdir, message_format="extended")
    cfg["snapshot"] = {"mode": "initial"}
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming(timeout=60)
    pg.execute("INSERT INTO s VALUES (51, 'new')", db=db)
    wait_until(lambda: rds.client().xlen(f"{db}.public.s") >= 51, 60, what="51 entries")
    assert p.stop() == 0, p.log()

    rows = rds.client().xrange(f"{db}.public.s")
    assert len(rows) == 51
    for _, fields in rows:
        assert list(fields)[:2] == ["key", "value"], fields
    ops = [(json.loads(f["key"])["payload"]["id"], json.loads(f["value"])["payload"]["op"])
           for _, f in rows]
    assert sorted(ops[:50]) == [(i, "r") for i in range(1, 51)]
    assert ops[50] == (51, "c")


def test_outage_freezes_confirmed_lsn_and_loses_nothing(pg, rds, workdir):
    db = "routage"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    p = Pgcdc(redis_config(pg, rds, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t SELECT g, 'before' FROM generate_series(1, 10) g", db=db)
    wait_entries(rds, stream, 10)
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))

    rds.kill()
    try:
        before_writes = pg.current_wal_lsn(db)
        for i in range(11, 111):
            pg.execute(f"INSERT INTO t VALUES ({i}, 'during')", db=db)
        # Several commit intervals and status updates: nothing Redis did not take may be
        # confirmed.
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            cf = pg.confirmed_flush(f"pgcdc_{db}", db)
            assert cf <= before_writes, f"confirmed_flush {cf:X} passed undelivered changes"
            time.sleep(0.25)
        assert p.alive(), p.log()
        assert "events wait for acknowledgement" in p.log(), p.log()
    finally:
        rds.start()  # same dir: the AOF brings back what was acknowledged before the kill
    wait_until(lambda: {k["payload"]["id"] for k, _ in entries(rds, stream)} >= set(range(1, 111)),
               60, what="all 110 rows in the stream")
    after = pg.current_wal_lsn(db)
    pg.wait_confirmed(f"pgcdc_{db}", db, after - 200)
    assert p.stop() == 0, p.log()

    got = entries(rds, stream)
    values = {}
    for k, v in got:
        values[k["payload"]["id"]] = v["payload"]["after"]["v"]
    assert values == {i: ("before" if i <= 10 else "during") for i in range(1, 111)}
    # In order: the first occurrence of each id rises (re-sent entries may repeat, never jump).
    first = []
    for k, _ in got:
        if k["payload"]["id"] not in first:
            first.append(k["payload"]["id"])
    assert first == list(range(1, 111))


def test_validate_names_the_cause(pg, rds, workdir):
    db = "rvalid"
    pg.create_database(db)
    c = rds.client()
    c.execute_command("ACL", "SETUSER", "cdc", "on", ">s3cret-pw", "~*", "+@all")

    def validate(url):
        cfg = redis_config(pg, rds, db, workdir)
        cfg["sink"]["redis"]["url"] = url
        path = os.path.join(workdir, "v.yaml")
        import yaml_writer
        with open(path, "w") as f:
            f.write(yaml_writer.dump(cfg))
        return run_pgcdc(["validate", "-c", path])

    ok = validate(rds.url("cdc:s3cret-pw@"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "redis reachable" in ok.stdout + ok.stderr
    # Reserved characters in the password: percent-encoded, or as is (the last '@' ends it).
    c.execute_command("ACL", "SETUSER", "cdc2", "on", ">p@ss/w:rd%", "~*", "+@all")
    for userinfo in ("cdc2:p%40ss%2Fw%3Ard%25@", "cdc2:p@ss/w:rd%@"):
        ok = validate(rds.url(userinfo))
        assert ok.returncode == 0, userinfo + ": " + ok.stdout + ok.stderr

    bad = validate(rds.url("cdc:wrong-pw@"))
    assert bad.returncode != 0
    out = bad.stdout + bad.stderr
    assert "authentication" in out and "WRONGPASS" in out, out
    assert "wrong-pw" not in out, out  # secrets are never printed

    down = validate(f"redis://127.0.0.1:{free_port()}/0")
    assert down.returncode != 0
    assert "cannot connect" in down.stdout + down.stderr, down.stdout + down.stderr

    tls = validate(f"rediss://127.0.0.1:{rds.port}/0")
    assert tls.returncode == 2
    lines = [ln for ln in tls.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "sink.redis.url" in lines[0] and "TLS" in lines[0], tls.stderr

    for url in ("http://127.0.0.1:6379", "redis://127.0.0.1:/0", "redis://127.0.0.1:6379/x",
                "redis://[::1", "redis://:pw-never-shown@", "redis://127.0.0.1:99999"):
        bad = validate(url)
        lines = [ln for ln in bad.stderr.splitlines() if ln.strip()]
        assert bad.returncode == 2 and len(lines) == 1, url + ": " + bad.stderr
        assert "sink.redis.url" in lines[0] and "pw-never-shown" not in lines[0], lines[0]


def test_error_reply_stops_without_confirming(pg, rds, workdir):
    db = "rwrong"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    rds.client().set(stream, "not a stream")  # XADD gets WRONGTYPE
    p = Pgcdc(redis_config(pg, rds, db, workdir), workdir).start()
    p.wait_streaming()
    before = pg.current_wal_lsn(db)
    pg.execute("INSERT INTO t VALUES (1, 'a')", db=db)
    wait_until(lambda: not p.alive(), 30, what="pgcdc to stop on the error reply")
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    assert "WRONGTYPE" in last and stream in last, last
    assert pg.confirmed_flush(f"pgcdc_{db}", db) <= before
    rds.client().delete(stream)
