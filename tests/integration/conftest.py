import os
import sys
import tempfile
import shutil

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pgcdc_harness import MockBroker, Pgcdc, PostgresServer  # noqa: E402

# PGCDC_BROKER=kafka: the `broker` fixture is a real Apache Kafka (real_kafka.KafkaCluster, one
# KRaft node) instead of the librdkafka mock. ctest runs the core suites both ways.
REAL_KAFKA = os.environ.get("PGCDC_BROKER", "mock") == "kafka"

# PGCDC_TEST_SCALE (default 1): the volume of the longest tests (kill loops, large snapshots).
# scripts/test.sh's sanitizer pass sets it to 0.25: the code paths are the same at a quarter of
# the rows, and a sanitized pgcdc is slow enough that a kill still lands mid-snapshot. The release
# pass always runs the full volume.
TEST_SCALE = float(os.environ.get("PGCDC_TEST_SCALE", "1"))


def scaled(n, minimum):
    """n times PGCDC_TEST_SCALE, never below minimum."""
    return max(minimum, int(n * TEST_SCALE))


def make_broker():
    """A started broker of the kind this run uses; the caller stops it."""
    if REAL_KAFKA:
        from real_kafka import KafkaCluster
        return KafkaCluster().start()
    return MockBroker().start()


def mock_only(reason):
    """For a test that needs what only the mock has (its fault injection), or that does not
    involve the broker at all: skipped, with the reason shown, in the real-Kafka run. The mock
    run of the same file still covers it."""
    return pytest.mark.skipif(REAL_KAFKA, reason=f"runs against the mock broker only: {reason}")


@pytest.fixture(autouse=True)
def stop_leftover_pgcdc():
    """Tests stop what they start, even when an assertion ends them early. Only the test's own
    pgcdc processes: module-scoped fixtures (set up before this one) stop theirs."""
    before = len(Pgcdc.instances)
    yield
    for p in Pgcdc.instances[before:]:
        p.kill()
    del Pgcdc.instances[before:]


@pytest.fixture(scope="module")
def pg():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def broker():
    b = make_broker()
    yield b
    b.stop()


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="pgcdc-test-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def base_config(pg, broker, name, db="postgres", **overrides):
    cfg = {
        "name": name,
        "source": {"dsn": pg.dsn(db), "status_interval_ms": 1000},
        # Streaming tests start on empty tables; test_snapshot.py covers the other modes.
        "snapshot": {"mode": "never"},
        "format": {"schemas": True},
        "sink": {"type": "kafka", "kafka": {"bootstrap.servers": broker.bootstrap}},
        "offsets": {"commit_interval_ms": 200},
        "metrics": {"listen": "127.0.0.1:0"},  # any free port: tests run side by side
    }
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k].update(v)
        else:
            cfg[k] = v
    return cfg
