"""The snapshot reads a table with binary COPY (COPY ... TO STDOUT (FORMAT binary)) when pgcdc
decodes every one of its columns from the binary send format, so that a large bytea is held as raw
bytes rather than as hex text twice its size (README "Memory"). That must not change a byte of
any event: two initial_only snapshots of the same tables, one with source.value_transfer: text
(text COPY throughout) and one with auto (binary COPY where possible), must publish identical
records. The tables cover test_types.py's rich types and edge values (test_binary_transfer.py's
types_b), a table with money (no binary decoder: read with text COPY under auto, refused under
binary, as the stream does), a one-row table (the binary header and the row arrive in one
message and that row is held back for its marker), an empty one (header and trailer in one
message), and a table split into several CTID ranges."""

import os
import re

import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, wait_until
from test_binary_transfer import BINARY_DDL, EDGE_ROWS, FORMATS, big_kafka

DB = "snapbin"
TABLES = ["public.types", "public.types_b", "public.one_row", "public.no_rows", "public.ranged"]

SETUP = BINARY_DDL + """
INSERT INTO types_b SELECT id, b, bit1, bits, vbits, i2, i4, i8, o, f4, f8, f8_nan, f8_inf, n,
  n_big, n_free, c, vc, t, ct, nm, u, j, jb, x, by, by_empty, d, tm, tm3, ttz, ts, ts3, tstz,
  tstz_inf, tstz_far, iv, ints, txts, grid, mood_v, moods, dom, hs, lt, mac, pt, uni, big_text,
  big_bytes, empty_t, d_inf, ts_ninf, g_box, g_lseg, g_path, g_poly, g_circle, g_line FROM types;
""" + EDGE_ROWS + """
CREATE TABLE one_row(id int PRIMARY KEY, by bytea, t text);
INSERT INTO one_row VALUES (1, '\\x00ff0a5c09', E'tab\\there');
CREATE TABLE no_rows(id int PRIMARY KEY, by bytea);
CREATE TABLE ranged(id int PRIMARY KEY, pad text, by bytea);
INSERT INTO ranged SELECT g, repeat(md5(g::text), 8), decode(md5(g::text), 'hex')
  FROM generate_series(1, 3000) g;
ANALYZE ranged;
"""


@pytest.fixture(scope="module")
def snap_db(pg):
    pg.create_database(DB)
    pg.execute(SETUP, db=DB)
    return pg


def snapshot_config(pg, broker, workdir, name, mode, fmt, tables=TABLES):
    return base_config(pg, broker, name, db=DB, format=FORMATS[fmt], sink=big_kafka(broker),
                       offsets={"file": os.path.join(workdir, f"{name}.offsets")},
                       snapshot={"mode": "initial_only", "parallelism": 2, "chunk_pages": 16},
                       source={"dsn": pg.dsn(DB), "tables": tables, "value_transfer": mode})


def run_snapshot(cfg, workdir):
    own = os.path.join(workdir, cfg["name"])
    os.makedirs(own)
    p = Pgcdc(cfg, own).start()
    wait_until(lambda: not p.alive(), timeout=120, what="the snapshot to finish")
    assert p.proc.returncode == 0, p.log()
    assert "snapshot complete" in p.log(), p.log()
    return p.log()


def exact(raw, name):
    """The record's bytes as published, minus what differs between two instances: their name,
    the source block (LSN, snapshot marker, times) and the envelope's timestamps."""
    if raw is None:
        return None
    text = raw.decode().replace(f'"{name}.', '"N.').replace(f'"name":"{name}"', '"name":"N"')
    text = re.sub(r'"source":\{[^{}]*\}', '"source":{}', text)
    return re.sub(r'"ts_(ms|us|ns)":\d+', r'"ts_\1":0', text)


def records(broker, name):
    reader = TopicReader(broker.bootstrap, [f"{name}.{t}" for t in TABLES])
    try:
        recs = reader.drain()
    finally:
        reader.close()
    # Per topic and key, in offset order: two instances' keys differ in their name, so their
    # records may land in different partitions.
    out = sorted((r.topic.replace(name, "N"), exact(r.raw_key, name), r.offset,
                  exact(r.raw_value, name)) for r in recs)
    return [(topic, key, value) for topic, key, _, value in out]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_binary_and_text_copy_publish_identical_records(snap_db, broker, workdir, fmt):
    logs, recs = {}, {}
    for mode in ("text", "auto"):
        name = f"sb_{fmt}_{mode}"
        logs[mode] = run_snapshot(snapshot_config(snap_db, broker, workdir, name, mode, fmt),
                                  workdir)
        recs[mode] = records(broker, name)
    assert "snapshot copy: text (configured)" in logs["text"], logs["text"]
    # Every table but the one with money is read in binary.
    assert ("snapshot copy: binary for 4 of 5 tables; text for the others, first because "
            "public.types.money_v has type money") in logs["auto"], logs["auto"]
    text, binary = recs["text"], recs["auto"]
    counts = {}
    for topic, _, _ in text:
        counts[topic] = counts.get(topic, 0) + 1
    assert counts == {"N.public.types": 2, "N.public.types_b": 4, "N.public.one_row": 1,
                      "N.public.ranged": 3000}, counts
    assert len(binary) == len(text)
    for i, (t, b) in enumerate(zip(text, binary)):
        assert b == t, f"record {i} ({t[0]}) differs"
    # The comparison covered real values: the 1 MB bytea and the edge rows.
    assert any('"t":"text"' in v and len(v) > 1_000_000 for topic, _, v in text
               if topic == "N.public.types_b")


def test_money_table_is_read_with_text_copy_under_auto(snap_db, broker, workdir):
    log = run_snapshot(snapshot_config(snap_db, broker, workdir, "sb_money", "auto", "double",
                                       tables=["public.types"]), workdir)
    assert "snapshot copy: text, because public.types.money_v has type money" in log, log
    reader = TopicReader(broker.bootstrap, ["sb_money.public.types"])
    try:
        recs = reader.drain()
    finally:
        reader.close()
    by_id = {r.payload["after"]["id"]: r.payload["after"] for r in recs}
    assert sorted(by_id) == [1, 2]
    assert by_id[1]["money_v"] == 1234.11 and by_id[2]["money_v"] is None


def test_binary_refuses_a_table_with_money_before_reading(snap_db, broker, workdir):
    cfg = snapshot_config(snap_db, broker, workdir, "sb_refuse", "binary", "double")
    p = Pgcdc(cfg, workdir).start()
    wait_until(lambda: not p.alive(), timeout=60, what="pgcdc to refuse")
    assert p.proc.returncode != 0
    lines = [l for l in p.log().splitlines() if "value_transfer" in l]
    assert len(lines) == 1 and "public.types.money_v has type money" in lines[0], p.log()
    # Refused while planning: no table was read.
    assert "snapshot complete" not in p.log() and "rows in" not in p.log(), p.log()


def test_binary_reads_every_decodable_table(snap_db, broker, workdir):
    tables = [t for t in TABLES if t != "public.types"]
    log = run_snapshot(snapshot_config(snap_db, broker, workdir, "sb_bin", "binary", "defaults",
                                       tables=tables), workdir)
    assert "snapshot copy: binary (FORMAT binary) for all 4 tables" in log, log
