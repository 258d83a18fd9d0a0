"""Debezium's PostgreSQL connector (3.6.1.Final, embedded engine) as a process, for the
differential test (test_debezium_diff.py).

The Java harness in tests/debezium/ is built with Maven once into a cache directory,
${PGCDC_CACHE:-/var/cache/pgcdc}/debezium-3.6.1 (falling back to ~/.cache/pgcdc when that is not
writable): the compiled jar and every dependency jar, with a stamp holding a hash of the pom and
the sources. Later runs find the stamp and need neither Maven nor the network.
"""

import fcntl
import glob
import hashlib
import os
import shutil
import signal
import subprocess
import time

from pgcdc_harness import ROOT, cache_root, wait_until

DEBEZIUM_VERSION = "3.6.1.Final"
SRC = os.path.join(ROOT, "tests", "debezium")


def _source_hash():
    h = hashlib.sha256()
    files = [os.path.join(SRC, "pom.xml")] + sorted(
        glob.glob(os.path.join(SRC, "src", "**", "*.java"), recursive=True))
    for path in files:
        h.update(os.path.relpath(path, SRC).encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def classpath():
    """The harness's classpath, built first when the cache is missing or stale."""
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} not found: the Debezium differential test needs Java 17 "
                               "and Maven (scripts/install-deps.sh installs them)")
    cache = os.path.join(cache_root(), "debezium-3.6.1")
    os.makedirs(cache, exist_ok=True)
    stamp = os.path.join(cache, "stamp")
    key = _source_hash()
    # Two test processes may build at once (ctest -j): one builds, the other waits.
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = open(stamp).read().strip() if os.path.exists(stamp) else None
        if current != key:
            for d in ("build", "lib"):
                shutil.rmtree(os.path.join(cache, d), ignore_errors=True)
            started = time.monotonic()
            r = subprocess.run(
                ["mvn", "-q", "-B", "-f", os.path.join(SRC, "pom.xml"),
                 f"-Dpgcdc.build.dir={cache}/build", "package",
                 "dependency:copy-dependencies", f"-DoutputDirectory={cache}/lib",
                 "-DincludeScope=runtime"],
                capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"building the Debezium harness failed:\n{r.stdout}\n{r.stderr}")
            with open(stamp, "w") as f:
                f.write(key + "\n")
            print(f"debezium harness built in {time.monotonic() - started:.1f}s into {cache}")
    jars = [os.path.join(cache, "build", "pgcdc-debezium-diff-1.jar")]
    jars += sorted(glob.glob(os.path.join(cache, "lib", "*.jar")))
    return ":".join(jars)


def _java(cp, args, **kw):
    return ["java", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.logFile=System.err",
            "-cp", cp, "io.pgcdc.dbzdiff.Capture"] + args


class DebeziumCapture:
    """One JVM running one embedded engine per properties dict. Each engine writes its records
    to <workdir>/<label>.schemas.jsonl and <label>.plain.jsonl. stop() sends SIGTERM (the JVM's
    shutdown hook closes the engines and the files)."""

    def __init__(self, workdir, engines):
        self.workdir = workdir
        self.engines = engines  # label -> properties dict
        self.proc = None
        self.log_path = os.path.join(workdir, "debezium.log")

    def out(self, label, schemas):
        return os.path.join(self.workdir, f"{label}.{'schemas' if schemas else 'plain'}.jsonl")

    def start(self):
        cp = classpath()
        files = []
        for label, props in self.engines.items():
            props = dict(props)
            props["capture.out.schemas"] = self.out(label, True)
            props["capture.out.plain"] = self.out(label, False)
            path = os.path.join(self.workdir, f"{label}.properties")
            with open(path, "w") as f:
                for k, v in props.items():
                    f.write(f"{k}={_escape(str(v))}\n")
            files.append(path)
        self.proc = subprocess.Popen(_java(cp, ["capture"] + files), stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path, "w"))
        return self

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=60):
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


def roundtrip(workdir, pairs_path):
    """Runs JsonConverter.toConnectData over the pairs file; returns the result file's path."""
    out = os.path.join(workdir, os.path.basename(pairs_path) + ".results")
    r = subprocess.run(_java(classpath(), ["roundtrip", pairs_path, out]), capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"roundtrip failed ({r.returncode}):\n{r.stderr}")
    return out


def _escape(v):
    """java.util.Properties escaping for values."""
    out = []
    for i, ch in enumerate(v):
        if ch in "\\=:#!":
            out.append("\\" + ch)
        elif ch == " " and i == 0:
            out.append("\\ ")
        else:
            out.append(ch)
    return "".join(out)


__all__ = ["DebeziumCapture", "classpath", "roundtrip", "wait_until", "DEBEZIUM_VERSION"]
