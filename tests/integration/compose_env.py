"""docker-compose.yml's services, run on this machine without a container engine, from what the
compose file says: its postgres service as a Debian PostgreSQL 15 set up the way the postgres
image's entrypoint sets one up, its kafka service as the Kafka 4.4.0 jars (real_kafka.KafkaNode)
with the server properties the apache/kafka image's entrypoint derives from the KAFKA_*
environment, and its pgcdc service as build/pgcdc with the configuration file the service mounts.

Only addresses and container paths change (Loopback): every service name (and a listener's
empty host) becomes 127.0.0.1, every container port a free loopback port, a port the compose
file publishes on the host the same port as the container port behind it, and a path inside a
named volume a directory in the test's workdir. Everything else comes from the file unchanged,
so a user's breakage (a listener removed, wal_level changed, a wrong password) breaks the test.

Every start() here has a stop() that ends the process and removes its temp dir; the caller
calls it, also when a test fails. Used from the test's thread only.
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import yaml

from pgcdc_harness import ROOT, _pg_bindir, binary, free_port, wait_until
from real_kafka import KafkaNode

COMPOSE_FILE = os.path.join(ROOT, "docker-compose.yml")
DOCKERFILE = os.path.join(ROOT, "Dockerfile")


class Compose:
    """The compose file, parsed, with the header comment's commands."""

    def __init__(self, path=COMPOSE_FILE):
        self.path = path
        self.dir = os.path.dirname(os.path.abspath(path))
        with open(path) as f:
            self.text = f.read()
        self.doc = yaml.safe_load(self.text)
        self.services = self.doc["services"]

    def environment(self, service):
        """The service's environment as strings (compose accepts a mapping or KEY=VALUE list)."""
        env = self.services[service].get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        return {k: _compose_str(v) for k, v in env.items()}

    def published(self, host_port):
        """(service, container port) behind a port the file publishes on the host, or None."""
        for name, svc in self.services.items():
            for spec in svc.get("ports") or []:
                parts = str(spec).split(":")
                if int(parts[-2]) == int(host_port):
                    return name, int(parts[-1].split("/")[0])
        return None

    def volumes(self, service):
        """{container path: (kind, source)}: kind 'bind' (source a host path) or 'volume'."""
        out = {}
        for spec in self.services[service].get("volumes") or []:
            src, target = str(spec).split(":")[:2]
            if src.startswith((".", "/")):
                out[target] = ("bind", os.path.normpath(os.path.join(self.dir, src)))
            else:
                out[target] = ("volume", src)
        return out

    def header_command(self, prefix):
        """The header comment's command line starting with prefix (backslash continuations
        joined), split as a shell splits it."""
        lines = []
        for line in self.text.splitlines():
            if not line.startswith("#"):
                break
            lines.append(line[1:].strip())
        joined = "\n".join(lines).replace("\\\n", " ")
        for line in joined.splitlines():
            if line.startswith(prefix):
                return shlex.split(line)
        raise AssertionError(f"the compose file's header has no line starting {prefix!r}")


def _compose_str(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class Loopback:
    """The compose network on loopback: one free port per (service, container port)."""

    def __init__(self, compose, workdir):
        self.compose = compose
        self.workdir = workdir
        self.ports = {}

    def port(self, service, container_port):
        key = (service, int(container_port))
        if key not in self.ports:
            self.ports[key] = free_port()
        return self.ports[key]

    def endpoint(self, host, port, inside):
        """host:port as seen from inside service `inside` (None: the host machine) -> the
        loopback address that stands for it."""
        if host in self.compose.services:
            return f"127.0.0.1:{self.port(host, port)}"
        if host in ("", "0.0.0.0", "localhost", "127.0.0.1"):
            if inside is not None:  # a container's own address
                return f"127.0.0.1:{self.port(inside, port)}"
            target = self.compose.published(port)
            if target is None:
                raise AssertionError(f"{host}:{port} is used from the host machine, but no "
                                     "service publishes that port")
            return f"127.0.0.1:{self.port(*target)}"
        raise AssertionError(f"host {host!r} is neither a service nor this machine")

    def endpoints(self, value, inside):
        """Every endpoint in a listener list, voter list or bootstrap list remapped;
        listener names, node ids and everything else kept."""
        def one(m):
            host, port = self.endpoint(m.group(2), int(m.group(3)), inside).rsplit(":", 1)
            return f"{m.group(1)}{host}:{port}"
        return re.sub(r"(^|://|@|,)([A-Za-z0-9_.-]*):(\d+)", one, value)

    def path(self, service, container_path):
        """A path inside a named volume of service -> the same path under the workdir."""
        for target, (kind, src) in self.compose.volumes(service).items():
            if kind == "volume" and (container_path == target or
                                     container_path.startswith(target.rstrip("/") + "/")):
                d = os.path.join(self.workdir, "volume-" + src)
                os.makedirs(d, exist_ok=True)
                return d + container_path[len(target.rstrip("/")):]
        raise AssertionError(f"{container_path} is in no named volume of service {service}")


# --- kafka ----------------------------------------------------------------------------------

# kafka.docker.KafkaDockerWrapper's Constants.ExcludeServerPropsEnv: these KAFKA_* variables
# configure the JVM and logging, not the server.
_NOT_SERVER_PROPS = {"KAFKA_VERSION", "KAFKA_HEAP_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS",
                     "KAFKA_JMX_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS",
                     "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS",
                     "KAFKA_TOOLS_LOG4J_LOGLEVEL", "KAFKA_JMX_HOSTNAME"}
_DEFAULT_CLUSTER_ID = "5L6g3nShT-eMCtK--X86sw"  # the image's configureDefaults


def kafka_image_properties(env):
    """(server properties, cluster id) as the apache/kafka image's entrypoint makes them from
    the container's environment (docker/resources/common-scripts/{configureDefaults,configure}
    and KafkaDockerWrapper.getServerConfigsFromEnv):
    - CLUSTER_ID is no property: it defaults to 5L6g3nShT-eMCtK--X86sw and goes to `format`;
    - a controller-only node refuses KAFKA_ADVERTISED_LISTENERS;
    - without KAFKA_LISTENERS, a broker listens on its advertised listeners' ports on 0.0.0.0;
    - KAFKA_X_Y -> x.y ('___' -> '-', '__' -> '_'), except the JVM/logging variables above.
    Given any KAFKA_* property, the image uses these alone (no default server.properties)."""
    env = dict(env)
    cluster_id = env.get("CLUSTER_ID") or _DEFAULT_CLUSTER_ID
    roles = env.get("KAFKA_PROCESS_ROLES", "")
    if roles == "controller" and env.get("KAFKA_ADVERTISED_LISTENERS"):
        raise AssertionError("KAFKA_ADVERTISED_LISTENERS is not supported on a KRaft controller")
    if not env.get("KAFKA_LISTENERS") and roles != "controller" and \
            env.get("KAFKA_ADVERTISED_LISTENERS"):
        env["KAFKA_LISTENERS"] = re.sub(r"://[^:]*:", "://0.0.0.0:",
                                        env["KAFKA_ADVERTISED_LISTENERS"])
    props = {}
    for key, value in env.items():
        if not key.startswith("KAFKA_") or key in _NOT_SERVER_PROPS:
            continue
        name = key[len("KAFKA_"):].lower().replace("_", ".").replace("...", "-") \
            .replace("..", "_")
        props[name] = value
    if not props:
        raise AssertionError("the kafka service sets no KAFKA_* property: the image would run "
                             "its default server.properties, which this test does not model")
    return props, cluster_id


# Properties whose values are endpoints, and from where a client reads them.
_KAFKA_ENDPOINT_PROPS = {
    "listeners": "kafka",                      # bound inside the container
    "controller.quorum.voters": "kafka",
    "controller.quorum.bootstrap.servers": "kafka",
    "advertised.listeners": None,              # localhost here means the host machine
}


def kafka_properties(compose, net):
    """(properties, remapped, cluster id): the kafka service's server properties as its image
    derives them, and the same with endpoints on loopback and log.dirs in the workdir (the
    image leaves it at Kafka's default /tmp/kafka-logs, private to the container but shared on
    a host). `remapped` names every key that differs."""
    props, cluster_id = kafka_image_properties(compose.environment("kafka"))
    local = dict(props)
    for key, inside in _KAFKA_ENDPOINT_PROPS.items():
        if key in local:
            local[key] = net.endpoints(local[key], inside)
    local["log.dirs"] = os.path.join(net.workdir, "kafka-logs")
    return props, local, cluster_id


def start_kafka(compose, net):
    props, local, cluster_id = kafka_properties(compose, net)
    # The node is serving once the listener pgcdc uses (kafka:9092 in its bootstrap) answers.
    inter = local.get("inter.broker.listener.name", "PLAINTEXT")
    bootstrap = next(e.split("://", 1)[1] for e in local["advertised.listeners"].split(",")
                     if e.startswith(inter + "://"))
    return KafkaNode(local, cluster_id, bootstrap, props["node.id"]).start()


# --- postgres -------------------------------------------------------------------------------

class ComposePostgres:
    """The postgres service: initdb as the image's entrypoint runs it (superuser `postgres`
    with POSTGRES_PASSWORD), POSTGRES_DB created, the server started with the service's
    `command` arguments. Connections over TCP need the password (scram-sha-256, the image's
    rule for other hosts: pgcdc connects from its own container); the local socket is trusted,
    as inside the container (`docker compose exec postgres psql`)."""

    def __init__(self, compose, net):
        self.compose = compose
        self.env = compose.environment("postgres")
        self.bindir = _pg_bindir()
        self.port = net.port("postgres", 5432)
        self.dir = None
        self.running = False

    def _as_owner(self, cmd):
        return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd

    def start(self):
        import pwd
        self.dir = tempfile.mkdtemp(prefix="pgcdc-compose-pg-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = os.path.join(self.dir, "data")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.env["POSTGRES_PASSWORD"] + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        subprocess.run(self._as_owner([os.path.join(self.bindir, "initdb"), "-D", data,
                                       "-U", self.env.get("POSTGRES_USER", "postgres"),
                                       "--pwfile", pwfile, "--auth-local=trust",
                                       "--auth-host=scram-sha-256", "-E", "UTF8",
                                       "--no-locale"]),
                       check=True, capture_output=True)
        os.unlink(pwfile)
        command = self.compose.services["postgres"].get("command") or ["postgres"]
        if isinstance(command, str):
            command = shlex.split(command)
        assert command[0] == "postgres", f"postgres service runs {command[0]!r}, not postgres"
        # The service's own arguments, then this machine's address (the container's is its own).
        opts = command[1:] + ["-c", f"port={self.port}", "-c", "listen_addresses=127.0.0.1",
                              "-c", f"unix_socket_directories={self.dir}"]
        log = os.path.join(self.dir, "server.log")
        out = subprocess.run(self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", data,
                                             "-l", log, "-w", "-t", "60", "-o",
                                             shlex.join(opts), "start"]),
                             capture_output=True, text=True)
        if out.returncode != 0:
            with open(log, errors="replace") as f:
                raise RuntimeError(f"postgres did not start with {opts}:\n{f.read()[-2000:]}")
        self.running = True
        db = self.env.get("POSTGRES_DB")
        if db and db != "postgres":
            self.psql(["-d", "postgres", "-c", f'CREATE DATABASE "{db}"'])
        return self

    def container_env(self):
        """libpq's defaults inside the container: the server's own socket and port."""
        return dict(os.environ, PGHOST=self.dir, PGPORT=str(self.port))

    def run_in_container(self, argv, **kw):
        """A command as `docker compose exec postgres ...` runs it (psql, pg_isready)."""
        argv = list(argv)
        argv[0] = os.path.join(self.bindir, argv[0]) if "/" not in argv[0] else argv[0]
        return subprocess.run(argv, env=self.container_env(), capture_output=True, text=True,
                              timeout=60, **kw)

    def psql(self, args):
        out = self.run_in_container(["psql", "-U", "postgres", "-v", "ON_ERROR_STOP=1",
                                     "-At", *args])
        if out.returncode != 0:
            raise AssertionError(f"psql {args} failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def stop(self):
        if self.running:
            subprocess.run(self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D",
                                           os.path.join(self.dir, "data"), "-m", "immediate",
                                           "stop"]), capture_output=True)
            self.running = False
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


# --- healthchecks ---------------------------------------------------------------------------

def wait_healthy(compose, service, argv_for):
    """Runs the service's healthcheck command (made runnable here by argv_for) until it
    passes, within the attempts the compose file allows (retries at most 1 s apart here)."""
    hc = compose.services[service]["healthcheck"]
    test = hc["test"]
    assert test[0] == "CMD-SHELL", f"{service}: healthcheck form {test[0]} not modelled"
    argv = argv_for(shlex.split(test[1]))
    last = None
    for _ in range(int(hc.get("retries", 3)) * 10):
        last = subprocess.run(argv[0], env=argv[1], capture_output=True, text=True, timeout=60)
        if last.returncode == 0:
            return
        time.sleep(1)
    raise AssertionError(f"{service} healthcheck {test[1]!r} never passed: "
                         f"{(last.stdout + last.stderr)[-1500:]}")


def strip_shell_redirects(words):
    return [w for w in words if not re.fullmatch(r"\d?>.*|2>&1", w)]


def kafka_healthcheck_argv(kafka, net):
    """The image's /opt/kafka/bin/NAME.sh as the Java class it runs, endpoints remapped as
    seen inside the kafka container."""
    from real_kafka import java_command
    classes = {"kafka-broker-api-versions": "org.apache.kafka.tools.BrokerApiVersionsCommand"}

    def argv_for(words):
        words = strip_shell_redirects(words)
        m = re.fullmatch(r"/opt/kafka/bin/(.+)\.sh", words[0])
        assert m and m.group(1) in classes, f"kafka healthcheck {words[0]} not modelled"
        args = [net.endpoints(w, "kafka") if re.search(r":\d+$", w) else w for w in words[1:]]
        return java_command(kafka.home, classes[m.group(1)], *args), None
    return argv_for


# --- pgcdc ----------------------------------------------------------------------------------

def _dockerfile_exec(instruction):
    with open(DOCKERFILE) as f:
        for line in f:
            if line.startswith(instruction + " "):
                return json.loads(line[len(instruction) + 1:])
    return []


def _flatten(node, prefix=""):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): node}


class ComposePgcdc:
    """The pgcdc service: the image's ENTRYPOINT + CMD (or the service's command) run here,
    its environment set, and the configuration file it mounts, copied with only endpoints and
    named-volume paths remapped (changes() lists them; the test asserts nothing else moved)."""

    def __init__(self, compose, net, workdir):
        self.compose = compose
        self.net = net
        self.workdir = workdir
        svc = compose.services["pgcdc"]
        entry = _dockerfile_exec("ENTRYPOINT")
        cmd = svc.get("command") or _dockerfile_exec("CMD")
        argv = entry + (shlex.split(cmd) if isinstance(cmd, str) else list(cmd))
        assert os.path.basename(argv[0]) == "pgcdc", argv
        i = argv.index("-c") + 1
        kind, src = compose.volumes("pgcdc")[argv[i]]
        assert kind == "bind", f"{argv[i]} is not a file the compose file mounts"
        self.source_config = src
        self.config_path = os.path.join(workdir, "pgcdc.yaml")
        argv[i] = self.config_path
        self.argv = [binary("PGCDC_BIN", "build/pgcdc")] + argv[1:]
        self.env = dict(os.environ, **compose.environment("pgcdc"))
        self.proc = None
        self.log_path = os.path.join(workdir, "pgcdc.log")
        self.original, self.local = self._write_config()

    def _write_config(self):
        with open(self.source_config) as f:
            text = f.read()
        original = yaml.safe_load(text)
        flat = _flatten(original)
        subs = {}  # old value -> new value, each a whole scalar of the file
        dsn = flat["source.dsn"]
        host = re.search(r"\bhost=(\S+)", dsn).group(1)
        port = int(re.search(r"\bport=(\d+)", dsn).group(1))
        addr = self.net.endpoint(host, port, "pgcdc")
        new_host, new_port = addr.rsplit(":", 1)
        subs[dsn] = re.sub(r"\bport=\d+", f"port={new_port}",
                           re.sub(r"\bhost=\S+", f"host={new_host}", dsn))
        for key, value in flat.items():
            if key.endswith("bootstrap.servers"):
                subs[value] = self.net.endpoints(value, "pgcdc")
        listen = flat.get("metrics.listen")
        if listen:  # bound inside the container; published on the host as a port of its own
            subs[listen] = f"127.0.0.1:{self.net.port('pgcdc', int(listen.rsplit(':', 1)[1]))}"
        if flat.get("offsets.file"):
            subs[flat["offsets.file"]] = self.net.path("pgcdc", flat["offsets.file"])
        for old, new in subs.items():
            assert text.count(f'"{old}"') + text.count(f" {old}\n") >= 1, old
            text = text.replace(f'"{old}"', f'"{new}"').replace(f" {old}\n", f" {new}\n")
        with open(self.config_path, "w") as f:
            f.write(text)
        return original, yaml.safe_load(text)

    def changes(self):
        """{key: (original, local)} for every scalar the local copy changed."""
        a, b = _flatten(self.original), _flatten(self.local)
        assert a.keys() == b.keys(), (a.keys() ^ b.keys())
        return {k: (a[k], b[k]) for k in a if a[k] != b[k]}

    def start(self):
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_streaming(self, timeout=60):
        wait_until(lambda: "streaming from slot" in self.log() or not self.alive(), timeout,
                   what="pgcdc to start streaming")
        assert self.alive(), f"pgcdc exited ({self.proc.returncode}):\n{self.log()[-3000:]}"

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
