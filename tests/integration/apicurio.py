"""Apicurio Registry 2.4.2.Final (in-memory H2 storage) as a process: a second, independent
schema registry that speaks Confluent's REST API at /apis/ccompat/v7, for the Avro tests.

tests/registry/ is a small Maven build that turns the io.apicurio:apicurio-registry-app jar from
Maven Central into a runnable Quarkus application (see its pom.xml for why that version and why
a stand-in module). It is built once into ${PGCDC_CACHE:-/var/cache/pgcdc}/apicurio-2.4.2
(~/.cache/pgcdc when that is not writable): the runner jar and lib/, with a stamp holding a hash
of tests/registry/. Later runs find the stamp and need neither Maven nor the network.

Every registry started here is stopped by stop() (SIGTERM, then SIGKILL), and dies with the test
process even if that is killed (PR_SET_PDEATHSIG). Its state lives in memory only.
"""

import ctypes
import fcntl
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from pgcdc_harness import ROOT, cache_root, free_port, wait_until

APICURIO_VERSION = "2.4.2.Final"
SRC = os.path.join(ROOT, "tests", "registry")
RUNNER_JAR = "pgcdc-apicurio-1-runner.jar"
# Small heap, quick start: a test registry holds a few schemas and lives for seconds.
JAVA_OPTS = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"]


def missing_tools():
    """Why the registry cannot be built or run here (a reason to skip), or None."""
    if shutil.which("java") is None:
        return "java not found: the Apicurio tests need Java 17 (scripts/install-deps.sh)"
    if shutil.which("mvn") is None and not _built(_cache_dir()):
        return "mvn not found and Apicurio not built yet: scripts/install-deps.sh installs Maven"
    return None


def _cache_dir():
    return os.path.join(cache_root(), "apicurio-2.4.2")


def _source_hash():
    h = hashlib.sha256()
    files = sorted(p for p in glob.glob(os.path.join(SRC, "**", "*"), recursive=True)
                   if os.path.isfile(p) and "/target/" not in p)
    for path in files:
        h.update(os.path.relpath(path, SRC).encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def _built(cache):
    stamp = os.path.join(cache, "stamp")
    return os.path.exists(stamp) and open(stamp).read().strip() == _source_hash()


def app_dir():
    """The directory holding the runner jar and lib/, built first when missing or stale.
    Raises RuntimeError with Maven's output when the build (the first fetch) fails."""
    cache = _cache_dir()
    os.makedirs(cache, exist_ok=True)
    # Two test processes may build at once (ctest -j): one builds, the other waits.
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _built(cache):
            _build(cache)
    return os.path.join(cache, "app")


def _build(cache):
    for d in ("src", "app"):
        shutil.rmtree(os.path.join(cache, d), ignore_errors=True)
    src = os.path.join(cache, "src")
    shutil.copytree(SRC, src, ignore=shutil.ignore_patterns("target"))
    started = time.monotonic()
    # -DskipDefault switches off the profile of Apicurio's parent pom that adds the Confluent
    # and jitpack repositories: everything needed is on Maven Central, and asking those hosts
    # first for each artifact only adds timeouts where they are not reachable.
    r = subprocess.run(["mvn", "-B", "-DskipDefault", "-DskipTests", "-f",
                        os.path.join(src, "pom.xml"), "package"],
                       capture_output=True, text=True)
    with open(os.path.join(cache, "mvn.log"), "w") as f:
        f.write(r.stdout + r.stderr)
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).splitlines()[-40:])
        raise RuntimeError(f"building Apicurio Registry {APICURIO_VERSION} with Maven failed "
                           f"(full log: {cache}/mvn.log):\n{tail}")
    target = os.path.join(src, "app", "target")
    app = os.path.join(cache, "app")
    os.makedirs(app)
    shutil.move(os.path.join(target, RUNNER_JAR), app)
    shutil.move(os.path.join(target, "lib"), app)
    shutil.rmtree(src)
    with open(os.path.join(cache, "stamp"), "w") as f:
        f.write(_source_hash() + "\n")
    print(f"Apicurio Registry {APICURIO_VERSION} built in {time.monotonic() - started:.1f}s "
          f"into {app}")


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it when the test process dies (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


class RegistryError(Exception):
    """A non-2xx answer: HTTP status and the decoded JSON body (Confluent's error shape is
    {"error_code": int, "message": str})."""

    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class ApicurioRegistry:
    """One registry JVM on a free loopback port. `url` is the Confluent-compatible base URL.
    `properties` are extra Quarkus/Apicurio settings (-Dkey=value), e.g.
    {"registry.ccompat.use-canonical-hash": "true"}."""

    def __init__(self, properties=None):
        self.properties = dict(properties or {})
        self.port = None
        self.proc = None
        self.tmp = None
        self.log_path = None

    @property
    def root(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"{self.root}/apis/ccompat/v7"

    def start(self, timeout=120):
        app = app_dir()
        self.tmp = tempfile.mkdtemp(prefix="pgcdc-apicurio-")
        self.log_path = os.path.join(self.tmp, "registry.log")
        self.port = free_port()
        props = {"quarkus.http.host": "127.0.0.1", "quarkus.http.port": str(self.port),
                 "java.io.tmpdir": self.tmp}
        props.update(self.properties)
        cmd = (["java"] + JAVA_OPTS + [f"-D{k}={v}" for k, v in props.items()]
               + ["-jar", os.path.join(app, RUNNER_JAR)])
        started = time.monotonic()
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        try:
            wait_until(self._ready, timeout=timeout, interval=0.25,
                       what=f"Apicurio Registry on port {self.port}")
        except (AssertionError, RuntimeError) as e:
            log = self.log()
            self.stop()
            raise RuntimeError(f"Apicurio Registry did not become ready: {e}\n{log[-4000:]}")
        print(f"Apicurio Registry ready on {self.root} in {time.monotonic() - started:.1f}s")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"it exited with status {self.proc.returncode}")
        try:
            with urllib.request.urlopen(f"{self.root}/health/ready", timeout=2) as r:
                return r.status == 200 and json.load(r).get("status") == "UP"
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def request(self, method, path, body=None):
        """Calls the Confluent-compatible API the way Confluent's clients do; returns the
        decoded JSON, raises RegistryError for a non-2xx answer."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json",
                     "Accept": "application/vnd.schemaregistry.v1+json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = raw.decode(errors="replace")
            raise RegistryError(e.code, decoded) from None

    def stop(self, timeout=30):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


__all__ = ["ApicurioRegistry", "RegistryError", "APICURIO_VERSION", "app_dir", "missing_tools"]
