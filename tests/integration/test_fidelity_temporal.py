"""Debezium 3.6.1's expectations for format.time_precision (time.precision.mode) isostring,
microseconds and nanoseconds, and format.money_fraction_digits (money.fraction.digits), ported
(issue 16). Sources: debezium-connector-postgres/src/test/java/io/debezium/connector/postgresql/
PostgresTemporalPrecisionHandlingIT.java and RecordsStreamProducerIT.java at v3.6.1.Final; the
DDL and INSERT statements are theirs. One pgcdc per mode, side by side.
"""

import pytest

from fidelity_port import Expectations, check_all, collect, insert_of, start, stop

PTPHIT = "PostgresTemporalPrecisionHandlingIT"
RSPIT = "RecordsStreamProducerIT"

DDL = """
CREATE TABLE IF NOT EXISTS public.test_data_types
(
    c_id INTEGER             ,
    c_json JSON              ,
    c_jsonb JSONB            ,
    c_date DATE              ,
    c_timestamp0 TIMESTAMP(0),
    c_timestamp1 TIMESTAMP(1),
    c_timestamp2 TIMESTAMP(2),
    c_timestamp3 TIMESTAMP(3),
    c_timestamp4 TIMESTAMP(4),
    c_timestamp5 TIMESTAMP(5),
    c_timestamp6 TIMESTAMP(6),
    c_timestamptz TIMESTAMPTZ,
    c_time TIME WITH TIME ZONE,
    c_time_whtz TIME WITHOUT TIME ZONE,
    c_interval INTERVAL,
    PRIMARY KEY(c_id)
) ;
ALTER TABLE public.test_data_types REPLICA IDENTITY FULL;
CREATE TABLE salary (pk SERIAL, name VARCHAR(50), salary money, PRIMARY KEY(pk));
"""
# Adapted: the table lives in public (the test's schema temporaltype only filters its topics).

INSERT_2 = """INSERT INTO public.test_data_types
VALUES (2 , '{"jfield": 111}'::json , '{"jfield": 211}'::jsonb , '2017-09-15'::DATE , '2019-07-09 02:28:57+01' , '2019-07-09 02:28:57.1+01' , '2019-07-09 02:28:57.12+01' , '2019-07-09 02:28:57.123+01' , '2019-07-09 02:28:57.1234+01' , '2019-07-09 02:28:57.12345+01' , '2019-07-09 02:28:57.123456+01', '2019-07-09 02:28:10.123456+01', '04:05:11 PST', '04:05:11.789', INTERVAL '1' YEAR )"""
INSERT_10 = """INSERT INTO public.test_data_types
VALUES (10 , NULL, NULL, NULL, 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', NULL, NULL, NULL, NULL )"""
INSERT_11 = """INSERT INTO public.test_data_types
VALUES (11 , NULL, NULL, NULL, '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', NULL, NULL, NULL, NULL )"""
INSERT_SALARY = "INSERT INTO salary (name, salary) values ('Joe', 123.4567)"

MODES = {
    "iso": {"time_precision": "isostring"},
    "micro": {"time_precision": "microseconds"},
    "nano": {"time_precision": "nanoseconds", "money_fraction_digits": 1},
}
E = Expectations(MODES)

# shouldConvertTemporalsToIsoString / Microseconds / Nanoseconds, row 2.
ROW2 = {
    "iso": {"c_date": '"2017-09-15Z"', "c_timestamp0": '"2019-07-09T02:28:57Z"',
            "c_timestamp1": '"2019-07-09T02:28:57.1Z"', "c_timestamp2": '"2019-07-09T02:28:57.12Z"',
            "c_timestamp3": '"2019-07-09T02:28:57.123Z"',
            "c_timestamp4": '"2019-07-09T02:28:57.1234Z"',
            "c_timestamp5": '"2019-07-09T02:28:57.12345Z"',
            "c_timestamp6": '"2019-07-09T02:28:57.123456Z"', "c_time_whtz": '"04:05:11.789Z"'},
    "micro": {"c_date": "17424", "c_timestamp0": "1562639337000000",
              "c_timestamp1": "1562639337100000", "c_timestamp2": "1562639337120000",
              "c_timestamp3": "1562639337123000", "c_timestamp4": "1562639337123400",
              "c_timestamp5": "1562639337123450", "c_timestamp6": "1562639337123456",
              "c_time_whtz": "14711789000"},
    "nano": {"c_date": "17424", "c_timestamp0": "1562639337000000000",
             "c_timestamp1": "1562639337100000000", "c_timestamp2": "1562639337120000000",
             "c_timestamp3": "1562639337123000000", "c_timestamp4": "1562639337123400000",
             "c_timestamp5": "1562639337123450000", "c_timestamp6": "1562639337123456000",
             "c_time_whtz": "14711789000000"},
}
METHOD = {"iso": "shouldConvertTemporalsToIsoString", "micro": "shouldConvertTemporalsMicroseconds",
          "nano": "shouldConvertTemporalsNanoseconds"}
for mode, fields in ROW2.items():
    src = f"{PTPHIT}.{METHOD[mode]}"
    common = {"c_id": "2", "c_timestamptz": '"2019-07-09T01:28:10.123456Z"',
              "c_time": '"12:05:11Z"', "c_interval": "31557600000000"}
    for f, v in {**common, **fields}.items():
        E.add(src, "test_data_types", insert_of("c_id", 2), "after", f, v, modes=(mode,))
# shouldConvertInfinityTimestampsToLongMinMax (nanoseconds): Long.MAX_VALUE / MIN_VALUE.
for i in range(7):
    E.add(f"{PTPHIT}.shouldConvertInfinityTimestampsToLongMinMax", "test_data_types",
          insert_of("c_id", 10), "after", f"c_timestamp{i}", "9223372036854775807", modes=("nano",))
    E.add(f"{PTPHIT}.shouldConvertInfinityTimestampsToLongMinMax", "test_data_types",
          insert_of("c_id", 11), "after", f"c_timestamp{i}", "-9223372036854775808", modes=("nano",))
# shouldReceiveDeletesWithInfinityDate (isostring): ts_pinf / ts_ninf.
E.add(f"{PTPHIT}.shouldReceiveDeletesWithInfinityDate", "test_data_types", insert_of("c_id", 10),
      "after",
      "c_timestamp6", '"+294247-01-10T04:00:25.2Z"', modes=("iso",))
E.add(f"{PTPHIT}.shouldReceiveDeletesWithInfinityDate", "test_data_types", insert_of("c_id", 11),
      "after",
      "c_timestamp6", '"-290308-12-21T19:59:27.6Z"', modes=("iso",))
# RecordsStreamProducerIT.testStreamMoneyPreciseDecimalFraction: money.fraction.digits=1 gives
# Decimal(scale 1) 123.5 (unscaled 1235 = 0x04D3 -> "BNM="); 2 (the default) gives 123.46.
E.add(f"{RSPIT}.testStreamMoneyPreciseDecimalFraction", "salary", 0, "after", "salary",
      '"BNM="', modes=("nano",))
E.add(f"{RSPIT}.testStreamMoneyPreciseDecimalFraction (default fraction digits)", "salary", 0,
      "after", "salary", '"MDo="', modes=("iso", "micro"))
E.add(f"{RSPIT}.testStreamMoneyPreciseDecimalFraction", "salary", 0, "after", "pk", "1",
      default="0")


def schema_of(got, mode, field):
    value = next(v for v in got[mode]["test_data_types"] if v["payload"]["after"]["c_id"] == 2)
    env = {f["field"]: f for f in value["schema"]["fields"]}
    return {f["field"]: f for f in env["after"]["fields"]}[field]


@pytest.fixture(scope="module")
def topics(pg, broker, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("fidt"))
    pg.create_database("fidt")
    pg.execute(DDL, db="fidt")
    pg.execute("CREATE PUBLICATION pgcdc_fidt FOR ALL TABLES", db="fidt")
    procs = start(pg, broker, workdir, "fidt", "fidt", MODES)
    try:
        for stmt in (INSERT_2, INSERT_10, INSERT_11, INSERT_SALARY):
            pg.execute(stmt, db="fidt")
        yield collect(broker, "fidt", MODES, {"test_data_types": 3, "salary": 1})
    finally:
        stop(procs)


def test_ported_expectations(topics):
    check_all(topics, E, "time_precision, money_fraction_digits")


def test_schemas_name_the_modes_types(topics):
    # IsoDate/IsoTime/IsoTimestamp are strings, NanoTime/NanoTimestamp int64 (TemporalPrecisionMode).
    assert schema_of(topics, "iso", "c_date")["name"] == "io.debezium.time.IsoDate"
    assert schema_of(topics, "iso", "c_time_whtz")["name"] == "io.debezium.time.IsoTime"
    assert schema_of(topics, "iso", "c_timestamp3")["name"] == "io.debezium.time.IsoTimestamp"
    assert schema_of(topics, "iso", "c_timestamp3")["type"] == "string"
    assert schema_of(topics, "micro", "c_time_whtz")["name"] == "io.debezium.time.MicroTime"
    assert schema_of(topics, "micro", "c_timestamp0")["name"] == "io.debezium.time.MicroTimestamp"
    assert schema_of(topics, "nano", "c_time_whtz")["name"] == "io.debezium.time.NanoTime"
    assert schema_of(topics, "nano", "c_timestamp0")["name"] == "io.debezium.time.NanoTimestamp"
    assert schema_of(topics, "nano", "c_date")["name"] == "io.debezium.time.Date"
    salary = topics["nano"]["salary"][0]
    env = {f["field"]: f for f in salary["schema"]["fields"]}
    money = {f["field"]: f for f in env["after"]["fields"]}["salary"]
    assert money["parameters"] == {"scale": "1"}  # Decimal.builder(1)
