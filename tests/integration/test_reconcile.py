"""[capture] the publication follows source.tables (issue #15): at every start and every
source.reconcile_interval_ms, tables the include list matches join the publication and tables it
no longer matches leave it, one log line per change; a table created under a wildcard while
pgcdc runs is captured within the interval (with snapshot.new_tables: skip its existing rows
are not snapshotted, and a warning says so; test_incremental_snapshot.py covers the default); an admin's publication (create_publication: false) is never changed, its drift is
reported by run, validate and status."""

import os
import time

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, run_pgcdc, wait_until
from test_incremental_snapshot import replay, table_rows, wait_log

import yaml_writer


def published(pg, db, pub):
    return sorted(r[0] + "." + r[1] for r in pg.execute(
        "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s" % (
            "'" + pub + "'"), db=db))


def config(pg, broker, workdir, name, tables, **source):
    cfg = base_config(pg, broker, name, db=name)
    cfg["source"].update({"tables": tables}, **source)
    cfg["offsets"]["file"] = os.path.join(workdir, name + ".offsets")
    return cfg


def test_table_created_under_a_wildcard_is_captured_while_running(pg, broker, workdir):
    pg.create_database("rwild")
    pg.execute("CREATE TABLE a (id int PRIMARY KEY); CREATE SCHEMA other; "
               "CREATE TABLE other.x (id int PRIMARY KEY)", db="rwild")
    # The default interval (10 s): the test waits for it.
    cfg = config(pg, broker, workdir, "rwild", ["public.*"])
    cfg["snapshot"]["new_tables"] = "skip"
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["rwild.public.late"])
    try:
        p.wait_streaming()
        assert published(pg, "rwild", "pgcdc_rwild") == ["public.a"]
        # Created with a row in one transaction: the row predates the table's joining.
        pg.execute("CREATE TABLE late (id int PRIMARY KEY, v text); "
                   "INSERT INTO late VALUES (1, 'before'); "
                   "CREATE TABLE other.y (id int PRIMARY KEY)", db="rwild")
        wait_until(lambda: "public.late" in published(pg, "rwild", "pgcdc_rwild"), timeout=40,
                   what="the new table to join the publication")
        pg.execute("INSERT INTO late VALUES (2, 'after'); UPDATE late SET v = 'changed' "
                   "WHERE id = 1", db="rwild")
        reader.wait_for(lambda recs: any(r.payload and r.payload["op"] == "u" for r in recs),
                        timeout=60, what="the new table's changes")
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    events = [(r.payload["op"], r.key_payload["id"], r.payload["after"]["v"])
              for r in reader.records if r.payload]
    assert events == [("c", 2, "after"), ("u", 1, "changed")], events
    # Only what the wildcard matches joined.
    assert published(pg, "rwild", "pgcdc_rwild") == ["public.a", "public.late"]
    log = p.log()
    assert "publication pgcdc_rwild: added table public.late" in log, log
    # Never silent about the rows that were there before it joined.
    warned = [line for line in log.splitlines() if "table public.late joined the capture set"
              in line and "NOT snapshotted" in line]
    assert len(warned) == 1, log


def test_config_change_and_restart_adds_and_drops(pg, broker, workdir):
    pg.create_database("rcfg")
    pg.execute("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); "
               "CREATE TABLE c (id int PRIMARY KEY)", db="rcfg")
    cfg = config(pg, broker, workdir, "rcfg", ["public.a", "public.b"])
    cfg["snapshot"]["new_tables"] = "skip"
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    assert published(pg, "rcfg", "pgcdc_rcfg") == ["public.a", "public.b"]

    # Unquoted entries fold as PostgreSQL folds identifiers: Public.C is public.c.
    cfg["source"]["tables"] = ["public.a", "Public.C"]
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["rcfg.public.b", "rcfg.public.c"])
    try:
        p.wait_streaming()
        assert published(pg, "rcfg", "pgcdc_rcfg") == ["public.a", "public.c"]
        pg.execute("INSERT INTO b VALUES (1); INSERT INTO c VALUES (2)", db="rcfg")
        reader.wait_for(lambda recs: len(recs) >= 1, timeout=60, what="c's insert")
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    assert [(r.topic, r.key_payload) for r in reader.records] == [("rcfg.public.c", {"id": 2})]
    log = p.log()
    assert "publication pgcdc_rcfg: added table public.c" in log, log
    assert "publication pgcdc_rcfg: dropped table public.b" in log, log
    assert "table public.c joined the capture set" in log, log


def test_admin_publication_drift_is_reported_never_changed(pg, broker, workdir):
    pg.create_database("rdrift")
    pg.execute("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); "
               "CREATE TABLE z (id int PRIMARY KEY); CREATE PUBLICATION adm FOR TABLE a, z",
               db="rdrift")
    cfg = config(pg, broker, workdir, "rdrift", ["public.a", "public.b*"], publication="adm",
                 create_publication=False, reconcile_interval_ms=300)
    path = os.path.join(workdir, "rdrift.yaml")
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))

    r = run_pgcdc(["validate", "-c", path])
    assert ("WARN  source.tables matches public.b, but publication 'adm' "
            "(source.create_publication: false) does not contain it") in r.stdout, r.stdout
    assert "publication adm contains public.z, which source.tables does not match" in r.stdout

    r = run_pgcdc(["status", "-c", path])
    assert ("drift (create_publication: false, not changed): public.b matches source.tables "
            "but is not in the publication: its changes are NOT captured") in r.stdout, r.stdout

    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        # A table created while running that the list matches: reported within the interval.
        pg.execute("CREATE TABLE b2 (id int PRIMARY KEY)", db="rdrift")
        wait_until(lambda: "source.tables matches public.b2" in p.log(), timeout=20,
                   what="the drift warning for the new table")
        time.sleep(1.5)  # several intervals more: the warnings must not repeat
    finally:
        assert p.stop() == 0, p.log()

    def warnings(table):
        return [line for line in p.log().splitlines() if line.split(" ")[1:2] == ["warning"]
                and f"source.tables matches {table}, but publication 'adm'" in line]
    assert len(warnings("public.b")) == 1, p.log()  # once, not at every interval
    assert len(warnings("public.b2")) == 1, p.log()
    assert published(pg, "rdrift", "adm") == ["public.a", "public.z"]


def test_table_added_to_the_list_and_a_restart_brings_its_rows(pg, broker, workdir):
    """A table added to source.tables by a config change and a restart joins the publication
    and, with snapshot.new_tables: incremental (the default), its existing rows arrive as
    incremental reads, the changes made while pgcdc was down and after it came back as streamed
    events, and replaying its topic equals SELECT."""
    db = "radd"
    pg.create_database(db)
    pg.execute("CREATE TABLE a (id int PRIMARY KEY, v int NOT NULL, note text); "
               "CREATE TABLE late (id int PRIMARY KEY, v int NOT NULL, note text); "
               "INSERT INTO late SELECT g, 0, 'n' || g FROM generate_series(1, 300) g", db=db)
    cfg = config(pg, broker, workdir, db, ["public.a"])
    cfg["snapshot"]["chunk_size"] = 64  # several chunks
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    assert published(pg, db, f"pgcdc_{db}") == ["public.a"]
    # While pgcdc is down: a change to the table not captured yet, before it joins.
    pg.execute("UPDATE late SET v = 1 WHERE id = 7; DELETE FROM late WHERE id = 8", db=db)

    cfg["source"]["tables"] = ["public.a", "public.late"]
    broker.command(f"topic {db}.public.late 4")
    reader = TopicReader(broker.bootstrap, [f"{db}.public.late"])
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        assert published(pg, db, f"pgcdc_{db}") == ["public.a", "public.late"]
        wait_log(p, "incremental snapshot of public.late done", timeout=120)
        pg.execute("INSERT INTO late VALUES (301, 0, 'after'); UPDATE late SET v = 2 WHERE id = 1; "
                   "DELETE FROM late WHERE id = 2", db=db)
        done_lsn = pg.current_wal_lsn(db)
        pg.wait_confirmed(f"pgcdc_{db}", db, done_lsn, 60)
        reader.wait_for(lambda recs: any(r.payload is not None and r.payload["op"] == "d"
                                         for r in recs), timeout=60, what="the delete of id 2")
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    recs = [r for r in reader.records if r.payload is not None]
    reads = [r for r in recs if r.payload["op"] == "r"]
    assert reads and all(r.payload["source"]["snapshot"] == "incremental" for r in reads)
    read_ids = {r.key_payload["id"] for r in reads}
    # Every row present when the table joined was read once it had joined, with its state then
    # (id 7 updated, id 8 deleted while pgcdc was down); id 301 came later.
    assert read_ids == set(range(1, 301)) - {8}
    assert {r.key_payload["id"]: r.payload["after"]["v"] for r in reads}[7] == 1
    # The later changes were streamed, each after its key's read.
    streamed = [(r.payload["op"], r.key_payload["id"]) for r in recs if r.payload["op"] != "r"]
    assert sorted(streamed) == [("c", 301), ("d", 2), ("u", 1)], streamed
    for op, k in (("u", 1), ("d", 2)):
        ops = [r.payload["op"] for r in recs if r.key_payload["id"] == k]
        assert ops.index("r") < ops.index(op), (k, ops)
    assert replay(reader.records) == table_rows(pg, db, "late")
    log = p.log()
    assert "publication pgcdc_radd: added table public.late" in log, log
    assert "incremental snapshot of public.late queued (joined the capture set)" in log, log
