"""[capture] never silent about renames (issue #15): a table renamed or moved (SET SCHEMA) out of
the include list leaves pgcdc's publication at the next reconciliation, with one warning line
naming it and why, and pgcdc_capture_changes_total{change="removed"} counts it; its later
changes produce no events while the other tables still stream. A table renamed or moved into
the include list while pgcdc runs joins the publication, its existing rows arrive as incremental
snapshot `r` events (snapshot.new_tables: incremental, the default) and its later changes as
streamed events, and replaying its topic equals SELECT of the table."""

import time

from pgcdc_harness import Pgcdc, TopicReader, wait_until
from test_incremental_snapshot import replay, table_rows, wait_log
from test_reconcile import config, published


def capture_changes(p):
    m = p.scrape()
    return {c: m.get(f'pgcdc_capture_changes_total{{change="{c}"}}', 0.0)
            for c in ("added", "removed", "left_out")}


def lines_naming(log, text):
    return [line for line in log.splitlines() if text in line]


def events(records, topic):
    """(op, id) of a topic's change events in commit order (topics have several partitions)."""
    return [(r.payload["op"], r.key_payload["id"]) for r in sorted(
        (r for r in records if r.topic == topic and r.payload is not None),
        key=lambda r: r.payload["source"]["lsn"])]


def test_table_renamed_or_moved_out_leaves_the_publication(pg, broker, workdir):
    db = "crenout"
    pub = f"pgcdc_{db}"
    pg.create_database(db)
    pg.execute("CREATE SCHEMA archive; "
               "CREATE TABLE orders_a (id int PRIMARY KEY, v int NOT NULL); "
               "CREATE TABLE orders_b (id int PRIMARY KEY, v int NOT NULL); "
               "CREATE TABLE orders_keep (id int PRIMARY KEY, v int NOT NULL)", db=db)
    cfg = config(pg, broker, workdir, db, ["public.orders*"], reconcile_interval_ms=300)
    p = Pgcdc(cfg, workdir).start()
    # The topics the renamed and the moved table would have.
    gone = [f"{db}.public.archived_a", f"{db}.archive.orders_b"]
    reader = TopicReader(broker.bootstrap, [f"{db}.public.orders_a", f"{db}.public.orders_b",
                                            f"{db}.public.orders_keep"] + gone)
    try:
        p.wait_streaming()
        assert published(pg, db, pub) == ["public.orders_a", "public.orders_b",
                                          "public.orders_keep"]
        pg.execute("INSERT INTO orders_a VALUES (1, 0); INSERT INTO orders_b VALUES (1, 0); "
                   "INSERT INTO orders_keep VALUES (1, 0)", db=db)
        reader.wait_for(lambda recs: len(recs) >= 3, timeout=60, what="the three inserts")
        before = capture_changes(p)

        # Out of the list by a rename (a change committed with it) and by SET SCHEMA.
        pg.execute("ALTER TABLE orders_a RENAME TO archived_a; UPDATE archived_a SET v = 1", db=db)
        pg.execute("ALTER TABLE orders_b SET SCHEMA archive", db=db)
        moved_lsn = pg.current_wal_lsn(db)
        wait_until(lambda: published(pg, db, pub) == ["public.orders_keep"], timeout=30,
                   what="the renamed and the moved table to leave the publication")
        wait_until(lambda: capture_changes(p)["removed"] >= before["removed"] + 2, timeout=30,
                   what='pgcdc_capture_changes_total{change="removed"} to count both')
        left_lsn = pg.current_wal_lsn(db)

        # Later changes: only orders_keep's reach Kafka.
        pg.execute("INSERT INTO archived_a VALUES (2, 0); "
                   "UPDATE archived_a SET v = 2 WHERE id = 1; DELETE FROM archived_a WHERE id = 2; "
                   "INSERT INTO archive.orders_b VALUES (2, 0); DELETE FROM archive.orders_b; "
                   "INSERT INTO orders_keep VALUES (2, 0); UPDATE orders_keep SET v = 1 "
                   "WHERE id = 1", db=db)
        reader.wait_for(lambda recs: ("u", 1) in events(recs, f"{db}.public.orders_keep"),
                        timeout=60, what="orders_keep's later changes")
        time.sleep(1.5)  # several intervals more: the warnings must not repeat
        reader.poll(1.0)
        after = capture_changes(p)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()

    recs = reader.records
    assert events(recs, f"{db}.public.orders_a") == [("c", 1)], recs
    assert events(recs, f"{db}.public.orders_b") == [("c", 1)], recs
    assert [r for r in recs if r.topic in gone] == []
    assert events(recs, f"{db}.public.orders_keep") == [("c", 1), ("c", 2), ("u", 1)]
    keep = sorted(r.payload["source"]["lsn"] for r in recs
                  if r.topic == f"{db}.public.orders_keep")
    assert keep[0] < moved_lsn <= left_lsn <= keep[1] <= keep[2], (keep, moved_lsn, left_lsn)
    for r in recs:
        if r.topic in (f"{db}.public.orders_a", f"{db}.public.orders_b"):
            assert r.payload["source"]["lsn"] < moved_lsn, r.payload

    # Counted once each, nothing else changed.
    assert after["removed"] == before["removed"] + 2, (before, after)
    assert after["added"] == before["added"] and after["left_out"] == before["left_out"]

    log = p.log()
    for name in ("public.archived_a", "archive.orders_b"):
        lines = lines_naming(log, name)
        assert len(lines) == 1, log
        assert lines[0].split(" ")[1] == "warning", lines
        assert (f"publication {pub}: dropped table {name} (source.tables no longer matches it)"
                in lines[0]), lines
        assert "no longer captured" in lines[0], lines


def test_table_renamed_or_moved_into_the_list_is_captured_and_snapshotted(pg, broker, workdir):
    db = "crenin"
    pub = f"pgcdc_{db}"
    rows = 500
    pg.create_database(db)
    pg.execute("CREATE SCHEMA other; "
               "CREATE TABLE orders_keep (id int PRIMARY KEY, v int NOT NULL, note text); "
               "CREATE TABLE staging (id int PRIMARY KEY, v int NOT NULL, note text); "
               f"INSERT INTO staging SELECT g, 0, 'old ' || g FROM generate_series(1, {rows}) g; "
               "CREATE TABLE other.orders_moved (id int PRIMARY KEY, v int NOT NULL, note text); "
               "INSERT INTO other.orders_moved SELECT g, 0, 'm' FROM generate_series(1, 40) g",
               db=db)
    cfg = config(pg, broker, workdir, db, ["public.orders*"], reconcile_interval_ms=300)
    cfg["snapshot"]["chunk_size"] = 64  # several chunks
    new_topic, moved_topic = f"{db}.public.orders_new", f"{db}.public.orders_moved"
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [new_topic, moved_topic, f"{db}.public.orders_keep",
                                            f"{db}.public.staging", f"{db}.other.orders_moved"])
    try:
        p.wait_streaming()
        assert published(pg, db, pub) == ["public.orders_keep"]
        before = capture_changes(p)
        # Not captured yet: a change before the rename is seen only through the snapshot.
        pg.execute("UPDATE staging SET v = 1 WHERE id <= 10", db=db)
        renamed_lsn = pg.current_wal_lsn(db)
        # Renamed in, with a change committed with the rename (before the table joins).
        pg.execute("ALTER TABLE staging RENAME TO orders_new; "
                   "DELETE FROM orders_new WHERE id = 20", db=db)
        pg.execute("ALTER TABLE other.orders_moved SET SCHEMA public", db=db)
        wait_until(lambda: published(pg, db, pub) == ["public.orders_keep", "public.orders_moved",
                                                      "public.orders_new"],
                   timeout=30, what="the renamed and the moved table to join the publication")
        wait_log(p, "incremental snapshot of public.orders_new done", timeout=120)
        wait_log(p, "incremental snapshot of public.orders_moved done", timeout=120)
        snapshotted_lsn = pg.current_wal_lsn(db)
        pg.execute(f"INSERT INTO orders_new VALUES ({rows + 1}, 0, 'new'); "
                   "UPDATE orders_new SET v = 2, note = 'changed' WHERE id = 1; "
                   "DELETE FROM orders_new WHERE id = 2; "
                   "UPDATE orders_moved SET v = 1 WHERE id = 40", db=db)
        reader.wait_for(lambda recs: ("d", 2) in events(recs, new_topic) and
                        ("u", 40) in events(recs, moved_topic),
                        timeout=60, what="the later changes")
        reader.poll(1.0)
        after = capture_changes(p)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()

    recs = reader.records
    assert [r for r in recs if r.topic in (f"{db}.public.staging", f"{db}.other.orders_moved",
                                           f"{db}.public.orders_keep")] == []
    new = [r for r in recs if r.topic == new_topic]
    reads = [r for r in new if r.payload and r.payload["op"] == "r"]
    streamed = [r for r in new if r.payload and r.payload["op"] != "r"]
    # Every row it had when it joined (id 20 deleted with the rename), as incremental reads.
    assert sorted(r.key_payload["id"] for r in reads) == [i for i in range(1, rows + 1) if i != 20]
    assert all(r.payload["source"]["snapshot"] == "incremental" for r in reads)
    assert all(r.payload["source"]["table"] == "orders_new" for r in new if r.payload)
    by_id = {r.key_payload["id"]: r.payload["after"] for r in reads}
    assert by_id[5] == {"id": 5, "v": 1, "note": "old 5"}, by_id[5]
    assert by_id[11] == {"id": 11, "v": 0, "note": "old 11"}, by_id[11]
    # Later changes streamed, in commit order (the topic has several partitions: by LSN), after
    # the snapshot; per key, no read after a streamed change.
    streamed.sort(key=lambda r: r.payload["source"]["lsn"])
    assert [(r.payload["op"], r.key_payload["id"]) for r in streamed] == \
        [("c", rows + 1), ("u", 1), ("d", 2)], streamed
    assert all(r.payload["source"]["lsn"] >= snapshotted_lsn for r in streamed), \
        ([(r.payload["op"], r.payload["source"]["lsn"]) for r in streamed], snapshotted_lsn)
    assert all(r.payload["source"]["lsn"] > renamed_lsn for r in reads)
    for k, ops in ((1, ["r", "u"]), (2, ["r", "d"])):
        assert [r.payload["op"] for r in new if r.key_payload["id"] == k and r.payload] == ops
    assert replay(new) == table_rows(pg, db, "orders_new")

    moved = [r for r in recs if r.topic == moved_topic]
    assert sorted(r.key_payload["id"] for r in moved if r.payload["op"] == "r") == \
        list(range(1, 41))
    assert [(r.payload["op"], r.key_payload["id"]) for r in moved if r.payload["op"] != "r"] == \
        [("u", 40)]
    assert replay(moved) == table_rows(pg, db, "orders_moved")

    assert after["added"] == before["added"] + 2, (before, after)
    assert after["removed"] == before["removed"]
    log = p.log()
    for name in ("public.orders_new", "public.orders_moved"):
        assert len(lines_naming(log, f"publication {pub}: added table {name} "
                                     "(matched by source.tables)")) == 1, log
        assert len(lines_naming(log, f"incremental snapshot of {name} queued (joined the "
                                     "capture set)")) == 1, log
    assert "NOT snapshotted" not in log
