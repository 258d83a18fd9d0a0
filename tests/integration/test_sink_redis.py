"""sink.type redis: events land in Redis streams in Debezium Server's layout, and the no-loss
promise holds through an outage of the server and kill -9 of pgcdc; with entry ids from the
source position (the default), Redis refuses what a restarted pgcdc publishes again, so every
change is in its stream once.

A real redis-server from Debian's packages (temp dir, free loopback port, appendonly yes +
appendfsync always, so an acknowledged entry survives kill -9), started once for the module and
stopped by it. Streams are read back with python3-redis, a client pgcdc did not write."""

import decimal
import json
import os
import shutil
import time

import pytest
import redis

from avro_records import decode
from json_schema_records import JsonSchemaDecoder
from pgcdc_harness import Pgcdc, free_port, run_pgcdc, wait_until
from schema_registry import SchemaRegistry
from sink_servers import RedisServer, change_ids, check_delivered, kill_loop


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
    # Position ids: the reads at "<snapshot LSN - 1>-<Redis's sequence>", the change above them
    # at its commit LSN.
    ids = [tuple(int(x) for x in eid.split("-")) for eid, _ in rows]
    snap = json.loads(rows[0][1]["value"])["payload"]["source"]["lsn"]
    assert [i[0] for i in ids[:50]] == [int(snap) - 1] * 50
    assert ids[50][0] >= int(snap) and ids[50][1] == 0


def test_avro_keys_and_values_with_a_schema_registry(pg, rds, workdir):
    """format.type avro on Redis: each compact entry's one field is the Confluent-framed Avro key
    and its value the Avro value (Redis fields are binary-safe), under the ids registered for
    <topic>-key and <topic>-value. Read with a binary python3-redis client and decoded by
    confluent_kafka.avro and python3-avro (avro_records.decode), they say what the rows say:
    snapshot reads, then an update, a delete (no tombstone entry) and an insert."""
    db = "ravro"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text, amount numeric(7,2))", db=db)
    pg.execute("INSERT INTO t VALUES (1, 'a', 1.50), (2, 'b', NULL)", db=db)
    with SchemaRegistry() as registry:
        cfg = redis_config(pg, rds, db, workdir)
        cfg["snapshot"] = {"mode": "initial"}
        cfg["format"] = {"type": "avro", "schema_registry": {"url": registry.url}}
        p = Pgcdc(cfg, workdir).start()
        p.wait_streaming(timeout=60)
        pg.execute("UPDATE t SET v = 'B' WHERE id = 2", db=db)
        pg.execute("DELETE FROM t WHERE id = 1", db=db)
        pg.execute("INSERT INTO t VALUES (3, 'c', -0.01)", db=db)
        pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))
        assert p.stop() == 0, p.log()

        binary = redis.Redis(host="127.0.0.1", port=rds.port, socket_timeout=5)
        got = []
        for _, fields in binary.xrange(stream):
            assert len(fields) == 1, f"compact entries have one field, got {fields}"
            (k, v), = fields.items()
            got.append(decode(k, registry.url) + decode(v, registry.url))
        assert registry.subjects() == [f"{stream}-key", f"{stream}-value"]
        assert registry.versions(f"{stream}-key") == [1]
        assert registry.versions(f"{stream}-value") == [1]
        key_ids = {key_id for key_id, _, _, _ in got}
        value_ids = {value_id for _, _, value_id, _ in got}
        assert len(key_ids) == 1 and len(value_ids) == 1 and key_ids != value_ids, got
        assert registry.schema(key_ids.pop()) is not None
        assert registry.schema(value_ids.pop()) is not None

    changes = [(key["id"], value["op"], value["before"], value["after"])
               for _, key, _, value in got]
    reads = sorted(changes[:2], key=lambda c: c[0])
    assert reads == [(1, "r", None, {"id": 1, "v": "a", "amount": decimal.Decimal("1.50")}),
                     (2, "r", None, {"id": 2, "v": "b", "amount": None})]
    assert changes[2][:2] == (2, "u") and changes[2][3] == {"id": 2, "v": "B", "amount": None}
    assert changes[3][:2] == (1, "d") and changes[3][2]["id"] == 1 and changes[3][3] is None
    assert changes[4] == (3, "c", None, {"id": 3, "v": "c", "amount": decimal.Decimal("-0.01")})
    assert len(changes) == 5, changes  # the delete's tombstone is not written
    assert got[4][3]["source"]["table"] == "t" and got[4][3]["source"]["db"] == db


def test_json_schema_keys_and_values_with_a_schema_registry(pg, rds, workdir):
    """format.type json_schema on Redis: each compact entry's field and value are the
    Confluent-framed JSON key and value, under the ids registered for <topic>-key and
    <topic>-value, each validated by Confluent's JSONDeserializer against the registered schema:
    snapshot reads, then an update, a delete (no tombstone entry) and an insert."""
    db = "rjsch"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text, amount numeric(7,2))", db=db)
    pg.execute("INSERT INTO t VALUES (1, 'a', 1.50), (2, 'b', NULL)", db=db)
    with SchemaRegistry() as registry:
        cfg = redis_config(pg, rds, db, workdir)
        cfg["snapshot"] = {"mode": "initial"}
        cfg["format"] = {"type": "json_schema", "schema_registry": {"url": registry.url}}
        p = Pgcdc(cfg, workdir).start()
        p.wait_streaming(timeout=60)
        pg.execute("UPDATE t SET v = 'B' WHERE id = 2", db=db)
        pg.execute("DELETE FROM t WHERE id = 1", db=db)
        pg.execute("INSERT INTO t VALUES (3, 'c', -0.01)", db=db)
        pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))
        assert p.stop() == 0, p.log()

        binary = redis.Redis(host="127.0.0.1", port=rds.port, socket_timeout=5)
        dec = JsonSchemaDecoder(registry.url)
        got = []
        for _, fields in binary.xrange(stream):
            assert len(fields) == 1, f"compact entries have one field, got {fields}"
            (k, v), = fields.items()
            got.append(dec.decode(k) + dec.decode(v))
        assert registry.subjects() == [f"{stream}-key", f"{stream}-value"]
        key_ids = {key_id for key_id, _, _, _ in got}
        value_ids = {value_id for _, _, value_id, _ in got}
        assert len(key_ids) == 1 and len(value_ids) == 1 and key_ids != value_ids, got

    changes = [(key["id"], value["op"], value["before"], value["after"])
               for _, key, _, value in got]
    reads = sorted(changes[:2], key=lambda c: c[0])
    # numeric(7,2) is Connect Decimal bytes, base64, as in the JSON format: 150 and -1.
    assert reads == [(1, "r", None, {"id": 1, "v": "a", "amount": "AJY="}),
                     (2, "r", None, {"id": 2, "v": "b", "amount": None})]
    assert changes[2][:2] == (2, "u") and changes[2][3] == {"id": 2, "v": "B", "amount": None}
    assert changes[3][:2] == (1, "d") and changes[3][2]["id"] == 1 and changes[3][3] is None
    assert changes[4] == (3, "c", None, {"id": 3, "v": "c", "amount": "/w=="})
    assert len(changes) == 5, changes  # the delete's tombstone is not written


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
        first_commit_end = None
        # A 10 s outage with writes all along it (several commit intervals and status updates):
        # nothing Redis did not take may be confirmed.
        deadline = time.monotonic() + 10
        i = 11
        while time.monotonic() < deadline or i <= 110:
            if i <= 110:
                pg.execute(f"INSERT INTO t VALUES ({i}, 'during')", db=db)
                i += 1
            # Keepalives may confirm WAL before the first write's commit, never the commit.
            first_commit_end = first_commit_end or pg.current_wal_lsn(db)
            cf = pg.confirmed_flush(f"pgcdc_{db}", db)
            assert cf < first_commit_end, f"confirmed_flush {cf:X} passed undelivered changes"
            time.sleep(0.09)
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
    insert_end = pg.commit_end("INSERT INTO t VALUES (1, 'a')", db)
    wait_until(lambda: not p.alive(), 30, what="pgcdc to stop on the error reply")
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    assert "WRONGTYPE" in last and stream in last, last
    assert pg.confirmed_flush(f"pgcdc_{db}", db) < insert_end
    rds.client().delete(stream)


def stream_ids(rds, stream):
    return [eid for eid, _ in rds.client().xrange(stream)]


def save_position(pg, db, cfg, workdir):
    """Keeps the slot and offsets as they are now: the state a kill -9 between Redis's
    acknowledgements and the confirmation would leave."""
    pg.execute(f"SELECT pg_copy_logical_replication_slot('pgcdc_{db}', '{db}_back')", db=db)
    shutil.copy(cfg["offsets"]["file"], os.path.join(workdir, "offsets.back"))


def started_from_a_saved_position(pg, db, cfg, workdir):
    """Runs pgcdc once (it makes its slot), keeps that position (save_position) and starts
    pgcdc again; returns it, streaming."""
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    save_position(pg, db, cfg, workdir)
    p.start()
    p.wait_streaming()
    return p


def restore_position(pg, db, cfg, workdir):
    """Sets the slot and offsets back to what save_position kept."""
    pg.execute(f"SELECT pg_drop_replication_slot('pgcdc_{db}')", db=db)
    pg.execute(f"SELECT pg_copy_logical_replication_slot('{db}_back', 'pgcdc_{db}')", db=db)
    pg.execute(f"SELECT pg_drop_replication_slot('{db}_back')", db=db)
    shutil.copy(os.path.join(workdir, "offsets.back"), cfg["offsets"]["file"])


def test_position_ids_make_redis_refuse_a_replay(pg, rds, workdir):
    """The slot is set back (as a crash between Redis's acknowledgement and the confirmation
    leaves it): the restarted pgcdc publishes every transaction again with the ids they had,
    Redis refuses each, the refusals count as delivered, the slot advances, and every change is
    in its stream once. Two transactions interleave (the later commit's changes come first in
    the WAL), and a key change gives two entries at one change LSN."""
    db = "rreplay"
    stream = f"{db}.public.t"
    slot = f"pgcdc_{db}"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    cfg = redis_config(pg, rds, db, workdir)
    p = started_from_a_saved_position(pg, db, cfg, workdir)
    pg.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')", db=db)
    a, b = pg.connect(db), pg.connect(db)
    a.autocommit = b.autocommit = False
    with a.cursor() as ca, b.cursor() as cb:
        ca.execute("INSERT INTO t VALUES (10, 'early change, late commit')")
        cb.execute("INSERT INTO t VALUES (20, 'late change, early commit')")
        b.commit()
        ca.execute("INSERT INTO t VALUES (11, 'late commit')")
        a.commit()
    a.close()
    b.close()
    pg.execute("UPDATE t SET id = 3 WHERE id = 2", db=db)  # key change: delete + create
    pg.execute("DELETE FROM t WHERE id = 1", db=db)
    first = wait_entries(rds, stream, 8)
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db))
    assert p.stop() == 0, p.log()
    ids = stream_ids(rds, stream)
    assert [(k["payload"]["id"], v["payload"]["op"]) for k, v in first] == [
        (1, "c"), (2, "c"), (20, "c"), (10, "c"), (11, "c"), (2, "d"), (3, "c"), (1, "d")]
    # "<commit LSN>-<index in the transaction's entries in this stream>".
    commit = [int(e.split("-")[0]) for e in ids]
    assert [int(e.split("-")[1]) for e in ids] == [0, 1, 0, 0, 1, 0, 1, 0], ids
    assert commit[0] == commit[1] and commit[3] == commit[4] and commit[5] == commit[6]
    for (_, v), c in zip(first, commit):
        assert int(v["payload"]["source"]["lsn"]) <= c  # changes precede their commit
    # Interleaved: the earlier-committed transaction's change has the later change LSN.
    assert first[2][1]["payload"]["source"]["lsn"] > first[3][1]["payload"]["source"]["lsn"]

    restore_position(pg, db, cfg, workdir)
    replay_from = pg.confirmed_flush(slot, db)
    assert replay_from < commit[0]

    p.start()
    p.wait_streaming()
    # Past the last replayed commit (not pg_current_wal_lsn(): WAL after it, e.g. the slot
    # copies, is confirmed only once the server reports it idle, which a loaded machine delays).
    pg.wait_confirmed(slot, db, max(commit) + 1)
    assert p.stop() == 0, p.log()
    assert "counts as delivered" in p.log(), p.log()
    assert stream_ids(rds, stream) == ids, "a re-published change was written again"


def test_kill9_loop_every_change_once(pg, rds, workdir):
    """kill -9 of pgcdc under writes, again and again: every committed change is in the stream,
    in order per key, and (position ids) once."""
    db = "rkill"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    p = Pgcdc(redis_config(pg, rds, db, workdir), workdir).start()
    p.wait_streaming()
    writer = kill_loop(pg, db, p)
    events = [(k["payload"]["id"], v["payload"]) for k, v in entries(rds, stream)]
    check_delivered(pg, db, writer, events)
    ids = change_ids(events)
    dups = len(ids) - len(set(ids))
    refused = sum("counts as delivered" in open(p.run_path(i, "log")).read()
                  for i in range(1, p.runs + 1))
    print(f"changes={len(writer.committed)} entries={len(events)} runs with refused "
          f"re-publications={refused}")
    assert dups == 0, f"{dups} changes written twice"


def test_max_len_trims_each_stream(pg, rds, workdir):
    """sink.redis.max_len: every XADD trims its stream to the newest max_len entries, exactly
    with max_len_approximate: false; a replay of trimmed changes is still refused (the stream
    keeps its last id), so trimming never brings old changes back. With the default `~`, Redis
    trims whole nodes only: the stream keeps at least max_len entries, the newest among them."""
    db = "rtrim"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text); CREATE TABLE u(id int PRIMARY KEY)",
               db=db)
    cfg = redis_config(pg, rds, db, workdir, max_len=5, max_len_approximate=False)
    p = started_from_a_saved_position(pg, db, cfg, workdir)
    for i in range(1, 31):
        pg.execute(f"INSERT INTO t VALUES ({i}, 'v{i}')", db=db)
    pg.execute("INSERT INTO u SELECT generate_series(1, 3)", db=db)
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))
    assert p.stop() == 0, p.log()
    got = entries(rds, stream)
    assert [k["payload"]["id"] for k, _ in got] == [26, 27, 28, 29, 30], got
    assert [k["payload"]["id"] for k, _ in entries(rds, f"{db}.public.u")] == [1, 2, 3]
    ids = stream_ids(rds, stream)
    assert rds.client().xinfo_stream(stream)["entries-added"] == 30

    # Everything published again from the saved position: Redis refuses every trimmed change
    # too, and the stream is unchanged.
    restore_position(pg, db, cfg, workdir)
    p.start()
    p.wait_streaming()
    pg.wait_confirmed(f"pgcdc_{db}", db, int(ids[-1].split("-")[0]) + 1)
    assert p.stop() == 0, p.log()
    assert "counts as delivered" in p.log(), p.log()
    assert stream_ids(rds, stream) == ids
    assert rds.client().xinfo_stream(stream)["entries-added"] == 30

    # Approximate (the default): at least max_len entries stay, the newest last.
    db = "rtrimapprox"
    stream = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    cfg = redis_config(pg, rds, db, workdir, max_len=50)
    cfg["offsets"]["file"] = os.path.join(workdir, "approx.offsets")
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    for i in range(10):
        pg.execute(f"INSERT INTO t SELECT generate_series({100 * i + 1}, {100 * i + 100})", db=db)
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db))
    assert p.stop() == 0, p.log()
    kept = [k["payload"]["id"] for k, _ in entries(rds, stream)]
    assert 50 <= len(kept) < 1000, len(kept)
    assert kept == list(range(1001 - len(kept), 1001)), kept[:3]
