"""Debezium's own PostgreSQL test expectations, ported (issue 16): column defaults in the schema
and in a key-only delete's before image, float values as JsonConverter writes them, bit
varying(1), and unchanged TOAST values in arrays, checked on pgcdc's topics.

Each expectation names the Debezium 3.6.1.Final test it comes from
(debezium-connector-postgres/src/test/..., read in debezium/debezium at tag v3.6.1.Final) and
holds the value as Kafka Connect's JsonConverter writes Debezium's expected Java value (3.0f ->
3.0, byte[] -> base64). The DDL and INSERT statements are Debezium's, adapted only where noted.
Several pgcdc instances run side by side against one PostgreSQL and broker, one per handling
mode; the module prints the count of expectations per mode and how many match.
"""

import base64
import json
import random

import pytest

from fidelity_port import Expectations, check_all, collect, jtext, start, stop, update_of

PH = "__debezium_unavailable_value"
# DecoderDifferences.toastedValueIntPlaceholder(): the placeholder's byte values.
PH_INTS = [b for b in PH.encode()]
# DecoderDifferences.mandatoryToastedValueUuidPlaceholder(): UUID.nameUUIDFromBytes(placeholder).
PH_UUID = "b68a35a7-17ad-35b3-af2a-ae46edb4545a"

APRT = "AbstractRecordsProducerTest"
RSPIT = "RecordsStreamProducerIT"

# Debezium's DDL (src/test/resources/postgres_create_tables.ddl and the tests' own statements).
DDL = """
CREATE TABLE numeric_table (pk SERIAL, si SMALLINT, i INTEGER, bi BIGINT, r REAL,
  db DOUBLE PRECISION, r_int REAL, db_int DOUBLE PRECISION, r_nan REAL, db_nan DOUBLE PRECISION,
  r_pinf REAL, db_pinf DOUBLE PRECISION, r_ninf REAL, db_ninf DOUBLE PRECISION, ss SMALLSERIAL,
  bs BIGSERIAL, b BOOLEAN, o OID, PRIMARY KEY(pk));
CREATE TABLE bitbin_table (pk SERIAL, ba BYTEA, bol BIT(1), bol2 BIT, bs BIT(2), bs7 BIT(7),
  bv1 BIT VARYING(1), bv BIT VARYING(2), bv2 BIT VARYING(24), bvl BIT VARYING(64),
  bvunlimited1 BIT VARYING, bvunlimited2 BIT VARYING, PRIMARY KEY(pk));
CREATE TABLE test_table (pk SERIAL, text TEXT, PRIMARY KEY(pk));
ALTER TABLE test_table REPLICA IDENTITY FULL;
ALTER TABLE test_table ADD COLUMN default_column TEXT DEFAULT 'default';
CREATE TABLE numeric_table_with_defaults (
    r int4 NOT NULL,
    r_numeric numeric(19, 4) NOT NULL DEFAULT 1,
    r_int int4 NOT NULL DEFAULT 2);
CREATE TABLE numeric_table_with_n_defaults (
    r int4 NOT NULL,
    r_numeric numeric(19, 4) NULL DEFAULT NULL,
    r_int int4 NULL DEFAULT NULL);
CREATE TYPE test_type AS ENUM ('V1','V2');
CREATE TABLE enum_table (pk SERIAL, PRIMARY KEY (pk));
ALTER TABLE enum_table ADD COLUMN data varchar(50) NOT NULL;
ALTER TABLE enum_table ADD COLUMN value test_type NOT NULL DEFAULT 'V2'::test_type;
CREATE TABLE test_toast_table (id SERIAL PRIMARY KEY, text TEXT);
ALTER TABLE test_toast_table ADD COLUMN not_toast integer;
ALTER TABLE test_toast_table ADD COLUMN date_array date[];
ALTER TABLE test_toast_table ALTER COLUMN date_array SET STORAGE EXTENDED;
ALTER TABLE test_toast_table ADD COLUMN bytea_array bytea[];
ALTER TABLE test_toast_table ALTER COLUMN bytea_array SET STORAGE EXTENDED;
ALTER TABLE test_toast_table ADD COLUMN uuid_array uuid[];
ALTER TABLE test_toast_table ALTER COLUMN uuid_array SET STORAGE EXTENDED;
ALTER TABLE test_toast_table ADD COLUMN int_array int[];
ALTER TABLE test_toast_table ALTER COLUMN int_array SET STORAGE EXTENDED;
"""

# Debezium's INSERT statements (AbstractRecordsProducerTest constants and the tests' own).
INSERT_NUMERIC_TYPES_STMT = (
    "INSERT INTO numeric_table (si, i, bi, r, db, r_int, db_int, r_nan, db_nan, r_pinf, db_pinf, "
    "r_ninf, db_ninf, ss, bs, b, o) VALUES (1, 123456, 1234567890123, 3.3, 4.44, 3, 4, 'NaN', "
    "'NaN', 'Infinity', 'Infinity', '-Infinity', '-Infinity', 1, 123, true, 4000000000)")
INSERT_BIN_TYPES_STMT = (
    "INSERT INTO bitbin_table (ba, bol, bol2, bs, bs7, bv1, bv, bv2, bvl, bvunlimited1, "
    "bvunlimited2) VALUES (E'\\\\001\\\\002\\\\003'::bytea, '0'::bit(1), '1'::bit(1), "
    "'11'::bit(2), '1'::bit(7), '1'::bit varying(1), '00'::bit(2), "
    "'000000110000001000000001'::bit(24),"
    "'1000000000000000000000000000000000000000000000000000000000000000'::bit(64), '101', "
    "'111011010001000110000001000000001')")


def b64(raw):
    return base64.b64encode(bytes(raw)).decode()


MODES = {"default": {}, "double": {"decimal_handling": "double"}, "hex": {"binary_handling": "hex"}}
ALL = tuple(MODES)
E = Expectations(MODES)

# AbstractRecordsProducerTest.schemasAndValuesForNumericType (INSERT_NUMERIC_TYPES_STMT).
S = f"{APRT}.schemasAndValuesForNumericType"
for f, v in [("si", "1"), ("i", "123456"), ("bi", "1234567890123"), ("r", "3.3"),
             ("db", "4.44"), ("r_int", "3.0"), ("db_int", "4.0"), ("b", "true"),
             ("o", "4000000000"), ("r_nan", '"NaN"'), ("db_nan", '"NaN"'),
             ("r_pinf", '"Infinity"'), ("db_pinf", '"Infinity"'), ("r_ninf", '"-Infinity"'),
             ("db_ninf", '"-Infinity"')]:
    E.add(S, "numeric_table", 0, "after", f, v)
E.add(S, "numeric_table", 0, "after", "ss", "1", default="0")
E.add(S, "numeric_table", 0, "after", "bs", "123", default="0")
# AbstractRecordsProducerTest.schemaAndValuesForBinTypes (INSERT_BIN_TYPES_STMT).
S = f"{APRT}.schemaAndValuesForBinTypes"
for f, v in [("ba", json.dumps(b64([1, 2, 3]))), ("bol", "false"), ("bol2", "true"),
             ("bs", json.dumps(b64([3]))), ("bs7", json.dumps(b64([64]))), ("bv1", "true"),
             ("bv", json.dumps(b64([]))), ("bv2", json.dumps(b64([1, 2, 3]))),
             ("bvl", json.dumps(b64([0, 0, 0, 0, 0, 0, 0, 128]))),
             ("bvunlimited1", json.dumps(b64([5]))),
             ("bvunlimited2", json.dumps(b64([1, 2, 35, 218, 1])))]:
    modes = ("default", "double") if f == "ba" else ALL  # ba is hex text in hex mode
    E.add(S, "bitbin_table", 0, "after", f, v, modes=modes)
E.add(S, "bitbin_table", 0, "after", "ba", json.dumps("010203"), modes=("hex",))
# RecordsStreamProducerIT.shouldReceiveChangesForDefaultValues.
S = f"{RSPIT}.shouldReceiveChangesForDefaultValues"
E.add(S, "test_table", 0, "after", "text", '"update"')
E.add(S, "test_table", 0, "after", "default_column", '"default"', default='"default"')
E.add(S, "test_table", 0, "after", "pk", "1", default="0")  # SERIAL: pk int32 default 0
# RecordsStreamProducerIT.shouldReceiveNumericTypeAsDoubleWithDefaults (decimal double mode).
S = f"{RSPIT}.shouldReceiveNumericTypeAsDoubleWithDefaults"
E.add(S, "numeric_table_with_defaults", 0, "after", "r", "1", modes=("double",))
E.add(S, "numeric_table_with_defaults", 0, "after", "r_numeric", "1.0", default="1.0",
       modes=("double",))
E.add(S, "numeric_table_with_defaults", 0, "after", "r_int", "2", default="2",
       modes=("double",))
# RecordsStreamProducerIT.shouldReceiveNumericTypeAsDoubleWithNullDefaults: no "default".
S = f"{RSPIT}.shouldReceiveNumericTypeAsDoubleWithNullDefaults"
E.add(S, "numeric_table_with_n_defaults", 0, "after", "r_numeric", "null", modes=("double",))
E.add(S, "numeric_table_with_n_defaults", 0, "after", "r_int", "null", modes=("double",))
# RecordsStreamProducerIT.shouldStreamEnumAsKnownType... (enum default 'V2'::test_type).
S = f"{RSPIT}.shouldPropagateSourceTypeByDatatype/enum default (enum_table)"
E.add(S, "enum_table", 0, "after", "pk", "1", default="0")
E.add(S, "enum_table", 0, "after", "data", '"V1"')
E.add(S, "enum_table", 0, "after", "value", '"V2"', default='"V2"')
# JdbcValueConverters.convertValue: a NOT NULL column a key-only old row does not carry takes
# the schema's default (else the type's fall-back). Adapted: enum_table under REPLICA IDENTITY
# DEFAULT, row deleted.
S = "JdbcValueConverters.convertValue (delete of enum_table row 1)"
E.add(S, "enum_table", 1, "before", "pk", "1", default="0")
E.add(S, "enum_table", 1, "before", "data", '""')
E.add(S, "enum_table", 1, "before", "value", '"V2"', default='"V2"')
# RecordsStreamProducerIT.shouldHandleToasted{Date,Integer,Byte,Uuid}ArrayColumn: the update
# that leaves the TOASTed arrays unchanged (records 3-5: rows 1-3 updated; one array per row).
for row, m, f, v in [(1, "shouldHandleToastedDateArrayColumn", "date_array", jtext(PH_INTS)),
                     (2, "shouldHandleToastedIntegerArrayColumn", "int_array", jtext(PH_INTS)),
                     (3, "shouldHandleToastedUuidArrayColumn", "uuid_array",
                      json.dumps([PH_UUID]))]:
    rec = update_of("id", row)
    E.add(f"{RSPIT}.{m}", "test_toast_table", rec, "after", f, v.replace(" ", ""))
    E.add(f"{RSPIT}.{m}", "test_toast_table", rec, "after", "not_toast", "2")
E.add(f"{RSPIT}.shouldHandleToastedByteArrayColumn", "test_toast_table", update_of("id", 3),
      "after", "bytea_array", json.dumps([b64(PH.encode())]), modes=("default", "double"))
# shouldHandleToastedByteaColumnInHexMode: the placeholder itself, not hex-encoded; pgcdc keeps
# that rule for the elements of a bytea[] in hex mode.
E.add(f"{RSPIT}.shouldHandleToastedByteaColumnInHexMode (bytea[] elements)",
      "test_toast_table", update_of("id", 3), "after", "bytea_array", json.dumps([PH]),
      modes=("hex",))



@pytest.fixture(scope="module")
def topics(pg, broker, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("fid"))
    pg.create_database("fid")
    pg.execute(DDL, db="fid")
    pg.execute("CREATE PUBLICATION pgcdc_fid FOR ALL TABLES", db="fid")
    procs = start(pg, broker, workdir, "fid", "fid", MODES)
    try:
        pg.execute(INSERT_NUMERIC_TYPES_STMT, db="fid")
        pg.execute(INSERT_BIN_TYPES_STMT, db="fid")
        pg.execute("INSERT INTO test_table (text) VALUES ('update')", db="fid")
        pg.execute("INSERT INTO numeric_table_with_defaults (r) VALUES (1)", db="fid")
        pg.execute("INSERT INTO numeric_table_with_n_defaults (r) VALUES (1)", db="fid")
        pg.execute("INSERT INTO enum_table (data) VALUES ('V1')", db="fid")
        pg.execute("DELETE FROM enum_table WHERE pk = 1", db="fid")
        # RandomStringUtils.randomNumeric(10000) in Debezium: random digits compress too little to
        # stay inline, so the array is TOASTed.
        digits = "".join(random.Random(16).choices("0123456789", k=10000))
        dates = ",".join(["'2022-12-12'::date"] * 99999)
        uuids = ",".join(f"'{i:08x}-0000-4000-8000-{i:012x}'" for i in range(10000))
        # One array per row, as in Debezium's separate tests (and under the broker's 1 MB).
        pg.execute(f"INSERT INTO test_toast_table (not_toast, text, date_array) "
                   f"VALUES (10, 'text', ARRAY[{dates}])", db="fid")
        pg.execute("INSERT INTO test_toast_table (not_toast, text, int_array) VALUES (10, 'text', "
                   "(SELECT array_agg(g) FROM generate_series(1, 100000) g))", db="fid")
        pg.execute(f"INSERT INTO test_toast_table (not_toast, text, bytea_array, uuid_array) "
                   f"VALUES (10, 'text', ARRAY['{digits}'::bytea], ARRAY[{uuids}]::uuid[])",
                   db="fid")
        pg.execute("UPDATE test_toast_table SET not_toast = 2", db="fid")
        counts = {t: 1 for t in E.tables()}
        counts.update({"enum_table": 3, "test_toast_table": 6})  # delete + tombstone; 3 + 3
        yield collect(broker, "fid", MODES, counts)
    finally:
        stop(procs)


def test_ported_expectations(topics):
    check_all(topics, E, "values, defaults, TOAST arrays")
