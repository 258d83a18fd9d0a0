"""format.unknown_types: bytes, Debezium's include.unknown.datatypes=true (issue 16), checked on
pgcdc's topics in snapshot and streaming, in JSON under each binary_handling mode and in Avro.

Ported from Debezium 3.6.1.Final (debezium-connector-postgres/src/test/..., tag v3.6.1.Final):
- RecordsStreamProducerIT shouldReceiveUnknownTypeAsBytes, shouldReceiveUnknownTypeAsBase64,
  shouldReceiveUnknownTypeAsBase64UrlSafe, shouldReceiveUnknownTypeAsHex (DBZ-1814, DBZ-5544),
  whose expectations are AbstractRecordsProducerTest.schemaAndValueForUnknownColumnBytes/
  Base64/Base64UrlSafe/Hex: schema OPTIONAL_BYTES_SCHEMA (binary.handling.mode bytes) or
  OPTIONAL_STRING_SCHEMA (base64, base64-url-safe, hex), value the UTF-8 bytes of the column's
  text form (ByteBuffer.wrap(text.getBytes(UTF_8)), its base64, url-safe base64 or hex).
- RecordsSnapshotProducerIT shouldGenerateSnapshotsForCustomDatatypes (the same through the
  snapshot: JDBC's PGobject.getValue(), the same text) and ...WithIncludeUnknownFalse
  (include.unknown.datatypes=false: the column is left out; pgcdc's `skip`).
Debezium's statement is INSERT_CIRCLE_STMT into its DDL's circle_table (pk serial, ccircle
circle). pgcdc maps circle itself (as Debezium does after 3.6.1, README), so the column here has a
composite type neither connector maps (adapted: `circle_t`), and the expected bytes are its text
form's, by Debezium's rule (PostgresValueConverter: convertBinary of AbstractColumnValue
.asString()). Further unknown types in the same rule: tsquery, pg_lsn, an array of circle_t
(createArrayConverter: convertBinary per element), and money[], which Debezium 3.6.1 has no
schema for whatever include.unknown.datatypes says (left out).
"""

import base64
import json
import os

import pytest

from avro_records import decode, schema_text
from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader
from schema_registry import SchemaRegistry

DDL = """
CREATE TYPE circle_t AS (x float8, y float8, r float8);
CREATE TABLE circle_table (pk serial, ccircle circle_t, PRIMARY KEY(pk));
CREATE TABLE other_unknown (pk serial, q tsquery, l pg_lsn, ca circle_t[], cash money[],
  PRIMARY KEY(pk));
"""
# Read by the snapshot.
BEFORE = """
INSERT INTO circle_table (ccircle) VALUES ('(10, 20, 10)'::circle_t);
INSERT INTO other_unknown (q, l, ca, cash) VALUES ('fat & rat', '0/16B3748',
  ARRAY['(1,2,3)'::circle_t, NULL], '{1.00}');
"""
# Streamed.
AFTER = """
INSERT INTO circle_table (ccircle) VALUES ('(1.5, -2, 0.25)'::circle_t);
INSERT INTO circle_table (ccircle) VALUES (NULL);
INSERT INTO other_unknown (q, l, ca, cash) VALUES ('a | !b', 'FF/0', '{}', NULL);
"""
# Text forms PostgreSQL writes (the bytes Debezium takes).
CIRCLE_TEXT = {1: "(10,20,10)", 2: "(1.5,-2,0.25)", 3: None}
OTHER_TEXT = {1: {"q": "'fat' & 'rat'", "l": "0/16B3748", "ca": ["(1,2,3)", None]},
              2: {"q": "'a' | !'b'", "l": "FF/0", "ca": []}}


def encode(text, mode):
    """Debezium's convertBinary of a String under binary.handling.mode, as JsonConverter writes
    it (a bytes value as base64)."""
    if text is None:
        return None
    raw = text.encode("utf-8")
    if mode in ("bytes", "base64"):
        return base64.b64encode(raw).decode()
    if mode == "base64-url-safe":
        return base64.urlsafe_b64encode(raw).decode()
    return raw.hex()


def expected_after(table, pk, mode):
    if table == "circle_table":
        after = {"pk": pk}
        if mode != "skip":
            after["ccircle"] = encode(CIRCLE_TEXT[pk], mode)
        return after
    if mode == "skip":
        return {"pk": pk}
    o = OTHER_TEXT[pk]
    return {"pk": pk, "q": encode(o["q"], mode), "l": encode(o["l"], mode),
            "ca": [encode(e, mode) for e in o["ca"]]}


def expected_fields(table, mode):
    """The Value schema's fields (JsonConverter's spelling) Debezium 3.6.1 declares."""
    scalar = "bytes" if mode == "bytes" else "string"
    pk = {"type": "int32", "optional": False, "default": 0, "field": "pk"}
    if mode == "skip":
        return [pk]
    if table == "circle_table":
        return [pk, {"type": scalar, "optional": True, "field": "ccircle"}]
    return [pk, {"type": scalar, "optional": True, "field": "q"},
            {"type": scalar, "optional": True, "field": "l"},
            # Debezium declares the elements required (SchemaBuilder.array(binaryMode
            # .getSchema())); pgcdc keeps every array's elements optional (README).
            {"type": "array", "items": {"type": scalar, "optional": True}, "optional": True,
             "field": "ca"}]


MODES = {
    "bytes": {"unknown_types": "bytes"},
    "base64": {"unknown_types": "bytes", "binary_handling": "base64"},
    "base64-url-safe": {"unknown_types": "bytes", "binary_handling": "base64-url-safe"},
    "hex": {"unknown_types": "bytes", "binary_handling": "hex"},
    "skip": {"unknown_types": "skip"},
}
EXPECTED_RECORDS = {"circle_table": 3, "other_unknown": 2}


@pytest.fixture(scope="module")
def source(pg):
    pg.create_database("unkdb")
    pg.execute(DDL, db="unkdb")
    pg.execute(BEFORE, db="unkdb")
    return "unkdb"


def config(pg, broker, workdir, source, name, fmt):
    return base_config(pg, broker, name, db=source, format=dict(fmt),
                       snapshot={"mode": "initial"},
                       offsets={"file": os.path.join(workdir, name + ".offsets")},
                       source={"publication": "pgcdc_" + name, "slot": "pgcdc_" + name})


def read_all(broker, name, timeout=120):
    topics = [f"{name}.public.{t}" for t in EXPECTED_RECORDS]
    reader = TopicReader(broker.bootstrap, topics)
    try:
        reader.wait_count(sum(EXPECTED_RECORDS.values()), timeout)
        reader.poll(0.5)
        return sorted(reader.records, key=lambda r: (r.topic, r.offset))
    finally:
        reader.close()


def test_unknown_types_as_bytes_under_each_binary_mode(pg, broker, workdir, source):
    procs = {}
    try:
        for mode, fmt in MODES.items():
            name = "unk" + mode.replace("-", "")
            procs[mode] = Pgcdc(config(pg, broker, workdir, source, name, fmt),
                                os.path.join(workdir, mode))
            os.makedirs(os.path.join(workdir, mode), exist_ok=True)
            procs[mode].start()
        for p in procs.values():
            p.wait_streaming(timeout=60)
        pg.execute(AFTER, db=source)
        for mode in MODES:
            name = "unk" + mode.replace("-", "")
            recs = read_all(broker, name)
            assert len(recs) == 5, (mode, recs)
            seen = set()
            for r in recs:
                table = r.topic.split(".")[-1]
                p = r.payload
                pk = p["after"]["pk"]
                seen.add((table, pk, p["op"]))
                assert p["after"] == expected_after(table, pk, mode), (mode, table, p["after"])
                env = {f["field"]: f for f in r.value["schema"]["fields"]}
                assert env["after"]["fields"] == expected_fields(table, mode), (mode, table)
            assert seen == {("circle_table", 1, "r"), ("circle_table", 2, "c"),
                            ("circle_table", 3, "c"), ("other_unknown", 1, "r"),
                            ("other_unknown", 2, "c")}, (mode, seen)
        assert "leaving out columns of unmappable types (cash)" in procs["bytes"].log()
    finally:
        for p in procs.values():
            assert p.stop() == 0, p.log()


def test_unknown_types_as_bytes_in_avro(pg, broker, workdir, source):
    """AvroConverter writes the bytes schema as Avro bytes ("null" first, optional) and the value
    as the text form's raw bytes."""
    with SchemaRegistry() as registry:
        name = "unkavro"
        cfg = config(pg, broker, workdir, source, name, {"unknown_types": "bytes"})
        cfg["format"] = {"type": "avro", "unknown_types": "bytes",
                         "schema_registry": {"url": registry.url}}
        p = Pgcdc(cfg, workdir).start()
        try:
            p.wait_streaming(timeout=60)
            recs = read_all(broker, name)
            # Started after the test above: its snapshot reads all five rows.
            got = {}
            for r in recs:
                schema_id, v = decode(r.raw_value, registry.url)
                table = r.topic.split(".")[-1]
                got[(table, v["after"]["pk"])] = v["after"]
                value = {f["name"]: f for f in json.loads(schema_text(registry.url, schema_id))
                         ["fields"]}
                # The Value record is defined at "before"; "after" refers to it by name.
                row = value["before"]["type"][1]
                types = {f["name"]: f["type"] for f in row["fields"]}
                if table == "circle_table":
                    assert types["ccircle"] == ["null", "bytes"], types
                else:
                    assert types["q"] == ["null", "bytes"], types
                    assert types["ca"] == ["null", {"type": "array",
                                                    "items": ["null", "bytes"]}], types
            assert got[("circle_table", 1)] == {"pk": 1, "ccircle": b"(10,20,10)"}
            assert got[("circle_table", 2)] == {"pk": 2, "ccircle": b"(1.5,-2,0.25)"}
            assert got[("circle_table", 3)] == {"pk": 3, "ccircle": None}
            assert got[("other_unknown", 1)] == {"pk": 1, "q": b"'fat' & 'rat'",
                                                  "l": b"0/16B3748", "ca": [b"(1,2,3)", None]}
            assert got[("other_unknown", 2)] == {"pk": 2, "q": b"'a' | !'b'", "l": b"FF/0",
                                                  "ca": []}
        finally:
            assert p.stop() == 0, p.log()
