"""docker-compose.yml, for real and without Docker: its Kafka (Apache Kafka 4.4.0 with the KRaft
properties the apache/kafka image derives from the kafka service's KAFKA_* environment), its
PostgreSQL 15 (the postgres service's command, database and password) and pgcdc with the
configuration file the pgcdc service mounts, on loopback (compose_env.py says what is remapped:
addresses and a volume path, nothing else). Then the header comment's quick start, step by step:
the table and the row through psql as `docker compose exec postgres` runs it, and the event read
back with the header's kcat line through the EXTERNAL listener. Label kafka (file name): the
release pass runs it, the sanitizer pass leaves it out.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile

from confluent_kafka.admin import AdminClient, ConfigResource

from compose_env import (Compose, ComposePgcdc, ComposePostgres, Loopback, kafka_healthcheck_argv,
                         kafka_properties, start_kafka, wait_healthy)
from pgcdc_harness import ROOT, lsn_to_int, wait_until


def test_compose_runs_the_kafka_release_ci_tests():
    """What users run is what the test below runs: the kafka service's image is the Kafka
    release whose jars scripts/kafka-fetch.sh fetches."""
    with open(os.path.join(ROOT, "tests", "kafka", "pom.xml")) as f:
        tested = re.search(r"<kafka.version>(.+)</kafka.version>", f.read()).group(1)
    assert Compose().services["kafka"]["image"] == f"apache/kafka:{tested}"


def _payload(doc):
    """The payload of a key or value, whether or not schemas are enabled."""
    return doc["payload"] if isinstance(doc, dict) and "schema" in doc else doc


def test_compose_quick_start_reaches_the_external_listener():
    compose = Compose()
    workdir = tempfile.mkdtemp(prefix="pgcdc-compose-")
    started = []
    try:
        net = Loopback(compose, workdir)
        # `docker compose up`: postgres and kafka, then pgcdc once both pass their healthchecks.
        pg = ComposePostgres(compose, net)
        started.append(pg)
        pg.start()
        kafka = start_kafka(compose, net)
        started.append(kafka)
        wait_healthy(compose, "postgres",
                     lambda w: ([os.path.join(pg.bindir, w[0])] + w[1:], pg.container_env()))
        wait_healthy(compose, "kafka", kafka_healthcheck_argv(kafka, net))

        pgcdc = ComposePgcdc(compose, net, workdir)
        started.append(pgcdc)
        # The mounted configuration as is, but for where things are on this machine.
        assert set(pgcdc.changes()) == {"source.dsn", "sink.kafka.bootstrap.servers",
                                        "metrics.listen", "offsets.file"}, pgcdc.changes()
        pgcdc.start()
        pgcdc.wait_streaming()

        # The header's psql line, as `docker compose exec postgres` runs it (local socket).
        exec_line = compose.header_command("docker compose exec postgres")
        out = pg.run_in_container(exec_line[4:])
        assert out.returncode == 0, out.stderr
        db = exec_line[exec_line.index("-d") + 1]
        commit_lsn = lsn_to_int(pg.psql(["-d", db, "-c", "SELECT pg_current_wal_lsn()"]))

        # The header's kcat line from the host, through the advertised EXTERNAL listener; -e to
        # stop at the end of the topic, -J to see key and value apart.
        kcat = compose.header_command("kcat")
        b = kcat.index("-b") + 1
        kcat[b] = net.endpoints(kcat[b], None)
        topic = kcat[kcat.index("-t") + 1]

        def read():
            r = subprocess.run(kcat + ["-e", "-J", "-q"], capture_output=True, text=True,
                               timeout=60)
            return [json.loads(line) for line in r.stdout.splitlines()] if r.returncode == 0 \
                else None
        msgs = wait_until(read, timeout=60, interval=1,
                          what=f"an event on {topic} through {kcat[b]}")
        assert len(msgs) == 1, msgs
        key, value = json.loads(msgs[0]["key"]), json.loads(msgs[0]["payload"])
        assert _payload(key) == {"id": 1}
        event = _payload(value)
        assert event["op"] == "c"  # streamed: pgcdc was running before the table existed
        assert event["before"] is None
        assert event["after"] == {"id": 1, "item": "apple"}
        assert (event["source"]["db"], event["source"]["schema"], event["source"]["table"]) == \
            ("shop", "public", "orders")
        assert event["source"]["lsn"] <= commit_lsn

        # The broker runs with the compose file's settings: the topic auto-created with
        # KAFKA_NUM_PARTITIONS partitions (Kafka's default 1 without it), and every property
        # derived from the environment reported back by the broker with its (remapped) value.
        props, local, _ = kafka_properties(compose, net)
        admin = AdminClient({"bootstrap.servers": kcat[b]})
        partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
        assert len(partitions) == int(props.get("num.partitions", 1))
        res = ConfigResource(ConfigResource.Type.BROKER, props["node.id"])
        reported = admin.describe_configs([res])[res].result(timeout=30)
        assert set(local) <= set(reported), set(local) - set(reported)
        assert {k: reported[k].value for k in local} == local

        # The position is confirmed to PostgreSQL past the insert's commit.
        slot_lsn = lambda: pg.psql(["-d", db, "-c", "SELECT confirmed_flush_lsn FROM "
                                    "pg_replication_slots WHERE database = current_database()"])
        wait_until(lambda: slot_lsn() and lsn_to_int(slot_lsn()) >= commit_lsn, timeout=60,
                   what="confirmed_flush_lsn to pass the insert's commit")

        # One run throughout: no restart was needed for the table created after the start.
        assert pgcdc.alive(), pgcdc.log()[-3000:]
        # pgcdc masks every 4-byte piece of a secret in its output; a password made of common
        # words masks them in every line (user names, "postgresql.conf", "PostgreSQL").
        assert "[redacted]" not in pgcdc.log(), pgcdc.log()[-3000:]
        pgcdc.stop()
        assert pgcdc.proc.returncode == 0, pgcdc.log()[-3000:]
    finally:
        for s in reversed(started):
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
