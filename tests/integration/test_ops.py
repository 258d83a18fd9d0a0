"""[ops] acceptance: /metrics moves and lag returns to 0, /readyz follows the broker, JSON logs,
and the admin subcommands (status, offsets show/reset, slot drop) on a stopped connector."""

import json
import os
import re
import urllib.error
import urllib.request

from conftest import base_config, mock_only
from pgcdc_harness import Pgcdc, TopicReader, parse_metrics, run_pgcdc, wait_until


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metrics_url(p):
    return p.metrics_base()


def scrape(base):
    status, text = get(base + "/metrics")
    assert status == 200
    return parse_metrics(text)


def test_metrics_health_and_readiness(pg, broker, workdir):
    db = "ops"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    cfg = base_config(pg, broker, db, db=db, offsets={"file": os.path.join(workdir, "ops.offsets")})
    cfg["metrics"]["readiness_max_blocked_ms"] = 1000
    cfg["log"] = {"format": "json"}
    p = Pgcdc(cfg, workdir).start()
    base = metrics_url(p)
    assert get(base + "/healthz")[0] == 200
    p.wait_streaming()
    wait_until(lambda: get(base + "/readyz")[0] == 200, 10, what="ready")

    pg.execute("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 25) g", db=db)
    pg.execute("UPDATE t SET v = 'y' WHERE id <= 5", db=db)
    pg.execute("DELETE FROM t WHERE id = 1", db=db)
    key = 'pgcdc_events_total{table="public.t",op="%s"}'
    wait_until(lambda: scrape(base).get(key % "d") == 1, 30, what="the delete counted")
    m = scrape(base)
    assert m[key % "c"] == 25 and m[key % "u"] == 5 and m[key % "tombstone"] == 1
    assert m['pgcdc_state{state="streaming"}'] == 1
    wait_until(lambda: scrape(base)["pgcdc_commit_to_ack_seconds_count"] >= 3, 30,
               what="three transactions acknowledged")
    assert m["pgcdc_resident_memory_bytes"] > 1e6
    assert m['pgcdc_event_bytes_total{table="public.t",op="c"}'] > 25 * 100
    # Lag returns to 0 once the keepalive walEnd is confirmed; the confirmed LSN is the slot's.
    wait_until(lambda: scrape(base)["pgcdc_slot_lag_bytes"] == 0, 30, what="lag back to 0")
    m = scrape(base)
    assert m["pgcdc_confirmed_lsn"] >= pg.confirmed_flush("pgcdc_ops", db)
    assert 0 <= m["pgcdc_last_event_age_seconds"] < 60

    # The broker goes away: /readyz says so after the threshold, and recovers after.
    broker.command("down -1")
    try:
        pg.execute("INSERT INTO t VALUES (100, 'while down')", db=db)
        wait_until(lambda: get(base + "/readyz")[0] == 503, 30, what="not ready")
        status, body = get(base + "/readyz")
        assert "no delivery acknowledged" in body, body
        assert scrape(base)["pgcdc_inflight_events"] >= 1
    finally:
        broker.command("up -1")
    wait_until(lambda: get(base + "/readyz")[0] == 200, 60, what="ready again")
    wait_until(lambda: scrape(base).get(key % "c") == 26, 30, what="the insert counted")
    assert p.stop() == 0, p.log()
    # JSON logs: every line is an object with ts, level, msg.
    lines = [json.loads(l) for l in p.log().splitlines() if l.startswith("{")]
    assert lines and all({"ts", "level", "msg"} <= set(l) for l in lines)
    assert any("streaming from slot" in l["msg"] for l in lines)


def test_admin_subcommands(pg, broker, workdir):
    db = "admin"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    pg.execute("INSERT INTO t VALUES (1), (2)", db=db)
    cfg = base_config(pg, broker, db, db=db,
                      offsets={"file": os.path.join(workdir, "admin.offsets")})
    cfg["snapshot"] = {"mode": "initial"}
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    # While running: status works, changes are refused.
    r = run_pgcdc(["status", "-c", p.config_path])
    assert r.returncode == 0 and "active (walsender PID" in r.stdout, r.stdout + r.stderr
    r = run_pgcdc(["slot", "drop", "-c", p.config_path, "--yes"])
    assert r.returncode == 1 and "is active" in r.stderr, r.stderr
    assert p.stop() == 0, p.log()

    r = run_pgcdc(["offsets", "show", "-c", p.config_path])
    assert r.returncode == 0 and "snapshot: complete" in r.stdout, r.stdout
    stored = json.load(open(cfg["offsets"]["file"]))["lsn"]

    # Another consumer advances the slot: pgcdc refuses to start, status warns, reset fixes it.
    pg.execute("INSERT INTO t VALUES (3)", db=db)
    pg.execute("SELECT pg_replication_slot_advance('pgcdc_admin', pg_current_wal_lsn())", db=db)
    slot_lsn = pg.slot("pgcdc_admin", db)[0]
    r = run_pgcdc(["status", "-c", p.config_path])
    assert "inactive" in r.stdout and "ahead of the offsets file" in r.stdout, r.stdout
    assert "pgcdc offsets reset -c FILE --to-slot --yes" in r.stdout, r.stdout
    assert re.search(r"lag_bytes: \d+", r.stdout)
    r = run_pgcdc(["offsets", "reset", "-c", p.config_path, "--to-slot"])
    assert r.returncode == 2 and "--yes" in r.stderr and f"{stored} -> {slot_lsn}" in r.stdout
    assert json.load(open(cfg["offsets"]["file"]))["lsn"] == stored  # unchanged without --yes
    r = run_pgcdc(["offsets", "reset", "-c", p.config_path, "--to-lsn", "0/10"])
    assert r.returncode == 2 and "cannot go back" in r.stderr, r.stderr
    r = run_pgcdc(["offsets", "reset", "-c", p.config_path, "--to-slot", "--yes"])
    assert r.returncode == 0, r.stderr
    assert json.load(open(cfg["offsets"]["file"]))["lsn"] == slot_lsn

    # Starts again from the slot; a new change streams.
    reader = TopicReader(broker.bootstrap, ["admin.public.t"])
    p.start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (4)", db=db)
    reader.wait_for(lambda rs: any(r.key_payload["id"] == 4 for r in rs if r.key), 30)
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()
    assert sorted((r.key_payload["id"], r.payload["op"]) for r in recs) == \
        [(1, "r"), (2, "r"), (4, "c")]  # 3 was confirmed by the other consumer: not on the topic

    r = run_pgcdc(["slot", "drop", "-c", p.config_path])
    assert r.returncode == 2 and pg.slot("pgcdc_admin", db) is not None
    r = run_pgcdc(["slot", "drop", "-c", p.config_path, "--yes"])
    assert r.returncode == 0 and "dropped" in r.stdout, r.stderr
    assert pg.slot("pgcdc_admin", db) is None
    r = run_pgcdc(["status", "-c", p.config_path])
    assert r.returncode == 0 and "slot pgcdc_admin: missing" in r.stdout, r.stdout


@mock_only("does not involve the broker")
def test_metrics_port_in_use_is_one_clear_error(pg, broker, workdir):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        cfg = base_config(pg, broker, "busy",
                          offsets={"file": os.path.join(workdir, "busy.offsets")})
        cfg["metrics"]["listen"] = f"127.0.0.1:{s.getsockname()[1]}"
        p = Pgcdc(cfg, workdir).start()
        p.proc.wait(timeout=30)
        assert p.proc.returncode == 1
        assert "cannot bind" in p.log().strip().splitlines()[-1], p.log()
    finally:
        s.close()


@mock_only("does not involve the broker, and the mock run of this file may hold port 9187 "
           "at the same time")
def test_two_connectors_with_the_default_metrics_port(pg, broker, workdir):
    """Neither sets metrics.listen: both default to 127.0.0.1:9187. The first serves it; the
    second must fail with one line naming the port and the key, not share the port (cpp-httplib's
    SO_REUSEPORT would let it, and scrapes would reach either process at random)."""
    procs = []
    for name in ("porta", "portb"):
        d = os.path.join(workdir, name)
        os.makedirs(d)
        cfg = base_config(pg, broker, name, offsets={"file": os.path.join(d, "o.offsets")})
        cfg["metrics"] = {"readiness_max_blocked_ms": 30000}  # no listen: the default
        procs.append(Pgcdc(cfg, d))
    first, second = procs
    first.start().wait_streaming()
    assert "metrics on http://127.0.0.1:9187/metrics" in first.log(), first.log()
    second.start()
    second.proc.wait(timeout=30)
    assert second.proc.returncode == 1, second.log()
    errors = [line for line in second.log().splitlines() if " error " in line]
    assert len(errors) == 1, second.log()
    assert "metrics.listen 127.0.0.1:9187: cannot bind" in errors[0], errors[0]
    assert first.alive()
    status, text = get("http://127.0.0.1:9187/metrics")
    assert status == 200 and "pgcdc_state" in text
    assert first.stop() == 0, first.log()
