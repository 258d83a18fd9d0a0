"""Row images by REPLICA IDENTITY, unchanged TOAST values, truncate events and schema changes
mid-stream, checked on the topics (debezium-format.md §1.4, §1.5, §2.4, §3)."""

import os

import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader


@pytest.fixture(scope="module")
def stream(pg, broker, tmp_path_factory):
    """One pgcdc for the module, on database 'img', emitting truncates too."""
    workdir = str(tmp_path_factory.mktemp("img"))
    pg.create_database("img")
    pg.execute("""
        CREATE TABLE ident_default(id int PRIMARY KEY, a text NOT NULL, b int);
        CREATE TABLE ident_full(id int PRIMARY KEY, a text, b int);
        ALTER TABLE ident_full REPLICA IDENTITY FULL;
        CREATE TABLE ident_index(id int PRIMARY KEY, code text NOT NULL, b int);
        CREATE UNIQUE INDEX ident_index_code ON ident_index(code);
        ALTER TABLE ident_index REPLICA IDENTITY USING INDEX ident_index_code;
        CREATE TABLE ident_nothing(id int, a text);
        ALTER TABLE ident_nothing REPLICA IDENTITY NOTHING;
        CREATE TABLE toasty(id int PRIMARY KEY, big text, small int);
        CREATE TABLE toasty_full(id int PRIMARY KEY, big text, small int);
        ALTER TABLE toasty_full REPLICA IDENTITY FULL;
        CREATE TABLE evolving(id int PRIMARY KEY, a text);
        CREATE TABLE trunc(id int PRIMARY KEY);
    """, db="img")
    cfg = base_config(pg, broker, "img", db="img", format={"skipped_operations": ["none"]},
                      offsets={"file": os.path.join(workdir, "img.offsets")},
                      source={"publication": "pgcdc_img"})
    # NOTHING identity tables reject UPDATE/DELETE in an all-operations publication; publish
    # inserts for that one only, the rest in full.
    pg.execute("""
        CREATE PUBLICATION pgcdc_img FOR TABLE ident_default, ident_full, ident_index, toasty,
            toasty_full, evolving, trunc;
        CREATE PUBLICATION pgcdc_img_ins FOR TABLE ident_nothing WITH (publish = 'insert');
    """, db="img")
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    yield pg, broker, p
    assert p.stop() == 0, p.log()


def records_for(broker, table, n, timeout=60):
    reader = TopicReader(broker.bootstrap, [f"img.public.{table}"])
    try:
        recs = reader.wait_count(n, timeout)
        reader.poll(0.5)
        return sorted(reader.records, key=lambda r: (r.partition, r.offset))
    finally:
        reader.close()


def test_toast_warning_at_startup(stream):
    _, _, p = stream
    log = p.log()
    assert "table public.toasty has TOAST-able columns (big)" in log
    assert "table public.toasty_full has TOAST-able" not in log  # FULL identity: no warning


def test_column_exclude_and_message_key_columns(pg, broker, tmp_path):
    pg.execute("CREATE TABLE accounts(id int PRIMARY KEY, tenant int, secret text, v int)",
               db="img")
    cfg = base_config(pg, broker, "imgk", db="img",
                      source={"slot": "pgcdc_imgk", "publication": "pgcdc_imgk",
                              "tables": ["public.accounts"],
                              "column_exclude_list": ["public.accounts.secret"]},
                      format={"message_key_columns": {"public.acc*": ["tenant", "id"]}},
                      offsets={"file": str(tmp_path / "k.offsets")})
    p = Pgcdc(cfg, str(tmp_path)).start()
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO accounts VALUES (1, 42, 'hunter2', 5)", db="img")
        reader = TopicReader(broker.bootstrap, ["imgk.public.accounts"])
        rec = reader.wait_count(1)[0]
        reader.close()
    finally:
        assert p.stop() == 0, p.log()
    assert rec.key_payload == {"id": 1, "tenant": 42}
    assert rec.payload["after"] == {"id": 1, "tenant": 42, "v": 5}
    fields = [f["field"] for f in rec.value["schema"]["fields"][1]["fields"]]
    assert fields == ["id", "tenant", "v"]
    assert b"hunter2" not in rec.raw_value


def test_replica_identity_default(stream):
    pg, broker, _ = stream
    pg.execute("INSERT INTO ident_default VALUES (1, 'x', 5); "
               "UPDATE ident_default SET b = 6 WHERE id = 1; DELETE FROM ident_default", db="img")
    c, u, d, tomb = records_for(broker, "ident_default", 4)
    assert u.payload["before"] is None and u.payload["after"] == {"id": 1, "a": "x", "b": 6}
    assert d.payload["before"] == {"id": 1, "a": "", "b": None}  # key only; NOT NULL -> zero
    assert tomb.raw_value is None


def test_replica_identity_full(stream):
    pg, broker, _ = stream
    pg.execute("INSERT INTO ident_full VALUES (1, 'x', 5); "
               "UPDATE ident_full SET b = 6 WHERE id = 1; DELETE FROM ident_full", db="img")
    c, u, d, tomb = records_for(broker, "ident_full", 4)
    assert u.payload["before"] == {"id": 1, "a": "x", "b": 5}
    assert u.payload["after"] == {"id": 1, "a": "x", "b": 6}
    assert d.payload["before"] == {"id": 1, "a": "x", "b": 6}
    assert u.key_payload == {"id": 1}  # keyed by the primary key, not every FULL column


def test_replica_identity_index(stream):
    pg, broker, _ = stream
    pg.execute("INSERT INTO ident_index VALUES (1, 'k1', 5); "
               "UPDATE ident_index SET b = 6 WHERE id = 1; DELETE FROM ident_index", db="img")
    c, u, d, tomb = records_for(broker, "ident_index", 4)
    # Keyed by the identity index: its columns are the ones every image carries.
    assert {r.key_payload["code"] for r in (c, u, d, tomb)} == {"k1"}
    assert u.payload["before"] is None
    assert d.payload["before"] == {"id": 0, "code": "k1", "b": None}


def test_replica_identity_nothing_has_null_key(pg, broker, tmp_path):
    # A second pgcdc on the inserts-only publication.
    cfg = base_config(pg, broker, "imgn", db="img",
                      source={"publication": "pgcdc_img_ins", "slot": "pgcdc_imgn"},
                      offsets={"file": str(tmp_path / "n.offsets")})
    p = Pgcdc(cfg, str(tmp_path)).start()
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO ident_nothing VALUES (1, 'x')", db="img")
        reader = TopicReader(broker.bootstrap, ["imgn.public.ident_nothing"])
        recs = reader.wait_count(1)
        reader.close()
        assert recs[0].raw_key is None
        assert recs[0].payload["after"] == {"id": 1, "a": "x"}
    finally:
        assert p.stop() == 0, p.log()


def test_unchanged_toast_default_and_full(stream):
    pg, broker, _ = stream
    big = "'" + "toast" * 4000 + "' || md5(random()::text)"  # ~20 kB, stored out of line
    for t in ("toasty", "toasty_full"):
        pg.execute(f"ALTER TABLE {t} ALTER COLUMN big SET STORAGE EXTERNAL", db="img")
        pg.execute(f"INSERT INTO {t} VALUES (1, {big}, 1); UPDATE {t} SET small = 2", db="img")
    c, u = records_for(broker, "toasty", 2)
    assert len(c.payload["after"]["big"]) > 20000
    assert u.payload["after"]["big"] == "__debezium_unavailable_value"
    assert u.payload["after"]["small"] == 2
    c, u = records_for(broker, "toasty_full", 2)
    assert u.payload["after"]["big"] == c.payload["after"]["big"]  # taken from the old row
    assert u.payload["before"]["big"] == c.payload["after"]["big"]


def test_truncate_events(stream):
    pg, broker, _ = stream
    pg.execute("INSERT INTO trunc VALUES (1); TRUNCATE trunc", db="img")
    recs = records_for(broker, "trunc", 2)
    (t,) = [r for r in recs if r.payload["op"] == "t"]  # a null key may land on any partition
    assert t.raw_key is None
    assert t.payload["op"] == "t"
    assert t.payload["before"] is None and t.payload["after"] is None


def test_schema_change_mid_stream(stream):
    pg, broker, p = stream
    pg.execute("INSERT INTO evolving VALUES (1, 'a')", db="img")
    pg.execute("ALTER TABLE evolving ADD COLUMN n numeric(6,2); "
               "INSERT INTO evolving VALUES (2, 'b', 1.50)", db="img")
    pg.execute("ALTER TABLE evolving DROP COLUMN a; ALTER TABLE evolving ALTER COLUMN n TYPE text; "
               "INSERT INTO evolving VALUES (3, 'three')", db="img")
    r1, r2, r3 = sorted(records_for(broker, "evolving", 3), key=lambda r: r.key_payload["id"])
    assert r1.payload["after"] == {"id": 1, "a": "a"}
    assert r2.payload["after"] == {"id": 2, "a": "b", "n": "AJY="}  # 1.50 -> 150
    fields = {f["field"]: f for f in r2.value["schema"]["fields"][1]["fields"]}
    assert fields["n"]["name"] == "org.apache.kafka.connect.data.Decimal"
    assert r3.payload["after"] == {"id": 3, "n": "three"}
    fields = {f["field"]: f for f in r3.value["schema"]["fields"][1]["fields"]}
    assert set(fields) == {"id", "n"} and fields["n"]["type"] == "string"
    log = p.log()
    assert log.count("schema of public.evolving changed") == 2, log  # ADD; DROP + retype
    assert "schema of public.ident_default changed" not in log
