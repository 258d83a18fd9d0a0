"""[snapshot] acceptance: a consistent, parallel initial snapshot that hands over to streaming
without a gap or an overlap, in every snapshot.mode, surviving a crash and a lost connection."""

import json
import os
import random
import re
import threading
import time

import psycopg2

from conftest import base_config, scaled
from pgcdc_harness import Pgcdc, TopicReader, lsn_to_int, replay, wait_until

BIG_ROWS = scaled(200_000, 50_000)


class FreshKeyWriter(threading.Thread):
    """Inserts rows under keys never used before and updates or deletes existing ones, in small
    transactions, so a key's snapshot read can never be confused with a later insert."""

    def __init__(self, dsn, table, first_new_key, existing, seed=5):
        super().__init__(daemon=True)
        self.dsn, self.table = dsn, table
        self.next_key = first_new_key
        self.live = list(existing)
        self.rng = random.Random(seed)
        self.stop_event = threading.Event()
        self.touched = set()
        self.error = None
        self.commits = 0

    def run(self):
        try:
            conn = psycopg2.connect(self.dsn)
            cur = conn.cursor()
            while not self.stop_event.is_set():
                for _ in range(self.rng.randint(1, 4)):
                    r = self.rng.random()
                    if r < 0.4 or not self.live:
                        k = self.next_key
                        self.next_key += 1
                        cur.execute(f"INSERT INTO {self.table} (id, version, payload) VALUES "
                                    "(%s, 1, %s)", (k, "new"))
                        self.live.append(k)
                    elif r < 0.8:
                        k = self.rng.choice(self.live)
                        cur.execute(f"UPDATE {self.table} SET version = version + 1, payload = "
                                    "%s WHERE id = %s", (f"u{self.commits}", k))
                    else:
                        k = self.live.pop(self.rng.randrange(len(self.live)))
                        cur.execute(f"DELETE FROM {self.table} WHERE id = %s", (k,))
                    self.touched.add(k)
                conn.commit()
                self.commits += 1
                time.sleep(0.001)
            conn.close()
        except Exception as e:  # surfaced by the test
            self.error = e

    def stop(self):
        self.stop_event.set()
        self.join(30)
        assert self.error is None, self.error


def rows_of(pg, db, table):
    return {r[0]: {"id": r[0], "version": r[1], "payload": r[2]}
            for r in pg.execute(f"SELECT id, version, payload FROM {table}", db=db)}


def replayed(records):
    out = {}
    for k, row in replay(records).items():
        out[json.loads(k)["id"]] = {"id": row["id"], "version": row["version"],
                                    "payload": row["payload"]}
    return out


def reads(records, lsn=None):
    return [r for r in records if r.value is not None and r.payload["op"] == "r"
            and (lsn is None or r.payload["source"]["lsn"] == lsn)]


def offsets(path):
    with open(path) as f:
        return json.load(f)


def wait_caught_up(pg, db, slot, timeout=120):
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db), timeout)


def snapshot_config(pg, broker, name, workdir, mode="initial", **snapshot):
    cfg = base_config(pg, broker, name, db=name,
                      offsets={"file": os.path.join(workdir, f"{name}.offsets")})
    cfg["snapshot"] = {"mode": mode, "progress_interval_ms": 500, **snapshot}
    return cfg


def test_initial_snapshot_under_writes_hands_over_without_gap_or_overlap(pg, broker, workdir):
    db = "snap"
    pg.create_database(db)
    pg.execute("CREATE TABLE big(id bigint PRIMARY KEY, version int NOT NULL, payload text, "
               "at timestamptz DEFAULT now())", db=db)
    pg.execute(f"INSERT INTO big (id, version, payload) SELECT g, 0, 'row ' || g "
               f"FROM generate_series(1, {BIG_ROWS}) g", db=db)
    pg.execute("CREATE TABLE small(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    pg.execute("INSERT INTO small SELECT g, 0, repeat('s', g % 50) || E'\\ttab\\nline\\\\' "
               "FROM generate_series(1, 1000) g", db=db)
    # Keyless, but with an identity: published (a table without one is left out, see
    # test_replica_identity.py), its events have a null key.
    pg.execute("CREATE TABLE nokey(a int, b text); ALTER TABLE nokey REPLICA IDENTITY FULL", db=db)
    pg.execute("INSERT INTO nokey SELECT g, 'k' || g FROM generate_series(1, 500) g", db=db)
    pg.execute("CREATE TABLE ignored(id int PRIMARY KEY)", db=db)
    pg.execute("INSERT INTO ignored SELECT generate_series(1, 10)", db=db)
    pg.execute("ANALYZE", db=db)

    cfg = snapshot_config(pg, broker, db, workdir, parallelism=2, chunk_pages=scaled(64, 16))
    cfg["source"]["tables"] = ["public.big", "public.small", "public.nokey"]
    topics = [f"{db}.public.big", f"{db}.public.small", f"{db}.public.nokey",
              f"{db}.public.ignored"]
    # The mock broker keeps 5 MB per partition: spread the big topic so nothing is dropped.
    broker.command(f"topic {db}.public.big 16")
    reader = TopicReader(broker.bootstrap, topics)

    big_writer = FreshKeyWriter(pg.dsn(db), "big", BIG_ROWS + 1, range(1, BIG_ROWS + 1))
    small_writer = FreshKeyWriter(pg.dsn(db), "small", 1001, range(1, 1001), seed=9)
    big_writer.start()
    small_writer.start()
    time.sleep(0.5)  # writes are running while the slot is created and the tables are read
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming(timeout=300)
    log = p.log()
    assert "snapshot complete" in log, log
    assert "snapshot: " in log and "rows/s" in log, "no progress lines:\n" + log
    time.sleep(2)
    big_writer.stop()
    small_writer.stop()
    wait_caught_up(pg, db, f"pgcdc_{db}")
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()

    state = offsets(cfg["offsets"]["file"])
    assert state["snapshot"] == "complete"
    snapshot_lsn = lsn_to_int(state["snapshot_lsn"])

    for table, writer, preloaded in (("big", big_writer, BIG_ROWS), ("small", small_writer, 1000)):
        tr = [r for r in recs if r.topic == f"{db}.public.{table}"]
        # The topic, replayed, is the table.
        assert replayed(tr) == rows_of(pg, db, table), table
        rd = reads(tr)
        keys = [r.key_payload["id"] for r in rd]
        assert len(keys) == len(set(keys)), f"{table}: a row was read twice"
        created = {r.key_payload["id"] for r in tr
                   if r.value is not None and r.payload["op"] == "c"}
        assert not (set(keys) & created), f"{table}: rows both snapshotted and streamed as inserts"
        untouched = set(range(1, preloaded + 1)) - writer.touched
        assert untouched <= set(keys), f"{table}: preloaded rows missing from the snapshot"
        assert all(r.payload["source"]["lsn"] == snapshot_lsn for r in rd)
        # (A streamed change may sit before the consistent point in the WAL: its transaction
        # began before the slot became consistent and committed after. So the LSN of a
        # streamed record says nothing here; the checks above and below do.)
        # A key's read comes before its streamed changes.
        first_op = {}
        for r in sorted(tr, key=lambda r: (r.partition, r.offset)):
            if r.value is not None:
                first_op.setdefault(r.key_payload["id"], r.payload["op"])
        assert all(first_op[k] == "r" for k in keys), f"{table}: a change preceded its read"
        assert writer.commits > 10

    nk = [r for r in recs if r.topic == f"{db}.public.nokey"]
    assert len(nk) == 500 and all(r.key is None and r.payload["op"] == "r" for r in nk)
    assert "nokey has no primary key" in log
    assert not [r for r in recs if r.topic == f"{db}.public.ignored"]

    small_rows = {r.payload["after"]["id"]: r.payload["after"]["payload"] for r in reads(recs)
                  if r.topic == f"{db}.public.small"}
    # Tabs, newlines and backslashes survive COPY's text format.
    untouched_small = set(range(1, 1001)) - small_writer.touched
    assert untouched_small
    for k in untouched_small:
        assert small_rows[k] == "s" * (k % 50) + "\ttab\nline\\", k

    markers = [r.payload["source"]["snapshot"] for r in reads(recs)]
    assert markers.count("last") == 1 and markers.count("first") == 1, markers[:5]
    assert set(markers) <= {"true", "first", "first_in_data_collection",
                            "last_in_data_collection", "last"}
    # The big table is split into CTID ranges, read by both workers.
    plan = re.search(r"snapshot at [0-9A-F/]+: 3 tables in (\d+) ranges, .* (\d+) workers", log)
    assert plan and int(plan.group(1)) > 10 and plan.group(2) == "2", log


def test_initial_only_then_initial_streams_without_gap(pg, broker, workdir):
    db = "only"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    pg.execute("INSERT INTO t SELECT g, 0, 'p' FROM generate_series(1, 100) g", db=db)
    cfg = snapshot_config(pg, broker, db, workdir, mode="initial_only")
    reader = TopicReader(broker.bootstrap, [f"{db}.public.t"])

    p = Pgcdc(cfg, workdir).start()
    p.proc.wait(timeout=120)
    assert p.proc.returncode == 0, p.log()
    assert offsets(cfg["offsets"]["file"])["snapshot"] == "complete"
    assert pg.slot(f"pgcdc_{db}", db) is not None, "initial_only keeps the slot for streaming later"
    pg.execute("INSERT INTO t VALUES (101, 0, 'after')", db=db)

    p.start()  # again: nothing to do
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 0 and "nothing to do" in p.log(), p.log()
    recs = reader.drain()
    assert len(reads(recs)) == 100 and len(recs) == 100

    cfg["snapshot"]["mode"] = "initial"
    p2 = Pgcdc(cfg, workdir).start()
    p2.wait_streaming()
    pg.execute("INSERT INTO t VALUES (102, 0, 'streamed')", db=db)
    wait_caught_up(pg, db, f"pgcdc_{db}")
    assert p2.stop() == 0, p2.log()
    recs = reader.drain()
    reader.close()
    ops = sorted((r.key_payload["id"], r.payload["op"]) for r in recs if r.key_payload["id"] > 100)
    assert ops == [(101, "c"), (102, "c")]  # written between the runs: streamed, not lost
    assert replayed(recs) == rows_of(pg, db, "t")


def test_never_streams_only(pg, broker, workdir):
    db = "nev"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    pg.execute("INSERT INTO t SELECT g, 0, 'p' FROM generate_series(1, 50) g", db=db)
    cfg = snapshot_config(pg, broker, db, workdir, mode="never")
    reader = TopicReader(broker.bootstrap, [f"{db}.public.t"])
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (51, 1, 'x'), (52, 1, 'y')", db=db)
    wait_caught_up(pg, db, f"pgcdc_{db}")
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()
    assert sorted((r.key_payload["id"], r.payload["op"]) for r in recs) == [(51, "c"), (52, "c")]
    assert "snapshot" not in offsets(cfg["offsets"]["file"])


def test_always_and_when_needed(pg, broker, workdir):
    db = "alw"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    pg.execute("INSERT INTO t SELECT g, 0, 'p' FROM generate_series(1, 20) g", db=db)
    slot = f"pgcdc_{db}"
    cfg = snapshot_config(pg, broker, db, workdir, mode="always")
    reader = TopicReader(broker.bootstrap, [f"{db}.public.t"])

    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    first_lsn = lsn_to_int(offsets(cfg["offsets"]["file"])["snapshot_lsn"])
    pg.execute("INSERT INTO t SELECT g, 0, 'while stopped' FROM generate_series(21, 25) g", db=db)

    # always: a new snapshot at every start, from a re-created slot.
    p.start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (26, 0, 'streamed')", db=db)
    wait_caught_up(pg, db, slot)
    assert p.stop() == 0, p.log()
    second_lsn = lsn_to_int(offsets(cfg["offsets"]["file"])["snapshot_lsn"])
    assert second_lsn > first_lsn
    recs = reader.drain()
    assert sorted(r.key_payload["id"] for r in reads(recs, first_lsn)) == list(range(1, 21))
    assert sorted(r.key_payload["id"] for r in reads(recs, second_lsn)) == list(range(1, 26))
    assert [(r.key_payload["id"], r.payload["op"]) for r in recs
            if r.payload["op"] != "r"] == [(26, "c")]

    # when_needed with a healthy slot: streams on.
    cfg["snapshot"]["mode"] = "when_needed"
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    assert "taking a snapshot" not in p.log()

    # The slot dropped behind pgcdc's back: initial refuses, when_needed re-snapshots.
    pg.execute(f"SELECT pg_drop_replication_slot('{slot}')", db=db)
    pg.execute("INSERT INTO t VALUES (27, 0, 'slot gone')", db=db)
    cfg["snapshot"]["mode"] = "initial"
    p = Pgcdc(cfg, workdir).start()
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1 and "does not exist" in p.log(), p.log()
    assert "when_needed" in p.log()
    cfg["snapshot"]["mode"] = "when_needed"
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert "is missing (snapshot.mode when_needed)" in p.log(), p.log()
    assert p.stop() == 0, p.log()
    third_lsn = lsn_to_int(offsets(cfg["offsets"]["file"])["snapshot_lsn"])
    recs = reader.drain()
    reader.close()
    assert sorted(r.key_payload["id"] for r in reads(recs, third_lsn)) == list(range(1, 28))
    assert replayed(recs) == rows_of(pg, db, "t")


def test_crash_and_lost_connection_during_snapshot_resume_it(pg, broker, workdir):
    db = "crashsnap"
    rows = scaled(60_000, 15_000)
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    pg.execute(f"INSERT INTO t SELECT g, 0, 'p' FROM generate_series(1, {rows}) g", db=db)
    pg.execute("ANALYZE t", db=db)
    slot = f"pgcdc_{db}"
    # Slow enough to interrupt: one worker, few records in flight.
    cfg = snapshot_config(pg, broker, db, workdir, parallelism=1)
    cfg["limits"] = {"max_inflight_events": 20}
    broker.command(f"topic {db}.public.t 16")  # three snapshots' records fit the mock's log
    reader = TopicReader(broker.bootstrap, [f"{db}.public.t"])

    def read_so_far():
        done = re.findall(r"snapshot: public\.t (\d+)/", p.log())
        return int(done[-1]) if done else 0

    # 0. SIGTERM in the middle: a clean stop, the snapshot marked unfinished.
    p = Pgcdc(cfg, workdir).start()
    wait_until(lambda: read_so_far() >= 2000, 120, what="the snapshot to get going")
    assert p.stop() == 0, p.log()
    assert "stopped during the snapshot; the next start resumes it" in p.log(), p.log()
    assert offsets(cfg["offsets"]["file"])["snapshot"] == "running"

    # 1. kill -9 in the middle.
    p.start()
    wait_until(lambda: read_so_far() >= 2000, 120, what="the snapshot to get going")
    p.kill()
    state = offsets(cfg["offsets"]["file"])
    assert state["snapshot"] == "running", state
    first_lsn = lsn_to_int(state["snapshot_lsn"])
    assert len(reader.drain()) < rows, "the snapshot finished before the kill"
    assert (pg.confirmed_flush(slot, db) or 0) <= first_lsn
    # Rows the interrupted passes read, gone before the next read: deletes must reach the topic.
    pg.execute("DELETE FROM t WHERE id <= 5", db=db)

    # 2. The restart resumes it (the slot is kept); its worker's connection is terminated
    #    mid-way.
    p.start()
    wait_until(lambda: read_so_far() >= 2000, 120, what="the second snapshot to get going")
    pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'COPY%' "
               "AND pid <> pg_backend_pid()", db=db)
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1, p.log()
    assert "snapshot worker: " in p.log().splitlines()[-1], p.log()
    assert "ETA" in p.log()
    assert "previous snapshot did not complete: resuming it" in p.log()
    assert "dropped replication slot" not in p.log()
    assert "streaming from slot" not in p.log()
    assert offsets(cfg["offsets"]["file"])["snapshot"] == "running"

    # 3. The third run resumes and completes: its read alone holds every row exactly once.
    cfg["limits"] = {"max_inflight_events": 100000}
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming(timeout=180)
    pg.execute("UPDATE t SET version = 1 WHERE id <= 10", db=db)
    wait_caught_up(pg, db, slot)
    assert p.stop() == 0, p.log()
    final = offsets(cfg["offsets"]["file"])
    assert final["snapshot"] == "complete"
    assert lsn_to_int(final["snapshot_lsn"]) == first_lsn  # one slot throughout
    recs = reader.drain()
    reader.close()
    last_lsn = max(r.payload["source"]["lsn"] for r in reads(recs))
    assert last_lsn > first_lsn
    ids = [r.key_payload["id"] for r in reads(recs, last_lsn)]
    assert len(ids) == rows - 5 and set(ids) == set(range(6, rows + 1))
    assert {1, 2, 3, 4, 5} <= {r.key_payload["id"] for r in recs
                               if r.value is not None and r.payload["op"] == "d"}
    assert replayed(recs) == rows_of(pg, db, "t")


def test_missing_select_privilege_fails_before_creating_anything(pg, broker, workdir):
    db = "perm"
    pg.create_database(db)
    pg.execute("CREATE TABLE open_t(id int PRIMARY KEY); CREATE TABLE secret(id int PRIMARY KEY)",
               db=db)
    pg.execute("DROP ROLE IF EXISTS snapper; CREATE ROLE snapper LOGIN REPLICATION; "
               "GRANT SELECT ON open_t TO snapper", db=db)
    pg.execute("CREATE PUBLICATION pgcdc_perm FOR TABLE open_t, secret", db=db)
    cfg = snapshot_config(pg, broker, db, workdir)
    cfg["source"]["dsn"] = pg.dsn(db, user="snapper")
    cfg["source"]["create_publication"] = False
    p = Pgcdc(cfg, workdir).start()
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    assert "lacks SELECT on public.secret" in last and "open_t" not in last, last
    assert pg.slot("pgcdc_perm", db) is None
