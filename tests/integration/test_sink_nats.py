"""sink.type nats: events reach a real NATS JetStream (Debian's nats-server, started here with -js
on a free loopback port and a temp store) laid out as Debezium Server's nats-jetstream sink
(subject = topic, payload = value), with the key in the "pgcdc.key" header and a Nats-Msg-Id on
streamed changes. They are read back with nats.js (tests/integration/nats_reader), the NATS
maintainers' client, not pgcdc's code.

The no-loss promise: the slot's confirmed_flush_lsn never passes a change JetStream has not
acknowledged with a PubAck. A frozen server (SIGSTOP: publishes vanish into its socket, no PubAck
comes back) and a stopped one both make pgcdc stop without confirming; once the server is back,
a restarted pgcdc delivers everything, and JetStream drops what it re-publishes (Nats-Msg-Id)."""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from avro_records import decode
from pgcdc_harness import Pgcdc, free_port, run_pgcdc, wait_until
from schema_registry import SchemaRegistry
from sink_servers import AVRO_CHANGES, check_avro_changes

HERE = os.path.dirname(os.path.abspath(__file__))
READER = os.path.join(HERE, "nats_reader", "read.mjs")


def nats_server_binary():
    found = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not os.path.exists(found):
        raise RuntimeError("nats-server not found; run scripts/install-deps.sh")
    return found


class NatsServer:
    """nats-server with JetStream on a free loopback port; its store survives restarts."""

    def __init__(self, jetstream=True):
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="pgcdc-nats-")
        self.jetstream = jetstream
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        args = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port)]
        if self.jetstream:
            args += ["-js", "-sd", os.path.join(self.dir, "store")]
        self.log_path = os.path.join(self.dir, f"server{self.runs}.log")
        self.proc = subprocess.Popen(args, stdout=open(self.log_path, "w"),
                                     stderr=subprocess.STDOUT)

        def ready():
            assert self.proc.poll() is None, open(self.log_path).read()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return "Server is ready" in open(self.log_path).read()
            except OSError:
                return False
        wait_until(ready, 30, what="nats-server to accept connections")
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # in case a test froze it
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def nats():
    server = NatsServer().start()
    yield server
    server.destroy()


@pytest.fixture
def own_nats():
    """A server of the test's own, for tests that stop or freeze it."""
    server = NatsServer().start()
    yield server
    server.destroy()


def read_stream(url, stream):
    """Every stored message as {seq, subject, headers, data}, or None while unreadable."""
    if not os.path.isdir(os.path.join(HERE, "nats_reader", "node_modules", "nats")):
        raise RuntimeError("nats.js is missing: run scripts/install-deps.sh")
    out = subprocess.run(["node", READER, url, stream], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0:
        return None
    return [json.loads(line) for line in out.stdout.splitlines()]


def table_messages(url, subject):
    # Each test's connector has its own stream, named after its database (= its name).
    msgs = read_stream(url, subject.split(".")[0].upper()) or []
    return [m for m in msgs if m["subject"] == subject]


def wait_messages(url, subject, predicate, timeout=60, what="messages"):
    found = []

    def check():
        found[:] = table_messages(url, subject)
        return predicate(found)
    wait_until(check, timeout, interval=0.5, what=what)
    return found


def nats_config(pg, server, db, workdir, **overrides):
    cfg = {
        "name": db,
        "source": {"dsn": pg.dsn(db), "status_interval_ms": 500},
        "snapshot": {"mode": "never"},
        "format": {"schemas": False},
        # A stream per connector: a stream captures its connector's subjects only.
        "sink": {"type": "nats", "nats": {"url": server.url, "stream": db.upper(),
                                          "ack_timeout_ms": 2000}},
        "offsets": {"file": os.path.join(workdir, "o.offsets"), "commit_interval_ms": 200},
        "metrics": {"listen": "127.0.0.1:0"},
    }
    cfg.update(overrides)
    return cfg


def ids(msgs):
    return [json.loads(m["headers"]["pgcdc.key"])["id"] for m in msgs]


def test_changes_arrive_in_order_with_subject_key_and_value(pg, nats, workdir):
    db = "natsstream"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    p = Pgcdc(nats_config(pg, nats, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')", db=db)
    pg.execute("UPDATE t SET v = 'a2' WHERE id = 1", db=db)
    pg.execute("UPDATE t SET id = 3 WHERE id = 2", db=db)  # key change: delete + create
    pg.execute("DELETE FROM t WHERE id = 1", db=db)
    subject = f"{db}.public.t"
    msgs = wait_messages(nats.url, subject, lambda ms: len(ms) >= 6, what="6 records")
    time.sleep(1)
    msgs = table_messages(nats.url, subject)
    values = [json.loads(m["data"]) for m in msgs]
    # No tombstones: a delete is one record, not two.
    assert [(v["op"], k) for v, k in zip(values, ids(msgs))] == [
        ("c", 1), ("c", 2), ("u", 1), ("d", 2), ("c", 3), ("d", 1)], values
    assert values[2]["after"] == {"id": 1, "v": "a2"}
    assert values[5]["before"]["id"] == 1 and values[5]["after"] is None
    assert all(m["headers"]["pgcdc.key"] == json.dumps({"id": k}, separators=(",", ":"))
               for m, k in zip(msgs, ids(msgs)))
    # The key change carries Debezium's headers, as the Kafka sink does.
    assert json.loads(msgs[3]["headers"]["__debezium.newkey"]) == {"id": 3}
    assert json.loads(msgs[4]["headers"]["__debezium.oldkey"]) == {"id": 2}
    # Every streamed record has its own de-duplication id, also the two of the key change,
    # which share one WAL position.
    msg_ids = [m["headers"]["Nats-Msg-Id"] for m in msgs]
    assert len(set(msg_ids)) == 6, msg_ids
    assert msg_ids[3].rsplit(":", 1)[0] == msg_ids[4].rsplit(":", 1)[0]
    # Confirmed once acknowledged.
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=30)
    assert p.stop() == 0, p.log()


def test_avro_payloads_and_base64_key_headers(pg, nats, workdir):
    """format.type avro: the payload is the Confluent-framed Avro value; the pgcdc.key header, and
    Debezium's __debezium.newkey/oldkey on a key change, carry the base64 of the framed Avro key
    (NATS headers are text). Read with nats.js and decoded by confluent_kafka.avro and
    python3-avro under the ids the registry gave <topic>-key and <topic>-value."""
    db = "natsavro"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    subject = f"{db}.public.t"
    with SchemaRegistry() as registry:
        cfg = nats_config(pg, nats, db, workdir,
                          format={"type": "avro", "schema_registry": {"url": registry.url}})
        p = Pgcdc(cfg, workdir).start()
        p.wait_streaming()
        for statement in AVRO_CHANGES:
            pg.execute(statement, db=db)
        wait_messages(nats.url, subject, lambda ms: len(ms) >= 5, what="5 records")
        pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=30)
        time.sleep(1)  # a tombstone would have arrived by now
        assert p.stop() == 0, p.log()
        msgs = table_messages(nats.url, subject)
        assert registry.subjects() == [f"{subject}-key", f"{subject}-value"]

        def framed(header):
            return decode(base64.b64decode(header, validate=True), registry.url)

        keys = [framed(m["headers"]["pgcdc.key"]) for m in msgs]
        values = [decode(base64.b64decode(m["data_base64"]), registry.url) for m in msgs]
        newkey = framed(msgs[2]["headers"]["__debezium.newkey"])[1]
        oldkey = framed(msgs[3]["headers"]["__debezium.oldkey"])[1]

    check_avro_changes(keys, values, newkey, oldkey)
    assert len({m["headers"]["Nats-Msg-Id"] for m in msgs}) == 5


def test_snapshot_rows_arrive(pg, nats, workdir):
    db = "natssnap"
    pg.create_database(db)
    pg.execute("CREATE TABLE s(id int PRIMARY KEY, v text)", db=db)
    pg.execute("INSERT INTO s SELECT g, 'row' || g FROM generate_series(1, 50) g", db=db)
    cfg = nats_config(pg, nats, db, workdir, snapshot={"mode": "initial"})
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming(timeout=60)
    pg.execute("INSERT INTO s VALUES (51, 'streamed')", db=db)
    msgs = wait_messages(nats.url, f"{db}.public.s", lambda ms: len(ms) >= 51, what="51 records")
    values = [json.loads(m["data"]) for m in msgs]
    assert sorted(ids(msgs[:50])) == list(range(1, 51))
    assert all(v["op"] == "r" for v in values[:50])
    assert all(v["after"]["v"] == f"row{v['after']['id']}" for v in values[:50])
    assert values[50]["op"] == "c" and ids(msgs)[50] == 51
    assert all("Nats-Msg-Id" not in m["headers"] for m in msgs[:50])
    assert p.stop() == 0, p.log()


def run_outage(pg, server, workdir, db, freeze):
    """Writes 200 rows while the server is frozen (freeze=True) or stopped; checks that the slot
    does not confirm them; brings the server back and restarts pgcdc; every row arrives once."""
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db=db)
    subject = f"{db}.public.t"
    slot = f"pgcdc_{db}"
    p = Pgcdc(nats_config(pg, server, db, workdir), workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t SELECT g, 'before' FROM generate_series(1, 10) g", db=db)
    wait_messages(server.url, subject, lambda ms: len(ms) >= 10, what="the first 10 rows")
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db) - 200, timeout=30)
    if freeze:
        server.proc.send_signal(signal.SIGSTOP)
    else:
        server.stop()
    pg.execute("INSERT INTO t VALUES (11, 'during')", db=db)
    # Keepalives may confirm WAL before the first write's commit, never the commit.
    first_commit_end = pg.current_wal_lsn(db)
    for i in range(12, 211):
        pg.execute(f"INSERT INTO t VALUES ({i}, 'during')", db=db)
    # Past the 2 s PubAck timeout: pgcdc gives up on the undelivered rows and stops, without
    # confirming any of them.
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        cf = pg.confirmed_flush(slot, db)
        assert cf < first_commit_end, f"confirmed_flush {cf:X} passed unacknowledged changes"
        time.sleep(0.2)
    wait_until(lambda: not p.alive(), 30, what="pgcdc to stop on the failed deliveries")
    assert p.proc.returncode not in (0, None), p.log()
    cause = "no PubAck" if freeze else "connection"
    assert cause in p.log(), p.log()
    assert pg.confirmed_flush(slot, db) < first_commit_end
    if freeze:
        # The frozen server now reads what pgcdc sent and stores it: the re-publication below
        # must be dropped by JetStream's duplicate window.
        server.proc.send_signal(signal.SIGCONT)
    else:
        server.start()
    p.start()
    msgs = wait_messages(server.url, subject, lambda ms: set(ids(ms)) >= set(range(1, 211)),
                         timeout=90, what="all 210 rows")
    pg.wait_confirmed(slot, db, pg.current_wal_lsn(db) - 200, timeout=30)
    time.sleep(1)
    msgs = table_messages(server.url, subject)
    got = ids(msgs)
    assert sorted(got) == list(range(1, 211)), \
        f"duplicates or gaps: {[i for i in set(got) if got.count(i) > 1][:10]}"
    assert got == list(range(1, 211)), "out of order"
    values = {json.loads(m["headers"]["pgcdc.key"])["id"]: json.loads(m["data"])["after"]["v"]
              for m in msgs}
    assert all(values[i] == ("before" if i <= 10 else "during") for i in range(1, 211))
    assert p.stop() == 0, p.log()


def test_frozen_server_confirms_nothing_and_republication_is_dropped(pg, own_nats, workdir):
    run_outage(pg, own_nats, workdir, "natsfreeze", freeze=True)


def test_stopped_server_confirms_nothing_and_nothing_is_lost(pg, own_nats, workdir):
    run_outage(pg, own_nats, workdir, "natsdown", freeze=False)


def test_crash_after_acks_replays_without_duplicates(pg, nats, workdir):
    """kill -9 before the LSN is confirmed: the restart re-publishes, JetStream drops it."""
    db = "natscrash"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY)", db=db)
    # Nothing is confirmed for a minute: the kill -9 comes before any confirmation.
    cfg = nats_config(pg, nats, db, workdir, offsets={
        "file": os.path.join(workdir, "o.offsets"), "commit_interval_ms": 60000})
    cfg["source"]["status_interval_ms"] = 60000
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    committed_at = {}
    for i in range(1, 21):
        pg.execute(f"INSERT INTO t VALUES ({i})", db=db)
        committed_at[i] = pg.current_wal_lsn(db)
    subject = f"{db}.public.t"
    wait_messages(nats.url, subject, lambda ms: len(ms) >= 20, what="20 rows")
    p.kill()
    # A keepalive asking for a reply may have confirmed a little; most rows are replayed.
    confirmed = pg.confirmed_flush(f"pgcdc_{db}", db)
    replayed = [i for i, at in committed_at.items() if at > confirmed]
    assert len(replayed) >= 10, f"only {replayed} unconfirmed: the test would prove nothing"
    cfg["source"]["status_interval_ms"] = 500
    cfg["offsets"]["commit_interval_ms"] = 200
    p.start()
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db) - 200, timeout=30)
    pg.execute("INSERT INTO t VALUES (21)", db=db)
    msgs = wait_messages(nats.url, subject, lambda ms: 21 in ids(ms), what="row 21")
    time.sleep(1)
    assert ids(table_messages(nats.url, subject)) == list(range(1, 22))
    assert p.stop() == 0, p.log()


def test_validate_names_the_cause(pg, nats, workdir):
    db = "natsvalidate"
    pg.create_database(db)
    cfg = nats_config(pg, nats, db, workdir)
    p = Pgcdc(cfg, workdir)
    p.write_config()
    ok = run_pgcdc(["validate", "-c", p.config_path])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # validate changes nothing: it says that run will create the stream, and does not.
    assert f"stream '{db.upper()}' missing: run creates it" in ok.stdout, ok.stdout
    assert read_stream(nats.url, db.upper()) is None

    # Unreachable: one line naming the server.
    cfg["sink"]["nats"]["url"] = f"nats://127.0.0.1:{free_port()}"
    p.write_config()
    down = run_pgcdc(["validate", "-c", p.config_path])
    assert down.returncode != 0
    assert "nats: cannot connect to nats://127.0.0.1" in down.stdout + down.stderr

    # A server without JetStream.
    plain = NatsServer(jetstream=False).start()
    try:
        cfg["sink"]["nats"]["url"] = plain.url
        p.write_config()
        nojs = run_pgcdc(["validate", "-c", p.config_path])
        assert nojs.returncode != 0
        assert "JetStream is not enabled" in nojs.stdout + nojs.stderr, nojs.stdout + nojs.stderr
    finally:
        plain.destroy()

    # A password in the URL is never printed.
    cfg["sink"]["nats"]["url"] = f"nats://pgcdc:s3cretpass@127.0.0.1:{free_port()}"
    p.write_config()
    secret = run_pgcdc(["validate", "-c", p.config_path])
    assert secret.returncode != 0
    assert "s3cretpass" not in secret.stdout + secret.stderr
