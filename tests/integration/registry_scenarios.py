"""Scenarios the registry formats that spell the JSON payload (JSON Schema, Protobuf) share; each
takes the format's connector config and a decoder pgcdc did not write.

refusal_stops_and_restart_delivers: an added column registers a new version before its first
record; under BACKWARD (the test registry grants these formats' new versions at NONE only) the
next change of shape stops pgcdc with one line naming the subject and the refusal, the slot stays
before it and nothing more is delivered; with the level set to NONE a restart delivers it under a
third version. `after_of(raw_value)` gives (schema id, the "after" image as a dict).

snapshot_validate_and_status: `validate` names the subjects and registers nothing; the initial
snapshot with two workers makes one registration per subject and every row arrives as an "r"
record; `status` names each subject's latest version and id. `decode(raw)` gives a key or value
as a dict.
"""

from pgcdc_harness import Pgcdc, TopicReader, run_pgcdc, wait_until
from test_avro import subject_ids


def refusal_stops_and_restart_delivers(pg, broker, workdir, registry, db, cfg, after_of):
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    registry.set_compatibility("NONE")
    subject = f"{cfg['name']}.public.t-value"
    slot = f"pgcdc_{cfg['name']}"
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{cfg['name']}.public.t"])
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO t VALUES (1, 'one')", db=db)
        reader.wait_count(1)
        pg.execute("ALTER TABLE t ADD COLUMN extra int; INSERT INTO t VALUES (2, 'two', 22)",
                   db=db)
        recs = reader.wait_count(2)
        assert len(registry.versions(subject)) == 2
        values = [after_of(r.raw_value) for r in recs]
        assert len({vid for vid, _ in values}) == 2
        assert [after for _, after in values] == [{"id": 1, "v": "one"},
                                                  {"id": 2, "v": "two", "extra": 22}]

        registry.set_compatibility("BACKWARD")
        change_end = pg.commit_end(
            "ALTER TABLE t ADD COLUMN more text; INSERT INTO t VALUES (3, 'three', 33, 'x')", db)
        held_at = pg.current_wal_lsn(db)
        wait_until(lambda: not p.alive(), 60, what="pgcdc to stop on the refused schema")
        assert p.proc.returncode != 0
        log = p.log()
        refusal = [line for line in log.splitlines() if subject in line and "HTTP 409" in line]
        assert len(refusal) == 1, log
        assert len(registry.versions(subject)) == 2
        assert pg.confirmed_flush(slot, db) < change_end
        reader.poll(1.0)
        assert len(reader.records) == 2

        registry.set_compatibility("NONE")
        p.start()
        p.wait_streaming()
        recs = reader.wait_count(3)
        assert pg.wait_confirmed(slot, db, held_at) >= held_at
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    vid, after = after_of(recs[2].raw_value)
    assert after == {"id": 3, "v": "three", "extra": 33, "more": "x"}
    assert vid == subject_ids(registry.url, subject)[-1]
    assert len(registry.versions(subject)) == 3


def snapshot_validate_and_status(pg, broker, workdir, registry, db, cfg, decode):
    pg.create_database(db)
    pg.execute("CREATE TABLE big(id int PRIMARY KEY, amount numeric(12,2), at timestamptz);"
               "INSERT INTO big SELECT g, g / 100.0, '2024-01-01'::timestamptz + g * interval '1s'"
               " FROM generate_series(1, 3000) g;"
               "CREATE TABLE small(id int PRIMARY KEY); INSERT INTO small VALUES (1), (2)",
               db=db)
    name = cfg["name"]
    cfg["snapshot"] = {"mode": "initial", "parallelism": 2}
    p = Pgcdc(cfg, workdir)
    p.write_config()
    out = run_pgcdc(["validate", "-c", p.config_path])
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"subject {name}.public.big-value: not registered yet" in out.stdout, out.stdout
    assert registry.registrations() == []  # validate registers nothing

    p.start()
    reader = TopicReader(broker.bootstrap, [f"{name}.public.big", f"{name}.public.small"])
    try:
        p.wait_streaming(timeout=60)
        reader.wait_count(3002, timeout=120)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    big = {}
    for r in reader.records:
        key, value = decode(r.raw_key), decode(r.raw_value)
        assert value["op"] == "r" and value["before"] is None
        if r.topic == f"{name}.public.big":
            big[key["id"]] = value["after"]
    assert len(big) == 3000
    assert big[1234]["amount"] == "BNI="  # 12.34 as Connect Decimal bytes, base64
    assert big[1]["at"] == "2024-01-01T00:00:01.000000Z"
    posts = sorted(r["path"] for r in registry.registrations())
    assert posts == sorted(f"/subjects/{name}.public.{t}-{part}/versions"
                           for t in ("big", "small") for part in ("key", "value")), posts

    out = run_pgcdc(["status", "-c", p.config_path])
    for t in ("big", "small"):
        for part in ("key", "value"):
            subject = f"{name}.public.{t}-{part}"
            schema_id = subject_ids(registry.url, subject)[-1]
            assert f"subject {subject}: version 1, id {schema_id}\n" in out.stdout, out.stdout
