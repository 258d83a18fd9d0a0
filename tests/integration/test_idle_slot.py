"""[core] acceptance: with the captured tables idle and other WAL traffic, the slot's
confirmed_flush_lsn keeps advancing (keepalive walEnd is confirmed when nothing is in flight), so
an idle slot does not pin WAL."""

import os
import time

from conftest import base_config
from pgcdc_harness import Pgcdc, lsn_to_int


def test_idle_captured_tables_release_wal(pg, broker, workdir):
    pg.create_database("idle")
    pg.execute("CREATE TABLE captured(id int PRIMARY KEY); CREATE TABLE noise(id serial, v text)",
               db="idle")
    cfg = base_config(pg, broker, "idle", db="idle", source={"tables": ["public.captured"]},
                      offsets={"file": os.path.join(workdir, "idle.offsets")})
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        start = pg.confirmed_flush("pgcdc_idle", "idle")
        # Lots of WAL from a table outside the publication: PG15 sends no Begin/Commit for it.
        for _ in range(20):
            pg.execute("INSERT INTO noise(v) SELECT repeat('x', 200) FROM generate_series(1, 500)",
                       db="idle")
        target = pg.current_wal_lsn("idle")
        assert target - start > 1_000_000  # over 1 MB of unrelated WAL
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if pg.confirmed_flush("pgcdc_idle", "idle") >= target:
                break
            time.sleep(0.25)
        cf = pg.confirmed_flush("pgcdc_idle", "idle")
        assert cf >= target, f"slot stuck at {cf:X}, WAL is at {target:X}"
        # restart_lsn follows (at the next running_xacts record, which a checkpoint logs), so
        # the server can recycle that WAL.
        pg.execute("CHECKPOINT")
        pg.execute("INSERT INTO noise(v) VALUES ('after checkpoint')", db="idle")

        def restart_lsn():
            return lsn_to_int(pg.execute("SELECT restart_lsn::text FROM pg_replication_slots "
                                         "WHERE slot_name = 'pgcdc_idle'", "idle")[0][0])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and restart_lsn() <= start:
            time.sleep(0.25)
        assert restart_lsn() > start
    finally:
        assert p.stop() == 0, p.log()
