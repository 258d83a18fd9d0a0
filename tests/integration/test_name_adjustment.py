"""Debezium's schema.name.adjustment.mode / field.name.adjustment.mode as
format.schema_name_adjustment / format.field_name_adjustment (none | avro | avro_unicode).

A table "my-table" with a column "1st col" cannot go to Avro as it is: the column is not an Avro
name, and pgcdc refuses it with one line and a non-zero exit. Under `avro` the record schemas are
named <topic with _>.Key/.Value/.Envelope and the field `_1st_col` (Debezium's rules: invalid
characters become _, a leading digit gets _ in front), the record decodes with clients pgcdc did
not write, and the topic (hence the subjects) keeps its name: Debezium adjusts schema names, not
topics. The JSON format carries the same adjusted names, in the schema and the payload keys."""

import json
import os

from avro_records import decode
from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, wait_until
from schema_registry import SchemaRegistry

DDL = 'CREATE TABLE "my-table"(id int PRIMARY KEY, "1st col" text)'
TABLES = ['public."my-table"']


def avro_config(pg, broker, name, registry, workdir, **fmt):
    cfg = base_config(pg, broker, name, db=name, source={"tables": TABLES},
                      offsets={"file": os.path.join(workdir, name + ".offsets")})
    cfg["format"] = dict({"type": "avro", "schema_registry": {"url": registry.url}}, **fmt)
    return cfg


def names_in(schema):
    """Every record name and field name of an Avro schema (parsed JSON), recursively."""
    out = []
    if isinstance(schema, list):
        for s in schema:
            out += names_in(s)
    elif isinstance(schema, dict):
        if schema.get("type") == "record":
            out.append(schema["name"])
            if "namespace" in schema:
                out.append(schema["namespace"])
            for f in schema["fields"]:
                out.append(f["name"])
                out += names_in(f["type"])
        elif "items" in schema:
            out += names_in(schema["items"])
    return out


def test_avro_adjusted_names_register_and_decode(pg, broker, workdir):
    pg.create_database("nadj")
    pg.execute(DDL, db="nadj")
    pg.execute("""INSERT INTO "my-table" VALUES (1, 'snap')""", db="nadj")
    with SchemaRegistry() as registry:
        cfg = avro_config(pg, broker, "nadj", registry, workdir,
                          schema_name_adjustment="avro", field_name_adjustment="avro")
        cfg["snapshot"] = {"mode": "initial"}  # the snapshot's read goes through the names too
        p = Pgcdc(cfg, workdir).start()
        reader = TopicReader(broker.bootstrap, ["nadj.public.my-table"])
        try:
            p.wait_streaming()
            pg.execute("""INSERT INTO "my-table" VALUES (2, 'streamed')""", db="nadj")
            reader.wait_count(2)
        finally:
            p.stop()
            reader.close()
        # The topic is not adjusted, so neither are the subjects (TopicNameStrategy).
        assert {r.topic for r in reader.records} == {"nadj.public.my-table"}
        assert registry.subjects() == ["nadj.public.my-table-key", "nadj.public.my-table-value"]
        rows = {}
        for r in reader.records:
            key_id, key = decode(r.raw_key, registry.url)
            value_id, value = decode(r.raw_value, registry.url)
            assert key == {"id": value["after"]["id"]}
            assert value["source"]["table"] == "my-table"  # data, not a name
            rows[key["id"]] = (value["op"], value["after"])
        assert rows == {1: ("r", {"id": 1, "_1st_col": "snap"}),
                        2: ("c", {"id": 2, "_1st_col": "streamed"})}
        value_schema = json.loads(registry.schema(value_id))
        key_schema = json.loads(registry.schema(key_id))
        assert value_schema["name"] == "Envelope"
        assert value_schema["namespace"] == "nadj.public.my_table"
        assert value_schema["connect.name"] == "nadj.public.my_table.Envelope"
        # `before` defines the Value record; `after` refers to it by its (adjusted) name.
        assert value_schema["fields"][1]["type"] == ["null", "nadj.public.my_table.Value"] \
            or value_schema["fields"][1]["type"] == ["null", "Value"], value_schema["fields"][1]
        after = value_schema["fields"][0]["type"][1]
        assert after["connect.name"] == "nadj.public.my_table.Value"
        assert [f["name"] for f in after["fields"]] == ["id", "_1st_col"]
        assert key_schema["connect.name"] == "nadj.public.my_table.Key"
        names = names_in(value_schema) + names_in(key_schema)
        assert not [n for n in names if "-" in n or " " in n], names


def test_unadjusted_names_are_refused_with_one_line(pg, broker, workdir):
    pg.create_database("nadjno")
    pg.execute(DDL, db="nadjno")
    with SchemaRegistry() as registry:
        cfg = avro_config(pg, broker, "nadjno", registry, workdir)
        p = Pgcdc(cfg, workdir).start()
        try:
            wait_until(lambda: not p.alive() or "streaming" in p.log(), 30, what="a start")
            if p.alive():
                pg.execute("""INSERT INTO "my-table" VALUES (1, 'x')""", db="nadjno")
            wait_until(lambda: not p.alive(), 60, what="pgcdc to refuse the name")
        finally:
            p.kill()
        assert p.proc.returncode != 0
        log = p.log()
        lines = [line for line in log.splitlines() if "'1st col'" in line]
        assert len(lines) == 1, log
        assert "my-table" in lines[0], log
        assert registry.subjects() == [] or all("my-table" in s for s in registry.subjects())
        assert not any("value" in s for s in registry.subjects()), registry.subjects()


def test_json_carries_the_same_adjusted_names(pg, broker, workdir):
    pg.create_database("nadjjs")
    pg.execute(DDL, db="nadjjs")
    cfg = base_config(pg, broker, "nadjjs", db="nadjjs", source={"tables": TABLES},
                      format={"schema_name_adjustment": "avro", "field_name_adjustment": "avro"},
                      offsets={"file": os.path.join(workdir, "nadjjs.offsets")})
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["nadjjs.public.my-table"])
    try:
        p.wait_streaming()
        pg.execute("""INSERT INTO "my-table" VALUES (7, 'seven')""", db="nadjjs")
        reader.wait_count(1)
    finally:
        p.stop()
        reader.close()
    r = reader.records[0]
    assert r.topic == "nadjjs.public.my-table"
    assert r.payload["after"] == {"id": 7, "_1st_col": "seven"}
    assert r.payload["source"]["table"] == "my-table"
    assert r.value["schema"]["name"] == "nadjjs.public.my_table.Envelope"
    assert r.value["schema"]["fields"][1]["name"] == "nadjjs.public.my_table.Value"
    assert [f["field"] for f in r.value["schema"]["fields"][1]["fields"]] == ["id", "_1st_col"]
    assert r.key["schema"]["name"] == "nadjjs.public.my_table.Key"
    assert r.key["payload"] == {"id": 7}
