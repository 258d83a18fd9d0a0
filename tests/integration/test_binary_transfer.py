"""source.value_transfer (README "Memory"): pgoutput's binary format must not change a single byte
of any event. Two pgcdc instances, one forced to text and one to binary, stream the same
transactions over the rich-type table of test_types.py (every column type whose send format
pgcdc decodes, edge values included, inserts, updates and deletes under REPLICA IDENTITY FULL so
before-images go through the decoder too), and their events must be identical. Then: auto picks
text for a table with a type pgcdc does not decode in binary, binary refuses to start on it, and a
column of such a type added mid-stream ends the binary session before its change, so the
reconnect streams it in text with nothing lost."""

import json
import os
import re

import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, wait_until
from test_types import DDL as TYPES_DDL

# test_types.py's table without the columns binary transfer leaves to text (money, tsvector,
# ranges, inet/cidr): dropped, so pgoutput does not send them but attnums keep their gaps.
BINARY_DDL = TYPES_DDL + """
CREATE TABLE types_b AS SELECT * FROM types;
ALTER TABLE types_b DROP COLUMN money_v, DROP COLUMN tsv, DROP COLUMN ir, DROP COLUMN inet_v,
  DROP COLUMN cidr_v, ADD PRIMARY KEY (id);
ALTER TABLE types_b REPLICA IDENTITY FULL;
TRUNCATE types_b;
"""

# Edge values beyond test_types.py's row: float formatting in both notations and subnormals,
# numeric scales and signs, BC and far-future dates, offsets, nested and odd arrays, hstore and
# text escapes, geometry in scientific notation.
EDGE_ROWS = r"""
INSERT INTO types_b(id, f4, f8, f8_nan, f8_inf, n, n_big, n_free, c, t, d, tm, tm3, ttz, ts, ts3,
                    tstz, tstz_far, iv, ints, txts, grid, bits, vbits, hs, jb, by, pt, g_line,
                    g_circle, g_path, g_poly, uni, o, i2, i8, bit1, d_inf, ts_ninf, moods, lt)
VALUES
 (3, 3.4028235e38, 0.1::float8 + 0.2::float8, 1e-310, 'Infinity', -0.01, -99999.00001,
  0.000000005, 'a', E'back\\slash "q" \t\n\x01', '0044-03-15 BC', '00:00:00', '23:59:59.999',
  '00:00:01+14', '4713-01-01 00:00:00 BC', '1970-01-01 00:00:00.001', '0001-01-01 00:00:00+00',
  '200000-01-01 00:00:00.5+00', '-1 days -00:00:01.5',
  '{}', ARRAY['', 'back\slash', 'NULL', 'comma,', '{brace}', NULL], '{{1,NULL},{3,4}}',
  B'000000000000000000000000', B'', '"a\"b"=>"c\\d", "empty"=>""',
  '{"z": 1, "a": [true, null, 1.50]}', '\x00ff', '(1e-300,-1e300)', '{0.1,0.2,0.3}',
  '<(0,0),1e20>', '((0,0),(1,1),(2,0))', '((0.5,0.25),(1e15,1e-5),(3,1))', '', 0, 32767,
  9223372036854775807, B'0', '-infinity', 'infinity', '{}', ''),
 (4, -1.17549435e-38, -0.0, 123456789012345.6, 1e15, 0, 0.00000, 123456789012345678901234567890,
  NULL, '', '5874897-12-31', '12:34:56.789012', '00:00:00.001', '23:59:59.999999-15:59:59',
  '2000-01-01 00:00:00', '2000-01-01 00:00:00.999', '1969-12-31 23:59:59.999999+00', NULL,
  '-1000 years -11 mons 5 days', '{-2147483648,2147483647}', '{"with \"quotes\""}', '{{{1}},{{2}}}',
  B'111111111111111111111111', B'1010101010101', '', '[]', '', '(0,0)', '{1,0,-5}',
  '<(1.5,2.5),0>', '[(1,2),(3,4)]', '((0,0),(0,1),(1,1),(1,0))', 'Grüße', 4294967295, -1, -1,
  B'1', '1970-01-01', '1970-01-01', '{happy,NULL,ok}', 'a');
"""

# Formats the renderings depend on: Debezium's defaults, and every alternative mode at once.
FORMATS = {
    "defaults": {"schemas": True},
    "alternatives": {"schemas": True, "decimal_handling": "string", "binary_handling": "hex",
                     "time_precision": "connect", "interval_handling": "string",
                     "hstore_handling": "map"},
    "double": {"schemas": False, "decimal_handling": "double",
               "binary_handling": "base64-url-safe",
               "time_precision": "adaptive_time_microseconds"},
}


@pytest.fixture(scope="module")
def bin_db(pg):
    pg.create_database("bintypes")
    pg.execute(BINARY_DDL, db="bintypes")
    return pg


def big_kafka(broker):
    # The 1 MB text and bytea columns exceed librdkafka's 1 MB default message size.
    return {"type": "kafka", "kafka": {"bootstrap.servers": broker.bootstrap,
                                       "message.max.bytes": "20000000"}}


def normalized(record, name):
    """The event as text-exact JSON (numbers kept as written) without what differs between two
    instances: their names, and the source block's positions and times."""
    def load(raw):
        if raw is None:
            return None
        text = raw.decode().replace(f'"{name}.', '"N.')
        return json.loads(text, parse_float=lambda s: "float:" + s,
                          parse_int=lambda s: "int:" + s)
    value = load(record.raw_value)
    payload = value.get("payload", value) if isinstance(value, dict) else None
    if isinstance(payload, dict):
        for k in ("source", "ts_ms", "ts_us", "ts_ns"):
            payload.pop(k, None)
    return load(record.raw_key), value


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_text_and_binary_events_are_identical(bin_db, broker, workdir, fmt):
    names = {"text": f"bt_{fmt}_text", "binary": f"bt_{fmt}_bin"}
    procs, readers = {}, {}
    try:
        for mode, name in names.items():
            cfg = base_config(bin_db, broker, name, db="bintypes", format=FORMATS[fmt],
                              sink=big_kafka(broker),
                              offsets={"file": os.path.join(workdir, f"{name}.offsets")},
                              source={"dsn": bin_db.dsn("bintypes"), "status_interval_ms": 1000,
                                      "tables": ["public.types_b"], "value_transfer": mode})
            own = os.path.join(workdir, mode)  # each its own log files
            os.makedirs(own)
            procs[mode] = Pgcdc(cfg, own).start()
            readers[mode] = TopicReader(broker.bootstrap, [f"{name}.public.types_b"])
        for mode, p in procs.items():
            p.wait_streaming()
            assert f"value transfer: {mode}" in p.log(), p.log()
        bin_db.execute("INSERT INTO types_b SELECT * FROM (SELECT id, b, bit1, bits, vbits, i2, "
                       "i4, i8, o, f4, f8, f8_nan, f8_inf, n, n_big, n_free, c, vc, t, ct, nm, u, "
                       "j, jb, x, by, by_empty, d, tm, tm3, ttz, ts, ts3, tstz, tstz_inf, "
                       "tstz_far, iv, ints, txts, grid, mood_v, moods, dom, hs, lt, mac, pt, uni, "
                       "big_text, big_bytes, empty_t, d_inf, ts_ninf, g_box, g_lseg, g_path, "
                       "g_poly, g_circle, g_line FROM types) s", db="bintypes")
        bin_db.execute(EDGE_ROWS, db="bintypes")
        bin_db.execute("UPDATE types_b SET t = 'changed', f8 = 1e-7 WHERE id IN (1, 3)",
                       db="bintypes")
        bin_db.execute("DELETE FROM types_b WHERE id IN (2, 4)", db="bintypes")
        bin_db.execute("DELETE FROM types_b", db="bintypes")  # leaves the module's table empty
        events = {}
        for mode, reader in readers.items():
            # 4 creates, 2 updates, 4 deletes, and a tombstone after each delete.
            recs = reader.wait_for(lambda rs: len(rs) >= 14, timeout=90)
            assert len(recs) == 14, recs
            # Keys carry the instance's name, so the two topics partition them differently:
            # compare per key, in offset order (a key's events share a partition).
            recs.sort(key=lambda r: (json.dumps(r.key_payload), r.offset))
            events[mode] = [normalized(r, names[mode]) for r in recs]
    finally:
        for r in readers.values():
            r.close()
        for p in procs.values():
            assert p.stop() == 0, p.log()
    for i, (text, binary) in enumerate(zip(events["text"], events["binary"])):
        assert binary == text, f"event {i} differs"
    # The comparison covered real values, not only NULLs.
    after = events["text"][0][1]
    after = after.get("payload", after)["after"]
    assert after["t"] == "text" and after["by"] not in (None, "")


def types_config(pg, broker, workdir, name, mode, **format_overrides):
    return base_config(pg, broker, name, db="bintypes",
                       format={"schemas": False, **format_overrides}, sink=big_kafka(broker),
                       offsets={"file": os.path.join(workdir, f"{name}.offsets")},
                       source={"dsn": pg.dsn("bintypes"), "status_interval_ms": 1000,
                               "tables": ["public.types"], "value_transfer": mode})


def test_auto_picks_text_for_a_type_without_binary_decoder(bin_db, broker, workdir):
    p = Pgcdc(types_config(bin_db, broker, workdir, "bt_auto", "auto"), workdir).start()
    reader = TopicReader(broker.bootstrap, ["bt_auto.public.types"])
    try:
        p.wait_streaming()
        assert "value transfer: text, because public.types.money_v has type money" in p.log()
        bin_db.execute("UPDATE types SET money_v = '$2.50' WHERE id = 1", db="bintypes")
        recs = reader.wait_for(lambda rs: len(rs) >= 1)
        assert recs[0].payload["after"]["money_v"] == "APo="  # 250, scale 2
    finally:
        reader.close()
        assert p.stop() == 0, p.log()


def test_binary_refuses_a_type_without_binary_decoder(bin_db, broker, workdir):
    p = Pgcdc(types_config(bin_db, broker, workdir, "bt_refuse", "binary"), workdir).start()
    wait_until(lambda: not p.alive(), timeout=30, what="pgcdc to refuse")
    assert p.proc.returncode != 0
    lines = [l for l in p.log().splitlines() if "value_transfer" in l]
    assert len(lines) == 1 and "public.types.money_v has type money" in lines[0], p.log()


def test_unknown_types_string_forces_text(bin_db, broker, workdir):
    bin_db.execute("CREATE TABLE IF NOT EXISTS with_lsn(id int PRIMARY KEY, l pg_lsn)",
                   db="bintypes")
    cfg = base_config(bin_db, broker, "bt_unknown", db="bintypes",
                      format={"schemas": False, "unknown_types": "string"},
                      offsets={"file": os.path.join(workdir, "bt_unknown.offsets")},
                      source={"dsn": bin_db.dsn("bintypes"), "tables": ["public.with_lsn"]})
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["bt_unknown.public.with_lsn"])
    try:
        p.wait_streaming()
        assert re.search(r"value transfer: text, because public\.with_lsn\.l has type pg_lsn "
                         r"\(kept as text under format\.unknown_types: string\)", p.log()), p.log()
        bin_db.execute("INSERT INTO with_lsn VALUES (1, '16/B374D848')", db="bintypes")
        recs = reader.wait_for(lambda rs: len(rs) >= 1)
        assert recs[0].payload["after"]["l"] == "16/B374D848"
    finally:
        reader.close()
        assert p.stop() == 0, p.log()


def test_column_without_binary_decoder_added_mid_stream(bin_db, broker, workdir):
    bin_db.execute("CREATE TABLE mid(id int PRIMARY KEY, t text, b bytea)", db="bintypes")
    cfg = base_config(bin_db, broker, "bt_mid", db="bintypes", format={"schemas": False},
                      offsets={"file": os.path.join(workdir, "bt_mid.offsets")},
                      source={"dsn": bin_db.dsn("bintypes"), "status_interval_ms": 1000,
                              "tables": ["public.mid"]})
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["bt_mid.public.mid"])
    try:
        p.wait_streaming()
        assert "value transfer: binary" in p.log(), p.log()
        bin_db.execute("INSERT INTO mid VALUES (1, 'before', '\\x01')", db="bintypes")
        reader.wait_for(lambda rs: len(rs) >= 1)
        # One transaction: a change in binary, the new column, a change carrying it.
        bin_db.execute("BEGIN; INSERT INTO mid VALUES (2, 'same txn', '\\x02'); "
                       "ALTER TABLE mid ADD COLUMN m money; "
                       "INSERT INTO mid VALUES (3, 'after', '\\x03', '$1,234.11'); COMMIT",
                       db="bintypes")
        bin_db.execute("INSERT INTO mid VALUES (4, 'later', '\\x04', '-$0.01')", db="bintypes")
        recs = reader.wait_for(lambda rs: {r.key_payload["id"] for r in rs} >= {1, 2, 3, 4},
                               timeout=60)
        assert p.alive(), p.log()
    finally:
        reader.close()
        rc = p.stop()
    assert rc == 0, p.log()
    log = p.log()
    assert re.search(r"column public\.mid\.m has type money, which pgcdc decodes only in text "
                     r"form, and this session streams binary values; ending the session", log), log
    assert "value transfer: text, because a binary value" in log, log
    after = {r.key_payload["id"]: r.payload["after"] for r in recs}
    assert after[2] == {"id": 2, "t": "same txn", "b": "Ag=="}
    assert after[3] == {"id": 3, "t": "after", "b": "Aw==", "m": "AeIT"}
    assert after[4] == {"id": 4, "t": "later", "b": "BA==", "m": "/w=="}
    # Row 1 was confirmed before the switch: not sent again.
    assert [r.key_payload["id"] for r in recs].count(1) == 1
