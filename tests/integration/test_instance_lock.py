"""One pgcdc per slot: a second instance of a configuration exits at once with one line naming the
first (its PID and host, from the instance lock's application_name) and changes nothing, whether
the two start together, the second starts while the first prepares, or while it streams. The
admin commands that change the slot or the offsets refuse under a live instance too."""

import os
import socket
import subprocess
import time
import types

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, free_port, run_pgcdc, wait_until

HOST = socket.gethostname()


def server_state(pg, db):
    """What pgcdc could create or change on the server: publications and slots (of `db`)."""
    pubs = pg.execute("SELECT pubname FROM pg_publication ORDER BY 1", db)
    slots = pg.execute("SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = "
                       "current_database() ORDER BY 1", db)
    return pubs, slots


def refusal(p, holder, slot):
    """Asserts p exited 1 with exactly one error line naming `holder`'s PID and host."""
    assert p.proc.returncode == 1, p.log()
    errors = [line for line in p.log().splitlines() if " error " in line]
    assert len(errors) == 1, p.log()
    line = errors[0]
    assert f"slot '{slot}' is in use by another pgcdc" in line, line
    assert f"pid={holder.proc.pid} host={HOST}" in line, line
    assert "created" not in p.log(), p.log()
    return line


def instance(cfg, workdir, tag):
    """A Pgcdc with its own log files (the harness names them per run, not per process)."""
    d = os.path.join(workdir, tag)
    os.makedirs(d, exist_ok=True)
    return Pgcdc(dict(cfg), d)


def fresh_db(pg, name):
    pg.create_database(name)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=name)


def config(pg, bootstrap, db, workdir):
    """The configuration both instances use; `bootstrap` may be a port nothing listens on."""
    return base_config(pg, types.SimpleNamespace(bootstrap=bootstrap), db, db=db,
                       offsets={"file": os.path.join(workdir, "o.offsets")})


def test_second_instance_while_the_first_prepares_changes_nothing(pg, workdir):
    """The first holds the lock but has created nothing yet (it waits for an unreachable
    broker): the second must not create the publication, the slot or the offsets file."""
    fresh_db(pg, "lk_prep")
    cfg = config(pg, f"127.0.0.1:{free_port()}", "lk_prep", workdir)
    first = instance(cfg, workdir, "first").start()
    wait_until(lambda: "connected to" in first.log() or not first.alive(), 30,
               what="the first instance to connect")
    assert first.alive(), first.log()
    before = server_state(pg, "lk_prep")

    second = instance(cfg, workdir, "second").start()
    second.proc.wait(timeout=10)
    refusal(second, first, "pgcdc_lk_prep")
    assert first.alive(), first.log()  # still waiting for its broker, still the holder
    assert server_state(pg, "lk_prep") == before == ([], [])
    assert not os.path.exists(cfg["offsets"]["file"]), os.listdir(workdir)
    assert not os.path.exists(cfg["offsets"]["file"] + ".tmp")
    first.kill()


def test_simultaneous_start_exactly_one_wins(pg, broker, workdir):
    fresh_db(pg, "lk_sim")
    cfg = config(pg, broker.bootstrap, "lk_sim", workdir)
    a, b = instance(cfg, workdir, "a"), instance(cfg, workdir, "b")
    a.start()
    b.start()
    wait_until(lambda: not a.alive() or not b.alive(), 10, what="one of the two to exit")
    loser, winner = (a, b) if not a.alive() else (b, a)
    refusal(loser, winner, "pgcdc_lk_sim")
    winner.wait_streaming()
    pubs, slots = server_state(pg, "lk_sim")
    assert pubs == [("pgcdc_lk_sim",)] and [s[0] for s in slots] == ["pgcdc_lk_sim"]
    assert "slot is active" not in winner.log() + loser.log()
    assert winner.stop() == 0, winner.log()


def test_later_start_refused_while_streaming_then_takes_over(pg, broker, workdir):
    fresh_db(pg, "lk_late")
    cfg = config(pg, broker.bootstrap, "lk_late", workdir)
    first = instance(cfg, workdir, "first").start()
    first.wait_streaming()
    before = server_state(pg, "lk_late")

    second = instance(cfg, workdir, "second").start()
    second.proc.wait(timeout=10)  # before: 30 s of "slot is active", then a raw SQL error
    refusal(second, first, "pgcdc_lk_late")
    assert server_state(pg, "lk_late") == before

    # The first streams on, undisturbed.
    pg.execute("INSERT INTO t VALUES (1, 'after the refusal')", db="lk_late")
    reader = TopicReader(broker.bootstrap, ["lk_late.public.t"])
    try:
        reader.wait_for(lambda rs: any(r.payload and r.payload["after"]["id"] == 1 for r in rs),
                        what="the first instance's event")
    finally:
        reader.close()
    assert first.stop() == 0, first.log()

    # Stopped, it lets go: the same configuration starts now.
    third = instance(cfg, workdir, "third").start()
    third.wait_streaming()
    assert third.stop() == 0, third.log()


def test_admin_commands_refuse_while_an_instance_holds_the_slot(pg, broker, workdir):
    fresh_db(pg, "lk_adm")
    cfg = config(pg, broker.bootstrap, "lk_adm", workdir)
    p = instance(cfg, workdir, "p").start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()
    with open(cfg["offsets"]["file"]) as f:
        offsets = f.read()

    # An instance that holds the lock but does not stream (the slot is inactive): it waits for
    # an unreachable broker before anything else.
    held = config(pg, f"127.0.0.1:{free_port()}", "lk_adm", workdir)
    holder = instance(held, workdir, "holder").start()
    wait_until(lambda: "connected to" in holder.log() or not holder.alive(), 30,
               what="the holder to connect")
    assert holder.alive(), holder.log()
    before = server_state(pg, "lk_adm")
    assert before[1] == [("pgcdc_lk_adm", None)]  # inactive: RefuseIfActive lets it pass

    for args in (["slot", "drop", "-c", p.config_path, "--yes"],
                 ["offsets", "reset", "-c", p.config_path, "--to-slot", "--yes"]):
        r = run_pgcdc(args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "is in use by another pgcdc" in lines[0], r.stderr
        assert f"pid={holder.proc.pid}" in lines[0], lines[0]
    assert server_state(pg, "lk_adm") == before
    with open(cfg["offsets"]["file"]) as f:
        assert f.read() == offsets
    holder.kill()

    # Without the holder they work again (the server released the lock with the session).
    wait_until(lambda: run_pgcdc(["offsets", "reset", "-c", p.config_path, "--to-slot",
                                  "--yes"]).returncode == 0, 15, what="offsets reset to succeed")


def lock_key(slot):
    """InstanceLockKey: FNV-1a 64 of "pgcdc:" + slot, as a signed bigint."""
    h = 14695981039346656037
    for c in ("pgcdc:" + slot).encode():
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return h - (1 << 64) if h >= 1 << 63 else h


def test_lost_lock_connection_is_retaken_or_the_instance_stops(pg, broker, workdir):
    fresh_db(pg, "lk_drop")
    cfg = config(pg, broker.bootstrap, "lk_drop", workdir)
    p = instance(cfg, workdir, "p").start()
    p.wait_streaming()
    lock_backend = ("SELECT pid FROM pg_stat_activity WHERE application_name LIKE "
                    f"'pgcdc/lk_drop pid={p.proc.pid} %'")
    first = pg.execute(lock_backend, "lk_drop")
    assert len(first) == 1, first

    # Its connection ends (say, an admin's pg_terminate_backend): the session ends too, and the
    # next one takes the lock again on a new connection.
    pg.execute(f"SELECT pg_terminate_backend({first[0][0]})", "lk_drop")
    wait_until(lambda: "taking the instance lock of slot pgcdc_lk_drop again" in p.log(), 30,
               what="the lock to be taken again")
    wait_until(lambda: p.log().count("streaming from slot") == 2 or not p.alive(), 30,
               what="streaming again")
    second = pg.execute(lock_backend, "lk_drop")
    assert p.alive() and len(second) == 1 and second != first, p.log()

    # Someone else takes it in the gap: the instance stops, naming that session.
    conn = pg.connect("lk_drop")
    try:
        with conn.cursor() as cur:
            cur.execute("SET application_name = 'intruder'")
            cur.execute(f"SELECT pg_terminate_backend({second[0][0]}), "
                        f"pg_advisory_lock({lock_key('pgcdc_lk_drop')})")
        p.proc.wait(timeout=30)
        assert p.proc.returncode == 1, p.log()
        last = p.log().strip().splitlines()[-1]
        assert "slot 'pgcdc_lk_drop' is in use by another pgcdc: a session with " \
               "application_name 'intruder'" in last, last
    finally:
        conn.close()


def test_restart_right_after_kill_9_is_not_refused(pg, broker, workdir):
    """The server ends a killed pgcdc's session only once it reads the closed socket; a restart
    in that instant sees the lock still held by a process that no longer exists, and waits for
    the server instead of refusing."""
    fresh_db(pg, "lk_kill")
    cfg = config(pg, broker.bootstrap, "lk_kill", workdir)
    for i in range(3):
        p = instance(cfg, workdir, f"run{i}").start()
        p.wait_streaming()
        p.kill()
    p = instance(cfg, workdir, "last").start()
    p.wait_streaming()
    assert p.stop() == 0, p.log()


def test_a_lock_left_by_a_dead_process_of_this_host_is_waited_for(pg, broker, workdir):
    """Deterministically, the case above: a session holds the lock under the application_name
    of a pgcdc on this host whose PID does not exist. A start waits for that session to end
    (up to 5 s) rather than refusing; past that it refuses, saying the process is gone."""
    fresh_db(pg, "lk_gone")
    cfg = config(pg, broker.bootstrap, "lk_gone", workdir)
    dead = subprocess.Popen(["true"])
    dead.wait()
    ghost = pg.connect("lk_gone")
    try:
        with ghost.cursor() as cur:
            cur.execute(f"SET application_name = 'pgcdc/lk_gone pid={dead.pid} host={HOST}'")
            cur.execute(f"SELECT pg_advisory_lock({lock_key('pgcdc_lk_gone')})")
        p = instance(cfg, workdir, "waits").start()
        time.sleep(1)
        assert p.alive(), p.log()
    finally:
        ghost.close()
    p.wait_streaming()
    assert p.stop() == 0, p.log()

    ghost = pg.connect("lk_gone")
    try:
        with ghost.cursor() as cur:
            cur.execute(f"SET application_name = 'pgcdc/lk_gone pid={dead.pid} host={HOST}'")
            cur.execute(f"SELECT pg_advisory_lock({lock_key('pgcdc_lk_gone')})")
        p = instance(cfg, workdir, "refused").start()
        p.proc.wait(timeout=30)  # it waits 5 s on purpose; ASan's start and exit add more
        assert p.proc.returncode == 1, p.log()
        last = p.log().strip().splitlines()[-1]
        assert f"pid={dead.pid} host={HOST}" in last and "whose process is gone" in last, last
    finally:
        ghost.close()
