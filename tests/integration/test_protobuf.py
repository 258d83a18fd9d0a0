"""format.type protobuf: Confluent's ProtobufConverter wire format with a Schema Registry (the
test registry, tests/tools/), end to end: real PostgreSQL -> pgcdc -> broker, read back with
librdkafka and decoded by code pgcdc did not write (protobuf_records.py: the registry's schema
for each record's id through Debian's Confluent client, compiled by Debian's protoc, parsed by
python3-protobuf through Confluent's ProtobufDeserializer).

A proto3 reader cannot tell a NULL from a zero: the comparisons with the JSON records read the
JSON side as such a reader would (protobuf_records.json_as_protobuf_reads).
"""

import json
import os
import subprocess

import pytest

from conftest import base_config
from node_records import node_decode, plain_message
from pgcdc_harness import Pgcdc, TopicReader, wait_until
from protobuf_records import ProtobufDecoder, as_json, json_as_protobuf_reads
from registry_scenarios import refusal_stops_and_restart_delivers, snapshot_validate_and_status
from schema_registry import SchemaRegistry
from test_avro import CHANGES, TYPES_DDL, by_key, comparable, subject_ids
from test_types import DDL as TYPES_EVERY_DDL

# Protobuf has no NULL inside a repeated field: ProtobufConverter fails on one, and so does
# pgcdc (test_a_null_array_element_stops_and_holds_the_lsn). Elsewhere, no NULL elements.
PB_CHANGES = CHANGES.replace("'{1,NULL,3}'", "'{1,0,3}'")


def pb_config(pg, broker, name, db, registry, tables, workdir, **fmt):
    cfg = base_config(pg, broker, name, db=db, source={"tables": tables},
                      offsets={"file": os.path.join(workdir, name + ".offsets")})
    cfg["format"] = dict({"type": "protobuf", "schema_registry": {"url": registry.url}}, **fmt)
    return cfg


def assert_node_reads_as_python(records, dec):
    """Confluent's Node client decodes each record to the message python3-protobuf decodes from
    the same bytes, field for field (presence included), with the same schema ids."""
    for r, n in zip(records, node_decode("protobuf", dec.url, records)):
        for raw, node_id, node_value in ((r.raw_key, n["key_id"], n["key"]),
                                         (r.raw_value, n["value_id"], n["value"])):
            if raw is None:
                assert node_value is None, n
                continue
            schema_id, message = dec.decode(raw)
            assert (node_id, node_value) == (schema_id, plain_message(message)), n


@pytest.fixture
def registry():
    with SchemaRegistry() as r:
        yield r


@pytest.fixture(autouse=True)
def drop_slots(pg):
    """This module's connectors outnumber the server's ten slots: each test drops its own."""
    yield
    for name, db in pg.execute("SELECT slot_name, database FROM pg_replication_slots "
                               "WHERE NOT active"):
        pg.execute(f"SELECT pg_drop_replication_slot('{name}')", db)


@pytest.mark.parametrize("optional", [False, True], ids=["default", "optional_for_nullables"])
def test_protobuf_records_say_what_json_records_say(pg, broker, workdir, registry, optional):
    """The same changes through a JSON (schemas off) and a Protobuf connector side by side:
    every Protobuf record carries the id of the schema its subject holds, parses as that
    schema's first message, and says what the JSON record says. By default a NULL column reads
    as its zero value, as ProtobufConverter's records do; with format.protobuf
    .optional_for_nullables the optional fields are proto3 `optional` and a NULL stays NULL."""
    db, name = ("pbopt", "pbo") if optional else ("pbsame", "pbs")
    pg.create_database(db)
    pg.execute(TYPES_DDL, db=db)
    js_cfg = base_config(pg, broker, "plain" + db, db=db, source={"tables": ["public.shapes"]},
                         format={"schemas": False},
                         offsets={"file": os.path.join(workdir, f"plain{db}.offsets")})
    extra = {"protobuf": {"optional_for_nullables": True}} if optional else {}
    pb_cfg = pb_config(pg, broker, name, db, registry, ["public.shapes"], workdir, **extra)
    js, pb = Pgcdc(js_cfg, workdir).start(), Pgcdc(pb_cfg, workdir).start()
    js_reader = TopicReader(broker.bootstrap, [f"plain{db}.public.shapes"])
    pb_reader = TopicReader(broker.bootstrap, [f"{name}.public.shapes"])
    try:
        js.wait_streaming()
        pb.wait_streaming()
        pg.execute(PB_CHANGES, db=db)
        # insert, insert, update, key change (delete + tombstone + create), delete + tombstone
        js_recs = js_reader.wait_count(8)
        pb_recs = pb_reader.wait_count(8)
        js_reader.poll(1.0)
        pb_reader.poll(1.0)
    finally:
        js_reader.close()
        pb_reader.close()
        assert js.stop() == 0, js.log()
        assert pb.stop() == 0, pb.log()
    assert len(js_recs) == len(pb_recs) == 8, (js_recs, pb_recs)
    assert sorted(registry.subjects()) == [f"{name}.public.shapes-key",
                                           f"{name}.public.shapes-value"]
    [key_id] = subject_ids(registry.url, f"{name}.public.shapes-key")
    [value_id] = subject_ids(registry.url, f"{name}.public.shapes-value")

    dec = ProtobufDecoder(registry.url)

    def key_of(raw):
        return as_json(dec.decode(raw)[1])

    js_by_key = by_key(js_recs, lambda r: r.key_payload)
    pb_by_key = by_key(pb_recs, lambda r: key_of(r.raw_key))
    assert js_by_key.keys() == pb_by_key.keys()
    tombstones = 0
    for k, js_list in js_by_key.items():
        pb_list = pb_by_key[k]
        assert len(pb_list) == len(js_list), k
        for j, p in zip(js_list, pb_list):
            kid, key = dec.decode(p.raw_key)
            assert kid == key_id and as_json(key) == j.key_payload
            if p.raw_value is None:
                tombstones += 1
                assert j.payload is None
                continue
            vid, value = dec.decode(p.raw_value)
            assert vid == value_id
            expected = json_as_protobuf_reads(j.payload, value.DESCRIPTOR)
            assert comparable(as_json(value)) == comparable(expected), (as_json(value), expected)
            for h in ("__debezium.oldkey", "__debezium.newkey"):
                assert (h in p.headers) == (h in j.headers), (h, p.headers, j.headers)
                if h in p.headers:
                    assert as_json(dec.decode(p.headers[h])[1]) == json.loads(j.headers[h]), h
    assert tombstones == 2
    # Confluent's Node client (its descriptors from the registry's serialized answer) reads
    # every record as python3-protobuf does: field for field, presence included.
    assert_node_reads_as_python(pb_recs, dec)
    # The NULLs of row 2 read as zero values (or, with optional_for_nullables, as NULL), and
    # its absent images as None; row 1's zero (ints[1]) and false-free values as written.
    row2 = next(as_json(dec.decode(r.raw_value)[1]) for r in pb_recs
                if r.raw_value and key_of(r.raw_key) == {"id": 2})
    assert row2["before"] is None and row2["after"]["i2"] == -1
    if optional:
        assert row2["after"]["note"] is None and row2["after"]["i8"] is None
        assert row2["after"]["flag"] is None
    else:
        assert row2["after"]["note"] == "" and row2["after"]["i8"] == 0
        assert row2["after"]["flag"] is False
    assert row2["after"]["amount"] is None  # a Decimal is a message: absent, not zero

    text = registry.schema(value_id)
    if optional:
        assert "    int32 id = 1;\n" in text and "    optional int64 i8 = 3;\n" in text
        assert "  optional Value before = 1;\n" in text and "  string op = 5;\n" in text
        assert "    repeated int32 ints = 17;\n" in text
        return

    # The texts as ProtobufData and ProtobufSchemaUtils print them.
    assert registry.schema(key_id) == (
        'syntax = "proto3";\npackage pbs.public.shapes;\n\nmessage Key {\n  int32 id = 1;\n}\n')
    assert text.startswith('syntax = "proto3";\npackage pbs.public.shapes;\n\n'
                           'import "confluent/type/decimal.proto";\n\nmessage Envelope {\n'
                           '  Value before = 1;\n  Value after = 2;\n  Source source = 3;\n'
                           '  block transaction = 4;\n  string op = 5;\n  int64 ts_ms = 6;\n'
                           '  int64 ts_us = 7;\n  int64 ts_ns = 8;\n\n  message Value {\n'
                           '    int32 id = 1;\n    int32 i2 = 2 [(confluent.field_meta) = {\n'
                           '      params: [\n        {\n          key: "connect.type",\n'
                           '          value: "int16"\n        }\n      ]\n    }];\n'), text
    assert ('    confluent.type.Decimal amount = 7 [(confluent.field_meta) = {\n'
            '      params: [\n        {\n          value: "10",\n          key: "precision"\n'
            '        },\n        {\n          value: "2",\n          key: "scale"\n        }\n'
            '      ]\n    }];\n') in text
    assert "    repeated int32 ints = 17;\n    repeated string words = 18;\n" in text
    assert "  message Source {\n    string version = 1;\n" in text
    assert text.endswith("  message block {\n    string id = 1;\n    int64 total_order = 2;\n"
                         "    int64 data_collection_order = 3;\n  }\n}\n")


def test_a_null_array_element_stops_and_holds_the_lsn(pg, broker, workdir, registry):
    """Protobuf has no NULL inside a repeated field (ProtobufConverter fails on one too): the
    record cannot be written, so pgcdc stops with one line naming the field, the slot stays
    before the change, and nothing after it is delivered in its place."""
    pg.create_database("pbnull")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, ints int[])", db="pbnull")
    cfg = pb_config(pg, broker, "pbnull", "pbnull", registry, ["public.t"], workdir)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["pbnull.public.t"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO t VALUES (1, '{1,2}')", db="pbnull")
        reader.wait_count(1)
        change_end = pg.commit_end(
            "INSERT INTO t VALUES (2, '{1,NULL}'); INSERT INTO t VALUES (3, '{3}')", "pbnull")
        wait_until(lambda: not p.alive(), 60, what="pgcdc to stop on the NULL element")
        assert p.proc.returncode != 0
        lines = [line for line in p.log().splitlines() if "null array element" in line]
        assert len(lines) == 1 and "ints" in lines[0] and "public.t" in lines[0], p.log()
        assert pg.confirmed_flush("pgcdc_pbnull", "pbnull") < change_end
        reader.poll(1.0)
        assert len(reader.records) == 1
    finally:
        reader.close()
        p.stop()


def test_schema_change_new_version_refusal_stops_and_resumes(pg, broker, workdir, registry):
    """An added column registers a new Protobuf version before its first record; a refused one
    (the test registry grants PROTOBUF versions at NONE only) stops pgcdc before the change, and a
    restart after the fix delivers it (registry_scenarios.py)."""
    dec = ProtobufDecoder(registry.url)

    def after_of(raw):
        vid, value = dec.decode(raw)
        return vid, as_json(value)["after"]

    cfg = pb_config(pg, broker, "pbevo", "pbevo", registry, ["public.t"], workdir)
    refusal_stops_and_restart_delivers(pg, broker, workdir, registry, "pbevo", cfg, after_of)


def test_snapshot_with_validate_and_status(pg, broker, workdir, registry):
    """The initial snapshot in Protobuf with two workers, `validate` and `status`
    (registry_scenarios.py)."""
    dec = ProtobufDecoder(registry.url)
    cfg = pb_config(pg, broker, "pbsnap", "pbsnap", registry, ["public.big", "public.small"],
                    workdir)
    snapshot_validate_and_status(pg, broker, workdir, registry, "pbsnap", cfg,
                                 lambda raw: as_json(dec.decode(raw)[1]))


def every_type_records(pg, broker, workdir, registry, db, kinds, finite=False, pb_format=None):
    """Every column type pgcdc supports (no NULL array elements), in the default handling modes
    and in the alternative ones (Connect times, string decimals, hstore as a map, hex bytes),
    with every column set and every column NULL, through one connector per (mode, kind):
    {(mode, kind): records}. kind "plain" is JSON without schemas, "schemas" JSON with them,
    "pb" Protobuf. finite: no NaN or infinities (Kafka's JsonConverter reads "NaN" as 0.0, and
    Confluent's converter refuses a Timestamp beyond years 1..9999, as PostgreSQL's -infinity
    is in time_precision connect, and turns the time 24:00:00 into 00:00; pgcdc writes them as
    they are)."""
    pg.create_database(db)
    pg.execute(TYPES_EVERY_DDL, db=db)
    pg.execute("UPDATE types SET ints = '{1,0,3}', txts = '{\"a b\",\"\",\"q\\\"x\"}' "
               "WHERE id = 1", db=db)
    if finite:
        pg.execute("UPDATE types SET f8_nan = 1e308, f8_inf = -1e-308, d_inf = '2020-01-01', "
                   "ts_ninf = '2020-01-01', tm = '23:59:59'", db=db)
    big = {"message.max.bytes": "20000000"}
    modes = {
        "dflt": {},
        "alt": {"decimal_handling": "string", "binary_handling": "hex",
                "time_precision": "connect", "interval_handling": "string",
                "hstore_handling": "map"},
    }
    procs, readers = {}, {}
    for tag, fmt in modes.items():
        for kind in kinds:
            name = f"{db}{tag}{kind}"
            cfg = base_config(pg, broker, name, db=db, source={"tables": ["public.types"]},
                              sink={"type": "kafka",
                                    "kafka": dict({"bootstrap.servers": broker.bootstrap}, **big)},
                              offsets={"file": os.path.join(workdir, name + ".offsets")})
            if kind == "pb":
                cfg["format"] = dict({"type": "protobuf",
                                      "schema_registry": {"url": registry.url}}, **fmt,
                                     **(pb_format or {}))
            else:
                cfg["format"] = dict({"schemas": kind == "schemas"}, **fmt)
            procs[(tag, kind)] = Pgcdc(cfg, workdir).start()
            readers[(tag, kind)] = TopicReader(broker.bootstrap, [f"{name}.public.types"])
    try:
        for p in procs.values():
            p.wait_streaming()
        # The rows predate the slots: insert them again while the connectors stream.
        pg.execute("BEGIN; CREATE TEMP TABLE keep AS SELECT * FROM types; DELETE FROM types; "
                   "INSERT INTO types SELECT * FROM keep; COMMIT", db=db)
        # two deletes, two tombstones, two creates
        return {k: r.wait_count(6, timeout=90) for k, r in readers.items()}
    finally:
        for r in readers.values():
            r.close()
        for p in procs.values():
            assert p.stop() == 0, p.log()


def test_every_type_reads_as_the_json_says(pg, broker, workdir, registry):
    """Every type, both sets of handling modes, every column set and every column NULL: each
    Protobuf record parses as its registered schema and reads as the JSON record of the same row
    (NaN and the infinities included: Protobuf doubles carry them)."""
    records = every_type_records(pg, broker, workdir, registry, "pbtypes", ("plain", "pb"))
    dec = ProtobufDecoder(registry.url)
    for tag in ("dflt", "alt"):
        plain = {r.key_payload["id"]: r.payload for r in records[(tag, "plain")] if r.value
                 and r.payload["op"] == "c"}
        pb = {}
        for r in records[(tag, "pb")]:
            if r.raw_value is None:
                continue
            value = dec.decode(r.raw_value)[1]
            if value.op == "c":
                pb[as_json(dec.decode(r.raw_key)[1])["id"]] = value
        assert sorted(pb) == sorted(plain) == [1, 2]
        for row_id in (1, 2):
            got = comparable(as_json(pb[row_id]))
            want = comparable(json_as_protobuf_reads(plain[row_id], pb[row_id].DESCRIPTOR))
            diff = {k: (got["after"][k], want["after"][k]) for k in want["after"]
                    if got["after"].get(k) != want["after"][k]}
            assert not diff, (tag, row_id, str(diff)[:2000])
            assert got == want, (tag, row_id)
        assert_node_reads_as_python(records[(tag, "pb")], dec)
    # The alternative modes' Connect times are Google's and Protobuf's well-known types.
    alt_text = registry.schema(subject_ids(registry.url, "pbtypesaltpb.public.types-value")[-1])
    assert ('import "google/type/date.proto";\nimport "google/type/timeofday.proto";\n'
            'import "google/protobuf/timestamp.proto";\n') in alt_text
    assert "    google.type.Date d = " in alt_text
    assert "    repeated ConnectDefault1Entry hs = " in alt_text
    assert ("    message ConnectDefault1Entry {\n      string key = 1;\n"
            "      string value = 2;\n    }\n") in alt_text


CONFLUENT_CP = os.environ.get("PGCDC_PROTOBUF_DATA_CP")


@pytest.mark.skipif(not CONFLUENT_CP, reason="PGCDC_PROTOBUF_DATA_CP (a classpath with "
                    "Confluent's ProtobufData, Kafka's JsonConverter and a Golden main class) "
                    "is not set: Confluent's Java artifacts are not served here")
@pytest.mark.parametrize("optional", [False, True], ids=["default", "optional_for_nullables"])
def test_bytes_equal_confluents_protobuf_converter(pg, broker, workdir, registry, optional):
    """Byte for byte against Confluent's own ProtobufData: every JSON-with-schemas record of the
    every-type table, turned into Connect data by Kafka's JsonConverter and converted by
    ProtobufData (fromConnectSchema + canonicalString, fromConnectData + toByteArray), gives the
    schema text pgcdc registered and the bytes pgcdc wrote after the framing. (Run here with the
    classes compiled from confluentinc/schema-registry's sources and Maven Central's jars.)"""
    # Finite floats: the JSON records go through JsonConverter, which reads "NaN" as 0.0
    # (Debezium hands ProtobufData the double itself; test_every_type_reads_as_the_json_says
    # covers NaN and the infinities).
    db = "pbgoldo" if optional else "pbgold"
    records = every_type_records(
        pg, broker, workdir, registry, db, ("schemas", "pb"), finite=True,
        pb_format={"protobuf": {"optional_for_nullables": True}} if optional else None)
    dec = ProtobufDecoder(registry.url)
    compared = identical = 0
    for tag in ("dflt", "alt"):
        js_by_key = by_key(records[(tag, "schemas")], lambda r: r.key_payload)
        pb_by_key = by_key(records[(tag, "pb")], lambda r: as_json(dec.decode(r.raw_key)[1]))
        assert js_by_key.keys() == pb_by_key.keys()
        lines, expect = [], []
        for k, js_list in js_by_key.items():
            assert len(js_list) == len(pb_by_key[k])
            for j, p in zip(js_list, pb_by_key[k]):
                # The JSON connector's record as the Protobuf connector's: its name (in the
                # schema names and source.name) and its processing times.
                rename = (f'"{db}{tag}schemas', f'"{db}{tag}pb')
                lines.append(j.raw_key.decode().replace(*rename))
                expect.append(p.raw_key)
                if j.raw_value is not None:
                    value = json.loads(j.raw_value.decode().replace(*rename))
                    written = dec.decode(p.raw_value)[1]
                    for ts in ("ts_ms", "ts_us", "ts_ns"):
                        value["payload"][ts] = getattr(written, ts)
                    lines.append(json.dumps(value))
                    expect.append(p.raw_value)
        proc = subprocess.run(["java", "-cp", CONFLUENT_CP, "Golden"] + (["optional"] * optional),
                              input="\n".join(lines),
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (tag, [line for line in proc.stderr.splitlines()
                                            if "Exception" in line or "Caused" in line])
        out = proc.stdout.splitlines()
        assert len(out) == len(expect)
        for line, raw in zip(out, expect):
            text, hexed = line.split("\t")
            schema_id = int.from_bytes(raw[1:5], "big")
            assert registry.schema(schema_id) == text.replace("\\n", "\n"), tag
            compared += 1
            if raw[6:].hex() == hexed:
                identical += 1
                continue
            # JsonConverter reads a JSON object into a HashMap, so the converter meets a map's
            # entries in hash order where Debezium (and pgcdc) has them in the map's own order:
            # such records must differ in entry order only.
            ours = dec.decode(raw)[1]
            theirs = type(ours).FromString(bytes.fromhex(hexed))
            a, b = as_json(ours), as_json(theirs)
            assert a == b, (tag, {k: (str(a[k])[:300], str(b[k])[:300]) for k in a
                                  if a[k] != b[k] and k not in ("before", "after")},
                            {k: (str(a["after"][k])[:200], str(b["after"][k])[:200])
                             for k in (a.get("after") or {})
                             if a["after"][k] != b["after"][k]})
            assert len(raw) - 6 == len(hexed) // 2, tag
    print(f"records compared with ProtobufData: {compared}, byte-identical: {identical}")
    assert compared >= 16 and identical >= compared - 4, (compared, identical)
