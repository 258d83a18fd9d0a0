"""[reliability] a change the broker refuses for good stops pgcdc (exit 3) with the table, key,
reason and ways out, and freezes the LSN before it (test_stuck_event.py follows the record); with sink.dead_letter_topic it goes there instead (counted), and
streaming goes on."""

import os
import urllib.request

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader


def config(pg, broker, name, workdir, **sink):
    cfg = base_config(pg, broker, name, db=name,
                      offsets={"file": os.path.join(workdir, f"{name}.offsets")})
    cfg["format"] = {"schemas": False}
    # librdkafka refuses records over message.max.bytes before sending (MSG_SIZE_TOO_LARGE).
    cfg["sink"]["kafka"]["message.max.bytes"] = "3000"
    cfg["sink"].update(sink)
    return cfg


def test_too_large_change_stops_pgcdc_and_freezes_the_lsn(pg, broker, workdir):
    db = "toolarge"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    p = Pgcdc(config(pg, broker, db, workdir), workdir).start()
    p.wait_streaming()
    insert_end = pg.commit_end("INSERT INTO t VALUES (7, repeat('x', 5000))", db)
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 3, p.log()  # refused for good: the unit does not restart on 3
    last = p.log().strip().splitlines()[-1]
    assert "public.t" in last and '{"id":7}' in last and "too large" in last, last
    assert "sink.dead_letter_topic" in last, last
    assert pg.confirmed_flush(f"pgcdc_{db}", db) < insert_end


def test_dead_letter_topic_takes_refused_changes(pg, broker, workdir):
    db = "dlq"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    cfg = config(pg, broker, db, workdir, dead_letter_topic="dlq.refused")
    reader = TopicReader(broker.bootstrap, ["dlq.public.t", "dlq.refused"])
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'small')", db=db)
    pg.execute("INSERT INTO t VALUES (2, repeat('x', 5000))", db=db)
    pg.execute("INSERT INTO t VALUES (3, 'after')", db=db)
    end = pg.current_wal_lsn(db)
    pg.wait_confirmed(f"pgcdc_{db}", db, end, 30)
    metrics = urllib.request.urlopen(p.metrics_base() + "/metrics").read().decode()
    assert "pgcdc_dead_lettered_total 1" in metrics
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()
    main = sorted(r.key["id"] for r in recs if r.topic == "dlq.public.t")
    assert main == [1, 3]
    dead = [r for r in recs if r.topic == "dlq.refused"]
    assert len(dead) == 1 and dead[0].key == {"id": 2} and dead[0].value is None
    h = {k: v.decode() for k, v in dead[0].headers.items()}
    assert h["pgcdc.original.topic"] == "dlq.public.t"
    assert "MSG_SIZE_TOO_LARGE" in h["pgcdc.error"] and int(h["pgcdc.value.bytes"]) > 5000
    assert "sent to dead-letter topic 'dlq.refused'" in p.log()
