"""[capture] never silent (issue #15): ALTER TYPE ... ADD VALUE re-announces no relation, so the
first event that carries a new enum label must still carry a schema whose `allowed` list has it:
streamed, text and binary transfer alike, and the label dropped from nothing."""

import os

import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader


def allowed(record, column):
    value_schema = record.value["schema"]
    after = next(f for f in value_schema["fields"] if f["field"] == "after")
    field = next(f for f in after["fields"] if f["field"] == column)
    assert field["name"] == "io.debezium.data.Enum", field
    return field["parameters"]["allowed"]


@pytest.mark.parametrize("transfer", ["text", "binary"])
def test_a_new_enum_label_is_in_the_schema_of_its_first_event(pg, broker, workdir, transfer):
    db = "tenum_" + transfer
    pg.create_database(db)
    pg.execute("CREATE TYPE mood AS ENUM ('sad', 'ok'); "
               "CREATE TABLE person (id int PRIMARY KEY, m mood)", db=db)
    cfg = base_config(pg, broker, db, db=db)
    cfg["source"]["value_transfer"] = transfer
    cfg["offsets"]["file"] = os.path.join(workdir, db + ".offsets")
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [db + ".public.person"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO person VALUES (1, 'ok')", db=db)
        reader.wait_count(1, timeout=60)
        pg.execute("ALTER TYPE mood ADD VALUE 'happy'; ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'",
                   db=db)
        pg.execute("INSERT INTO person VALUES (2, 'happy'); UPDATE person SET m = 'meh' WHERE id = 1; "
                   "INSERT INTO person VALUES (3, 'sad')", db=db)
        reader.wait_count(4, timeout=60)
        reader.poll(1.0)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    # Keys spread over partitions: the WAL order is the source LSN's.
    recs = sorted((r for r in reader.records if r.value is not None),
                  key=lambda r: r.payload["source"]["lsn"])
    got = [(r.payload["after"]["id"], r.payload["after"]["m"], allowed(r, "m")) for r in recs]
    assert got == [(1, "ok", "sad,ok"), (2, "happy", "sad,meh,ok,happy"),
                   (1, "meh", "sad,meh,ok,happy"), (3, "sad", "sad,meh,ok,happy")], got
    assert p.log().count("gained (ALTER TYPE ... ADD VALUE)") == 1, p.log()
