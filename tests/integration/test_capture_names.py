"""[capture] never silent about names (issue #15): two tables whose topic names collide after
sanitising are refused at start, naming both, and a per-table `topics:` override separates them;
include-list entries name any table, dots, spaces, quotes and capitals included."""

import os

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, run_pgcdc, wait_until

import yaml_writer


def config(pg, broker, workdir, name, tables, snapshot="initial"):
    cfg = base_config(pg, broker, name, db=name, snapshot={"mode": snapshot})
    cfg["source"]["tables"] = tables
    cfg["offsets"]["file"] = os.path.join(workdir, name + ".offsets")
    return cfg


def write(workdir, cfg):
    path = os.path.join(workdir, cfg["name"] + ".yaml")
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    return path


COLLIDING = ('CREATE SCHEMA "My Schema"; CREATE TABLE "My Schema"."Order Items" '
             '(id int PRIMARY KEY, v text); CREATE SCHEMA "My_Schema"; '
             'CREATE TABLE "My_Schema"."Order_Items" (id int PRIMARY KEY, v text); '
             "INSERT INTO \"My Schema\".\"Order Items\" VALUES (1, 'spaces'); "
             "INSERT INTO \"My_Schema\".\"Order_Items\" VALUES (1, 'underscores')")


def test_colliding_topics_are_refused_naming_both_tables(pg, broker, workdir):
    pg.create_database("tcoll")
    pg.execute(COLLIDING, db="tcoll")
    cfg = config(pg, broker, workdir, "tcoll", ['"My Schema".*', '"My_Schema".*'])
    path = write(workdir, cfg)
    for args in (["run", "-c", path], ["validate", "-c", path]):
        r = run_pgcdc(args)
        out = r.stdout + r.stderr
        assert r.returncode != 0, out
        lines = [line for line in out.splitlines() if "tcoll.My_Schema.Order_Items" in line]
        if args[0] == "validate":  # its checklist line, then the closing error line
            lines = [line for line in lines if line.startswith("FAIL")]
        assert len(lines) == 1, out
        assert '"My Schema"."Order Items"' in lines[0] and '"My_Schema"."Order_Items"' in lines[0], out
        assert "topics" in lines[0], out  # names the fix
    # Nothing was published under the shared name.
    reader = TopicReader(broker.bootstrap, ["tcoll.My_Schema.Order_Items"])
    try:
        reader.poll(2.0)
        assert reader.records == []
    finally:
        reader.close()


def test_topics_override_separates_them(pg, broker, workdir):
    pg.create_database("tover")
    pg.execute(COLLIDING, db="tover")
    cfg = config(pg, broker, workdir, "tover", ['"My Schema".*', '"My_Schema".*'])
    cfg["topics"] = {'"My Schema"."Order Items"': "tover.spaced_items"}
    path = write(workdir, cfg)
    r = run_pgcdc(["validate", "-c", path])
    assert r.returncode == 0, r.stdout + r.stderr
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["tover.spaced_items", "tover.My_Schema.Order_Items"])
    try:
        p.wait_streaming()
        pg.execute("UPDATE \"My Schema\".\"Order Items\" SET v = 'spaces 2'; "
                   "UPDATE \"My_Schema\".\"Order_Items\" SET v = 'underscores 2'", db="tover")
        reader.wait_count(4, timeout=60)
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    got = sorted((r.topic, r.payload["op"], r.payload["after"]["v"]) for r in reader.records)
    assert got == [("tover.My_Schema.Order_Items", "r", "underscores"),
                   ("tover.My_Schema.Order_Items", "u", "underscores 2"),
                   ("tover.spaced_items", "r", "spaces"),
                   ("tover.spaced_items", "u", "spaces 2")], got


def test_bad_topic_override_is_refused(pg, broker, workdir):
    cfg = config(pg, broker, workdir, "tbad", ["public.*"])
    cfg["topics"] = {"public.t": "has space"}
    r = run_pgcdc(["validate", "-c", write(workdir, cfg)])
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "topics" in out and "has space" in out, out


def test_quoted_names_with_dots_are_captured(pg, broker, workdir):
    pg.create_database("tdots")
    pg.execute('CREATE SCHEMA "s.dot"; CREATE TABLE "s.dot"."t.dot" (id int PRIMARY KEY, v text); '
               "INSERT INTO \"s.dot\".\"t.dot\" VALUES (1, 'one'); "
               'CREATE TABLE "s.dot"."Other ""Q""" (id int PRIMARY KEY); '
               'INSERT INTO "s.dot"."Other ""Q""" VALUES (7)', db="tdots")
    cfg = config(pg, broker, workdir, "tdots", ['"s.dot"."t.dot"', '"s.dot"."Other ""Q"""'])
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["tdots.s.dot.t.dot", "tdots.s.dot.Other__Q_"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO \"s.dot\".\"t.dot\" VALUES (2, 'two'); "
                   'DELETE FROM "s.dot"."Other ""Q"""', db="tdots")
        reader.wait_for(lambda recs: sum(1 for r in recs if r.payload) >= 4, timeout=60,
                        what="snapshot and streamed events of both tables")
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    got = sorted((r.topic, r.payload["op"]) for r in reader.records if r.payload)
    assert got == [("tdots.s.dot.Other__Q_", "d"), ("tdots.s.dot.Other__Q_", "r"),
                   ("tdots.s.dot.t.dot", "c"), ("tdots.s.dot.t.dot", "r")], got
    rows = pg.execute("SELECT schemaname, tablename FROM pg_publication_tables "
                      "WHERE pubname = 'pgcdc_tdots' ORDER BY 2", db="tdots")
    assert [tuple(r) for r in rows] == [("s.dot", 'Other "Q"'), ("s.dot", "t.dot")], rows


def test_a_table_that_collides_while_streaming_stops_pgcdc_and_loses_nothing(pg, broker, workdir):
    pg.create_database("tlate")
    pg.execute('CREATE SCHEMA "My Schema"; CREATE TABLE "My Schema"."Order Items" '
               '(id int PRIMARY KEY, v text); CREATE SCHEMA "My_Schema"', db="tlate")
    cfg = config(pg, broker, workdir, "tlate", ['"My Schema".*', '"My_Schema".*'], "never")
    cfg["source"]["reconcile_interval_ms"] = 500
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["tlate.My_Schema.Order_Items", "tlate.late_items"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO \"My Schema\".\"Order Items\" VALUES (1, 'first')", db="tlate")
        reader.wait_count(1, timeout=60)
        pg.execute('CREATE TABLE "My_Schema"."Order_Items" (id int PRIMARY KEY, v text)',
                   db="tlate")
        wait_until(lambda: pg.execute(
            "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'pgcdc_tlate'",
            db="tlate")[0][0] == 2, timeout=30, what="the new table to join the publication")
        pg.execute("INSERT INTO \"My_Schema\".\"Order_Items\" VALUES (1, 'collides')", db="tlate")
        after = pg.current_wal_lsn(db="tlate")
        wait_until(lambda: not p.alive(), timeout=60, what="pgcdc to stop on the collision")
        assert p.proc.returncode != 0, p.log()
        lines = [line for line in p.log().splitlines() if "would both publish" in line]
        assert len(lines) == 1 and '"My_Schema"."Order_Items"' in lines[0], p.log()
        # Nothing of the colliding table was published, and the slot stays before its change.
        reader.poll(2.0)
        assert [r.payload["after"]["v"] for r in reader.records] == ["first"], reader.records
        assert pg.confirmed_flush("pgcdc_tlate", db="tlate") < after
        # The fix: its own topic. The held-back change arrives there.
        cfg["topics"] = {'"My_Schema".*': "tlate.late_items"}
        p2 = Pgcdc(cfg, workdir).start()
        p2.wait_streaming()
        reader.wait_count(2, timeout=60)
        reader.poll(1.0)
        assert p2.stop() == 0, p2.log()
    finally:
        reader.close()
    got = [(r.topic, r.payload["after"]["v"]) for r in reader.records]
    # At least once: the restart may publish the held-back change again before confirming it.
    got = [g for i, g in enumerate(got) if i == 0 or g != got[i - 1]]
    assert got == [("tlate.My_Schema.Order_Items", "first"), ("tlate.late_items", "collides")], got
