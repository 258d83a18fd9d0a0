"""Shared by the test_fidelity_*.py files (issue 16): Debezium 3.6.1's PostgreSQL test
expectations, ported, checked against pgcdc's topics.

An expectation is (source, table, record index, image, field, value JSON text, schema default
JSON text or ABSENT, modes). Values are written as Kafka Connect's JsonConverter writes
Debezium's expected Java values (3.0f -> 3.0, byte[] -> base64), and compared as JSON text with
numbers kept as written. One pgcdc per mode runs side by side against one PostgreSQL and broker.
"""

import decimal
import json
import os

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader

ABSENT = object()
ANY = object()  # value not checked


class Expectations:
    def __init__(self, modes):
        self.modes = tuple(modes)
        self.items = []

    def add(self, src, table, rec, image, field, value, default=ABSENT, modes=None):
        self.items.append((src, table, rec, image, field, value, default,
                           tuple(modes) if modes else self.modes))

    def tables(self):
        return {e[1] for e in self.items}


def insert_of(key, value):
    """Selects the insert whose after image has `key` = `value`."""
    return lambda p: p["op"] == "c" and p["after"][key] == value


def update_of(key, value):
    """Selects the update whose after image has `key` = `value`."""
    return lambda p: p["op"] == "u" and p["after"] is not None and p["after"][key] == value


def jtext(v):
    """JSON text of a value parsed with numbers kept as written (3.0 stays 3.0)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (decimal.Decimal, int)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ",".join(jtext(x) for x in v) + "]"
    return "{" + ",".join(json.dumps(k) + ":" + jtext(x) for k, x in v.items()) + "}"


def exact(raw):
    return json.loads(raw, parse_float=decimal.Decimal, parse_int=decimal.Decimal)


def start(pg, broker, workdir, db, prefix, modes):
    """One pgcdc per mode ({mode: format overrides}) on `db`, streaming; returns {mode: Pgcdc}."""
    procs = {}
    try:
        for mode, fmt in modes.items():
            cfg = base_config(pg, broker, f"{prefix}{mode}", db=db, format=dict(fmt),
                              offsets={"file": os.path.join(workdir, f"{mode}.offsets")},
                              source={"publication": f"pgcdc_{prefix}",
                                      "slot": f"pgcdc_{prefix}_{mode}"})
            os.makedirs(os.path.join(workdir, mode), exist_ok=True)
            procs[mode] = Pgcdc(cfg, os.path.join(workdir, mode)).start()
        for p in procs.values():
            p.wait_streaming()
    except Exception:
        stop(procs)
        raise
    return procs


def stop(procs):
    codes = {m: p.stop() for m, p in procs.items()}
    bad = {m: c for m, c in codes.items() if c != 0}
    assert not bad, "\n".join(procs[m].log() for m in bad)


def collect(broker, prefix, modes, counts, timeout=120):
    """{mode: {table: [value JSON, ...]}} in topic order, tombstones left out; `counts` is
    {table: records expected, tombstones included}."""
    got = {}
    for mode in modes:
        reader = TopicReader(broker.bootstrap, [f"{prefix}{mode}.public.{t}" for t in counts])
        try:
            reader.wait_count(sum(counts.values()), timeout)
            reader.poll(0.5)
            recs = {}
            for r in sorted(reader.records, key=lambda r: r.offset):
                if r.raw_value is not None:
                    recs.setdefault(r.topic.split(".")[-1], []).append(exact(r.raw_value))
            got[mode] = recs
        finally:
            reader.close()
    return got


def field_schema(value, image, field):
    env = {f["field"]: f for f in value["schema"]["fields"]}
    return {f["field"]: f for f in env[image]["fields"]}[field]


def check_one(got, mode, exp):
    src, table, rec, image, field, value, default, _ = exp
    recs = got[mode].get(table, [])
    if callable(rec):  # a selector: the first record it accepts (partitions reorder records)
        found = [r for r in recs if rec(r["payload"])]
        if not found:
            return [f"no record on {table} matches the selector"]
        v = found[0]
    elif rec >= len(recs):
        return [f"no record #{rec} on {table}"]
    else:
        v = recs[rec]
    problems = []
    actual = jtext(v["payload"][image][field])
    if value is not ANY and actual != value:
        problems.append(f"value {actual} != Debezium's {value}")
    schema = field_schema(v, image, field)
    if default is ANY:
        pass
    elif default is ABSENT:
        if "default" in schema:
            problems.append(f"schema default {jtext(schema['default'])}, Debezium has none")
    elif "default" not in schema:
        problems.append(f"no schema default, Debezium has {default}")
    elif jtext(schema["default"]) != default:
        problems.append(f"schema default {jtext(schema['default'])} != Debezium's {default}")
    return problems


def check_all(got, expectations, title):
    """Asserts every expectation; prints the count per mode and how many match."""
    failures, summary = [], []
    for mode in expectations.modes:
        mine = [e for e in expectations.items if mode in e[7]]
        ok = 0
        for e in mine:
            p = check_one(got, mode, e)
            if p:
                failures.append(f"[{mode}] {e[0]}: {e[1]}.{e[3]}.{e[4]}: " + "; ".join(p))
            else:
                ok += 1
        summary.append(f"{mode}: {ok}/{len(mine)} match")
    print(f"ported Debezium expectations ({title}): " + ", ".join(summary))
    assert not failures, "\n".join(failures)
