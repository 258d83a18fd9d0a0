"""Debezium's column.propagate.source.type / datatype.propagate.source.type as
format.column_propagate_source_type / format.datatype_propagate_source_type (issue 16).

Each test ports a Debezium 3.6.1.Final test (debezium-connector-postgres/src/test/java/io/
debezium/connector/postgresql/..., read in debezium/debezium at tag v3.6.1.Final): its DDL, its
statement and its option, and asserts the __debezium.source.column.* parameters it asserts, on
the Value fields (`before` and `after`) of pgcdc's JSON schemas, for snapshot reads and streamed
changes alike, and as Avro's connect.parameters. Debezium's own patterns are written as YAML
list items (Debezium splits its option on commas)."""

import json
import os

from avro_records import decode
from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader
from schema_registry import SchemaRegistry

TYPE = "__debezium.source.column.type"
LENGTH = "__debezium.source.column.length"
SCALE = "__debezium.source.column.scale"
NAME = "__debezium.source.column.name"
MAX = str(2**31 - 1)  # PgJDBC's unknownLength (Integer.MAX_VALUE)


def source(type_name, length, scale, column):
    return {TYPE: type_name, LENGTH: length, SCALE: scale, NAME: column}


def run(pg, broker, workdir, db, tables, fmt, before_start=(), after_start=(), count=1):
    """pgcdc on `db` (snapshot initial) with `fmt`; runs `after_start` once streaming; returns
    the data records of `tables`, `count` of them."""
    cfg = base_config(pg, broker, db, db=db, format=dict(fmt),
                      snapshot={"mode": "initial"},
                      offsets={"file": os.path.join(workdir, db + ".offsets")})
    for sql in before_start:
        pg.execute(sql, db=db)
    p = Pgcdc(cfg, os.path.join(workdir, db))
    os.makedirs(os.path.join(workdir, db), exist_ok=True)
    p.start()
    reader = TopicReader(broker.bootstrap, [f"{db}.public.{t}" for t in tables])
    try:
        p.wait_streaming()
        for sql in after_start:
            pg.execute(sql, db=db)
        reader.wait_count(count)
    finally:
        p.stop()
        reader.close()
    records = [r for r in reader.records if r.value is not None]
    assert len(records) == count, records
    return records


def value_fields(record):
    """{image: {column: schema}} of a record's before and after Value structs."""
    out = {}
    for f in record.value["schema"]["fields"]:
        if f["field"] in ("before", "after"):
            out[f["field"]] = {c["field"]: c for c in f["fields"]}
    return out


def params(record, column):
    """The column's parameters, the same in before and after (one Value schema)."""
    images = value_fields(record)
    got = images["after"][column].get("parameters")
    assert images["before"][column].get("parameters") == got
    return got


def source_params(record, column):
    """Only the __debezium.source.column.* parameters, in order; None when there are none."""
    got = params(record, column) or {}
    mine = {k: v for k, v in got.items() if k.startswith("__debezium.source.column.")}
    if mine:
        # Appended after the type's own parameters, as Debezium's mapper runs last.
        assert list(got)[-len(mine):] == list(mine), got
    return mine or None


def key_params(record):
    return [f.get("parameters") for f in record.key["schema"]["fields"]]


def test_by_datatype(pg, broker, workdir):
    # RecordsStreamProducerIT.shouldPropagateSourceTypeByDatatype (DBZ-1916, DBZ-1830): the
    # table and statement as there, datatype.propagate.source.type
    # ".+\\.NUMERIC,.+\\.VARCHAR,.+\\.FLOAT4". Debezium starts with snapshot.mode no_data; here a
    # row read by the snapshot is checked the same way.
    pg.create_database("propdt")
    pg.execute("CREATE TABLE test_table (id SERIAL, c1 INT, c2 INT, c3a NUMERIC(5,2), "
               "c3b VARCHAR(128), f1 float(10), f2 decimal(8,4), primary key (id));", db="propdt")
    records = run(
        pg, broker, workdir, "propdt", ["test_table"],
        {"datatype_propagate_source_type": [r".+\.NUMERIC", r".+\.VARCHAR", r".+\.FLOAT4"]},
        before_start=["INSERT INTO test_table (id,c1,c2,c3a,c3b,f1,f2) values "
                      "(2, 123, 456, 789.01, 'test', 1.228, 234.56);"],
        after_start=["INSERT INTO test_table (id,c1,c2,c3a,c3b,f1,f2) values "
                     "(1, 123, 456, 789.01, 'test', 1.228, 234.56);"],
        count=2)
    assert sorted(r.payload["op"] for r in records) == ["c", "r"]
    for r in records:
        # "no type info requested as per given data types"
        assert params(r, "id") is None
        assert params(r, "c1") is None
        assert params(r, "c2") is None
        assert source_params(r, "c3a") == source("NUMERIC", "5", "2", "c3a")
        # "variable width, name and length info"
        assert params(r, "c3b") == source("VARCHAR", "128", "0", "c3b")
        assert source_params(r, "f2") == source("NUMERIC", "8", "4", "f2")
        assert params(r, "f1") == source("FLOAT4", "8", "8", "f1")
        assert key_params(r) == [None]


def test_by_column_string_and_numeric_types(pg, broker, workdir):
    # RecordsStreamProducerIT.shouldPropagateSourceColumnTypeToSchemaParameter (DBZ-644):
    # postgres_create_tables.ddl's string_table, INSERT_STRING_TYPES_STMT, column pattern
    # ".*vc.*", expected values from AbstractRecordsProducerTest.
    # schemasAndValuesForStringTypesWithSourceColumnTypeInfo.
    # RecordsStreamProducerIT.shouldPropagateSourceColumnTypeScaleToSchemaParameter (DBZ-1073):
    # numeric_decimal_table, INSERT_NUMERIC_DECIMAL_TYPES_STMT, ".*(d|dzs)" with
    # decimal.handling.mode double, expected from
    # schemasAndValuesForNumericTypesWithSourceColumnTypeInfo. Both patterns in one pgcdc.
    pg.create_database("propcol")
    pg.execute("CREATE EXTENSION IF NOT EXISTS citext;", db="propcol")
    pg.execute("CREATE TABLE string_table (pk SERIAL, vc VARCHAR(2), vcv CHARACTER VARYING(2), "
               "ch CHARACTER(4), c CHAR(3), t TEXT, b BYTEA, bnn BYTEA NOT NULL, ct CITEXT, "
               "PRIMARY KEY(pk));", db="propcol")
    pg.execute("""CREATE TABLE numeric_decimal_table (pk SERIAL,
    d DECIMAL(3,2), dzs DECIMAL(4), dvs DECIMAL, d_nn DECIMAL(3,2) NOT NULL, n NUMERIC(6,4), nzs NUMERIC(4), nvs NUMERIC,
    d_int DECIMAL(3,2), dzs_int DECIMAL(4), dvs_int DECIMAL, n_int NUMERIC(6,4), nzs_int NUMERIC(4), nvs_int NUMERIC,
    d_nan DECIMAL(3,2), dzs_nan DECIMAL(4), dvs_nan DECIMAL, n_nan NUMERIC(6,4), nzs_nan NUMERIC(4), nvs_nan NUMERIC,
    PRIMARY KEY(pk));""", db="propcol")
    insert_string = ("INSERT INTO string_table (vc, vcv, ch, c, t, b, bnn, ct) "
                     "VALUES ('\u017E\u0161', 'bb', 'cdef', 'abc', 'some text', "
                     "E'\\\\000\\\\001\\\\002'::bytea, E'\\\\003\\\\004\\\\005'::bytea, "
                     "'Hello World')")
    insert_numeric = (
        "INSERT INTO numeric_decimal_table (d, dzs, dvs, d_nn, n, nzs, nvs, "
        "d_int, dzs_int, dvs_int, n_int, nzs_int, nvs_int, "
        "d_nan, dzs_nan, dvs_nan, n_nan, nzs_nan, nvs_nan"
        ") "
        "VALUES (1.1, 10.11, 10.1111, 3.30, 22.22, 22.2, 22.2222, "
        "1, 10, 10, 22, 22, 22, "
        "'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'"
        ")")
    records = run(pg, broker, workdir, "propcol", ["string_table", "numeric_decimal_table"],
                  {"decimal_handling": "double",
                   "column_propagate_source_type": [".*vc.*", ".*(d|dzs)"]},
                  before_start=[insert_string, insert_numeric],
                  after_start=[insert_string, insert_numeric], count=4)
    assert sorted(r.payload["op"] for r in records) == ["c", "c", "r", "r"]
    for r in records:
        if r.topic.endswith("string_table"):
            assert params(r, "vc") == source("VARCHAR", "2", "0", "vc")
            assert params(r, "vcv") == source("VARCHAR", "2", "0", "vcv")
            for col in ("pk", "ch", "c", "t", "b", "bnn", "ct"):
                assert params(r, col) is None, col
        else:
            assert params(r, "d") == source("NUMERIC", "3", "2", "d")
            assert params(r, "dzs") == source("NUMERIC", "4", "0", "dzs")
            for col in ("pk", "dvs", "n", "nzs", "nvs", "d_nn", "dzs_int", "d_nan"):
                assert params(r, col) is None, col
            assert r.payload["after"]["d"] == 1.1 and r.payload["after"]["dzs"] == 10.0


def test_domain_types_snapshot_and_streaming(pg, broker, workdir):
    # RecordsSnapshotProducerIT.shouldSnapshotDomainTypeWithPropagatedSourceTypeAttributes
    # (DBZ-1413): domains float83 and money2, "public.alias_table.*", decimal double; then the
    # same row shape streamed. pk is not asserted: Debezium's snapshot names it SERIAL (PgJDBC's
    # getColumns), its streaming INT4, pgcdc INT4 in both (README).
    pg.create_database("propdom")
    for sql in ("CREATE DOMAIN float83 AS numeric(8,3) DEFAULT 0.0;",
                "CREATE DOMAIN money2 AS MONEY DEFAULT 0.0;",
                "CREATE TABLE alias_table (pk SERIAL, salary money, salary2 money2, "
                "a numeric(8,3), area float83, PRIMARY KEY(pk));"):
        pg.execute(sql, db="propdom")
    insert = ("INSERT INTO alias_table (salary, salary2, a, area) values "
              "(7.25, 8.25, 12345.123, 12345.123);")
    records = run(pg, broker, workdir, "propdom", ["alias_table"],
                  {"decimal_handling": "double",
                   "column_propagate_source_type": ["public.alias_table.*"]},
                  before_start=[insert], after_start=[insert], count=2)
    assert sorted(r.payload["op"] for r in records) == ["c", "r"]
    for r in records:
        assert params(r, "salary") == source("MONEY", MAX, "0", "salary")
        assert params(r, "salary2") == source("MONEY2", MAX, "0", "salary2")
        assert params(r, "a") == source("NUMERIC", "8", "3", "a")
        assert params(r, "area") == source("FLOAT83", "8", "3", "area")
        assert r.payload["after"]["area"] == 12345.123


def test_domain_of_domain_altered_table_and_enum_streaming(pg, broker, workdir):
    # RecordsStreamProducerIT.shouldStreamValuesForDomainTypeOfDomainType (DBZ-1413): numericex,
    # a domain of numeric82, "public.alias_table.value" -> NUMERICEX 8 2.
    # RecordsStreamProducerIT.shouldStreamChangesForDomainAliasAlterTable (DBZ-1413): domains
    # created and columns added while streaming, "public.alias_table2.salary3" -> MONEY3 8 3
    # (Debezium's table is alias_table too; renamed here to share one database).
    # RecordsStreamProducerIT.shouldStreamEnumAsKnownType (DBZ-920): the enum added while
    # streaming, "public.enum_table.value" -> TEST_TYPE, length Integer.MAX_VALUE, scale 0,
    # after the Enum's own "allowed".
    pg.create_database("propstr")
    for sql in ("CREATE DOMAIN numeric82 as numeric(8,2);",
                "CREATE DOMAIN numericex as numeric82;",
                "CREATE TABLE alias_table (pk SERIAL, value numericex, PRIMARY KEY (pk));",
                "CREATE TABLE alias_table2 (pk SERIAL, data VARCHAR(50), salary money, "
                "PRIMARY KEY(pk));",
                "CREATE TABLE enum_table (pk SERIAL, PRIMARY KEY (pk));"):
        pg.execute(sql, db="propstr")
    records = run(
        pg, broker, workdir, "propstr", ["alias_table", "alias_table2", "enum_table"],
        {"decimal_handling": "double",
         "column_propagate_source_type": ["public.alias_table.value",
                                          "public.alias_table2.salary3",
                                          "public.enum_table.value"]},
        after_start=["INSERT INTO alias_table (value) values (123.45);",
                     "CREATE DOMAIN money2 AS money DEFAULT 0.0;",
                     "CREATE DOMAIN money3 AS numeric(8,3) DEFAULT 0.0;",
                     "ALTER TABLE alias_table2 ADD COLUMN salary2 money2 NOT NULL;",
                     "ALTER TABLE alias_table2 ADD COLUMN salary3 money3 NOT NULL;",
                     "INSERT INTO alias_table2 (data, salary, salary2, salary3) values "
                     "('hello', 7.25, 8.25, 123.456);",
                     "CREATE TYPE test_type AS ENUM ('V1','V2');",
                     "ALTER TABLE enum_table ADD COLUMN value test_type NOT NULL",
                     "INSERT INTO enum_table (value) VALUES ('V1');"],
        count=3)
    by_table = {r.topic.split(".")[-1]: r for r in records}
    assert params(by_table["alias_table"], "value") == source("NUMERICEX", "8", "2", "value")
    assert by_table["alias_table"].payload["after"]["value"] == 123.45
    t2 = by_table["alias_table2"]
    assert params(t2, "salary3") == source("MONEY3", "8", "3", "salary3")
    for col in ("pk", "data", "salary", "salary2"):
        assert params(t2, col) is None, col
    assert params(by_table["enum_table"], "value") == dict(
        {"allowed": "V1,V2"}, **source("TEST_TYPE", MAX, "0", "value"))


def test_avro_connect_parameters(pg, broker, workdir):
    # The same option under format.type avro: AvroData carries a field's parameters as
    # "connect.parameters" in the registered schema (Debezium + AvroConverter). The table and
    # statement are shouldPropagateSourceTypeByDatatype's.
    pg.create_database("propavro")
    pg.execute("CREATE TABLE test_table (id SERIAL, c1 INT, c2 INT, c3a NUMERIC(5,2), "
               "c3b VARCHAR(128), f1 float(10), f2 decimal(8,4), primary key (id));", db="propavro")
    with SchemaRegistry() as registry:
        cfg = base_config(pg, broker, "propavro", db="propavro",
                          offsets={"file": os.path.join(workdir, "propavro.offsets")})
        cfg["format"] = {"type": "avro", "schema_registry": {"url": registry.url},
                         "datatype_propagate_source_type": [r".+\.NUMERIC", r".+\.VARCHAR",
                                                            r".+\.FLOAT4"]}
        p = Pgcdc(cfg, workdir).start()
        reader = TopicReader(broker.bootstrap, ["propavro.public.test_table"])
        try:
            p.wait_streaming()
            pg.execute("INSERT INTO test_table (id,c1,c2,c3a,c3b,f1,f2) values "
                       "(1, 123, 456, 789.01, 'test', 1.228, 234.56);", db="propavro")
            reader.wait_count(1)
        finally:
            p.stop()
            reader.close()
        value_id, value = decode(reader.records[0].raw_value, registry.url)
        assert value["after"]["c3b"] == "test"
        schema = json.loads(registry.schema(value_id))
        fields = {f["name"]: f["type"] for f in schema["fields"][0]["type"][1]["fields"]}
        key_schema = json.loads(registry.schema(decode(reader.records[0].raw_key,
                                                       registry.url)[0]))
    assert fields["c1"] == ["null", "int"]
    assert fields["c3b"] == ["null", {"type": "string", "connect.parameters": source(
        "VARCHAR", "128", "0", "c3b")}]
    assert fields["f1"][1]["connect.parameters"] == source("FLOAT4", "8", "8", "f1")
    c3a = fields["c3a"][1]["connect.parameters"]
    assert list(c3a) == ["scale", "connect.decimal.precision", TYPE, LENGTH, SCALE, NAME]
    assert c3a[TYPE] == "NUMERIC" and c3a[LENGTH] == "5" and c3a[SCALE] == "2"
    assert "connect.parameters" not in json.dumps(key_schema)
