"""[snapshot] resume: a snapshot interrupted after some tables were read and delivered goes on with
the other tables after a restart, instead of starting over, and the topics stay exact."""

import os
import re

from conftest import base_config, scaled
from pgcdc_harness import Pgcdc, TopicReader, lsn_to_int, run_pgcdc, wait_until
from test_snapshot import (FreshKeyWriter, offsets, reads, replayed, rows_of, snapshot_config,
                           wait_caught_up)

FIRST_ROWS = scaled(30_000, 7_500)   # widest table: read first, finished before the kill
SECOND_ROWS = scaled(40_000, 10_000)  # read when pgcdc is killed
THIRD_ROWS = 500      # not started at the kill


def test_killed_snapshot_resumes_with_the_unread_tables(pg, broker, workdir):
    db = "resume"
    pg.create_database(db)
    for table, rows, pad in (("first_t", FIRST_ROWS, 200), ("second_t", SECOND_ROWS, 0),
                             ("third_t", THIRD_ROWS, 0)):
        pg.execute(f"CREATE TABLE {table}(id int PRIMARY KEY, version int NOT NULL, payload text)",
                   db=db)
        pg.execute(f"INSERT INTO {table} SELECT g, 0, 'p' || repeat('x', {pad}) "
                   f"FROM generate_series(1, {rows}) g", db=db)
    pg.execute("ANALYZE", db=db)
    slot = f"pgcdc_{db}"
    # One worker and few records in flight: slow enough to kill between two tables.
    cfg = snapshot_config(pg, broker, db, workdir, parallelism=1)
    cfg["limits"] = {"max_inflight_events": 20}
    topics = [f"{db}.public.first_t", f"{db}.public.second_t", f"{db}.public.third_t"]
    for t in topics:
        broker.command(f"topic {t} 8")
    reader = TopicReader(broker.bootstrap, topics)
    # The writers keep off ids 1-20, which the test changes by hand below (a writer that had
    # deleted id 7 first left the test's UPDATE nothing to change).
    writers = [FreshKeyWriter(pg.dsn(db), "first_t", 500_001, range(21, FIRST_ROWS + 1), seed=1),
               FreshKeyWriter(pg.dsn(db), "second_t", 500_001, range(21, SECOND_ROWS + 1), seed=2)]
    for w in writers:
        w.start()

    def second_read():
        done = re.findall(r"snapshot: public\.second_t (\d+)/", p.log())
        return int(done[-1]) if done else 0

    # 1. First run: first_t is read and acknowledged, second_t is under way: kill -9.
    def recorded():
        path = cfg["offsets"]["file"]
        return offsets(path).get("snapshot_tables", {}) if os.path.exists(path) else {}

    p = Pgcdc(cfg, workdir).start()
    wait_until(lambda: "public.first_t" in recorded(), 180, what="first_t to be recorded as read")
    wait_until(lambda: second_read() >= 2000, 120, what="second_t to be under way")
    p.kill()
    state = offsets(cfg["offsets"]["file"])
    assert state["snapshot"] == "running", state
    assert list(state["snapshot_tables"]) == ["public.first_t"], state
    first_lsn = lsn_to_int(state["snapshot_lsn"])
    assert lsn_to_int(state["snapshot_tables"]["public.first_t"]) == first_lsn

    shown = run_pgcdc(["offsets", "show", "-c", p.config_path])
    assert shown.returncode == 0, shown.stderr
    assert "public.first_t as of" in shown.stdout, shown.stdout
    check = run_pgcdc(["validate", "-c", p.config_path])
    assert "resuming it (1 tables already read)" in check.stdout + check.stderr, check.stdout

    # 2. While pgcdc is down: changes to a finished table must be streamed; changes to unread
    #    tables are in their (later) read and must not be streamed as well, except that rows
    #    gone since (deleted, moved to another key) must be deleted on the topics: the
    #    interrupted pass may have published them.
    pg.execute("INSERT INTO first_t VALUES (900001, 1, 'down'); "
               "UPDATE first_t SET version = 777 WHERE id = 7; "
               "INSERT INTO second_t VALUES (900001, 1, 'down'); "
               "UPDATE second_t SET version = 777 WHERE id = 7; "
               "DELETE FROM second_t WHERE id = 8; "
               "UPDATE second_t SET id = 950000 WHERE id = 11; "
               "INSERT INTO third_t VALUES (900001, 1, 'down')", db=db)

    # 3. The restart resumes: first_t is not read again, the others are read as of a new LSN.
    cfg["limits"] = {"max_inflight_events": 100000}
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming(timeout=180)
    log = p.log()
    assert "resuming the interrupted snapshot" in log and "1 tables already read" in log, log
    assert "temporary replication slot" in log, log
    assert "committed since the interrupted pass published ahead of the resumed read" in log, log
    assert "dropped replication slot" not in log, log
    assert re.search(r"snapshot at [0-9A-F/]+: 2 tables", log), log
    for w in writers:
        w.stop()
    pg.execute("UPDATE second_t SET version = 888 WHERE id = 9", db=db)  # streamed after the read
    wait_caught_up(pg, db, slot)
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()

    final = offsets(cfg["offsets"]["file"])
    assert final["snapshot"] == "complete"
    assert lsn_to_int(final["snapshot_lsn"]) == first_lsn  # the slot was kept
    assert "snapshot_tables" not in final, final  # the stream passed every resumed read
    resumed_lsns = {r.payload["source"]["lsn"] for r in reads(recs)} - {first_lsn}
    assert len(resumed_lsns) == 1, resumed_lsns
    resumed_lsn = resumed_lsns.pop()
    assert resumed_lsn > first_lsn

    by_table = {t.split(".")[-1]: [r for r in recs if r.topic == t] for t in topics}
    for table, rs in by_table.items():
        assert replayed(rs) == rows_of(pg, db, table), table

    def ops(rs, key):
        return [(r.payload["op"], r.payload["after"]) for r in rs
                if r.value is not None and r.key_payload["id"] == key]

    # first_t: read once, in the first pass; what changed while pgcdc was down is streamed.
    first = by_table["first_t"]
    keys = [r.key_payload["id"] for r in reads(first)]
    assert len(keys) == len(set(keys)) and all(
        r.payload["source"]["lsn"] == first_lsn for r in reads(first))
    assert set(range(1, FIRST_ROWS + 1)) - writers[0].touched <= set(keys)
    assert ("c", {"id": 900001, "version": 1, "payload": "down"}) in ops(first, 900001)
    assert any(op == "u" and after["version"] == 777 for op, after in ops(first, 7))

    # second_t and third_t: their resumed read holds every row once, including what changed
    # while pgcdc was down, and none of those changes is streamed again.
    for table, preloaded, writer in (("second_t", SECOND_ROWS, writers[1]),
                                     ("third_t", THIRD_ROWS, None)):
        rs = by_table[table]
        again = [r for r in reads(rs) if r.payload["source"]["lsn"] == resumed_lsn]
        keys = [r.key_payload["id"] for r in again]
        assert len(keys) == len(set(keys)), f"{table}: a row was read twice in the resumed pass"
        untouched = set(range(1, preloaded + 1)) - (writer.touched if writer else set()) - {8, 11}
        assert untouched <= set(keys), table
        assert 900001 in keys and all(op == "r" for op, _ in ops(rs, 900001)), ops(rs, 900001)
    second = by_table["second_t"]
    assert not any(op == "u" and after["version"] == 777 for op, after in ops(second, 7))
    # Deleted or moved while down: a delete precedes the resumed read, which lacks the key.
    for gone in (8, 11):
        assert "d" in [op for op, _ in ops(second, gone)], ops(second, gone)
    assert [op for op, _ in ops(second, 950000)] == ["r"]
    assert 8 not in {r.key_payload["id"] for r in reads(second)
                     if r.payload["source"]["lsn"] == resumed_lsn}
    assert ops(second, 9)[-1] == ("u", {"id": 9, "version": 888,
                                        "payload": ops(second, 9)[-1][1]["payload"]})
    assert writers[1].commits > 10
