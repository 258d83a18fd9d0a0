"""format.type json_schema: Confluent's JsonSchemaConverter wire format with a Schema Registry
(the test registry, tests/tools/), end to end: real PostgreSQL -> pgcdc -> broker, read back
with librdkafka and decoded by Confluent's Python client (confluent_kafka.schema_registry's
SchemaRegistryClient and JSONDeserializer, which validates every payload with python3-jsonschema
against the schema the registry holds for the record's id). Nothing here uses pgcdc's code.
"""

import json
import os
import struct

import jsonschema
import pytest
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import SerializationError

from conftest import base_config
from json_schema_records import JsonSchemaDecoder
from node_records import as_node_reads, node_decode
from pgcdc_harness import Pgcdc, TopicReader
from registry_scenarios import refusal_stops_and_restart_delivers, snapshot_validate_and_status
from schema_registry import SchemaRegistry
from test_avro import CHANGES, TYPES_DDL, by_key, comparable, subject_ids
from test_types import DDL as TYPES_EVERY_DDL


def js_config(pg, broker, name, db, registry, tables, workdir):
    cfg = base_config(pg, broker, name, db=db, source={"tables": tables},
                      offsets={"file": os.path.join(workdir, name + ".offsets")})
    cfg["format"] = {"type": "json_schema", "schema_registry": {"url": registry.url}}
    return cfg


@pytest.fixture
def registry():
    with SchemaRegistry() as r:
        yield r


def test_json_schema_records_say_what_json_records_say(pg, broker, workdir, registry):
    """The same changes through a JSON (schemas off) and a JSON Schema connector side by side:
    every JSON Schema record validates against, and carries the id of, the schema the registry
    holds for its subject, and says what the JSON record says."""
    pg.create_database("jssame")
    pg.execute(TYPES_DDL, db="jssame")
    js_cfg = base_config(pg, broker, "plain", db="jssame", source={"tables": ["public.shapes"]},
                         format={"schemas": False},
                         offsets={"file": os.path.join(workdir, "plain.offsets")})
    sr_cfg = js_config(pg, broker, "jsr", "jssame", registry, ["public.shapes"], workdir)
    js, sr = Pgcdc(js_cfg, workdir).start(), Pgcdc(sr_cfg, workdir).start()
    js_reader = TopicReader(broker.bootstrap, ["plain.public.shapes"])
    sr_reader = TopicReader(broker.bootstrap, ["jsr.public.shapes"])
    try:
        js.wait_streaming()
        sr.wait_streaming()
        pg.execute(CHANGES, db="jssame")
        # insert, insert, update, key change (delete + tombstone + create), delete + tombstone
        js_recs = js_reader.wait_count(8)
        sr_recs = sr_reader.wait_count(8)
        js_reader.poll(1.0)
        sr_reader.poll(1.0)
    finally:
        js_reader.close()
        sr_reader.close()
        assert js.stop() == 0, js.log()
        assert sr.stop() == 0, sr.log()
    assert len(js_recs) == len(sr_recs) == 8, (js_recs, sr_recs)
    assert sorted(registry.subjects()) == ["jsr.public.shapes-key", "jsr.public.shapes-value"]
    [key_id] = subject_ids(registry.url, "jsr.public.shapes-key")
    [value_id] = subject_ids(registry.url, "jsr.public.shapes-value")

    dec = JsonSchemaDecoder(registry.url)
    # The key bytes differ (the header), so the partitions may too: compare per key, in the order
    # each partition holds the records (per-key order).
    js_by_key = by_key(js_recs, lambda r: r.key_payload)
    sr_by_key = by_key(sr_recs, lambda r: dec.decode(r.raw_key)[1])
    assert js_by_key.keys() == sr_by_key.keys()
    tombstones = 0
    for k, js_list in js_by_key.items():
        sr_list = sr_by_key[k]
        assert len(sr_list) == len(js_list), k
        for j, s in zip(js_list, sr_list):
            kid, key = dec.decode(s.raw_key)
            vid, value = dec.decode(s.raw_value)
            assert kid == key_id and key == j.key_payload
            if value is None:
                tombstones += 1
                assert s.raw_value is None and j.payload is None
            else:
                assert vid == value_id
                assert comparable(value) == comparable(j.payload), (value, j.payload)
            for h in ("__debezium.oldkey", "__debezium.newkey"):
                assert (h in s.headers) == (h in j.headers), (h, s.headers, j.headers)
                if h in s.headers:
                    assert dec.decode(s.headers[h])[1] == json.loads(j.headers[h]), h
    assert tombstones == 2
    # Confluent's Node client validates (ajv) and reads every record as the Python client does,
    # as JSON.parse reads it: the bigint beyond 2^53 arrives rounded, as Debezium's would.
    for s, n in zip(sr_recs, node_decode("json", registry.url, sr_recs)):
        kid, key = dec.decode(s.raw_key)
        vid, value = dec.decode(s.raw_value)
        assert (n["key_id"], n["key"]) == (kid, key), n
        assert (n["value_id"], as_node_reads(n["value"])) == (vid, as_node_reads(value)), n

    # The key schema exactly as JsonSchemaData and everit print it (hand-derived: the
    # properties and connect.* keys in Java HashMap order).
    assert registry.schema(key_id) == (
        '{"type":"object","title":"jsr.public.shapes.Key","properties":{"id":{"type":"integer",'
        '"connect.index":0,"connect.type":"int32"}}}')
    envelope = json.loads(registry.schema(value_id))
    assert envelope["title"] == "jsr.public.shapes.Envelope"
    assert envelope["connect.version"] == 2
    # Java's HashMap order of the envelope's eight fields (String.hashCode buckets in 16).
    assert list(envelope["properties"]) == ["op", "before", "ts_us", "after", "source", "ts_ns",
                                            "transaction", "ts_ms"]
    before = envelope["properties"]["before"]
    assert before["connect.index"] == 0 and before["oneOf"][0] == {"type": "null"}
    row = before["oneOf"][1]
    assert row["title"] == "jsr.public.shapes.Value"
    columns = row["properties"]
    assert columns["i2"] == {"type": "integer", "connect.index": 1, "connect.type": "int16"}
    amount = columns["amount"]["oneOf"][1]
    assert amount["type"] == "string" and amount["connect.type"] == "bytes"
    assert amount["title"] == "org.apache.kafka.connect.data.Decimal"
    assert amount["connect.parameters"] == {"scale": "2", "connect.decimal.precision": "10"}
    assert columns["flag"]["oneOf"][1] == {"type": "boolean"}
    assert columns["ints"]["oneOf"][1]["type"] == "array"
    snapshot = envelope["properties"]["source"]["properties"]["snapshot"]
    assert snapshot["oneOf"][1]["default"] == "false"


def test_schema_change_new_version_refusal_stops_and_resumes(pg, broker, workdir, registry):
    """An added column registers a new JSON Schema version before its first record; a refused one
    (the test registry grants JSON versions at NONE only) stops pgcdc before the change, and a
    restart after the fix delivers it (registry_scenarios.py)."""
    dec = JsonSchemaDecoder(registry.url)

    def after_of(raw):
        vid, value = dec.decode(raw)
        return vid, value["after"]

    cfg = js_config(pg, broker, "jsevo", "jsevo", registry, ["public.t"], workdir)
    refusal_stops_and_restart_delivers(pg, broker, workdir, registry, "jsevo", cfg, after_of)


def test_every_type_validates_against_its_registered_schema(pg, broker, workdir, registry):
    """Every column type pgcdc supports (finite floats), in the default handling modes and in the
    alternative ones (Connect times, string decimals, hstore as a map, hex bytes), with every
    column set and every column NULL: each JSON Schema record validates against the schema
    registered for its id and says what the JSON format says for the same rows."""
    pg.create_database("jstypes")
    pg.execute(TYPES_EVERY_DDL, db="jstypes")
    # NaN and the infinities are written as JsonConverter's Jackson writes them, the strings
    # "NaN", "Infinity" and "-Infinity" (Confluent's serializer does the same), which a
    # {"type":"number"} schema does not accept: the README says so. Finite values here.
    pg.execute("UPDATE types SET f8_nan = 1e308, f8_inf = -1e-308", db="jstypes")
    big = {"message.max.bytes": "20000000"}
    modes = {
        "dflt": {},
        "alt": {"decimal_handling": "string", "binary_handling": "hex",
                "time_precision": "connect", "interval_handling": "string",
                "hstore_handling": "map"},
    }
    procs, readers = [], []
    for tag, fmt in modes.items():
        for kind in ("plain", "sr"):
            name = f"jt{tag}{kind}"
            cfg = base_config(pg, broker, name, db="jstypes", source={"tables": ["public.types"]},
                              sink={"type": "kafka",
                                    "kafka": dict({"bootstrap.servers": broker.bootstrap}, **big)},
                              offsets={"file": os.path.join(workdir, name + ".offsets")})
            if kind == "plain":
                cfg["format"] = dict({"schemas": False}, **fmt)
            else:
                cfg["format"] = dict({"type": "json_schema",
                                      "schema_registry": {"url": registry.url}}, **fmt)
            procs.append(Pgcdc(cfg, workdir).start())
            readers.append(TopicReader(broker.bootstrap, [f"{name}.public.types"]))
    try:
        for p in procs:
            p.wait_streaming()
        # The rows predate the slots: insert them again while the four connectors stream.
        pg.execute("BEGIN; CREATE TEMP TABLE keep AS SELECT * FROM types; DELETE FROM types; "
                   "INSERT INTO types SELECT * FROM keep; COMMIT", db="jstypes")
        # two deletes, two tombstones, two creates
        records = [r.wait_count(6, timeout=90) for r in readers]
    finally:
        for r in readers:
            r.close()
        for p in procs:
            assert p.stop() == 0, p.log()
    dec = JsonSchemaDecoder(registry.url)
    for i in range(0, len(records), 2):
        plain = {r.key_payload["id"]: r.payload for r in records[i] if r.value
                 and r.payload["op"] == "c"}
        sr = {}
        for r in records[i + 1]:
            value = dec.decode(r.raw_value)[1]
            if value is not None and value["op"] == "c":
                sr[dec.decode(r.raw_key)[1]["id"]] = value
        assert sorted(sr) == sorted(plain) == [1, 2]
        for row_id in (1, 2):
            assert comparable(sr[row_id]) == comparable(plain[row_id]), row_id
        # Confluent's Node client validates each record with ajv and reads the same JSON.
        for r, n in zip(records[i + 1], node_decode("json", registry.url, records[i + 1])):
            assert as_node_reads(n["value"]) == as_node_reads(dec.decode(r.raw_value)[1]), n
            assert n["key"] == dec.decode(r.raw_key)[1], n
    # Validation has teeth: the alternative modes' hstore map is an object of strings or nulls.
    alt_value = json.loads(registry.schema(
        subject_ids(registry.url, "jtaltsr.public.types-value")[-1]))
    hs = alt_value["properties"]["after"]["oneOf"][1]["properties"]["hs"]["oneOf"][1]
    assert hs["connect.type"] == "map" and hs["type"] == "object"
    value_id = subject_ids(registry.url, "jtaltsr.public.types-value")[-1]
    row = next(v for v in (json.loads(r.raw_value[5:]) for r in records[3] if r.raw_value)
               if v["op"] == "c" and v["after"]["hs"] is not None)
    row["after"]["hs"]["k"] = 5
    # (Debian's client re-raises the validator's error as it is for some payloads.)
    with pytest.raises((SerializationError, jsonschema.ValidationError),
                       match="not valid under any of the given schemas"):
        JSONDeserializer(registry.schema(value_id))(
            b"\x00" + struct.pack(">i", value_id) + json.dumps(row).encode(), None)


def test_snapshot_with_validate_and_status(pg, broker, workdir, registry):
    """The initial snapshot in JSON Schema with two workers, `validate` and `status`
    (registry_scenarios.py)."""
    dec = JsonSchemaDecoder(registry.url)
    cfg = js_config(pg, broker, "jssnap", "jssnap", registry, ["public.big", "public.small"],
                    workdir)
    snapshot_validate_and_status(pg, broker, workdir, registry, "jssnap", cfg,
                                 lambda raw: dec.decode(raw)[1])
