"""[core] acceptance: the slot's confirmed_flush_lsn never passes an event the broker has not
acknowledged. With the broker down (or rejecting produce requests) it must not move; when the
broker recovers, nothing is lost. The walsender must not time out meanwhile, even when pgcdc stops
reading because its in-flight limit is reached."""

import os
import time

import pytest

from conftest import base_config, make_broker, mock_only
from pgcdc_harness import Pgcdc, PostgresServer, TopicReader


@pytest.fixture(scope="module")
def pg():
    # A short wal_sender_timeout proves that status updates keep flowing during the outage.
    server = PostgresServer(extra_conf={"wal_sender_timeout": "'3s'"}).start()
    yield server
    server.stop()


@pytest.fixture
def broker():
    # Real Kafka (PGCDC_BROKER=kafka): "down -1" stops the broker process, "up -1" restarts it.
    b = make_broker()
    yield b
    b.stop()


def current_lsn(pg, db):
    return pg.current_wal_lsn(db)


def run_outage(pg, broker, workdir, db, limits=None, fault="down"):
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    cfg = base_config(pg, broker, db, db=db, offsets={"file": os.path.join(workdir, "o.offsets")})
    if limits:
        cfg["limits"] = limits
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.t"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO t SELECT g, 'before' FROM generate_series(1, 10) g", db=db)
        reader.wait_count(10, timeout=60)
        time.sleep(1.5)
        if fault == "down":
            broker.command("down -1")
        else:
            # Produce (ApiKey 0) fails with NOT_LEADER_FOR_PARTITION (6), retriable, many times.
            broker.command("errors 0 6 400")
        time.sleep(0.5)
        frozen_at = pg.confirmed_flush(f"pgcdc_{db}", db)
        committed_at = {}  # row id -> WAL position just after its transaction committed
        for i in range(11, 211):
            pg.execute(f"INSERT INTO t VALUES ({i}, 'during')", db=db)
            committed_at[i] = current_lsn(pg, db)
        # For several wal_sender_timeouts: every change at or below the slot's confirmed_flush
        # must already be readable in Kafka. With the broker down, that means frozen.
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            cf = pg.confirmed_flush(f"pgcdc_{db}", db)
            if fault == "down":
                # Below the first write's commit (keepalives may confirm WAL before it).
                assert cf < committed_at[11], f"confirmed_flush {cf:X} passed undelivered changes"
                time.sleep(0.25)
                continue
            # What the broker holds right after the sample; everything confirmed must be in it.
            marks = reader.watermarks()
            delivered = {r.key_payload["id"] for r in reader.read_below(marks)}
            confirmed = {i for i, at in committed_at.items() if at <= cf}
            assert confirmed <= delivered, \
                f"confirmed_flush {cf:X} covers undelivered rows {sorted(confirmed - delivered)[:5]}"
        assert p.alive(), p.log()
        if fault == "down":
            broker.command("up -1")
        recs = reader.wait_for(lambda rs: {r.key_payload["id"] for r in rs} >= set(range(1, 211)),
                               timeout=120, what="all 210 rows")
        after = current_lsn(pg, db)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and pg.confirmed_flush(f"pgcdc_{db}", db) < after - 200:
            time.sleep(0.25)
        assert pg.confirmed_flush(f"pgcdc_{db}", db) > frozen_at
        log = p.log()
        assert "reconnecting" not in log, log  # the walsender never timed out
        values = {r.key_payload["id"]: r.payload["after"]["v"] for r in recs}
        assert all(values[i] == ("before" if i <= 10 else "during") for i in range(1, 211))
    finally:
        reader.close()
        assert p.stop() == 0, p.log()


def test_broker_down_freezes_confirmed_lsn(pg, broker, workdir):
    run_outage(pg, broker, workdir, "down1")


def test_backpressure_keeps_walsender_alive(pg, broker, workdir):
    # Only 16 events may be in flight: pgcdc stops reading the stream during the outage.
    run_outage(pg, broker, workdir, "down2", limits={"max_inflight_events": 16})


@mock_only("injects produce errors with the mock's 'errors' command")
def test_produce_errors_are_retried_without_loss(pg, broker, workdir):
    run_outage(pg, broker, workdir, "errs", fault="errors")
