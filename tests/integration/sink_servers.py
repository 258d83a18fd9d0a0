"""Servers and checks shared by the non-Kafka sink tests (test_sink_redis.py, test_sink_nats.py,
test_sink_rabbitmq.py): Debian's redis-server and rabbitmq-server started on loopback in temp
dirs, a private test CA for TLS listeners, and the kill -9 loop under writes with the checks
every sink must pass after it, and the Avro tests' key-change records and checks. Each server is
stopped by whoever started it."""

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

from pgcdc_harness import free_port, wait_until
from writer import Writer


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class PrivateCa:
    """A private CA in `dir` and certificates it signs (as test_tls.py makes them)."""

    def __init__(self, directory, name="ca"):
        self.dir = directory
        self.name = name
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                f"/CN=pgcdc test {name}", "-keyout", f"{name}.key", "-out", f"{name}.crt",
                cwd=directory)
        self.cert = os.path.join(directory, f"{name}.crt")

    def issue(self, cn):
        """(cert path, key path) for `cn`, signed by this CA. No subjectAltName: rabbitmq-c
        0.11 matches only DNS names there, and falls back to the CN (an IP here) without one."""
        stem = f"{self.name}-{cn}"
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout",
                f"{stem}.key", "-out", f"{stem}.csr", cwd=self.dir)
        openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", f"{self.name}.crt", "-CAkey",
                f"{self.name}.key", "-CAcreateserial", "-days", "2", "-out", f"{stem}.crt",
                cwd=self.dir)
        key = os.path.join(self.dir, f"{stem}.key")
        os.chmod(key, 0o644)  # the broker runs as this user; a temp dir of the test's own
        return os.path.join(self.dir, f"{stem}.crt"), key


class RedisServer:
    """redis-server in a temp dir (appendonly yes + appendfsync always, so an acknowledged entry
    survives kill -9); kill()/start() keep the dir and port (the same data)."""

    def __init__(self, appendfsync="always"):
        # "always" (the tests: an acknowledged entry survives kill -9), "everysec", or None for
        # Redis's default (no AOF); bench.py measures them side by side.
        self.appendfsync = appendfsync
        self.dir = tempfile.mkdtemp(prefix="pgcdc-redis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        import redis
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             *(["--appendonly", "yes", "--appendfsync", self.appendfsync] if self.appendfsync
               else ["--appendonly", "no"]), "--save", "",
             "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def ready():
            try:
                return self.client().ping()
            except redis.RedisError:
                assert self.proc.poll() is None, "redis-server exited"
                return False
        wait_until(ready, 20, what="redis-server to answer PING")
        return self

    def client(self):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                           socket_timeout=5)

    def url(self, userinfo=""):
        return f"redis://{userinfo}127.0.0.1:{self.port}/0"

    def kill(self):
        """kill -9: only what Redis fsynced survives (everything it acknowledged, here)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


RABBIT_BIN = "/usr/lib/rabbitmq/bin"


class RabbitServer:
    """A rabbitmq-server node of its own on loopback; its data survives restarts. With tls, it
    also listens for AMQPS on `tls_port`, with a certificate from `ca` (a PrivateCa) for
    127.0.0.1, and asks clients for a certificate from that CA (but takes clients without
    one)."""

    def __init__(self, tls=False):
        if not os.path.exists(os.path.join(RABBIT_BIN, "rabbitmq-server")):
            raise RuntimeError("rabbitmq-server not found; run scripts/install-deps.sh")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="pgcdc-rabbit-")
        self.node = f"pgcdc{self.port}@localhost"
        self.epmd_port = free_port()
        self.env = dict(os.environ)
        self.env.update({
            "HOME": self.dir,  # the Erlang cookie lives here, shared with rabbitmqctl
            "RABBITMQ_MNESIA_BASE": os.path.join(self.dir, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.dir, "log"),
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_PID_FILE": os.path.join(self.dir, "pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.dir, "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.dir, "rabbitmq"),
            "ERL_EPMD_PORT": str(self.epmd_port),  # an epmd of its own, stopped in destroy()
        })
        with open(self.env["RABBITMQ_ENABLED_PLUGINS_FILE"], "w") as f:
            f.write("[].\n")
        self.ca = None
        self.tls_port = None
        if tls:
            self.ca = PrivateCa(self.dir)
            cert, key = self.ca.issue("127.0.0.1")
            self.tls_port = free_port()
            with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
                f.write(f"listeners.ssl.1 = 127.0.0.1:{self.tls_port}\n"
                        f"ssl_options.cacertfile = {self.ca.cert}\n"
                        f"ssl_options.certfile = {cert}\n"
                        f"ssl_options.keyfile = {key}\n"
                        "ssl_options.verify = verify_peer\n"
                        "ssl_options.fail_if_no_peer_cert = false\n")
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2f"
        self.proc = None
        self.runs = 0

    def amqps_url(self, user="guest", password="guest"):
        return f"amqps://{user}:{password}@127.0.0.1:{self.tls_port}/%2f"

    def ctl(self, *args, timeout=120):
        return subprocess.run([os.path.join(RABBIT_BIN, "rabbitmqctl"), "-n", self.node, *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def start(self):
        self.runs += 1
        self.log_path = os.path.join(self.dir, f"server{self.runs}.log")
        self.proc = subprocess.Popen([os.path.join(RABBIT_BIN, "rabbitmq-server")], env=self.env,
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT,
                                     cwd=self.dir)
        try:
            # await_startup fails at once while the node is still in its pre-launch phase.
            def started():
                assert self.proc.poll() is None, open(self.log_path).read()
                return self.ctl("--timeout", "60", "await_startup").returncode == 0
            wait_until(started, 120, interval=1, what="rabbitmq-server to start")
        except BaseException:
            self.destroy()
            raise
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.signal(signal.SIGCONT)  # in case a test froze it
            except OSError:
                pass  # not started far enough to have written its pid
            self.ctl("stop")
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def signal(self, sig):
        """To the Erlang VM, by the pid it wrote."""
        with open(self.env["RABBITMQ_PID_FILE"]) as f:
            os.kill(int(f.read().strip()), sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=60)

    def destroy(self):
        self.stop()
        subprocess.run(["epmd", "-port", str(self.epmd_port), "-kill"], env=self.env,
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def channel(self):
        import pika
        conn = pika.BlockingConnection(pika.URLParameters(self.url))
        return conn, conn.channel()

    def bind_queue(self, exchange, queue):
        """A durable queue that gets everything published to `exchange` (declared like pgcdc's)."""
        conn, ch = self.channel()
        ch.exchange_declare(exchange, exchange_type="topic", durable=True)
        ch.queue_declare(queue, durable=True)
        ch.queue_bind(queue, exchange, routing_key="#")
        conn.close()

    def read(self, queue):
        """Every message in the queue so far as (method, properties, body), left in the queue."""
        conn, ch = self.channel()
        out = []
        while True:
            method, props, body = ch.basic_get(queue, auto_ack=False)
            if method is None:
                break
            out.append((method, props, body))
        conn.close()  # unacknowledged: back in the queue, in order
        return out


# The kill -9 loop: few kills, to keep CI's time in check (test_kill_restart.py does 20 for
# Kafka; the sinks share everything upstream of the sink with it).
SINK_KILLS = 6


def kill_loop(pg, db, p, kills=SINK_KILLS, seed=5):
    """Runs a Writer on `db`.t(id pk, version, payload) while pgcdc `p` (started, streaming) is
    killed -9 `kills` times at random moments and restarted; then lets it catch up and stops it
    cleanly. Returns the writer (its `committed` changes)."""
    writer = Writer(pg.dsn(db), "t", keys=30, seed=seed, pause=0.01)
    rng = random.Random(seed)
    writer.start()
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(0.4, 1.5))
            p.kill()
            p.start()
            p.wait_streaming(timeout=60)
        time.sleep(0.5)
    finally:
        writer.stop()
    pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db), 90)
    assert p.stop() == 0, p.log()
    assert writer.committed, "writer made no changes"
    return writer


def check_delivered(pg, db, writer, events):
    """The checks after kill_loop, on `events`: [(key id, payload)] in destination order (one
    stream or queue). Every committed change arrived at least once; per key, first arrivals are
    in commit order; replaying the events gives the table."""
    seen = set()
    for _, pl in events:
        row = pl["after"] if pl["op"] != "d" else pl["before"]
        seen.add((row["id"], pl["after"]["version"] if pl["after"] else None, pl["op"]))
    missing = [c for c in writer.committed if c not in seen]
    assert not missing, f"{len(missing)} committed changes missing, e.g. {missing[:5]}"

    by_key = {}
    for k, pl in events:
        by_key.setdefault(k, []).append(int(pl["source"]["lsn"]))
    for k, lsns in by_key.items():
        firsts = list(dict.fromkeys(lsns))
        assert firsts == sorted(firsts), f"key {k} out of order: {lsns}"

    state = {}
    for k, pl in events:
        if pl["op"] == "d":
            state.pop(k, None)
        else:
            state[k] = pl["after"]
    table = {i: {"id": i, "version": v, "payload": pl}
             for i, v, pl in pg.execute("SELECT id, version, payload FROM t", db)}
    assert state == table, "replaying the events does not give the table"


def change_ids(events):
    """(source.lsn, key id, op) per event: a change's identity, to count duplicates."""
    return [(pl["source"]["lsn"], k, pl["op"]) for k, pl in events]


def payload_of(value_json):
    """The Debezium payload of a value, with or without schemas."""
    v = json.loads(value_json)
    return v["payload"] if "schema" in v and "payload" in v else v


# A key change between two plain changes, for the sinks' Avro tests: five records, in order
# c(1), c(2), d(2) with __debezium.newkey, c(3) with __debezium.oldkey, d(1).
AVRO_CHANGES = ("INSERT INTO t VALUES (1, 'a'), (2, 'b')",
                "UPDATE t SET id = 3 WHERE id = 2",
                "DELETE FROM t WHERE id = 1")


def check_avro_changes(keys, values, newkey, oldkey):
    """`keys` and `values`: the (schema id, datum) pairs avro_records.decode gave for the five
    records of AVRO_CHANGES on table t(id int PRIMARY KEY, v text), in arrival order; newkey and
    oldkey: the decoded key headers of the delete and the create of the key change."""
    assert [(k["id"], v["op"]) for (_, k), (_, v) in zip(keys, values)] == \
        [(1, "c"), (2, "c"), (2, "d"), (3, "c"), (1, "d")]
    # One key schema and one value schema, different ids.
    assert len({i for i, _ in keys}) == 1 and len({i for i, _ in values}) == 1
    assert keys[0][0] != values[0][0]
    assert values[3][1]["after"] == {"id": 3, "v": "b"}
    assert values[4][1]["before"]["id"] == 1 and values[4][1]["after"] is None
    assert newkey == {"id": 3} and oldkey == {"id": 2}
