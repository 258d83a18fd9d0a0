"""[ops] operations that explain themselves: an event the broker refuses for good stops pgcdc with
exit 3, is recorded in the offsets file, shown by status and validate (also while PostgreSQL is
down) and cleared once it goes through; status shows what it can read; validate and run check
that the offsets file can be written; the "slot is ahead" advice is one, and it works."""

import json
import os
import re

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, lsn_to_int, run_pgcdc, wait_until


def last_error(p):
    return p.log().strip().splitlines()[-1]


def test_stuck_event_is_recorded_shown_and_cleared(pg, broker, workdir):
    db = "stuck"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    offsets = os.path.join(workdir, "stuck.offsets")
    cfg = base_config(pg, broker, db, db=db, offsets={"file": offsets})
    cfg["format"] = {"schemas": False}
    # librdkafka refuses records over message.max.bytes before sending (MSG_SIZE_TOO_LARGE).
    cfg["sink"]["kafka"]["message.max.bytes"] = "3000"
    reader = TopicReader(broker.bootstrap, ["stuck.public.t"])
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'small')", db=db)
    before = pg.current_wal_lsn(db)
    after = pg.commit_end("INSERT INTO t VALUES (7, repeat('x', 5000))", db)
    pg.execute("INSERT INTO t VALUES (8, 'later')", db=db)
    p.proc.wait(timeout=60)

    # Exit 3 (the unit does not restart on it), one line with the event and the ways out.
    assert p.proc.returncode == 3, p.log()
    line = last_error(p)
    assert "topic 'stuck.public.t' (table public.t) key {\"id\":7} at LSN " in line, line
    assert "Message size too large (MSG_SIZE_TOO_LARGE)" in line, line
    assert "sink.kafka.message.max.bytes" in line and "max.message.bytes" in line, line
    assert "sink.dead_letter_topic" in line and offsets in line, line

    # The offsets file records it; its position stays before the event's commit.
    state = json.load(open(offsets))
    stuck = state["stuck"]
    assert stuck["topic"] == "stuck.public.t" and stuck["table"] == "public.t"
    assert stuck["key"] == '{"id":7}' and stuck["key_truncated"] is False
    assert stuck["error"] == "MSG_SIZE_TOO_LARGE" and "too large" in stuck["cause"]
    assert before <= lsn_to_int(stuck["lsn"]) <= after, (before, stuck, after)
    assert lsn_to_int(state["lsn"]) < after
    assert f"at LSN {stuck['lsn']}" in line

    # status and validate show it, with the ways out; neither fails because of it.
    described = f"stuck event: topic 'stuck.public.t' (table public.t) key {{\"id\":7}} at LSN {stuck['lsn']}"
    r = run_pgcdc(["status", "-c", p.config_path])
    assert r.returncode == 0, r.stdout + r.stderr
    assert described in r.stdout and "ways out: raise the limit" in r.stdout, r.stdout
    r = run_pgcdc(["validate", "-c", p.config_path])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "note  " + described in r.stdout and "sink.dead_letter_topic" in r.stdout, r.stdout

    # PostgreSQL down: status still shows the offsets file and the stuck event, and says what it
    # could not read.
    pg._pg_ctl("stop", "-m", "fast")
    try:
        r = run_pgcdc(["status", "-c", p.config_path])
    finally:
        pg._pg_ctl("start")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "server: UNREACHABLE (postgres: cannot connect" in r.stdout, r.stdout
    assert "slot pgcdc_stuck: UNKNOWN (server unreachable)" in r.stdout, r.stdout
    assert f"offsets file: {offsets}\n" in r.stdout and f"lsn: {state['lsn']}" in r.stdout
    assert described in r.stdout, r.stdout
    assert "status incomplete: server unreachable" in r.stderr, r.stderr

    # The limit raised: the event goes through, then the one after it, and the record is gone.
    cfg["sink"]["kafka"]["message.max.bytes"] = "1000000"
    p.start()
    p.wait_streaming()
    wait_until(lambda: "stuck" not in json.load(open(offsets)), 30, what="the record cleared")
    assert "the event the broker refused earlier went through" in p.log(), p.log()
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()
    assert sorted(r.key["id"] for r in recs) == [1, 7, 8]
    r = run_pgcdc(["status", "-c", p.config_path])
    assert r.returncode == 0 and "stuck event: none" in r.stdout, r.stdout + r.stderr


def test_event_refused_in_a_delivery_report_is_recorded_and_cleared(pg, broker, workdir):
    """The broker refuses the produce request (not librdkafka before sending): the delivery
    report carries the refusal, and the record still names table, key and commit LSN."""
    db = "denied"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    offsets = os.path.join(workdir, "denied.offsets")
    cfg = base_config(pg, broker, db, db=db, offsets={"file": offsets})
    cfg["format"] = {"schemas": False}
    reader = TopicReader(broker.bootstrap, ["denied.public.t"])
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    broker.command("errors 0 29 1")  # the next Produce: TOPIC_AUTHORIZATION_FAILED
    before = pg.current_wal_lsn(db)
    pg.execute("INSERT INTO t VALUES (5, 'denied')", db=db)
    after = pg.current_wal_lsn(db)
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 3, p.log()
    line = last_error(p)
    assert "topic 'denied.public.t' (table public.t) key {\"id\":5} at LSN " in line, line
    assert "TOPIC_AUTHORIZATION_FAILED" in line and "grant pgcdc's principal WRITE" in line, line
    assert "sink.dead_letter_topic" in line, line
    stuck = json.load(open(offsets))["stuck"]
    assert stuck["table"] == "public.t" and stuck["key"] == '{"id":5}'
    assert before <= lsn_to_int(stuck["lsn"]) <= after, (before, stuck, after)
    r = run_pgcdc(["status", "-c", p.config_path])
    assert r.returncode == 0 and "TOPIC_AUTHORIZATION_FAILED" in r.stdout, r.stdout + r.stderr

    # The refusal was one-off (access granted meanwhile): the next start delivers and clears it.
    p.start()
    p.wait_streaming()
    wait_until(lambda: "stuck" not in json.load(open(offsets)), 30, what="the record cleared")
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()
    assert [r.key["id"] for r in recs] == [5]


def test_status_shows_the_server_when_the_offsets_file_is_garbage(pg, broker, workdir):
    db = "garbled"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    offsets = os.path.join(workdir, "garbled.offsets")
    cfg = base_config(pg, broker, db, db=db, offsets={"file": offsets})
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    with open(offsets, "w") as f:
        f.write("{\"format\": 1, \"slot\": ")  # torn by hand
    r = run_pgcdc(["status", "-c", p.config_path])
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"^server: .*, system \d+, WAL at ", r.stdout, re.M), r.stdout
    assert "slot pgcdc_garbled: inactive" in r.stdout and "confirmed_flush_lsn: " in r.stdout
    assert "publication pgcdc_garbled: 1 tables" in r.stdout, r.stdout
    assert f"offsets file: {offsets} UNREADABLE (offsets file {offsets} is not valid JSON" \
        in r.stdout, r.stdout
    assert "stuck event: UNKNOWN (offsets file unreadable)" in r.stdout, r.stdout
    assert "status incomplete: offsets file unreadable" in r.stderr, r.stderr
    assert "password" not in r.stdout + r.stderr


def test_offsets_directory_that_cannot_be_written_fails_validate_and_run(pg, broker, workdir):
    db = "rodir"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    # Tests run as root, for whom a mode-0555 directory is writable; a path through a regular
    # file cannot be written by anyone.
    blocker = os.path.join(workdir, "not-a-directory")
    open(blocker, "w").close()
    offsets = os.path.join(blocker, "rodir.offsets")
    cfg = base_config(pg, broker, db, db=db, offsets={"file": offsets})
    p = Pgcdc(cfg, workdir)
    p.write_config()
    r = run_pgcdc(["validate", "-c", p.config_path])
    assert r.returncode == 1, r.stdout + r.stderr
    expected = f"offsets file {offsets}: cannot write in {blocker} (Not a directory)"
    assert f"FAIL  {expected}" in r.stdout, r.stdout
    p.start()
    p.proc.wait(timeout=30)
    assert p.proc.returncode == 1, p.log()
    assert expected in last_error(p), p.log()
    assert "connected to" not in p.log()  # fails before touching the server
    assert pg.slot("pgcdc_rodir", db) is None


def slot_ahead_message(text):
    m = re.search(r"slot 'pgcdc_ahead2' is at .*?\(a new snapshot\)", text)
    assert m, text
    return m.group(0)


def test_slot_ahead_advice_is_one_and_works(pg, broker, workdir):
    db = "ahead2"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    pg.execute("INSERT INTO t VALUES (1)", db=db)
    offsets = os.path.join(workdir, "ahead2.offsets")
    cfg = base_config(pg, broker, db, db=db, offsets={"file": offsets})
    cfg["snapshot"] = {"mode": "initial"}
    reader = TopicReader(broker.bootstrap, ["ahead2.public.t"])
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()

    def advance_slot():
        pg.execute("SELECT pg_replication_slot_advance('pgcdc_ahead2', pg_current_wal_lsn())",
                   db=db)

    pg.execute("INSERT INTO t VALUES (2)", db=db)
    advance_slot()

    # run, validate and status say the same thing.
    p.start()
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1, p.log()
    from_run = slot_ahead_message(last_error(p))
    r = run_pgcdc(["validate", "-c", p.config_path])
    assert r.returncode == 1
    from_validate = slot_ahead_message(r.stdout)
    r = run_pgcdc(["status", "-c", p.config_path])
    assert r.returncode == 0, r.stdout + r.stderr
    from_status = slot_ahead_message(r.stdout)
    assert from_run == from_validate == from_status
    assert "pgcdc offsets reset -c FILE --to-slot --yes" in from_run, from_run
    assert "snapshot.mode: when_needed" in from_run, from_run
    assert "remove the offsets file" not in from_run

    # Way out 1, in snapshot.mode initial: accept the gap; pgcdc streams again from the slot.
    r = run_pgcdc(["offsets", "reset", "-c", p.config_path, "--to-slot", "--yes"])
    assert r.returncode == 0, r.stdout + r.stderr
    p.start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (3)", db=db)
    reader.wait_for(lambda rs: any(x.key_payload["id"] == 3 for x in rs if x.key), 30)
    assert p.stop() == 0, p.log()

    # Way out 2: read everything again.
    pg.execute("INSERT INTO t VALUES (4)", db=db)
    advance_slot()
    cfg["snapshot"] = {"mode": "when_needed"}
    p.start()
    p.wait_streaming()
    assert "taking a snapshot: slot 'pgcdc_ahead2' is ahead of the offsets" in p.log(), p.log()
    assert p.stop() == 0, p.log()
    recs = reader.drain()
    reader.close()
    ops = sorted((x.key_payload["id"], x.payload["op"]) for x in recs)
    # 2 and 4 were confirmed by "another consumer": 2 is lost (way out 1 accepted the gap), the
    # second snapshot holds 4 (and the others again).
    assert ops == [(1, "r"), (1, "r"), (2, "r"), (3, "c"), (3, "r"), (4, "r")], ops
