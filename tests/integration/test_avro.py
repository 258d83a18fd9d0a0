"""format.type avro: Debezium's records as Confluent's AvroConverter writes them, with ids from a
Schema Registry (tests/tools/schema_registry.py, a faithful stand-in; see schema_registry.py).

Every record is read back with clients pgcdc did not write: Debian's python3-avro decodes the
datum with the schema the registry returns for the record's id (nothing may be left over), and
confluent_kafka.avro's MessageSerializer, the deserializer Confluent's Python consumers use, must
agree. The events must say what the JSON events of the same changes say; the registry must be
asked once per subject and schema version; a schema the registry refuses, and a registry that is
down, must stop pgcdc's progress without losing the change."""

import base64
import decimal
import io
import json
import os
import struct
import time
import urllib.error
import urllib.request

import avro.io
import avro.schema
import pytest
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

from conftest import base_config, mock_only
from node_records import node_decode
from pgcdc_harness import Pgcdc, TopicReader, run_pgcdc, wait_until
from schema_registry import SchemaRegistry
from writer import Writer

TYPES_DDL = """
CREATE TABLE shapes(
  id int PRIMARY KEY,
  i2 smallint NOT NULL,
  i8 bigint,
  f4 real,
  f8 double precision,
  flag boolean,
  amount numeric(10,2),
  note text,
  code varchar(20),
  blob bytea,
  at timestamp,
  at_tz timestamptz,
  day date,
  clock time,
  uid uuid,
  doc jsonb,
  ints int[],
  words text[],
  span interval,
  bits bit(3)
);
ALTER TABLE shapes REPLICA IDENTITY FULL;
"""

CHANGES = """
INSERT INTO shapes VALUES
  (1, 7, 9007199254740993, 1.5, -2.25, true, 12345678.91, 'hello', 'c1', '\\x00ff10',
   '2024-02-29 13:45:01.123456', '2024-02-29 13:45:01.5+02', '2024-02-29', '23:59:59.999999',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2]}', '{1,NULL,3}', '{a,"b c"}',
   '1 year 2 mons 3 days 04:05:06.7', B'101'),
  (2, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL);
UPDATE shapes SET note = 'changed', amount = -0.01 WHERE id = 1;
UPDATE shapes SET id = 3 WHERE id = 2;
DELETE FROM shapes WHERE id = 1;
"""


def avro_config(pg, broker, name, db, registry, tables, workdir, **registry_options):
    cfg = base_config(pg, broker, name, db=db, source={"tables": tables},
                      offsets={"file": os.path.join(workdir, name + ".offsets")})
    cfg["format"] = {"type": "avro",
                     "schema_registry": dict({"url": registry.url}, **registry_options)}
    return cfg


def registry_get(url, path):
    with urllib.request.urlopen(url + path, timeout=10) as r:
        return json.loads(r.read())


def registry_schema(url, schema_id):
    return registry_get(url, f"/schemas/ids/{schema_id}")["schema"]


def subject_ids(url, subject):
    """The schema ids of a subject's versions, oldest first (GET /subjects/{s}/versions/{v})."""
    return [registry_get(url, f"/subjects/{subject}/versions/{v}")["id"]
            for v in registry_get(url, f"/subjects/{subject}/versions")]


class AvroDecoder:
    """Decodes Confluent-framed records with the registry's schema for their id (python3-avro),
    insisting that the datum uses every byte, and checks confluent_kafka.avro agrees."""

    def __init__(self, url):
        self.url = url
        self.schemas = {}
        self.confluent = MessageSerializer(CachedSchemaRegistryClient({"url": url}))

    def decode(self, raw):
        if raw is None:
            return None, None
        assert raw[:1] == b"\x00", f"no magic byte: {raw[:8]!r}"
        assert len(raw) >= 5, raw
        schema_id = struct.unpack(">i", raw[1:5])[0]
        if schema_id not in self.schemas:
            self.schemas[schema_id] = avro.schema.parse(registry_schema(self.url, schema_id))
        buf = io.BytesIO(raw[5:])
        value = avro.io.DatumReader(self.schemas[schema_id]).read(avro.io.BinaryDecoder(buf))
        assert buf.tell() == len(raw) - 5, \
            f"{len(raw) - 5 - buf.tell()} bytes left after the datum of schema {schema_id}"
        assert self.confluent.decode_message(raw) == value
        return schema_id, value


def unscaled_bytes(d):
    """A decimal.Decimal as Kafka Connect's Decimal bytes: the unscaled value, big-endian two's
    complement, as Java's BigInteger.toByteArray writes it."""
    n = int(d.scaleb(-d.as_tuple().exponent))
    return n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True)


def as_json(value):
    """An Avro-decoded value as JsonConverter writes the same Connect value: bytes (and Connect
    Decimal bytes) as base64, everything else as is."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return base64.b64encode(unscaled_bytes(value)).decode()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def rows_after(dec, records):
    """{id: the last `after` image} over records in partition order, which is per-key order
    (deletes and tombstones drop the row)."""
    rows = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        value = dec.decode(r.raw_value)[1]
        key = dec.decode(r.raw_key)[1]
        if value is None or value["after"] is None:
            rows.pop(key["id"], None)
        else:
            rows[key["id"]] = value["after"]
    return rows


def by_key(records, key_of):
    """{key as sorted JSON: its records in partition order}, which is per-key order."""
    out = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        out.setdefault(json.dumps(key_of(r), sort_keys=True), []).append(r)
    return out


def comparable(payload):
    """A value payload without what differs between two connectors that saw the same changes:
    processing time and the connector's name."""
    if payload is None:
        return None
    p = {k: v for k, v in payload.items() if k not in ("ts_ms", "ts_us", "ts_ns")}
    p["source"] = {k: v for k, v in p["source"].items() if k != "name"}
    return p


@pytest.fixture
def registry():
    with SchemaRegistry() as r:
        yield r


def test_avro_records_say_what_json_records_say(pg, broker, workdir, registry):
    """The same changes through a JSON and an Avro connector side by side: every Avro record
    decodes, with the id the registry gave its schema, to the JSON record's key and value."""
    pg.create_database("avsame")
    pg.execute(TYPES_DDL, db="avsame")
    js_cfg = base_config(pg, broker, "js", db="avsame", source={"tables": ["public.shapes"]},
                         format={"schemas": False},
                         offsets={"file": os.path.join(workdir, "js.offsets")})
    av_cfg = avro_config(pg, broker, "av", "avsame", registry, ["public.shapes"], workdir)
    js, av = Pgcdc(js_cfg, workdir).start(), Pgcdc(av_cfg, workdir).start()
    js_reader = TopicReader(broker.bootstrap, ["js.public.shapes"])
    av_reader = TopicReader(broker.bootstrap, ["av.public.shapes"])
    try:
        js.wait_streaming()
        av.wait_streaming()
        pg.execute(CHANGES, db="avsame")
        # insert, insert, update, key change (delete + tombstone + create), delete + tombstone
        js_recs = js_reader.wait_count(8)
        av_recs = av_reader.wait_count(8)
        js_reader.poll(1.0)
        av_reader.poll(1.0)
    finally:
        js_reader.close()
        av_reader.close()
        assert js.stop() == 0, js.log()
        assert av.stop() == 0, av.log()
    assert len(js_recs) == len(av_recs) == 8, (js_recs, av_recs)

    dec = AvroDecoder(registry.url)
    subjects = registry.subjects()
    assert sorted(subjects) == ["av.public.shapes-key", "av.public.shapes-value"], subjects
    # Keys hash to partitions by their bytes, so the two topics spread records differently: compare
    # per key, in the order each partition holds them (which is per-key order).
    js_by_key = by_key(js_recs, lambda r: r.key_payload)
    av_by_key = by_key(av_recs, lambda r: dec.decode(r.raw_key)[1])
    assert js_by_key.keys() == av_by_key.keys()
    key_ids = set()
    for k, js_list in js_by_key.items():
        av_list = av_by_key[k]
        assert len(av_list) == len(js_list), k
        for j, a in zip(js_list, av_list):
            kid, _ = dec.decode(a.raw_key)
            vid, value = dec.decode(a.raw_value)
            key_ids.add(kid)
            assert comparable(as_json(value)) == comparable(j.payload), (a, value, j.payload)
            if value is not None:
                assert vid == subject_ids(registry.url, "av.public.shapes-value")[-1]
            # Debezium's key-change headers carry the other key, in the record's own format.
            for h in ("__debezium.oldkey", "__debezium.newkey"):
                assert (h in a.headers) == (h in j.headers), (h, a.headers, j.headers)
                if h in a.headers:
                    assert dec.decode(a.headers[h])[1] == json.loads(j.headers[h]), h
    assert key_ids == {subject_ids(registry.url, "av.public.shapes-key")[-1]}
    # Confluent's Node client reads every record as the Python client does, ids and all (the
    # bigint beyond 2^53 included: exact, as a BigInt).
    for a, n in zip(av_recs, node_decode("avro", registry.url, av_recs)):
        kid, key = dec.decode(a.raw_key)
        vid, value = dec.decode(a.raw_value)
        assert (n["key_id"], n["key"]) == (kid, as_json(key)), n
        assert (n["value_id"], n["value"]) == (vid, as_json(value)), n
    assert any(n["value"] and n["value"]["after"] and n["value"]["after"]["i8"] == 2 ** 53 + 1
               for n in node_decode("avro", registry.url, av_recs))

    # The registered value schema is Debezium's envelope as AvroData converts it.
    envelope = json.loads(registry.schema(subject_ids(registry.url, "av.public.shapes-value")[-1]))
    assert envelope["type"] == "record" and envelope["name"] == "Envelope"
    assert envelope["namespace"] == "av.public.shapes"
    assert envelope["connect.name"] == "av.public.shapes.Envelope"
    fields = {f["name"]: f for f in envelope["fields"]}
    assert [f for f in fields if f != "transaction"][:5] == ["before", "after", "source", "op",
                                                             "ts_ms"], list(fields)
    assert fields["before"]["type"][0] == "null" and fields["before"]["default"] is None
    value_record = fields["before"]["type"][1]
    # Java's Schema.toString() leaves out a namespace equal to the enclosing one.
    assert value_record["name"] == "Value" and "namespace" not in value_record
    columns = {f["name"]: f["type"] for f in value_record["fields"]}
    assert columns["i2"] == {"type": "int", "connect.type": "int16"}
    assert columns["id"] == "int"
    assert columns["amount"][0] == "null"
    assert columns["amount"][1]["type"] == "bytes"
    assert columns["amount"][1]["connect.name"] == "org.apache.kafka.connect.data.Decimal"
    assert columns["at"][1]["connect.name"] == "io.debezium.time.MicroTimestamp"


def test_registered_once_then_never_in_the_steady_state(pg, broker, workdir, registry):
    pg.create_database("avsteady")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db="avsteady")
    cfg = avro_config(pg, broker, "avs", "avsteady", registry, ["public.t"], workdir)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["avs.public.t"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO t VALUES (0, 'first')", db="avsteady")
        reader.wait_count(1)
        first = [(r["method"], r["path"]) for r in registry.requests()]
        registry.clear_requests()
        for batch in range(5):
            pg.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(%d, %d) g"
                       % (batch * 200 + 1, batch * 200 + 200), db="avsteady")
        reader.wait_count(1001, timeout=120)
        steady = registry.requests()
        metrics = p.scrape()
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    # Key before value, each once.
    posts = [path for method, path in first if method == "POST"]
    assert posts == ["/subjects/avs.public.t-key/versions",
                     "/subjects/avs.public.t-value/versions"], first
    assert steady == [], steady
    assert metrics["pgcdc_schema_registry_requests_total"] == 2, metrics
    dec = AvroDecoder(registry.url)
    ids = {(dec.decode(r.raw_key)[0], dec.decode(r.raw_value)[0]) for r in reader.records}
    assert len(ids) == 1, ids
    rows = {k: v["v"] for k, v in rows_after(dec, reader.records).items()}
    assert rows == {i: ("first" if i == 0 else f"v{i}") for i in range(1001)}


def test_schema_evolution_new_version_refusal_stops_and_resumes(pg, broker, workdir, registry):
    """An added nullable column is a new compatible version with a new id. A change the
    registry refuses (a NOT NULL column without a default, under BACKWARD) stops pgcdc with one
    line and a non-zero exit, before the change: the slot stays behind it. With compatibility
    NONE, the next run delivers it: nothing lost."""
    pg.create_database("avevo")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db="avevo")
    cfg = avro_config(pg, broker, "avevo", "avevo", registry, ["public.t"], workdir)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["avevo.public.t"])
    dec = AvroDecoder(registry.url)
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO t VALUES (1, 'one')", db="avevo")
        reader.wait_count(1)
        pg.execute("ALTER TABLE t ADD COLUMN extra int; INSERT INTO t VALUES (2, 'two', 22)",
                   db="avevo")
        reader.wait_count(2)
        assert len(registry.versions("avevo.public.t-value")) == 2
        ids = {dec.decode(r.raw_value)[0] for r in reader.records}
        assert len(ids) == 2, ids
        assert rows_after(dec, reader.records)[2] == {"id": 2, "v": "two", "extra": 22}

        # Dropping an optional column and widening int to bigint are BACKWARD compatible.
        pg.execute("ALTER TABLE t ADD COLUMN gone text; INSERT INTO t VALUES (4, 'four', 4, 'x')",
                   db="avevo")
        reader.wait_count(3)
        pg.execute("ALTER TABLE t DROP COLUMN gone; ALTER TABLE t ALTER COLUMN extra TYPE bigint;"
                   "DELETE FROM t WHERE id = 4", db="avevo")
        reader.wait_count(5)  # the delete and its tombstone
        assert len(registry.versions("avevo.public.t-value")) == 4
        delete = [r for r in reader.records if r.raw_value
                  and dec.decode(r.raw_value)[1]["op"] == "d"]
        value_schema = json.loads(registry.schema(dec.decode(delete[0].raw_value)[0]))
        columns = {f["name"]: f["type"] for f in value_schema["fields"][0]["type"][1]["fields"]}
        assert "gone" not in columns and columns["extra"] == ["null", "long"], columns

        # pgcdc reads a column's nullability from the catalog when the relation is announced:
        # the UPDATE's events (`must` still nullable: a compatible v3) are in before NOT NULL.
        pg.execute("ALTER TABLE t ADD COLUMN must int", db="avevo")
        pg.execute("UPDATE t SET must = 0", db="avevo")
        reader.wait_count(7)
        pg.execute("ALTER TABLE t ALTER COLUMN must SET NOT NULL", db="avevo")
        insert_end = pg.commit_end("INSERT INTO t VALUES (3, 'three', 33, 333)", "avevo")
        held_at = pg.current_wal_lsn("avevo")
        wait_until(lambda: not p.alive(), 60, what="pgcdc to stop on the refused schema")
        assert p.proc.returncode != 0
        log = p.log()
        refusal = [line for line in log.splitlines() if "avevo.public.t-value" in line
                   and "HTTP 409" in line]
        assert len(refusal) == 1, log
        # v5 is `must` while it was still nullable (the UPDATE's); v6 was refused.
        assert len(registry.versions("avevo.public.t-value")) == 5
        slot_lsn = pg.confirmed_flush("pgcdc_avevo", "avevo")
        assert slot_lsn < insert_end, (slot_lsn, insert_end)
        reader.poll(1.0)
        assert 3 not in rows_after(dec, reader.records)

        registry.set_compatibility("NONE")
        p.start()
        p.wait_streaming()
        recs = reader.wait_for(lambda rs: 3 in rows_after(dec, rs), timeout=60,
                               what="the row the registry refused")
        assert pg.wait_confirmed("pgcdc_avevo", "avevo", held_at) >= held_at
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    rows = rows_after(dec, recs)
    assert rows[3] == {"id": 3, "v": "three", "extra": 33, "must": 333}
    # Nothing skipped: the UPDATE that filled `must` came before the refused insert, and is there.
    assert rows == {1: {"id": 1, "v": "one", "extra": None, "must": 0},
                    2: {"id": 2, "v": "two", "extra": 22, "must": 0},
                    3: {"id": 3, "v": "three", "extra": 33, "must": 333}}, rows


@mock_only("stops the registry, not the broker; one run is enough")
def test_registry_down_holds_progress_then_delivers(pg, broker, workdir, registry):
    pg.create_database("avdown")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db="avdown")
    cfg = avro_config(pg, broker, "avdown", "avdown", registry, ["public.t"], workdir)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["avdown.public.t"])
    dec = AvroDecoder(registry.url)
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO t VALUES (1, 'one')", db="avdown")
        reader.wait_count(1)
        base = p.metrics_base()
        registry.stop_listening()
        # A new schema version needs the registry: pgcdc waits, says so, and holds the LSN.
        pg.execute("ALTER TABLE t ADD COLUMN extra int; INSERT INTO t VALUES (2, 'two', 2)",
                   db="avdown")
        wait_until(lambda: p.scrape().get("pgcdc_schema_registry_down") == 1, 30,
                   what="pgcdc_schema_registry_down 1")
        try:
            urllib.request.urlopen(base + "/readyz", timeout=5)
            raise AssertionError("/readyz said ready while the registry was down")
        except urllib.error.HTTPError as e:
            assert e.code == 503
            assert "registry" in e.read().decode().lower()
        time.sleep(2)
        reader.poll(1.0)
        assert len(reader.records) == 1
        assert p.alive()
        registry.resume()
        reader.wait_count(2, timeout=60)
        wait_until(lambda: p.scrape().get("pgcdc_schema_registry_down") == 0, 30,
                   what="pgcdc_schema_registry_down 0")
        assert urllib.request.urlopen(base + "/readyz", timeout=5).status == 200
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    assert rows_after(dec, reader.records)[2] == {"id": 2, "v": "two", "extra": 2}


def test_wrong_password_is_one_line_without_the_secret(pg, broker, workdir):
    pg.create_database("avauth")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db="avauth")
    with SchemaRegistry(user="svc", password="right-Secret") as registry:
        cfg = avro_config(pg, broker, "avauth", "avauth", registry, ["public.t"], workdir,
                          basic_auth="svc:wrong-Secret")
        p = Pgcdc(cfg, workdir).start()
        try:
            # The first record needs its schema's id: the registry refuses the credentials.
            wait_until(lambda: not p.alive() or "streaming" in p.log(), 30, what="a start")
            if p.alive():
                pg.execute("INSERT INTO t VALUES (1)", db="avauth")
            wait_until(lambda: not p.alive(), 60, what="pgcdc to stop on 401")
        finally:
            p.kill()
        assert p.proc.returncode != 0
        log = p.log()
        assert "wrong-Secret" not in log and "right-Secret" not in log
        lines = [line for line in log.splitlines() if "HTTP 401" in line]
        assert len(lines) == 1, log
        # validate says the same before anything runs.
        p.write_config()
        out = run_pgcdc(["validate", "-c", p.config_path])
        assert out.returncode != 0
        assert "HTTP 401" in out.stdout + out.stderr
        assert "wrong-Secret" not in out.stdout + out.stderr


def test_snapshot_in_avro_with_validate_and_status(pg, broker, workdir, registry):
    """The initial snapshot's workers share one registration per subject; `validate` names the
    subjects it will use and their compatibility, `status` their latest versions and ids."""
    pg.create_database("avsnap")
    pg.execute("CREATE TABLE big(id int PRIMARY KEY, amount numeric(12,2), at timestamptz);"
               "INSERT INTO big SELECT g, g / 100.0, '2024-01-01'::timestamptz + g * interval '1s'"
               " FROM generate_series(1, 3000) g;"
               "CREATE TABLE small(id int PRIMARY KEY); INSERT INTO small VALUES (1), (2)",
               db="avsnap")
    cfg = avro_config(pg, broker, "avsnap", "avsnap", registry, ["public.big", "public.small"],
                      workdir)
    cfg["snapshot"] = {"mode": "initial", "parallelism": 2}
    p = Pgcdc(cfg, workdir)
    p.write_config()
    out = run_pgcdc(["validate", "-c", p.config_path])
    assert out.returncode == 0, out.stdout + out.stderr
    assert "compatibility BACKWARD" in out.stdout, out.stdout
    assert "subject avsnap.public.big-value: not registered yet" in out.stdout, out.stdout
    assert registry.registrations() == []  # validate registers nothing

    p.start()
    reader = TopicReader(broker.bootstrap, ["avsnap.public.big", "avsnap.public.small"])
    try:
        p.wait_streaming(timeout=60)
        reader.wait_count(3002, timeout=120)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    dec = AvroDecoder(registry.url)
    big = {}
    for r in reader.records:
        _, key = dec.decode(r.raw_key)
        _, value = dec.decode(r.raw_value)
        assert value["op"] == "r" and value["before"] is None
        assert value["source"]["snapshot"] in ("first", "true", "last", "first_in_data_collection",
                                               "last_in_data_collection")
        if r.topic == "avsnap.public.big":
            big[key["id"]] = value["after"]
    assert len(big) == 3000
    assert big[1234]["amount"] == decimal.Decimal("12.34")
    assert big[1]["at"] == "2024-01-01T00:00:01.000000Z"
    posts = sorted(r["path"] for r in registry.registrations())
    assert posts == sorted(f"/subjects/avsnap.public.{t}-{part}/versions"
                           for t in ("big", "small") for part in ("key", "value")), posts

    out = run_pgcdc(["status", "-c", p.config_path])
    for t in ("big", "small"):
        for part in ("key", "value"):
            subject = f"avsnap.public.{t}-{part}"
            schema_id = subject_ids(registry.url, subject)[-1]
            assert f"subject {subject}: version 1, id {schema_id}\n" in out.stdout, out.stdout


def test_kill9_loop_loses_nothing_and_keeps_the_ids(pg, broker, workdir, registry):
    """kill -9 under writes, five times: every committed change is on the topic, and each
    restart registers the same schemas again and gets the same ids (no new version, no churn)."""
    pg.create_database("avkill")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)",
               db="avkill")
    cfg = avro_config(pg, broker, "avkill", "avkill", registry, ["public.t"], workdir)
    writer = Writer(pg.dsn("avkill"), "t", keys=30, seed=11)
    reader = TopicReader(broker.bootstrap, ["avkill.public.t"])
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        writer.start()
        for _ in range(5):
            time.sleep(1.0)
            p.kill()
            p.start()
            p.wait_streaming(timeout=60)
        time.sleep(1.0)
        writer.stop()
        pg.wait_confirmed("pgcdc_avkill", "avkill", pg.current_wal_lsn("avkill"), 90)
        recs = reader.drain()
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    assert writer.committed
    dec = AvroDecoder(registry.url)
    seen, ids = set(), set()
    for r in recs:
        kid, _ = dec.decode(r.raw_key)
        vid, value = dec.decode(r.raw_value)
        if value is None:
            continue
        ids.add((kid, vid))
        row = value["after"] if value["op"] != "d" else value["before"]
        seen.add((row["id"], value["after"]["version"] if value["after"] else None, value["op"]))
    missing = [c for c in writer.committed if c not in seen]
    assert not missing, f"{len(missing)} committed changes missing, e.g. {missing[:5]}"
    assert len(ids) == 1, ids
    assert registry.versions("avkill.public.t-key") == [1]
    assert registry.versions("avkill.public.t-value") == [1]
