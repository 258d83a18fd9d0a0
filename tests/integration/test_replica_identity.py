"""[capture] tables without a usable replica identity are never published silently: once a
table is in a publication that publishes UPDATE or DELETE, PostgreSQL refuses the application's
UPDATE and DELETE on it unless it has a replica identity (a primary key under REPLICA IDENTITY
DEFAULT, a valid index under USING INDEX, or FULL). So pgcdc leaves such a table out of the
publication it manages (and drops it if it is there), with one warning line naming the table,
why and the fix; once the table has an identity it joins like any new table. Where it cannot
leave a table out (FOR ALL TABLES, an admin's publication), `run`, `validate` and `status` say
loudly that the application's writes fail. An insert-only publication keeps the table."""

import os
import time

import psycopg2
import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, run_pgcdc, wait_until

import yaml_writer


def published(pg, db, pub):
    return sorted(r[0] + "." + r[1] for r in pg.execute(
        f"SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = '{pub}'",
        db=db))


def config(pg, broker, workdir, name, tables, **source):
    cfg = base_config(pg, broker, name, db=name)
    cfg["source"].update({"tables": tables}, **source)
    cfg["offsets"]["file"] = os.path.join(workdir, name + ".offsets")
    return cfg


def write(cfg, workdir):
    path = os.path.join(workdir, cfg["name"] + ".yaml")
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    return path


def warnings_about(log, table, words):
    return [line for line in log.splitlines() if line.split(" ")[1:2] == ["warning"]
            and table in line and words in line]


def capture_changes(p):
    m = p.scrape()
    return {c: m.get(f'pgcdc_capture_changes_total{{change="{c}"}}')
            for c in ("added", "removed", "left_out")}


def test_keyless_tables_are_left_out_until_they_have_an_identity(pg, broker, workdir):
    db = "rileft"
    pg.create_database(db)
    pg.execute("CREATE TABLE a (id int PRIMARY KEY);"
               "CREATE TABLE nokey (id int, v text); INSERT INTO nokey VALUES (1, 'x'), (2, 'y');"
               "CREATE TABLE nada (id int PRIMARY KEY, v text) ; "
               "ALTER TABLE nada REPLICA IDENTITY NOTHING; INSERT INTO nada VALUES (1, 'n1');"
               "CREATE TABLE byidx (id int NOT NULL, v text); "
               "CREATE UNIQUE INDEX byidx_id ON byidx (id); "
               "ALTER TABLE byidx REPLICA IDENTITY USING INDEX byidx_id; DROP INDEX byidx_id",
               db=db)
    cfg = config(pg, broker, workdir, db, ["public.*"], reconcile_interval_ms=300)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.nokey", f"{db}.public.nada"])
    try:
        p.wait_streaming()
        assert published(pg, db, f"pgcdc_{db}") == ["public.a"]
        # The application's writes keep working: the tables are not published.
        pg.execute("UPDATE nokey SET v = 'y2' WHERE id = 2; DELETE FROM nokey WHERE id = 1; "
                   "UPDATE nada SET v = 'n2'; UPDATE byidx SET v = 'z'; DELETE FROM byidx",
                   db=db)
        time.sleep(1.5)  # several intervals: the warnings are not repeated
        log = p.log()
        for table, why in (("public.nokey", "no primary key"),
                           ("public.nada", "REPLICA IDENTITY NOTHING"),
                           ("public.byidx", "index is missing or invalid")):
            lines = warnings_about(log, table, "left out of publication")
            assert len(lines) == 1, log
            assert why in lines[0] and f"ALTER TABLE {table} REPLICA IDENTITY FULL" in lines[0], \
                lines[0]
        assert capture_changes(p) == {"added": 0, "removed": 0, "left_out": 3}

        # status and validate name them too, with the reason.
        path = write(cfg, workdir)
        r = run_pgcdc(["status", "-c", path])
        assert "left out (no usable replica identity): public.nokey: no primary key" \
            in r.stdout, r.stdout
        r = run_pgcdc(["validate", "-c", path])
        assert [line for line in r.stdout.splitlines() if line.startswith("WARN")
                and "public.nada" in line and "left out" in line], r.stdout

        # Given an identity, each joins within the interval; snapshot.new_tables applies.
        pg.execute("ALTER TABLE nokey REPLICA IDENTITY FULL; "
                   "ALTER TABLE nada REPLICA IDENTITY DEFAULT", db=db)
        wait_until(lambda: published(pg, db, f"pgcdc_{db}") ==
                   ["public.a", "public.nada", "public.nokey"], timeout=10,
                   what="the tables to join the publication")
        # nada's existing row is read by the incremental snapshot (new_tables: incremental).
        # Wait for that read before changing the row: an update that lands between the chunk's
        # watermarks rightly drops the read (the streamed version is newer, DBLog), which would
        # leave nothing here to assert the snapshot by.
        reader.wait_for(lambda recs: any(r.topic.endswith("nada") and r.payload
                                         and r.payload["op"] == "r" for r in recs),
                        timeout=60, what="nada's incremental snapshot read")
        pg.execute("INSERT INTO nokey VALUES (3, 'after'); UPDATE nokey SET v = 'y3' "
                   "WHERE id = 2; UPDATE nada SET v = 'n3'", db=db)
        reader.wait_for(lambda recs: any(r.topic.endswith("nada") and r.payload
                                         and r.payload["op"] == "u" for r in recs)
                        and any(r.topic.endswith("nokey") and r.payload
                                and r.payload["op"] == "u" for r in recs),
                        timeout=60, what="the joined tables' changes")
        reader.poll(1.0)
        assert capture_changes(p)["added"] == 2
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    nokey = [(r.payload["op"], r.payload["after"]["id"], r.payload["after"]["v"])
             for r in reader.records if r.topic.endswith("nokey") and r.payload]
    # A keyless table's events have a null Kafka key, so the producer spreads them over the
    # topic's partitions: across partitions the reader sees no order, so compare as a set.
    assert sorted(e for e in nokey if e[0] != "r") == [("c", 3, "after"), ("u", 2, "y3")], nokey
    nada = [(r.payload["op"], r.payload["after"]["id"], r.payload["after"]["v"])
            for r in reader.records if r.topic.endswith("nada") and r.payload]
    # Its existing row as the incremental snapshot read it, then the update: one key, one
    # partition, so in this order.
    assert nada == [("r", 1, "n2"), ("u", 1, "n3")], nada
    assert "incremental snapshot of public.nada queued" in p.log(), p.log()


def test_keyless_table_already_in_the_managed_publication_is_dropped(pg, broker, workdir):
    db = "ridrop"
    pg.create_database(db)
    pg.execute("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE nokey (id int, v text); "
               "INSERT INTO nokey VALUES (1, 'x'); "
               f"CREATE PUBLICATION pgcdc_{db} FOR TABLE a, nokey", db=db)
    with pytest.raises(psycopg2.Error, match="does not have a replica identity"):
        pg.execute("UPDATE nokey SET v = 'y'", db=db)  # what the application suffers
    cfg = config(pg, broker, workdir, db, ["public.*"], reconcile_interval_ms=300)
    r = run_pgcdc(["validate", "-c", write(cfg, workdir)])
    assert [line for line in r.stdout.splitlines() if "run drops public.nokey" in line
            and "no primary key" in line], r.stdout

    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        assert published(pg, db, f"pgcdc_{db}") == ["public.a"]
        pg.execute("UPDATE nokey SET v = 'y'; DELETE FROM nokey", db=db)
        time.sleep(1.0)
        assert capture_changes(p) == {"added": 0, "removed": 1, "left_out": 1}
    finally:
        assert p.stop() == 0, p.log()
    log = p.log()
    lines = [line for line in log.splitlines() if "public.nokey" in line]
    assert len(lines) == 1, log  # the drop is its one line, with the reason and the fix
    assert " warning " in lines[0] and "dropped table public.nokey" in lines[0] \
        and "no primary key" in lines[0] and "REPLICA IDENTITY FULL" in lines[0], lines[0]


def test_for_all_tables_publications_warn_loudly(pg, broker, workdir):
    db = "riall"
    pg.create_database(db)
    pg.execute("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE nokey (id int, v text); "
               "CREATE PUBLICATION adm FOR ALL TABLES", db=db)
    cfg = config(pg, broker, workdir, db, ["public.*"], publication="adm",
                 create_publication=False, reconcile_interval_ms=300)
    path = write(cfg, workdir)
    loud = "the application's UPDATE and DELETE on it FAIL"

    r = run_pgcdc(["validate", "-c", path])
    lines = [line for line in r.stdout.splitlines() if "public.nokey" in line]
    assert len(lines) == 1 and lines[0].startswith("WARN") and loud in lines[0], r.stdout
    r = run_pgcdc(["status", "-c", path])
    assert "WRITES FAIL: public.nokey" in r.stdout, r.stdout

    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        time.sleep(1.0)  # several intervals: said once
    finally:
        assert p.stop() == 0, p.log()
    lines = warnings_about(p.log(), "public.nokey", loud)
    assert len(lines) == 1 and "publication adm" in lines[0] and "FOR ALL TABLES" in lines[0] \
        and "no primary key" in lines[0], p.log()
    assert published(pg, db, "adm") == ["public.a", "public.nokey"]  # an admin's: unchanged

    # pgcdc's own FOR ALL TABLES publication (source.tables empty): validate says it too.
    cfg = config(pg, broker, workdir, db, [])
    r = run_pgcdc(["validate", "-c", write(cfg, workdir)])
    assert [line for line in r.stdout.splitlines() if line.startswith("WARN")
            and "public.nokey" in line and loud in line], r.stdout


def test_insert_only_publication_keeps_the_table(pg, broker, workdir):
    db = "riins"
    pg.create_database(db)
    pg.execute("CREATE TABLE nokey (id int, v text); "
               f"CREATE PUBLICATION pgcdc_{db} FOR TABLE nokey WITH (publish = 'insert')", db=db)
    cfg = config(pg, broker, workdir, db, ["public.nokey"], reconcile_interval_ms=300)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.nokey"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO nokey VALUES (1, 'x'); UPDATE nokey SET v = 'y'", db=db)
        reader.wait_for(lambda recs: len(recs) >= 1, timeout=60, what="the insert")
        time.sleep(1.0)
        reader.poll(1.0)
        assert capture_changes(p) == {"added": 0, "removed": 0, "left_out": 0}
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    assert published(pg, db, f"pgcdc_{db}") == ["public.nokey"]
    assert [(r.payload["op"], r.payload["after"]) for r in reader.records] == [
        ("c", {"id": 1, "v": "x"})]
    log = p.log()
    assert "left out" not in log and "dropped table" not in log and "FAIL" not in log, log


def test_partitioned_table_with_a_keyless_partition_is_left_out(pg, broker, workdir):
    db = "ripart"
    pg.create_database(db)
    # Writes land on the partitions: one without an identity is enough to leave the parent out.
    pg.execute("CREATE TABLE parts (id int, region text) PARTITION BY LIST (region); "
               "CREATE TABLE parts_a PARTITION OF parts (PRIMARY KEY (id)) FOR VALUES IN ('a'); "
               "CREATE TABLE parts_b PARTITION OF parts FOR VALUES IN ('b'); "
               "INSERT INTO parts VALUES (1, 'a'), (2, 'b')", db=db)
    cfg = config(pg, broker, workdir, db, ["public.parts"], reconcile_interval_ms=300)
    cfg["snapshot"]["new_tables"] = "skip"
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.parts"])
    try:
        p.wait_streaming()
        assert published(pg, db, f"pgcdc_{db}") == []  # created empty: nothing else is listed
        pg.execute("UPDATE parts SET id = 20 WHERE id = 2", db=db)  # the application's write
        lines = warnings_about(p.log(), "public.parts", "left out of publication")
        assert len(lines) == 1 and "partition public.parts_b: no primary key" in lines[0] \
            and "ALTER TABLE public.parts_b REPLICA IDENTITY FULL" in lines[0], p.log()

        pg.execute("ALTER TABLE parts_b REPLICA IDENTITY FULL", db=db)
        wait_until(lambda: published(pg, db, f"pgcdc_{db}") == ["public.parts"], timeout=10,
                   what="the partitioned table to join")
        pg.execute("INSERT INTO parts VALUES (3, 'b')", db=db)
        reader.wait_for(lambda recs: len(recs) >= 1, timeout=60, what="the insert")
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    assert [(r.payload["op"], r.payload["after"]) for r in reader.records] == [
        ("c", {"id": 3, "region": "b"})]
