"""Debezium renderings of PostgreSQL types end to end (debezium-format.md §3): one column per
type, edge values, default handling modes and the alternatives, keys and schemas included,
read back with confluent_kafka."""

import base64
import os

import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader

DDL = """
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE types(
  id int PRIMARY KEY,
  b bool, bit1 bit(1), bits bit(24), vbits varbit,
  i2 smallint, i4 int, i8 bigint, o oid,
  f4 real, f8 double precision, f8_nan double precision, f8_inf double precision,
  n numeric(10,2), n_big numeric(30,5), n_free numeric, money_v money,
  c char(3), vc varchar(10), t text, ct citext, nm name,
  u uuid, j json, jb jsonb, x xml, by bytea, by_empty bytea,
  d date, tm time, tm3 time(3), ttz timetz,
  ts timestamp, ts3 timestamp(3), tstz timestamptz, tstz_inf timestamptz, tstz_far timestamptz,
  iv interval,
  ints int[], txts text[], grid int[][], mood_v mood, moods mood[], dom posint,
  hs hstore, lt ltree, tsv tsvector, ir int4range, inet_v inet, cidr_v cidr, mac macaddr,
  pt point, uni text, big_text text, big_bytes bytea,
  empty_t text, d_inf date, ts_ninf timestamp,
  g_box box, g_lseg lseg, g_path path, g_poly polygon, g_circle circle, g_line line
);
INSERT INTO types VALUES (
  1,
  true, B'1', B'000000110000001000000001', B'101',
  -32768, 2147483647, -9223372036854775808, 4000000000,
  1.5, 2.25, 'NaN', '-Infinity',
  12.34, 1234567890123456789012345.12345, 10.1111, '$1,234.11',
  'ab', 'varchar', 'text', 'CiText', 'name_v',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{"b": [1, 2]}', '<a>1</a>',
  '\\x010203', '',
  '2016-11-04', '24:00:00', '01:02:03.456', '13:51:30.123789+02',
  '2018-06-20 15:13:16.945104', '2018-06-20 15:13:16.945', '2016-11-04 13:51:30.123456+02',
  'infinity', '21016-11-04 06:51:30.123456+00',
  '1 year 2 mons 3 days 04:05:06.78',
  '{1,NULL,3}', '{"a b",NULL,"q\\"x"}', '{{1,2},{3,4}}', 'happy', '{sad,happy}', 7,
  '"k"=>"v", "n"=>NULL', 'top.middle.leaf', 'the quick fox', '[1,5)', '192.168.2.0/24',
  '10.0.0.0/8', '08:00:2b:01:02:03',
  '(1.5,-2)', 'Grüße, 世界 🙂', repeat('x', 1048576), decode(repeat('ab', 1048576), 'hex'),
  '', 'infinity', '-infinity',
  '((2,2),(0,0))', '[(0,0),(1,2)]', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))', '<(1,2),3>',
  '{1,-1,0}'
);
INSERT INTO types(id) VALUES (2);  -- every column NULL
"""


def b64(data):
    return base64.b64encode(data).decode()


def wkb(kind, coords):
    """OGC WKB (little-endian) of a LineString (2) or a one-ring Polygon (3), base64."""
    import struct
    n = len(coords) // 2
    head = struct.pack("<BI", 1, kind) + (struct.pack("<I", 1) if kind == 3 else b"")
    return b64(head + struct.pack("<I", n) + struct.pack(f"<{len(coords)}d", *coords))


@pytest.fixture(scope="module")
def typed_db(pg):
    pg.create_database("types")
    pg.execute(DDL, db="types")
    return pg


def read_rows(pg, broker, workdir, name, fmt, **extra):
    # A big-message limit: the 1 MB text and 1 MB bytea rows exceed librdkafka's 1 MB default.
    cfg = base_config(pg, broker, name, db="types", format=fmt,
                      sink={"type": "kafka", "kafka": {"bootstrap.servers": broker.bootstrap,
                                                       "message.max.bytes": "20000000"}},
                      offsets={"file": os.path.join(workdir, f"{name}.offsets")}, **extra)
    # The rows predate the slot: re-insert them after streaming starts.
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{name}.public.types"])
    try:
        p.wait_streaming()
        pg.execute("BEGIN; CREATE TEMP TABLE keep AS SELECT * FROM types; DELETE FROM types; "
                   "INSERT INTO types SELECT * FROM keep; COMMIT", db="types")
        recs = reader.wait_for(lambda rs: sum(1 for r in rs if r.value and
                                              r.payload["op"] == "c") >= 2, timeout=90)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    creates = {r.key_payload["id"]: r for r in recs if r.value and r.payload["op"] == "c"}
    return creates


def test_default_modes(typed_db, broker, workdir):
    rows = read_rows(typed_db, broker, workdir, "tdef", {"schemas": True})
    a = rows[1].payload["after"]
    expected = {
        "id": 1, "b": True, "bit1": True, "bits": b64(b"\x01\x02\x03"), "vbits": b64(b"\x05"),
        "i2": -32768, "i4": 2147483647, "i8": -9223372036854775808, "o": 4000000000,
        "f4": 1.5, "f8": 2.25, "f8_nan": "NaN", "f8_inf": "-Infinity",
        "n": "BNI=", "n_free": {"scale": 4, "value": "AYr3"}, "money_v": "AeIT",
        "c": "ab ", "vc": "varchar", "t": "text", "ct": "CiText", "nm": "name_v",
        "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j": "{\"a\": 1}", "jb": "{\"b\": [1, 2]}",
        "x": "<a>1</a>", "by": "AQID", "by_empty": "",
        "d": 17109, "tm": 86400000000, "tm3": 3723456, "ttz": "11:51:30.123789Z",
        "ts": 1529507596945104, "ts3": 1529507596945, "tstz": "2016-11-04T11:51:30.123456Z",
        "tstz_inf": "infinity", "tstz_far": "+21016-11-04T06:51:30.123456Z",
        "iv": 37091106780000,
        "ints": [1, None, 3], "txts": ["a b", None, "q\"x"], "grid": [1, 2, 3, 4],
        "mood_v": "happy", "moods": ["sad", "happy"], "dom": 7,
        "hs": "{\"k\":\"v\",\"n\":null}", "lt": "top.middle.leaf", "tsv": "'fox' 'quick' 'the'",
        "ir": "[1,5)", "inet_v": "192.168.2.0/24", "cidr_v": "10.0.0.0/8",
        "mac": "08:00:2b:01:02:03",
        "pt": {"x": 1.5, "y": -2, "wkb": "AQEAAAAAAAAAAAD4PwAAAAAAAADA", "srid": None},
        "uni": "Grüße, 世界 🙂",
        "empty_t": "", "d_inf": 2147483647, "ts_ninf": -9223372036832400000,
        "g_lseg": {"wkb": wkb(2, [0, 0, 1, 2]), "srid": None, "extensions": {"type": "lseg"}},
        "g_box": {"wkb": wkb(3, [2, 2, 2, 0, 0, 0, 0, 2, 2, 2]), "srid": None,
                  "extensions": {"type": "box"}},
        "g_path": {"wkb": wkb(2, [0, 0, 1, 1, 2, 0]), "srid": None,
                   "extensions": {"type": "path", "closed": "false"}},
        "g_poly": {"wkb": wkb(3, [0, 0, 1, 1, 1, 0, 0, 0]), "srid": None,
                   "extensions": {"type": "polygon"}},
        "g_circle": {"center": {"x": 1, "y": 2, "wkb": "AQEAAAAAAAAAAADwPwAAAAAAAABA", "srid": None},
                     "radius": 3},
        "g_line": {"a": 1, "b": -1, "c": 0},
    }
    for k, v in expected.items():
        assert a[k] == v, (k, a[k], v)
    # numeric(30,5): unscaled 123456789012345678901234512345 as two's complement bytes
    assert int.from_bytes(base64.b64decode(a["n_big"]), "big", signed=True) == \
        123456789012345678901234512345
    assert a["big_text"] == "x" * 1048576
    assert base64.b64decode(a["big_bytes"]) == b"\xab" * 1048576
    # All NULLs row
    assert all(v is None for k, v in rows[2].payload["after"].items() if k != "id")

    schema = {f["field"]: f for f in rows[1].value["schema"]["fields"][1]["fields"]}
    assert schema["id"]["optional"] is False and schema["b"]["optional"] is True
    checks = {
        "bits": ("bytes", "io.debezium.data.Bits", {"length": "24"}),
        "n": ("bytes", "org.apache.kafka.connect.data.Decimal",
              {"scale": "2", "connect.decimal.precision": "10"}),
        "n_free": ("struct", "io.debezium.data.VariableScaleDecimal", None),
        "money_v": ("bytes", "org.apache.kafka.connect.data.Decimal", {"scale": "2"}),
        "u": ("string", "io.debezium.data.Uuid", None),
        "jb": ("string", "io.debezium.data.Json", None),
        "x": ("string", "io.debezium.data.Xml", None),
        "d": ("int32", "io.debezium.time.Date", None),
        "tm": ("int64", "io.debezium.time.MicroTime", None),
        "tm3": ("int32", "io.debezium.time.Time", None),
        "ttz": ("string", "io.debezium.time.ZonedTime", None),
        "ts": ("int64", "io.debezium.time.MicroTimestamp", None),
        "ts3": ("int64", "io.debezium.time.Timestamp", None),
        "tstz": ("string", "io.debezium.time.ZonedTimestamp", None),
        "iv": ("int64", "io.debezium.time.MicroDuration", None),
        "mood_v": ("string", "io.debezium.data.Enum", {"allowed": "sad,ok,happy"}),
        "hs": ("string", "io.debezium.data.Json", None),
        "lt": ("string", "io.debezium.data.Ltree", None),
        "tsv": ("string", "io.debezium.data.Tsvector", None),
        "pt": ("struct", "io.debezium.data.geometry.Point", None),
        "g_box": ("struct", "io.debezium.data.geometry.Geometry", None),
        "g_circle": ("struct", "io.debezium.data.geometry.Circle", None),
        "g_line": ("struct", "io.debezium.data.geometry.Line", None),
        "dom": ("int32", None, None),
        "i2": ("int16", None, None), "i8": ("int64", None, None), "f4": ("float", None, None),
        "f8": ("double", None, None), "b": ("boolean", None, None), "by": ("bytes", None, None),
    }
    for col, (typ, name, params) in checks.items():
        f = schema[col]
        assert f["type"] == typ, (col, f)
        assert f.get("name") == name, (col, f)
        assert f.get("parameters") == params, (col, f)
    assert schema["ints"]["items"] == {"type": "int32", "optional": True}
    assert schema["moods"]["items"]["name"] == "io.debezium.data.Enum"


def test_alternative_modes(typed_db, broker, workdir):
    rows = read_rows(typed_db, broker, workdir, "talt",
                     {"schemas": True, "decimal_handling": "string", "binary_handling": "hex",
                      "time_precision": "connect", "interval_handling": "string",
                      "hstore_handling": "map"})
    a = rows[1].payload["after"]
    schema = {f["field"]: f for f in rows[1].value["schema"]["fields"][1]["fields"]}
    expected = {  # column: (value, Connect type, semantic name)
        "n": ("12.34", "string", None),
        "n_free": ("10.1111", "string", None),
        "money_v": ("1234.11", "string", None),
        "f8_nan": ("NaN", "double", None),
        "by": ("010203", "string", None),
        "d": (17109, "int32", "org.apache.kafka.connect.data.Date"),
        "tm": (86400000, "int32", "org.apache.kafka.connect.data.Time"),
        "ts": (1529507596945, "int64", "org.apache.kafka.connect.data.Timestamp"),
        "tstz": ("2016-11-04T11:51:30.123456Z", "string", "io.debezium.time.ZonedTimestamp"),
        "iv": ("P1Y2M3DT4H5M6.78S", "string", "io.debezium.time.Interval"),
        "hs": ({"k": "v", "n": None}, "map", None),
    }
    for col, (value, typ, name) in expected.items():
        assert a[col] == value, (col, a[col])
        assert schema[col]["type"] == typ and schema[col].get("name") == name, (col, schema[col])
    assert schema["hs"]["values"] == {"type": "string", "optional": True}

    rows_d = read_rows(typed_db, broker, workdir, "tdbl",
                       {"schemas": False, "decimal_handling": "double"})
    assert "schema" not in rows_d[1].value
    assert rows_d[1].payload["after"]["n"] == 12.34
    assert rows_d[1].payload["after"]["n_free"] == 10.1111
    rows_b = read_rows(typed_db, broker, workdir, "tb64",
                       {"schemas": True, "binary_handling": "base64-url-safe",
                        "time_precision": "adaptive_time_microseconds"})
    after = rows_b[1].payload["after"]
    schema = {f["field"]: f for f in rows_b[1].value["schema"]["fields"][1]["fields"]}
    assert after["by"] == "AQID" and schema["by"]["type"] == "string"
    assert after["tm3"] == 3723456000 and schema["tm3"]["name"] == "io.debezium.time.MicroTime"


def test_unknown_type_policy(typed_db, broker, workdir):
    typed_db.execute("CREATE TYPE pair_t AS (a int, b int); "
                     "CREATE TABLE shapes(id int PRIMARY KEY, bx pair_t, note text)", db="types")
    base = dict(source={"tables": ["public.shapes"]})

    def run(name, policy):
        fmt = {"schemas": False} if policy is None else {"schemas": False, "unknown_types": policy}
        cfg = base_config(typed_db, broker, name, db="types", format=fmt,
                          offsets={"file": os.path.join(workdir, f"{name}.offsets")}, **base)
        p = Pgcdc(cfg, workdir).start()
        p.wait_streaming()
        typed_db.execute("INSERT INTO shapes VALUES (nextval_fake(), '(1,2)', 'n')"
                         .replace("nextval_fake()", str(abs(hash(name)) % 100000)), db="types")
        return p

    # Default: fail, naming the column and the fix; nothing past it is confirmed.
    p = run("tunk", None)
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1
    assert "public.shapes.bx has type 'pair_t'" in p.log() and "format.unknown_types" in p.log()

    for policy, expect in (("string", {"bx": "(1,2)", "note": "n"}), ("skip", {"note": "n"})):
        name = f"tunk{policy}"
        p = run(name, policy)
        reader = TopicReader(broker.bootstrap, [f"{name}.public.shapes"])
        try:
            recs = reader.wait_count(1, timeout=60)
        finally:
            reader.close()
            assert p.stop() == 0, p.log()
        after = recs[0].payload["after"]
        after.pop("id")
        assert after == expect, (policy, after)
