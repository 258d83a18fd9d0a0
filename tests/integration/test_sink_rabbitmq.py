"""sink.type rabbitmq: events reach a real RabbitMQ (Debian's rabbitmq-server, started here as a
temp node: its own data and log dirs, node name, free AMQP / distribution / epmd ports) laid out
as Debezium Server's rabbitmq sink (exchange, routing key = topic, body = value), with the key in
the "pgcdc.key" header. They are read back with pika (Debian's python3-pika), not pgcdc's code.

The no-loss promise: the slot's confirmed_flush_lsn never passes a change the broker has not
confirmed (publisher confirms). A stopped broker makes pgcdc stop without confirming; once it
is back, a restarted pgcdc delivers everything. An unroutable change (no queue bound) is not
confirmed either. With celery_task, each change is a Celery protocol v2 task message that a real
Celery worker (Debian's python3-celery) runs."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from avro_records import decode
from pgcdc_harness import Pgcdc, free_port, run_pgcdc, wait_until
from schema_registry import SchemaRegistry
from sink_servers import (AVRO_CHANGES, PrivateCa, RabbitServer, check_avro_changes,
                          check_delivered, kill_loop)

pika = pytest.importorskip("pika", reason="python3-pika missing: run scripts/install-deps.sh")

@pytest.fixture(scope="module")
def rabbit():
    server = RabbitServer(tls=True).start()  # an AMQPS listener too, for the TLS test
    yield server
    server.destroy()


@pytest.fixture
def own_rabbit():
    """A server of the test's own, for tests that stop it."""
    server = RabbitServer().start()
    yield server
    server.destroy()


def rabbit_config(pg, server, db, workdir, **sink):
    q = {"url": server.url, "exchange": db, "ack_timeout_ms": 2000}
    q.update(sink)
    return {
        "name": db,
        "source": {"dsn": pg.dsn(db), "status_interval_ms": 500},
        "snapshot": {"mode": "never"},
        "format": {"schemas": False},
        "sink": {"type": "rabbitmq", "rabbitmq": q},
        "offsets": {"file": os.path.join(workdir, "o.offsets"), "commit_interval_ms": 200},
        "metrics": {"listen": "127.0.0.1:0"},
    }


def wait_read(server, queue, predicate, timeout=60, what="messages"):
    found = []

    def check():
        found[:] = server.read(queue)
        return predicate(found)
    wait_until(check, timeout, interval=0.5, what=what)
    return found


def ids(msgs):
    return [json.loads(p.headers["pgcdc.key"])["id"] for _, p, _ in msgs]


def test_changes_arrive_in_order_with_routing_key_key_and_value(pg, rabbit, workdir):
    db = "rabbitstream"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    rabbit.bind_queue(db, f"{db}_all")
    p = Pgcdc(rabbit_config(pg, rabbit, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')", db=db)
    pg.execute("UPDATE t SET v = 'a2' WHERE id = 1", db=db)
    pg.execute("UPDATE t SET id = 3 WHERE id = 2", db=db)  # key change: delete + create
    pg.execute("DELETE FROM t WHERE id = 1", db=db)
    msgs = wait_read(rabbit, f"{db}_all", lambda ms: len(ms) >= 6, what="6 messages")
    time.sleep(1)
    msgs = rabbit.read(f"{db}_all")
    values = [json.loads(body) for _, _, body in msgs]
    # No tombstones: a delete is one message, not two.
    assert [(v["op"], k) for v, k in zip(values, ids(msgs))] == [
        ("c", 1), ("c", 2), ("u", 1), ("d", 2), ("c", 3), ("d", 1)], values
    assert values[2]["after"] == {"id": 1, "v": "a2"}
    assert values[5]["before"]["id"] == 1 and values[5]["after"] is None
    assert all(m.routing_key == f"{db}.public.t" and m.exchange == db for m, _, _ in msgs)
    assert all(pr.delivery_mode == 2 for _, pr, _ in msgs)  # persistent
    assert all(pr.headers["pgcdc.key"] == json.dumps({"id": k}, separators=(",", ":"))
               for (_, pr, _), k in zip(msgs, ids(msgs)))
    # The key change carries Debezium's headers, as the Kafka sink does.
    assert json.loads(msgs[3][1].headers["__debezium.newkey"]) == {"id": 3}
    assert json.loads(msgs[4][1].headers["__debezium.oldkey"]) == {"id": 2}
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=30)
    assert p.stop() == 0, p.log()


def test_avro_bodies_and_byte_array_key_headers(pg, rabbit, workdir):
    """format.type avro: the body is the Confluent-framed Avro value; the pgcdc.key header, and
    Debezium's __debezium.newkey/oldkey on a key change, the framed Avro key as AMQP byte arrays
    (pika gives bytes). Decoded by confluent_kafka.avro and python3-avro under the ids the
    registry gave <topic>-key and <topic>-value."""
    db = "rabbitavro"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    rabbit.bind_queue(db, f"{db}_all")
    with SchemaRegistry() as registry:
        cfg = rabbit_config(pg, rabbit, db, workdir)
        cfg["format"] = {"type": "avro", "schema_registry": {"url": registry.url}}
        p = Pgcdc(cfg, workdir).start()
        p.wait_streaming()
        for statement in AVRO_CHANGES:
            pg.execute(statement, db=db)
        wait_read(rabbit, f"{db}_all", lambda ms: len(ms) >= 5, what="5 messages")
        pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=30)
        time.sleep(1)  # a tombstone would have arrived by now
        assert p.stop() == 0, p.log()
        msgs = rabbit.read(f"{db}_all")
        assert registry.subjects() == [f"{db}.public.t-key", f"{db}.public.t-value"]
        keys, values = [], []
        for _, props, body in msgs:
            assert isinstance(props.headers["pgcdc.key"], bytes), props.headers
            keys.append(decode(props.headers["pgcdc.key"], registry.url))
            values.append(decode(body, registry.url))
        newkey = decode(msgs[2][1].headers["__debezium.newkey"], registry.url)[1]
        oldkey = decode(msgs[3][1].headers["__debezium.oldkey"], registry.url)[1]

    check_avro_changes(keys, values, newkey, oldkey)
    assert all(m.routing_key == f"{db}.public.t" for m, _, _ in msgs)


def test_unroutable_change_is_not_confirmed(pg, rabbit, workdir):
    """No queue bound: the broker returns the message (mandatory) and pgcdc stops before it."""
    db = "rabbitnoroute"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    p = Pgcdc(rabbit_config(pg, rabbit, db, workdir), workdir).start()
    p.wait_streaming()
    slot = f"pgcdc_{db}"
    insert_end = pg.commit_end("INSERT INTO t VALUES (1)", db)
    wait_until(lambda: not p.alive(), 30, what="pgcdc to stop on the unroutable change")
    assert p.proc.returncode not in (0, None), p.log()
    assert "returned unroutable" in p.log(), p.log()
    assert pg.confirmed_flush(slot, db) < insert_end


def test_stopped_server_confirms_nothing_and_nothing_is_lost(pg, own_rabbit, workdir):
    server = own_rabbit
    db = "rabbitdown"
    queue = f"{db}_all"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    server.bind_queue(db, queue)
    slot = f"pgcdc_{db}"
    p = Pgcdc(rabbit_config(pg, server, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t SELECT g, 'before' FROM generate_series(1, 10) g", db=db)
    wait_read(server, queue, lambda ms: len(ms) >= 10, what="the first 10 rows")
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db) - 200, timeout=30)
    # Stopped mid-stream: rows go on being written while the broker shuts down and is gone.
    committed_at = {}
    for i in range(11, 211):
        if i == 61:
            server.stop()
        pg.execute(f"INSERT INTO t VALUES ({i}, 'during')", db=db)
        committed_at[i] = pg.current_wal_lsn(db)
    wait_until(lambda: not p.alive(), 60, what="pgcdc to stop on the lost broker")
    assert p.proc.returncode not in (0, None), p.log()
    assert "rabbitmq:" in p.log(), p.log()
    # Whatever the broker confirmed before it stopped is in its durable queue; nothing past
    # the first unconfirmed change is confirmed.
    confirmed = pg.confirmed_flush(slot, db)
    server.start()
    stored = set(ids(server.read(queue)))
    must_have = {i for i, at in committed_at.items() if at <= confirmed}
    assert must_have <= stored, f"confirmed but not in the broker: {sorted(must_have - stored)}"
    assert any(at > confirmed for at in committed_at.values()), "nothing left unconfirmed"
    p.start()
    msgs = wait_read(server, queue, lambda ms: set(ids(ms)) >= set(range(1, 211)),
                     timeout=90, what="all 210 rows")
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db) - 200, timeout=30)
    got = ids(server.read(queue))
    assert set(got) == set(range(1, 211))
    # At least once: a change confirmed by the broker but not yet by the slot comes again; the
    # first arrivals are in order.
    first = []
    for i in got:
        if i not in first:
            first.append(i)
    assert first == list(range(1, 211)), "out of order"
    assert p.stop() == 0, p.log()


def test_frozen_broker_confirms_nothing_and_nothing_is_lost(pg, own_rabbit, workdir):
    """The promise itself. A frozen broker (SIGSTOP) takes publishes into its socket and sends
    no confirm: the slot must not confirm them, pgcdc stops when no confirm comes; the broker is
    then killed (what it had not stored is gone), and a restart delivers everything. A sink that
    reported events before the broker's confirm fails here: the slot moves past them."""
    server = own_rabbit
    db = "rabbitfreeze"
    queue = f"{db}_all"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    server.bind_queue(db, queue)
    slot = f"pgcdc_{db}"
    p = Pgcdc(rabbit_config(pg, server, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t SELECT g FROM generate_series(1, 20) g", db=db)
    wait_read(server, queue, lambda ms: len(ms) >= 20, what="the first 20 rows")
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db) - 200, timeout=30)
    server.signal(signal.SIGSTOP)
    pg.execute("INSERT INTO t VALUES (21)", db=db)
    # Keepalives may confirm WAL before the first write's commit, never the commit.
    first_commit_end = pg.current_wal_lsn(db)
    for i in range(22, 101):
        pg.execute(f"INSERT INTO t VALUES ({i})", db=db)
    # Past the 2 s confirm timeout: pgcdc gives up on the unconfirmed rows and stops, without
    # confirming any of them.
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        cf = pg.confirmed_flush(slot, db)
        assert cf < first_commit_end, f"confirmed_flush {cf:X} passed unconfirmed changes"
        time.sleep(0.2)
    wait_until(lambda: not p.alive(), 30, what="pgcdc to stop on the missing confirms")
    assert p.proc.returncode not in (0, None), p.log()
    assert "no confirm from" in p.log(), p.log()
    assert pg.confirmed_flush(slot, db) < first_commit_end
    # Killed while frozen: whatever sat in its socket is lost, as in a crash.
    server.kill()
    server.start()
    p.start()
    wait_read(server, queue, lambda ms: set(ids(ms)) >= set(range(1, 101)), timeout=90,
              what="all 100 rows")
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db) - 200, timeout=30)
    got = ids(server.read(queue))
    first = []
    for i in got:
        if i not in first:
            first.append(i)
    assert first == list(range(1, 101)), "out of order"
    assert p.stop() == 0, p.log()


def test_celery_task_messages(pg, rabbit, workdir):
    db = "rabbitcelery"
    queue = f"{db}_tasks"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    cfg = rabbit_config(pg, rabbit, db, workdir, celery_task="tasks.on_change",
                        celery_queue=queue)
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'a')", db=db)
    pg.execute("UPDATE t SET v = 'b' WHERE id = 1", db=db)
    msgs = wait_read(rabbit, queue, lambda ms: len(ms) >= 2, what="2 task messages")
    for (m, pr, body), op in zip(msgs, ["c", "u"]):
        assert m.exchange == "" and m.routing_key == queue
        h = pr.headers
        assert h["lang"] == "py" and h["task"] == "tasks.on_change"
        assert h["id"] == h["root_id"] == pr.correlation_id and h["parent_id"] is None
        assert h["pgcdc.key"] == '{"id":1}'
        assert pr.content_type == "application/json" and pr.content_encoding == "utf-8"
        assert pr.delivery_mode == 2
        args, kwargs, embed = json.loads(body)
        assert kwargs == {"key": {"id": 1}, "topic": f"{db}.public.t"}
        assert h["kwargsrepr"] == "{'key': {\"id\":1}, 'topic': '" + db + ".public.t'}"
        assert embed == {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
        assert len(args) == 1 and args[0]["op"] == op and args[0]["after"]["id"] == 1
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=30)
    assert p.stop() == 0, p.log()

    # A stock Celery worker runs the task with the change event as its argument.
    appdir = os.path.join(workdir, "celeryapp")
    os.makedirs(appdir)
    out = os.path.join(appdir, "received.jsonl")
    with open(os.path.join(appdir, "tasks.py"), "w") as f:
        f.write(textwrap.dedent(f"""
            import json
            from celery import Celery
            app = Celery("tasks", broker={rabbit.url!r})
            app.conf.task_default_queue = {queue!r}

            @app.task(name="tasks.on_change")
            def on_change(event, key=None, topic=None):
                with open({out!r}, "a") as f:
                    f.write(json.dumps({{"event": event, "key": key, "topic": topic}}) + "\\n")
            """))
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=appdir, stdout=open(os.path.join(appdir, "worker.log"), "w"),
        stderr=subprocess.STDOUT)
    try:
        def received():
            if not os.path.exists(out):
                return []
            return [json.loads(line) for line in open(out)]
        wait_until(lambda: len(received()) >= 2, 90, interval=0.5,
                   what="the Celery worker to run 2 tasks: " +
                   open(os.path.join(appdir, "worker.log")).read()[-2000:]
                   if os.path.exists(os.path.join(appdir, "worker.log")) else "")
        calls = received()
        assert [c["event"]["op"] for c in calls] == ["c", "u"]
        assert calls[1]["event"]["after"] == {"id": 1, "v": "b"}
        assert all(c["key"] == {"id": 1} and c["topic"] == f"{db}.public.t" for c in calls)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_validate_names_the_cause(pg, rabbit, workdir):
    db = "rabbitvalidate"
    pg.create_database(db)
    cfg = rabbit_config(pg, rabbit, db, workdir)
    p = Pgcdc(cfg, workdir)
    p.write_config()
    ok = run_pgcdc(["validate", "-c", p.config_path])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # validate changes nothing: it says that run will declare the exchange, and does not.
    assert f"exchange '{db}' missing: run declares it" in ok.stdout, ok.stdout
    conn, ch = rabbit.channel()
    with pytest.raises(pika.exceptions.ChannelClosedByBroker):
        ch.exchange_declare(db, passive=True)
    conn.close()

    # Unreachable: one line naming the server.
    cfg["sink"]["rabbitmq"]["url"] = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2f"
    p.write_config()
    down = run_pgcdc(["validate", "-c", p.config_path])
    assert down.returncode != 0
    assert "rabbitmq: cannot connect to 127.0.0.1" in down.stdout + down.stderr

    # Wrong password: one line, and the password is never printed.
    cfg["sink"]["rabbitmq"]["url"] = f"amqp://guest:s3cretpass@127.0.0.1:{rabbit.port}/%2f"
    p.write_config()
    bad = run_pgcdc(["validate", "-c", p.config_path])
    assert bad.returncode != 0
    text = bad.stdout + bad.stderr
    assert "login at 127.0.0.1" in text, text
    assert "s3cretpass" not in text


def test_kill9_loop_loses_nothing(pg, rabbit, workdir):
    """kill -9 of pgcdc under writes, again and again: every committed change is in the queue
    at least once (what the broker confirmed but the slot had not comes again), in order per
    key, and replaying the queue gives the table."""
    db = "rabbitkill"
    queue = f"{db}_all"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    rabbit.bind_queue(db, queue)
    p = Pgcdc(rabbit_config(pg, rabbit, db, workdir), workdir).start()
    p.wait_streaming()
    writer = kill_loop(pg, db, p)
    msgs = rabbit.read(queue)
    events = [(json.loads(pr.headers["pgcdc.key"])["id"], json.loads(body))
              for _, pr, body in msgs]
    check_delivered(pg, db, writer, events)
    print(f"changes={len(writer.committed)} messages={len(events)}")


def test_amqps_verifies_the_broker_and_presents_a_client_certificate(pg, rabbit, workdir):
    """amqps:// against a TLS listener whose certificate a test CA signed: validate and run work
    with that CA and a client certificate (the broker sees it); a broker certificate from
    another CA, or for another host name, is one clear line, and nothing is sent in clear."""
    db = "rabbittls"
    queue = f"{db}_all"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    rabbit.bind_queue(db, queue)
    cert, key = rabbit.ca.issue("pgcdc-client")
    cfg = rabbit_config(pg, rabbit, db, workdir, url=rabbit.amqps_url(),
                        tls_ca_file=rabbit.ca.cert, tls_cert_file=cert, tls_key_file=key)
    p = Pgcdc(cfg, workdir)
    p.write_config()
    ok = run_pgcdc(["validate", "-c", p.config_path])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"rabbitmq reachable at 127.0.0.1:{rabbit.tls_port} (TLS" in ok.stdout, ok.stdout

    p.start()
    p.wait_streaming()
    conns = rabbit.ctl("list_connections", "ssl", "peer_cert_subject", "--no-table-headers")
    assert "true" in conns.stdout and "CN=pgcdc-client" in conns.stdout, conns.stdout
    pg.execute("INSERT INTO t VALUES (1), (2)", db=db)
    msgs = wait_read(rabbit, queue, lambda ms: len(ms) >= 2, what="2 messages over TLS")
    assert ids(msgs) == [1, 2]
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=30)
    assert p.stop() == 0, p.log()

    def validate(**tls):
        c = rabbit_config(pg, rabbit, db, workdir, **tls)
        v = Pgcdc(c, workdir)
        v.write_config()
        r = run_pgcdc(["validate", "-c", v.config_path])
        return r.returncode, r.stdout + r.stderr

    other = PrivateCa(workdir, "other")
    rc, out = validate(url=rabbit.amqps_url(), tls_ca_file=other.cert)
    assert rc != 0 and "SSL peer cert verification failed" in out and "tls_ca_file" in out, out
    # The certificate is for 127.0.0.1, not localhost.
    rc, out = validate(url=rabbit.amqps_url().replace("127.0.0.1", "localhost"),
                       tls_ca_file=rabbit.ca.cert)
    assert rc != 0 and "is not for host 'localhost'" in out, out
    # Verification off (tests only): the other CA does not matter.
    rc, out = validate(url=rabbit.amqps_url(), tls_ca_file=other.cert, tls_verify=False)
    assert rc == 0, out
    # TLS settings without amqps://: one line at load.
    rc, out = validate(tls_ca_file=rabbit.ca.cert)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert rc == 2 and len(lines) == 1 and "amqps://" in lines[0], out
