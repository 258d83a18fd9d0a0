"""[capture] incremental snapshots while streaming (issue #15; README "Incremental snapshots"):
DBLog's watermark algorithm over keyset chunks, started by a Debezium-style signal table row, a
'pgcdc-signal' logical message (`pgcdc snapshot`), or a table joining the capture set. Replaying
the topic (by key, last value wins, deletes remove) must equal the table, every row present
throughout must have an `r` or a later change, a key's records never go back in time, and a
kill -9 resumes at the last acknowledged chunk."""

import json
import os
import random
import threading
import time

import psycopg2

from conftest import base_config, scaled
from pgcdc_harness import Pgcdc, PostgresServer, TopicReader, run_pgcdc, wait_until

import yaml_writer

SIGNALS = "public.dbz_signal"


def config(pg, broker, workdir, name, tables=None, chunk_size=1000, **snapshot):
    cfg = base_config(pg, broker, name, db=name)
    if tables is not None:
        cfg["source"]["tables"] = tables
    cfg["source"]["reconcile_interval_ms"] = 300
    cfg["snapshot"].update({"chunk_size": chunk_size}, **snapshot)
    cfg["signals"] = {"table": SIGNALS}
    cfg["offsets"]["file"] = os.path.join(workdir, name + ".offsets")
    return cfg


def make_db(pg, name, rows=0, table="big"):
    pg.create_database(name)
    pg.execute("CREATE TABLE dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, "
               "data varchar(2048))", db=name)
    if rows:
        # Even ids: the writer inserts odd ones, inside the range the chunks cover.
        pg.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v int NOT NULL, note text); "
                   f"INSERT INTO {table} SELECT 2 * g, 0, 'row ' || g "
                   f"FROM generate_series(1, {rows}) g", db=name)


def signal(pg, db, type_, data=None, sid=None):
    sid = sid or f"sig-{random.getrandbits(40):x}"
    pg.execute("INSERT INTO dbz_signal VALUES (%s, %s, %s)" % (
        "'" + sid + "'", "'" + type_ + "'",
        "NULL" if data is None else "'" + json.dumps(data).replace("'", "''") + "'"), db=db)
    return sid


def wait_log(p, text, timeout=60):
    """Waits for `text` in pgcdc's log; on timeout the assertion shows the log."""
    try:
        wait_until(lambda: text in p.log() or not p.alive(), timeout=timeout, what=repr(text))
    except AssertionError as e:
        raise AssertionError(f"{e}\n{p.log()}") from None
    assert text in p.log(), p.log()


def replay(records):
    """{key id: after image} after applying every record in order."""
    state = {}
    for r in records:
        if r.key_payload is None:
            continue
        k = r.key_payload["id"]
        if r.payload is None or r.payload["op"] == "d":
            state.pop(k, None)
        else:
            state[k] = r.payload["after"]
    return state


def table_rows(pg, db, table="big"):
    return {row[0]: {"id": row[0], "v": row[1], "note": row[2]}
            for row in pg.execute(f"SELECT id, v, note FROM {table}", db=db)}


def offsets_state(cfg):
    with open(cfg["offsets"]["file"]) as f:
        return json.load(f).get("incremental_snapshot")


class Writer(threading.Thread):
    """Inserts odd ids, updates (v = v + 1) and deletes random rows of `big` until stopped."""

    def __init__(self, pg, db, max_id):
        super().__init__(daemon=True)
        self.conn = psycopg2.connect(pg.dsn(db))
        self.conn.autocommit = True
        self.max_id = max_id
        self.stop_flag = threading.Event()
        self.ops = 0
        self.error = None

    def run(self):
        rnd = random.Random(15)
        try:
            with self.conn.cursor() as cur:
                while not self.stop_flag.is_set():
                    k = rnd.randrange(1, self.max_id)
                    op = rnd.random()
                    if op < 0.3:
                        cur.execute("INSERT INTO big VALUES (%s, 0, 'new') ON CONFLICT DO NOTHING",
                                    (k | 1,))
                    elif op < 0.85:
                        cur.execute("UPDATE big SET v = v + 1 WHERE id = %s", (k,))
                    else:
                        cur.execute("DELETE FROM big WHERE id = %s", (k,))
                    self.ops += 1
                    time.sleep(0.001)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.conn.close()

    def finish(self):
        self.stop_flag.set()
        self.join(30)
        assert self.error is None, self.error


def check_versions_never_go_back(records):
    """Per key, `v` never decreases along the topic (v only grows; ids are never re-inserted):
    an `r` never follows a newer change of its key."""
    last = {}
    for r in records:
        if r.key_payload is None or r.payload is None or r.payload["op"] == "d":
            if r.key_payload is not None and r.payload is not None:
                last.pop(r.key_payload["id"], None)
            continue
        k = r.key_payload["id"]
        v = r.payload["after"]["v"]
        assert v >= last.get(k, -1), f"key {k}: {r.payload['op']} with v={v} after v={last[k]}"
        last[k] = v


def snapshot_under_writer(pg, broker, workdir, db, rows, snapshot_data, messages=False):
    """An execute-snapshot signal (`snapshot_data`) on `big` (`rows` even ids) while a Writer
    inserts, updates and deletes it, then one last change once the snapshot is done, read back.
    Returns (records, the writer's change count, the ids present before it began, the stopped
    pgcdc). With `messages`, format.messages is on and the message topic is read too."""
    make_db(pg, db, rows)
    cfg = config(pg, broker, workdir, db, tables=["public.big"], chunk_size=1000)
    topics = [f"{db}.public.big"]
    if messages:
        cfg["format"]["messages"] = True
        topics.append(f"{db}.message")
    # The mock broker keeps 5 MB per partition: spread the topic so nothing is dropped.
    broker.command(f"topic {db}.public.big 16")
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, topics)
    writer = Writer(pg, db, 2 * rows + 100)
    try:
        p.wait_streaming()
        before = set(table_rows(pg, db))
        writer.start()
        time.sleep(0.5)
        signal(pg, db, "execute-snapshot", snapshot_data)
        # About 5 s for 200k rows in release: room for a loaded machine and the sanitizers.
        wait_log(p, "incremental snapshot of public.big done", timeout=60 + rows // 1000)
        time.sleep(0.5)
        writer.finish()
        # A last change after the snapshot, to know when the stream has caught up.
        pg.execute("UPDATE big SET note = 'last' WHERE id = 2", db=db)
        reader.wait_for(lambda recs: any(r.payload and r.payload["after"] and
                                         r.payload["after"]["note"] == "last" for r in recs),
                        timeout=120 + rows // 1000, what="the last change")  # reads every record
        reader.drain()
    finally:
        writer.stop_flag.set()
        reader.close()
        assert p.stop() == 0, p.log()
    assert writer.ops > 100, writer.ops
    return reader.records, writer.ops, before, p


def test_signal_snapshot_under_concurrent_writer(pg, broker, workdir):
    db = "incsig"
    rows = scaled(200_000, 50_000)  # the 200k rows (a quarter under the sanitizers)
    records, ops, before, p = snapshot_under_writer(
        pg, broker, workdir, db, rows,
        {"data-collections": ["public.big"], "type": "incremental"}, messages=True)
    recs = [r for r in records if r.topic == f"{db}.public.big"]
    # Watermarks and signals are never published as logical-message records.
    assert [r for r in records if r.topic == f"{db}.message"] == []
    reads = [r for r in recs if r.payload and r.payload["op"] == "r"]
    assert reads and all(r.payload["source"]["snapshot"] == "incremental" for r in reads)
    assert len(reads) <= rows + ops
    final = table_rows(pg, db)
    assert replay(recs) == final
    # Every row present throughout has an `r` or a later change on the topic.
    seen = {r.key_payload["id"] for r in recs if r.key_payload}
    missing = (before & set(final)) - seen
    assert not missing, sorted(missing)[:10]
    check_versions_never_go_back(recs)
    log = p.log()
    assert "incremental snapshot of public.big queued (signal" in log, log
    assert "done:" in log


def test_additional_conditions_limit_rows(pg, broker, workdir):
    db = "inccond"
    make_db(pg, db, 100)
    cfg = config(pg, broker, workdir, db, tables=["public.big"], chunk_size=7)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.big"])
    try:
        p.wait_streaming()
        signal(pg, db, "execute-snapshot",
               {"data-collections": ["public\\.big"], "type": "INCREMENTAL",
                "additional-conditions": [{"data-collection": "public.big",
                                           "filter": "id <= 40 AND note <> 'row 3'"}]})
        wait_log(p, "incremental snapshot of public.big done", timeout=60)
        reader.wait_for(lambda recs: len(recs) >= 19, timeout=60, what="19 reads")
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    ids = sorted(r.key_payload["id"] for r in reader.records)
    assert ids == [i for i in range(2, 41, 2) if i != 6], ids
    assert all(r.payload["op"] == "r" for r in reader.records)


def test_additional_conditions_under_concurrent_writer(pg, broker, workdir):
    """The issue's acceptance, with additional-conditions: a filtered execute-snapshot while a
    writer inserts, updates and deletes. Only matching rows are read; every matching row present
    throughout has an `r` or a later change; the matching keys replay to the table; no key's
    records go back in time."""
    db = "inccondw"
    recs, _, before, _ = snapshot_under_writer(
        pg, broker, workdir, db, scaled(40_000, 10_000),
        {"data-collections": ["public.big"], "type": "incremental",
         "additional-conditions": [{"data-collection": "public.big", "filter": "id % 3 = 0"}]})
    reads = [r for r in recs if r.payload and r.payload["op"] == "r"]
    assert reads and all(r.key_payload["id"] % 3 == 0 for r in reads)
    final = table_rows(pg, db)
    matching = {k: v for k, v in final.items() if k % 3 == 0}
    assert {k: v for k, v in replay(recs).items() if k % 3 == 0} == matching
    seen = {r.key_payload["id"] for r in recs if r.key_payload}
    missing = {k for k in before & set(final) if k % 3 == 0} - seen
    assert not missing, sorted(missing)[:10]
    check_versions_never_go_back(recs)


def test_table_created_under_wildcard_gets_its_rows(pg, broker, workdir):
    db = "incwild"
    make_db(pg, db)
    pg.execute("CREATE TABLE a (id int PRIMARY KEY)", db=db)
    cfg = config(pg, broker, workdir, db, tables=["public.*"], chunk_size=16)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.late"])
    try:
        p.wait_streaming()
        # Rows committed with the table, before it joined the publication: only a snapshot has them.
        pg.execute("CREATE TABLE late (id int PRIMARY KEY, v int NOT NULL, note text); "
                   "INSERT INTO late SELECT g, 0, 'old' FROM generate_series(1, 50) g", db=db)
        wait_log(p, "incremental snapshot of public.late done", timeout=60)
        pg.execute("INSERT INTO late VALUES (51, 0, 'new'); UPDATE late SET v = 1 WHERE id = 1; "
                   "DELETE FROM late WHERE id = 2", db=db)
        reader.wait_for(lambda recs: any(r.payload and r.payload["op"] == "d" for r in recs),
                        timeout=60, what="the later changes")
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    reads = [r for r in reader.records if r.payload and r.payload["op"] == "r"]
    assert sorted(r.key_payload["id"] for r in reads) == list(range(1, 51))
    assert all(r.payload["source"]["snapshot"] == "incremental" for r in reads)
    assert replay(reader.records) == table_rows(pg, db, "late")
    assert "incremental snapshot of public.late queued (joined the capture set)" in p.log()
    # The signal table joined the publication too, but is not snapshotted or published.
    assert "incremental snapshot of public.dbz_signal" not in p.log()


def test_kill_9_resumes_at_last_acknowledged_chunk(pg, broker, workdir):
    db = "inckill"
    rows = 20000
    # Small chunks: the release build reads 200-row chunks so fast (100 in about 0.5 s) that the
    # snapshot could end before the pause below lands.
    chunk = 50
    make_db(pg, db, rows)
    cfg = config(pg, broker, workdir, db, tables=["public.big"], chunk_size=chunk)
    broker.command(f"topic {db}.public.big 8")
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.big"])
    try:
        p.wait_streaming()
        signal(pg, db, "execute-snapshot", {"data-collections": ["public.big"]})
        # Some chunks acknowledged and recorded, then paused so the kill lands mid-snapshot.
        wait_until(lambda: (offsets_state(cfg) or {}).get("chunks", 0) >= 5, timeout=60,
                   what="five acknowledged chunks in the offsets file")
        signal(pg, db, "pause-snapshot")
        wait_until(lambda: (offsets_state(cfg) or {}).get("paused"), timeout=60,
                   what="the pause to be recorded")
        p.kill()  # SIGKILL
        stored = offsets_state(cfg)
        assert stored["tables"][0]["table"] == "public.big" and stored["cursor"], stored
        done_chunks = stored["chunks"]
        assert 5 <= done_chunks < rows // chunk, stored
        pg.execute("UPDATE big SET v = v + 1 WHERE id % 97 = 0; DELETE FROM big WHERE id % 89 = 0",
                   db=db)

        p.start()
        p.wait_streaming()
        signal(pg, db, "resume-snapshot")
        wait_log(p, "incremental snapshot of public.big done", timeout=120)
        pg.execute("UPDATE big SET note = 'last' WHERE id = 4", db=db)
        reader.wait_for(lambda recs: any(r.payload and r.payload["after"] and
                                         r.payload["after"]["note"] == "last" for r in recs),
                        timeout=120, what="the last change")
        reader.drain()
        chunks_run2 = p.scrape().get('pgcdc_incremental_snapshot_chunks_total{table="public.big"}')
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    log = p.log()
    assert f"resuming public.big ({done_chunks} chunks" in log, log
    assert "incremental snapshot of public.big continues after key (" in log, log
    # It did not start over: the second run read only the chunks the first had not acknowledged.
    assert chunks_run2 is not None and chunks_run2 <= rows // chunk - done_chunks + 1, chunks_run2
    assert replay(reader.records) == table_rows(pg, db)
    assert offsets_state(cfg) is None


def test_pause_resume_and_stop(pg, broker, workdir):
    db = "incpause"
    make_db(pg, db, 300)
    pg.execute("CREATE TABLE other (id int PRIMARY KEY, v int NOT NULL, note text); "
               "INSERT INTO other SELECT g, 0, 'x' FROM generate_series(1, 30) g", db=db)
    cfg = config(pg, broker, workdir, db, tables=["public.big", "public.other"], chunk_size=50)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.big", f"{db}.public.other"])
    conn = psycopg2.connect(pg.dsn(db))
    try:
        p.wait_streaming()
        # Queued and paused in one transaction: nothing may be read while paused.
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO dbz_signal VALUES ('s1', 'execute-snapshot', %s)",
                        (json.dumps({"data-collections": ["public.big"]}),))
            cur.execute("INSERT INTO dbz_signal VALUES ('s2', 'pause-snapshot', NULL)")
        wait_log(p, "incremental snapshots paused (signal 's2')", timeout=30)
        time.sleep(2)
        assert reader.poll(1.0) == []
        signal(pg, db, "resume-snapshot", sid="s3")
        wait_log(p, "incremental snapshot of public.big done", timeout=60)
        # Queued and stopped in one transaction: nothing is read.
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO dbz_signal VALUES ('s4', 'execute-snapshot', %s)",
                        (json.dumps({"data-collections": ["public.other"]}),))
            cur.execute("INSERT INTO dbz_signal VALUES ('s5', 'stop-snapshot', %s)",
                        (json.dumps({"data-collections": ["public.other"]}),))
        wait_log(p, "incremental snapshot of public.other stopped (signal 's5')", timeout=30)
        pg.execute("INSERT INTO big VALUES (1, 0, 'after')", db=db)
        reader.wait_for(lambda recs: any(r.payload and r.payload["op"] == "c" for r in recs),
                        timeout=60, what="the insert")
        reader.poll(1.0)
    finally:
        conn.close()
        reader.close()
        assert p.stop() == 0, p.log()
    big = [r for r in reader.records if r.topic == f"{db}.public.big"]
    assert sorted(r.key_payload["id"] for r in big if r.payload["op"] == "r") == \
        list(range(2, 601, 2))
    assert [r for r in reader.records if r.topic == f"{db}.public.other"] == []


def test_cli_signals_without_a_signal_table(pg, broker, workdir):
    db = "inccli"
    make_db(pg, db, 60)
    # No primary key to page by, but published (REPLICA IDENTITY FULL: a table without a usable
    # identity is left out of the publication, test_replica_identity.py).
    pg.execute("CREATE TABLE nokey (a int, b text); ALTER TABLE nokey REPLICA IDENTITY FULL; "
               "INSERT INTO nokey VALUES (1, 'x')", db=db)
    cfg = config(pg, broker, workdir, db, tables=["public.big", "public.nokey"], chunk_size=25)
    del cfg["signals"]
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.big"])
    try:
        p.wait_streaming()
        path = p.config_path
        r = run_pgcdc(["snapshot", "-c", path, "--table", "public.big", "--where", "id > 100"])
        assert r.returncode == 0, r.stderr
        assert "(execute-snapshot) written to the WAL" in r.stdout, r.stdout
        wait_log(p, "incremental snapshot of public.big done", timeout=60)
        reader.wait_for(lambda recs: len(recs) >= 10, timeout=60, what="10 reads")
        reader.poll(1.0)
        # A table without a primary key is refused with one line.
        r = run_pgcdc(["snapshot", "-c", path, "--table", "public.nokey"])
        assert r.returncode == 0, r.stderr
        wait_log(p, "incremental snapshot of public.nokey refused", timeout=60)
        # Not captured: refused by the CLI itself (exit 2).
        r = run_pgcdc(["snapshot", "-c", path, "--table", "public.dbz_signal"])
        assert r.returncode == 2 and "is not captured" in r.stderr, (r.returncode, r.stderr)
        r = run_pgcdc(["snapshot", "-c", path, "--status"])
        assert r.returncode == 0 and "none in progress" in r.stdout, r.stdout
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    assert sorted(r.key_payload["id"] for r in reader.records) == list(range(102, 121, 2))
    refused = [line for line in p.log().splitlines() if "public.nokey refused" in line]
    assert len(refused) == 1 and "surrogate-key" in refused[0], refused


def test_commit_streamed_before_visible_is_not_overwritten(broker, workdir):
    """Reference §5/§6.4: a commit waiting for a synchronous standby is already streamed but not
    yet visible to new snapshots. A chunk read then would hold the older row and publish it after
    the newer change; pgcdc must read such a chunk again once the commit is visible."""
    server = PostgresServer(extra_conf={"synchronous_standby_names": "'nonexistent'",
                                        "synchronous_commit": "local"}).start()
    db = "incvis"
    hung = None
    p = None
    reader = None
    try:
        make_db(server, db)
        server.execute("CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, note text); "
                       "INSERT INTO big SELECT g, 0, 'x' FROM generate_series(1, 10) g", db=db)
        cfg = config(server, broker, workdir, db, tables=["public.big"], chunk_size=100)
        p = Pgcdc(cfg, workdir).start()
        reader = TopicReader(broker.bootstrap, [f"{db}.public.big"])
        p.wait_streaming()

        def commit_waiting_for_standby():
            conn = psycopg2.connect(server.dsn(db))
            with conn, conn.cursor() as cur:
                cur.execute("SET synchronous_commit = on")
                cur.execute("UPDATE big SET v = 5 WHERE id = 4")
            conn.close()

        hung = threading.Thread(target=commit_waiting_for_standby, daemon=True)
        hung.start()
        # Streamed (its commit record is in the WAL) while the session still waits.
        reader.wait_for(lambda recs: any(r.payload and r.payload["op"] == "u" for r in recs),
                        timeout=60, what="the waiting commit's update")
        assert hung.is_alive()
        assert server.execute("SELECT v FROM big WHERE id = 4", db=db) == [(0,)]
        signal(server, db, "execute-snapshot", {"data-collections": ["public.big"]})
        wait_log(p, "read again: transaction", timeout=60)
        server.execute("ALTER SYSTEM SET synchronous_standby_names = ''", db=db)
        server.execute("SELECT pg_reload_conf()", db=db)
        hung.join(30)
        wait_log(p, "incremental snapshot of public.big done", timeout=60)
        reader.wait_for(lambda recs: sum(1 for r in recs if r.payload["op"] == "r") >= 10,
                        timeout=60, what="the reads")
        reader.poll(1.0)
    finally:
        if reader:
            reader.close()
        if p:
            assert p.stop() == 0, p.log()
        server.stop()
    last = {}
    for r in reader.records:
        last[r.key_payload["id"]] = r.payload["after"]["v"]
    assert last[4] == 5, [(r.payload["op"], r.payload["after"]) for r in reader.records
                          if r.key_payload["id"] == 4]
    assert replay(reader.records) == {i: {"id": i, "v": 5 if i == 4 else 0, "note": "x"}
                                      for i in range(1, 11)}
