"""A PostgreSQL restart mid-stream: pgcdc notices the lost replication connection, delivers and
confirms what it has, reconnects with backoff and resumes from its confirmed LSN; nothing is lost
and the process never exits."""

import os
import time

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, wait_until
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
