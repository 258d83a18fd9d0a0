"""A PostgreSQL restart mid-stream: pgcdc notices the lost replication connection, delivers and
confirms what it has, reconnects with backoff and resumes from its confirmed LSN; nothing is lost
and the process never exits."""

import os
import time

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, run_pgcdc, wait_until
from writer import Writer


def test_postgres_restart_is_survived(pg, broker, workdir):
    pg.create_database("rs")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db="rs")
    cfg = base_config(pg, broker, "rs", db="rs",
                      offsets={"file": os.path.join(workdir, "rs.offsets")})
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["rs.public.t"])
    try:
        p.wait_streaming()
        before = Writer(pg.dsn("rs"), "t", keys=30, seed=1)
        before.start()
        time.sleep(1.0)
        before.stop()
        pg.restart()
        wait_until(lambda: p.log().count("streaming from slot") >= 2 or not p.alive(), 60,
                   what="pgcdc to reconnect")
        assert p.alive(), p.log()
        after = Writer(pg.dsn("rs"), "t", keys=30, seed=2, first_key=101)
        after.start()
        time.sleep(1.0)
        after.stop()
        rows = {i: v for i, v in pg.execute("SELECT id, version FROM t", "rs")}

        def caught_up(recs):
            state = {}
            for r in sorted(recs, key=lambda r: (r.partition, r.offset)):
                k = r.key_payload["id"]
                if r.value is None or r.payload["op"] == "d":
                    state.pop(k, None)
                else:
                    state[k] = r.payload["after"]["version"]
            return state == rows
        reader.wait_for(caught_up, timeout=90, what="the topic to match the table")
        assert "reconnecting in" in p.log()
    finally:
        reader.close()
        assert p.stop() == 0, p.log()


def test_slot_ahead_of_offsets_is_refused(pg, broker, workdir):
    """Someone else advanced the slot past pgcdc's offset: starting would silently skip changes,
    so pgcdc refuses with what to do, and starts again once the offsets are reset to the slot."""
    pg.create_database("ahead")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db="ahead")
    offsets = os.path.join(workdir, "ahead.offsets")
    cfg = base_config(pg, broker, "ahead", db="ahead", offsets={"file": offsets})
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    pg.execute("INSERT INTO t SELECT generate_series(1, 10)", db="ahead")
    pg.execute("SELECT pg_replication_slot_advance('pgcdc_ahead', pg_current_wal_lsn())", db="ahead")
    p.start()
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1
    errors = [line for line in p.log().splitlines() if line.split(" ")[1:2] == ["error"]]
    assert len(errors) == 1 and "ahead of the offsets file" in errors[0], p.log()
    assert "pgcdc offsets reset -c FILE --to-slot --yes" in errors[0]
    r = run_pgcdc(["offsets", "reset", "-c", p.config_path, "--to-slot", "--yes"])
    assert r.returncode == 0, r.stdout + r.stderr
    p.start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
