"""[reliability] slot invalidation and re-creation behind pgcdc's back are detected at start and
produce the documented error; snapshot.mode when_needed recovers by taking a new snapshot."""

import os

import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, PostgresServer, TopicReader, wait_until


@pytest.fixture(scope="module")
def small_wal_pg():
    # A slot may hold back at most 1 MB of WAL: easy to invalidate.
    server = PostgresServer(extra_conf={"max_slot_wal_keep_size": "1MB"}).start()
    yield server
    server.stop()


def run_to_exit(cfg, workdir):
    p = Pgcdc(cfg, workdir).start()
    p.proc.wait(timeout=60)
    return p


def test_invalidated_slot_is_refused_then_resnapshotted(small_wal_pg, broker, workdir):
    pg, db = small_wal_pg, "inval"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text); CREATE TABLE other(x text)", db=db)
    pg.execute("INSERT INTO t SELECT g, 'v' FROM generate_series(1, 10) g", db=db)
    cfg = base_config(pg, broker, db, db=db, offsets={"file": os.path.join(workdir, "i.offsets")})
    cfg["source"]["tables"] = ["public.t"]
    cfg["snapshot"] = {"mode": "initial"}
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()

    # pgcdc is down while far more WAL than the slot may keep is written.
    for _ in range(6):
        pg.execute("INSERT INTO other SELECT repeat('w', 1000) FROM generate_series(1, 2000)", db=db)
        pg.execute("SELECT pg_switch_wal()", db=db)
    pg.execute("INSERT INTO t VALUES (11, 'lost with the WAL')", db=db)
    pg.execute("CHECKPOINT", db=db)
    wait_until(lambda: pg.execute("SELECT wal_status FROM pg_replication_slots WHERE slot_name = "
                                  "'pgcdc_inval'", db=db)[0][0] == "lost", 30,
               what="the slot to be invalidated")

    p = run_to_exit(cfg, workdir)
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    assert "is invalidated (wal_status = lost)" in last and "when_needed" in last, last

    cfg["snapshot"]["mode"] = "when_needed"
    reader = TopicReader(broker.bootstrap, [f"{db}.public.t"])
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert "is invalidated (snapshot.mode when_needed)" in p.log()
    pg.execute("INSERT INTO t VALUES (12, 'streamed')", db=db)
    reader.wait_for(lambda rs: any(r.key_payload["id"] == 12 for r in rs), 30)
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()
    # The new snapshot holds row 11, whose change was lost with the WAL.
    assert {r.key_payload["id"] for r in recs if r.payload["op"] == "r"} >= set(range(1, 12))


def test_slot_recreated_behind_pgcdc_is_refused(pg, broker, workdir):
    db = "recreate"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    cfg = base_config(pg, broker, db, db=db, offsets={"file": os.path.join(workdir, "r.offsets")})
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    # Someone drops the slot and creates one of the same name later: changes in between are gone.
    pg.execute("SELECT pg_drop_replication_slot('pgcdc_recreate')", db=db)
    pg.execute("INSERT INTO t VALUES (1)", db=db)
    pg.execute("SELECT pg_create_logical_replication_slot('pgcdc_recreate', 'pgoutput')", db=db)
    p = run_to_exit(cfg, workdir)
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    assert "ahead of the offsets file" in last, last
    assert pg.slot("pgcdc_recreate", db) is not None  # nothing dropped or changed


def test_slot_invalidated_while_streaming_is_a_clear_error(small_wal_pg, broker, workdir):
    pg, db = small_wal_pg, "invalrun"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY); CREATE TABLE other(x text)", db=db)
    cfg = base_config(pg, broker, db, db=db, offsets={"file": os.path.join(workdir, "ir.offsets")})
    cfg["source"]["tables"] = ["public.t"]
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    # The broker is away, so the change stays unconfirmed and the slot cannot advance while more
    # WAL than it may keep is written: the server invalidates it and ends pgcdc's walsender.
    broker.command("down -1")
    try:
        pg.execute("INSERT INTO t VALUES (1)", db=db)
        for _ in range(6):
            pg.execute("INSERT INTO other SELECT repeat('w', 1000) FROM generate_series(1, 2000)",
                       db=db)
            pg.execute("SELECT pg_switch_wal()", db=db)
        pg.execute("CHECKPOINT", db=db)
        wait_until(lambda: pg.execute("SELECT wal_status FROM pg_replication_slots WHERE "
                                      "slot_name = 'pgcdc_invalrun'", db=db)[0][0] == "lost", 30,
                   what="the slot to be invalidated")
    finally:
        broker.command("up -1")
    p.proc.wait(timeout=120)
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    assert "was invalidated (wal_status = lost) while pgcdc was streaming" in last, last
    assert "when_needed" in last


def test_slot_recreated_while_reconnecting_is_refused(pg, broker, workdir):
    db = "recreaterun"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    cfg = base_config(pg, broker, db, db=db, offsets={"file": os.path.join(workdir, "rr.offsets")})
    cfg["source"]["reconnect_max_backoff_ms"] = 5000
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    # End pgcdc's walsender; while pgcdc backs off, the slot is replaced and changes are made.
    pg.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE "
               "slot_name = 'pgcdc_recreaterun'", db=db)
    wait_until(lambda: "reconnecting in" in p.log(), 30, what="pgcdc to back off")

    def drop():
        # pgcdc may have reconnected already: end its walsender again until the drop wins.
        pg.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE "
                   "slot_name = 'pgcdc_recreaterun' AND active", db=db)
        try:
            pg.execute("SELECT pg_drop_replication_slot('pgcdc_recreaterun')", db=db)
            return True
        except Exception:  # "is active for PID": retry
            return False

    wait_until(drop, 20, what="the slot to be dropped")
    pg.execute("INSERT INTO t VALUES (1)", db=db)
    pg.execute("SELECT pg_create_logical_replication_slot('pgcdc_recreaterun', 'pgoutput')", db=db)
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1, p.log()
    last = p.log().strip().splitlines()[-1]
    # Whichever pgcdc saw first between two attempts, it stops instead of skipping the gap.
    assert ("re-created or advanced by someone else while pgcdc was reconnecting" in last or
            "was dropped while pgcdc was reconnecting" in last), last
    assert "when_needed" in last
