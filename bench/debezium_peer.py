"""Debezium's PostgreSQL connector as bench.py's peer, run the way users run it: a Kafka Connect
standalone worker (org.apache.kafka.connect.cli.ConnectStandalone) with the connector and
JsonConverter, producing to the same broker as pgcdc.

The jars (bench/debezium/pom.xml: connect-runtime and connect-json 4.3.0, debezium-connector-
postgres 3.6.1.Final, slf4j-simple) are fetched with Maven once into
<cache root>/debezium-connect-<kafka>-<debezium>/libs, the cache root being the differential
test's (tests/integration/debezium_runner.py: ${PGCDC_CACHE:-/var/cache/pgcdc}, else
~/.cache/pgcdc), with a stamp holding the pom's hash; later runs need neither Maven nor the
network.

The JVM gets what bin/connect-standalone.sh gives it (KAFKA_HEAP_OPTS -Xms256M -Xmx2G,
kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS with G1); the worker and the connector keep
their defaults but for what a benchmark must set (addresses, names, converters, the REST port).
Each worker runs under drain.Measured, so bench.py measures it exactly as it measures pgcdc.
"""

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))

from pgcdc_harness import cache_root  # noqa: E402  (the differential test's cache root)
from pgcdc_harness import free_port  # noqa: E402
from drain import Measured  # noqa: E402

POM = os.path.join(HERE, "debezium", "pom.xml")

# bin/connect-standalone.sh's heap and kafka-run-class.sh's performance options (Kafka 4.3.0 and
# 4.4.0 alike).
HEAP_OPTS = ["-Xms256M", "-Xmx2G"]
JVM_OPTS = ["-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
            "-XX:MaxInlineLevel=15", "-Djava.awt.headless=true"]
LOG_OPTS = ["-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-Dorg.slf4j.simpleLogger.showDateTime=true"]


def _versions():
    text = open(POM).read()
    return (re.search(r"<kafka.version>(.*)</kafka.version>", text).group(1),
            re.search(r"<debezium.version>(.*)</debezium.version>", text).group(1))


def connect_libs():
    """The libs/ directory with every jar of the worker and the connector, fetched first when
    the cache is missing or stale. Concurrent callers wait on a lock."""
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise SystemExit("--peer debezium needs java and mvn (scripts/install-deps.sh)")
    kafka, debezium = _versions()
    cache = os.path.join(cache_root(), f"debezium-connect-{kafka}-{debezium}")
    os.makedirs(cache, exist_ok=True)
    stamp = os.path.join(cache, ".stamp")
    want = hashlib.sha256(open(POM, "rb").read()).hexdigest()
    libs = os.path.join(cache, "libs")
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        have = open(stamp).read().strip() if os.path.exists(stamp) else None
        if have != want:
            print(f"fetching Kafka Connect {kafka} and Debezium {debezium} with Maven into {cache}",
                  flush=True)
            shutil.rmtree(libs, ignore_errors=True)
            shutil.copy(POM, os.path.join(cache, "pom.xml"))
            r = subprocess.run(["mvn", "-q", "-B", "dependency:copy-dependencies",
                                "-DincludeScope=runtime", f"-DoutputDirectory={libs}"],
                               cwd=cache, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"Maven could not fetch Kafka Connect and Debezium:\n"
                                 f"{(r.stdout + r.stderr)[-3000:]}")
            with open(stamp, "w") as f:
                f.write(want + "\n")
    return libs


def describe():
    """One line on the versions, the JVM and the defaults that shape the peer's figures."""
    kafka, debezium = _versions()
    return (f"Debezium {debezium} PostgresConnector in a Kafka Connect {kafka} standalone worker, "
            f"JsonConverter; JVM {' '.join(HEAP_OPTS)} (connect-standalone.sh's default), G1; "
            "Debezium's defaults max.batch.size=2048, max.queue.size=8192, poll.interval.ms=500, "
            "snapshot.fetch.size=10240, snapshot.max.threads=1; Connect's "
            "offset.flush.interval.ms=60000 (the slot's confirmed LSN moves only then)")


def _write_properties(path, props):
    with open(path, "w") as f:
        for k, v in props.items():
            f.write(f"{k}={v}\n")


class ConnectWorker:
    """One standalone worker running one Debezium PostgreSQL connector (tasks.max=1).

    pg and db: the source; prefix: topic.prefix (topics prefix.<schema>.<table>); slot and
    publication: Debezium's own slot and the publication it reads (created beforehand when
    publication_mode is "disabled"); snapshot_mode: "no_data" to stream from the slot's LSN,
    "initial_only" to snapshot and stop; schemas: JsonConverter's schemas.enable for keys and
    values, as pgcdc's format.schemas. Files go to workdir."""

    def __init__(self, workdir, bootstrap, pg, db, prefix, slot, publication, snapshot_mode,
                 schemas, table="public.orders", publication_mode="disabled"):
        self.workdir = workdir
        self.prefix = prefix
        self.topic = f"{prefix}.{table}"
        schemas = str(bool(schemas)).lower()
        self.worker = {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable": schemas,
            "value.converter.schemas.enable": schemas,
            "offset.storage.file.filename": os.path.join(workdir, f"{prefix}.offsets"),
            "listeners": f"http://127.0.0.1:{free_port()}",
        }
        self.connector = {
            "name": prefix,
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "tasks.max": "1",
            "database.hostname": "127.0.0.1",
            "database.port": str(pg.port),
            "database.user": "postgres",
            "database.password": "unused",
            "database.dbname": db,
            "topic.prefix": prefix,
            "plugin.name": "pgoutput",
            "slot.name": slot,
            "publication.name": publication,
            "publication.autocreate.mode": publication_mode,
            "table.include.list": table,
            "snapshot.mode": snapshot_mode,
        }
        self.measured = None

    def start(self):
        worker_path = os.path.join(self.workdir, f"{self.prefix}.worker.properties")
        connector_path = os.path.join(self.workdir, f"{self.prefix}.connector.properties")
        _write_properties(worker_path, self.worker)
        _write_properties(connector_path, self.connector)
        argv = (["java"] + HEAP_OPTS + JVM_OPTS + LOG_OPTS +
                ["-cp", os.path.join(connect_libs(), "*"),
                 "org.apache.kafka.connect.cli.ConnectStandalone", worker_path, connector_path])
        self.measured = Measured(argv, os.path.join(self.workdir, f"{self.prefix}.log")).start()
        return self.measured

    def producer_settings(self):
        """The source task's producer settings as the worker logged them (ProducerConfig)."""
        text = self.measured.log()
        keys = ("acks", "linger.ms", "batch.size", "compression.type", "enable.idempotence",
                "max.in.flight.requests.per.connection")
        out = []
        for k in keys:
            m = re.findall(rf"^\s*{re.escape(k)} = (\S*)$", text, re.M)
            if m:
                out.append(f"{k}={m[-1]}")
        return ", ".join(out)

    def stop(self):
        if self.measured is not None:
            self.measured.stop()
        return self.measured
