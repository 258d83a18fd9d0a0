"""A real Apache Kafka for the integration tests: KafkaCluster starts 1 or 3 KRaft nodes
(each broker and controller at once) from the jars that scripts/kafka-fetch.sh fetched with
Maven (tests/kafka/pom.xml), on free loopback ports, with their data in a temp dir.

It answers to what the tests ask of MockBroker: `bootstrap`, `start()`, `stop()`, and
`command()` for the commands that mean the same on a real broker ("down ID|-1" stops broker
processes, "up ID|-1" starts them again and waits until they serve, "topic NAME N" creates a
topic). The mock's fault injection ("errors ...") has no real-broker equivalent and raises
UnsupportedCommand: tests that need it stay on the mock (conftest.mock_only).

Three nodes: replication factor 3 and min.insync.replicas=2 for every topic, the internal ones
too. One node: factor 1. Auto-created topics get 4 partitions, as the mock's.

KafkaNode is one node started from server properties the caller derived as they are (the compose
file's kafka service, tests/integration/compose_env.py), with none of KafkaCluster's test settings.

Every process started here is stopped by stop(), which also removes the data directories; the
pytest fixtures in conftest.py call it even when a test fails.
"""

import base64
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from pgcdc_harness import ROOT, free_port

# Small heap, quick start: a test broker holds little and lives for minutes.
JAVA_OPTS = ["-Xmx512m", "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             "-Xshare:auto", "-Djava.awt.headless=true",
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
             "-Dorg.slf4j.simpleLogger.showDateTime=true"]


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it when the test process dies, even by SIGKILL
    (a ctest timeout), so no broker outlives its test. PR_SET_PDEATHSIG = 1."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


class UnsupportedCommand(RuntimeError):
    pass


def kafka_home():
    """The cache directory holding libs/ (fetched on first use; later calls are offline)."""
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "kafka-fetch.sh")],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"cannot fetch the Kafka broker: {out.stderr.strip()}")
    return out.stdout.strip().splitlines()[-1]


def _cluster_id():
    """A random cluster id as Kafka writes them (URL-safe base64 of a UUID), not starting with
    '-': the storage tool's argument parser would take that for an option."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


class _Node:
    def __init__(self, node_id, base):
        self.id = node_id
        self.port = free_port()
        self.controller_port = free_port()
        self.dir = os.path.join(base, f"node{node_id}")
        self.data = os.path.join(self.dir, "data")
        self.props = os.path.join(self.dir, "server.properties")
        self.log_path = os.path.join(self.dir, "broker.log")
        self.proc = None
        self.starts = 0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"


def java_command(home, main, *args):
    """A JVM running main from the Kafka jars under home (kafka_home()), with JAVA_OPTS."""
    return ["java", *JAVA_OPTS, "-cp", os.path.join(home, "libs", "*"), main, *args]


class KafkaNode:
    """One Kafka process from a complete server.properties the caller derived (the compose
    file's, see compose_env.py), formatted as the apache/kafka image formats its storage
    (`format --cluster-id=ID -c server.properties`). Nothing is added to the properties: the
    caller gives log.dirs. `bootstrap` is where start() waits for the node to serve.

    stop() kills the process and removes the temp dir; the caller calls it, even on failure."""

    kind = "kafka"

    def __init__(self, properties, cluster_id, bootstrap, node_id):
        self.properties = dict(properties)
        self.cluster_id = cluster_id
        self.bootstrap = bootstrap
        self.node_id = int(node_id)
        self.home = None
        self.dir = None
        self.props_path = None
        self.log_path = None
        self.proc = None

    def start(self, timeout=120):
        self.home = kafka_home()
        self.dir = tempfile.mkdtemp(prefix="pgcdc-kafka-node-")
        self.props_path = os.path.join(self.dir, "server.properties")
        self.log_path = os.path.join(self.dir, "broker.log")
        with open(self.props_path, "w") as f:
            for k, v in self.properties.items():
                f.write(f"{k}={v}\n")
        try:
            out = subprocess.run(java_command(self.home, "kafka.tools.StorageTool", "format",
                                              f"--cluster-id={self.cluster_id}",
                                              "-c", self.props_path),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 timeout=120)
            if out.returncode != 0:
                raise RuntimeError(f"kafka storage format failed:\n{out.stdout[-2000:]}")
            with open(self.log_path, "w") as log:
                self.proc = subprocess.Popen(
                    java_command(self.home, "kafka.Kafka", self.props_path), stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    preexec_fn=_die_with_parent)
            self._wait_serving(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_serving(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise RuntimeError(f"kafka exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                md = AdminClient({"bootstrap.servers": self.bootstrap,
                                  "log_level": 0}).list_topics(timeout=1)
                if self.node_id in md.brokers:
                    return
            except KafkaException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"kafka not serving on {self.bootstrap} after {timeout}s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.3)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=30):
        """The first ERROR lines (a failed start's cause comes before pages of shutdown
        messages), then the last lines."""
        try:
            with open(self.log_path, errors="replace") as f:
                all_lines = f.readlines()
        except (OSError, TypeError):
            return "(no log)"
        errors = [ln for ln in all_lines if " ERROR " in ln][:5]
        return "".join(errors + ["...\n"] + all_lines[-lines:]) if errors \
            else "".join(all_lines[-lines:])

    def stop(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


class KafkaCluster:
    """N KRaft nodes in combined mode (process.roles=broker,controller), node ids 1..N."""

    kind = "kafka"

    def __init__(self, brokers=1, partitions=4, config=None):
        self.n = brokers
        self.partitions = partitions
        self.extra_config = dict(config or {})
        self.base = None
        self.nodes = {}
        self.home = None
        self.bootstrap = None
        self._admin = None
        self.frozen = set()  # node ids stopped with SIGSTOP

    # --- life cycle -------------------------------------------------------------------------

    def start(self, timeout=120):
        """Formats and starts every node; tries once more on new ports if a node fails (a port
        picked by free_port() may be taken by a test running beside this one)."""
        try:
            return self._start_once(timeout)
        except RuntimeError:
            return self._start_once(timeout)

    def _start_once(self, timeout):
        self.home = kafka_home()
        self.base = tempfile.mkdtemp(prefix="pgcdc-kafka-")
        self.nodes = {i: _Node(i, self.base) for i in range(1, self.n + 1)}
        voters = ",".join(f"{n.id}@127.0.0.1:{n.controller_port}" for n in self.nodes.values())
        for n in self.nodes.values():
            os.makedirs(n.dir)
            with open(n.props, "w") as f:
                for k, v in self._config(n, voters).items():
                    f.write(f"{k}={v}\n")
        self.bootstrap = ",".join(f"127.0.0.1:{n.port}" for n in self.nodes.values())
        try:
            cid = _cluster_id()
            formats = [(n, subprocess.Popen(
                self._java("kafka.tools.StorageTool", "format", "-t", cid, "-c", n.props),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
                for n in self.nodes.values()]
            for n, proc in formats:
                out = proc.communicate(timeout=120)[0]
                if proc.returncode != 0:
                    raise RuntimeError(f"kafka storage format of node {n.id} failed:\n{out[-2000:]}")
            for n in self.nodes.values():
                self._spawn(n)
            self._wait_serving(list(self.nodes), timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        self._admin = None
        for n in self.nodes.values():
            if n.alive():
                n.proc.kill()
                n.proc.wait()
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def _config(self, n, voters):
        rf = min(3, self.n)
        isr = min(2, self.n)
        cfg = {
            "process.roles": "broker,controller",
            "node.id": n.id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{n.port},CONTROLLER://127.0.0.1:{n.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{n.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": n.data,
            # The mock auto-creates topics with 4 partitions; tests rely on auto-creation.
            "auto.create.topics.enable": "true",
            "num.partitions": self.partitions,
            "default.replication.factor": rf,
            "min.insync.replicas": isr,
            "unclean.leader.election.enable": "false",
            # Internal topics: as replicated as the cluster allows, few partitions (quick start).
            "offsets.topic.replication.factor": rf,
            "offsets.topic.num.partitions": 4,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": isr,
            "transaction.state.log.num.partitions": 4,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": isr,
            "group.initial.rebalance.delay.ms": 0,
            # A killed broker is noticed in seconds, so leadership moves quickly in tests.
            "broker.session.timeout.ms": 4000,
            "broker.heartbeat.interval.ms": 500,
            "num.network.threads": 2,
            "num.io.threads": 4,
            "log.cleaner.enable": "false" if self.n == 1 else "true",
        }
        cfg.update(self.extra_config)
        return cfg

    def _java(self, main, *args):
        return java_command(self.home, main, *args)

    def _spawn(self, n):
        n.starts += 1
        log = open(n.log_path, "a")
        log.write(f"=== start {n.starts} ===\n")
        log.flush()
        n.proc = subprocess.Popen(self._java("kafka.Kafka", n.props), stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  preexec_fn=_die_with_parent)
        log.close()

    def _wait_serving(self, ids, timeout):
        """Until each node in ids answers metadata on its own listener and lists itself."""
        deadline = time.monotonic() + timeout
        pending = set(ids)
        while pending:
            for i in sorted(pending):
                n = self.nodes[i]
                if not n.alive():
                    raise RuntimeError(f"kafka node {i} exited ({n.proc.returncode}):\n"
                                       f"{n.log_tail()}")
                try:
                    # log_level 0: "connection refused" while the JVM starts is expected.
                    md = AdminClient({"bootstrap.servers": f"127.0.0.1:{n.port}",
                                      "log_level": 0}).list_topics(timeout=1)
                    if i in md.brokers:
                        pending.discard(i)
                except KafkaException:
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"kafka nodes {sorted(pending)} not serving after {timeout}s:\n"
                                   + "\n".join(self.nodes[i].log_tail() for i in pending))
            if pending:
                time.sleep(0.3)

    # --- outages ----------------------------------------------------------------------------

    def stop_broker(self, node_id, sig=signal.SIGTERM, timeout=30):
        """Stops one node: SIGTERM is a controlled shutdown (leadership moves first), SIGKILL a
        crash. A controlled shutdown that cannot finish (no quorum left) ends in SIGKILL."""
        n = self.nodes[node_id]
        if not n.alive():
            return
        n.proc.send_signal(sig)
        try:
            n.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            n.proc.kill()
            n.proc.wait()

    def kill_broker(self, node_id):
        self.stop_broker(node_id, sig=signal.SIGKILL)
        self.frozen.discard(node_id)

    def freeze_broker(self, node_id):
        """SIGSTOP: a hung broker. Connections stay open and requests go unanswered; the
        controller fences it after broker.session.timeout.ms. kill_broker() ends it."""
        self.nodes[node_id].proc.send_signal(signal.SIGSTOP)
        self.frozen.add(node_id)

    def start_broker(self, node_id, timeout=120):
        n = self.nodes[node_id]
        if n.alive():
            return
        self._spawn(n)
        self._wait_serving([node_id], timeout)

    def alive_ids(self):
        return [i for i, n in self.nodes.items() if n.alive()]

    # --- MockBroker's commands --------------------------------------------------------------

    def command(self, cmd):
        words = cmd.split()
        if words[:1] in (["down"], ["up"]) and len(words) <= 2:
            target = int(words[1]) if len(words) == 2 else -1
            ids = list(self.nodes) if target == -1 else [target]
            if words[0] == "down":
                # Stopped together: a controlled shutdown would wait for a quorum that is leaving.
                for i in ids:
                    if self.nodes[i].alive():
                        self.nodes[i].proc.terminate()
                for i in ids:
                    self.stop_broker(i)
            else:
                for i in ids:
                    if not self.nodes[i].alive():
                        self._spawn(self.nodes[i])
                self._wait_serving(ids, 120)
            return
        if words[:1] == ["topic"] and len(words) == 3:
            self.create_topic(words[1], int(words[2]))
            return
        raise UnsupportedCommand(f"real Kafka has no equivalent of the mock's {cmd!r}")

    # --- admin ------------------------------------------------------------------------------

    def admin(self):
        """One client for the cluster's life: a future outlives a handle that is collected."""
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    def create_topic(self, name, partitions, replication=None, config=None):
        rf = replication or min(3, self.n)
        fut = self.admin().create_topics([NewTopic(name, partitions, rf, config=config or {})],
                                         operation_timeout=30)[name]
        fut.result(timeout=60)

    def _topic_metadata(self, topic):
        """The topic's metadata as a serving node sees it. Asked of each running, unfrozen node
        in turn through a client of its own: a shared client may pick a hung broker."""
        last = None
        for i, n in self.nodes.items():
            if not n.alive() or i in self.frozen:
                continue
            try:
                md = AdminClient({"bootstrap.servers": f"127.0.0.1:{n.port}",
                                  "log_level": 0}).list_topics(topic, timeout=5)
                return md.topics[topic]
            except KafkaException as e:
                last = e
        raise KafkaException(last.args[0]) if last else RuntimeError("no kafka node is serving")

    def leaders(self, topic):
        """{partition: leader node id} from the cluster's metadata now (-1: none)."""
        return {p: pm.leader for p, pm in self._topic_metadata(topic).partitions.items()}

    def replicas(self, topic):
        """{partition: (replicas, in-sync replicas)}."""
        return {p: (list(pm.replicas), list(pm.isrs))
                for p, pm in self._topic_metadata(topic).partitions.items()}

    # --- read back with clients pgcdc does not use ------------------------------------------

    def read_with_java(self, topic, idle_ms=5000):
        """Every record of topic, read with the Java client (Kafka's console consumer) until
        idle_ms pass without one: a list of (partition, offset, key, value), key and value as
        text (None for null)."""
        out = subprocess.run(
            self._java("org.apache.kafka.tools.consumer.ConsoleConsumer",
                       "--bootstrap-server", self.bootstrap, "--topic", topic,
                       "--from-beginning", "--timeout-ms", str(idle_ms),
                       "--formatter-property", "print.partition=true",
                       "--formatter-property", "print.offset=true",
                       "--formatter-property", "print.key=true",
                       "--formatter-property", "key.separator=\t"),
            capture_output=True, text=True, timeout=120)
        records = []
        for line in out.stdout.splitlines():
            # Partition:P<TAB>Offset:O<TAB>key<TAB>value; pgcdc's JSON escapes tabs.
            part, off, key, value = line.split("\t", 3)
            records.append((int(part.split(":")[1]), int(off.split(":")[1]),
                            None if key == "null" else key, None if value == "null" else value))
        if not records:
            raise AssertionError(f"the Java consumer read nothing from {topic}:\n"
                                 f"{out.stderr[-2000:]}")
        return records

    def read_with_kcat(self, topic):
        """Every record of topic up to its end, read with kcat: as read_with_java."""
        import json
        out = subprocess.run(["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-o", "beginning",
                              "-e", "-J", "-q"], capture_output=True, text=True, timeout=120,
                             check=True)
        return [(m["partition"], m["offset"], m["key"], m["payload"])
                for m in map(json.loads, out.stdout.splitlines())]
