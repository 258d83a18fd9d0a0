"""[peers] pgcdc against a real 3-broker Apache Kafka cluster (KRaft, replication factor 3,
min.insync.replicas=2) under continuous writes: a leader change (controlled shutdown of a
partition leader) and the loss of one of three brokers (another leader hangs, is fenced and is
killed -9), each brought back. Nothing is lost, the slot's confirmed LSN never covers a change the cluster does not hold,
and clients pgcdc does not use (kcat, the Java client) read the same records back."""

import json
import os
import time

import pytest
from confluent_kafka import KafkaException

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader, lsn_to_int, replay, wait_until
from real_kafka import KafkaCluster
from writer import Writer


@pytest.fixture(scope="module")
def cluster():
    k = KafkaCluster(brokers=3).start()
    yield k
    k.stop()


def change_of(r):
    """(id, version, op) of a record, as Writer.committed lists them; None for a tombstone."""
    if r.value is None:
        return None
    pl = r.payload
    row = pl["after"] if pl["op"] != "d" else pl["before"]
    return (row["id"], pl["after"]["version"] if pl["after"] else None, pl["op"])


def test_leader_change_and_broker_loss_under_writes_lose_nothing(pg, cluster, workdir):
    db = "ha"
    slot = f"pgcdc_{db}"
    topic = f"{db}.public.t"
    pg.create_database(db)
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, version int NOT NULL, payload text)", db=db)
    cluster.create_topic(topic, 3)
    assert all(len(reps) == 3 for reps, _ in cluster.replicas(topic).values())
    cfg = base_config(pg, cluster, db, db=db, offsets={"file": os.path.join(workdir, "ha.offsets")})
    writer = Writer(pg.dsn(db), "t", keys=60, seed=11, track_lsn=True)
    reader = TopicReader(cluster.bootstrap, [topic])
    p = Pgcdc(cfg, workdir).start()
    checks = []  # how many changes the slot had confirmed at each check
    seen = set()  # changes read from the topic so far
    progress = {"read": 0, "verified": 0}

    def check_confirmed():
        """Every change the slot confirms is on the topic: read back within a minute. (No
        watermark queries: librdkafka 2.0.2's query_watermark_offsets blocks past its timeout,
        here for over ten minutes, while a partition's old leader is dead: librdkafka #2588,
        fixed in 2.3.0 by #4460.)"""
        cf = pg.confirmed_flush(slot, db) or 0
        covered = max((n for n, lsn in list(writer.commit_lsns) if lsn_to_int(lsn) <= cf),
                      default=0)
        required = writer.committed[progress["verified"]:covered]
        deadline = time.monotonic() + 60
        while True:
            for r in reader.records[progress["read"]:]:
                seen.add(change_of(r))
            progress["read"] = len(reader.records)
            missing = [c for c in required if c not in seen]
            if not missing:
                break
            assert time.monotonic() < deadline, \
                f"confirmed_flush {cf:X} covers changes not in Kafka: {missing[:5]}"
            reader.poll(0.3)
        progress["verified"] = max(progress["verified"], covered)
        checks.append(covered)

    def writes_go_on(seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            check_confirmed()
            reader.poll(0.3)

    def fully_replicated():
        try:
            return all(len(isr) == 3 for _, isr in cluster.replicas(topic).values())
        except KafkaException:
            return False

    try:
        p.wait_streaming()
        writer.start()
        writes_go_on(3)

        # A leader change: partition 0's leader shuts down cleanly, then comes back.
        leader = cluster.leaders(topic)[0]
        cluster.stop_broker(leader)
        wait_until(lambda: cluster.leaders(topic)[0] not in (leader, -1), 60,
                   what="partition 0 to get a new leader")
        writes_go_on(3)
        cluster.start_broker(leader)
        wait_until(fully_replicated, 60, what="all replicas back in sync")
        writes_go_on(2)

        # The loss of a broker: partition 1's leader hangs (SIGSTOP: what it was sent stays
        # unanswered), is fenced, and dies (kill -9) with whatever it held; writes go on with
        # two of three (min.insync.replicas=2), then it comes back and catches up.
        victim = cluster.leaders(topic)[1]
        cluster.freeze_broker(victim)
        wait_until(lambda: cluster.leaders(topic)[1] not in (victim, -1), 60,
                   what="partition 1 to get a new leader")
        cluster.kill_broker(victim)
        writes_go_on(4)
        cluster.start_broker(victim)
        wait_until(fully_replicated, 60, what="all replicas back in sync")
        writes_go_on(2)

        writer.stop()
        final = pg.current_wal_lsn(db)
        pg.wait_confirmed(slot, db, final, 90)
        assert p.stop() == 0, p.log()
        recs = reader.drain()
    finally:
        reader.close()
        writer.stop_event.set()
    assert writer.committed and checks and max(checks) > 0, (len(writer.committed), checks)

    # Nothing lost: every committed change is on the topic, and replaying it gives the table.
    seen = {change_of(r) for r in recs}
    missing = [c for c in writer.committed if c not in seen]
    assert not missing, f"{len(missing)} of {len(writer.committed)} changes lost: {missing[:5]}"
    table = {json.dumps({"id": i}): {"id": i, "version": v, "payload": pl}
             for i, v, pl in pg.execute("SELECT id, version, payload FROM t", db)}
    assert replay(recs) == table
    # Per key, first occurrences follow commit order (retries may only repeat a window).
    by_key = {}
    for r in sorted(recs, key=lambda r: (r.partition, r.offset)):
        if r.value is not None:
            by_key.setdefault(r.key_payload["id"], []).append(r.payload["source"]["lsn"])
    for k, lsns in by_key.items():
        firsts = list(dict.fromkeys(lsns))
        assert firsts == sorted(firsts), f"key {k} out of order: {lsns}"

    # Clients pgcdc does not use read exactly the same records.
    ours = sorted((r.partition, r.offset, r.raw_key.decode(),
                   None if r.raw_value is None else r.raw_value.decode()) for r in recs)
    assert sorted(cluster.read_with_kcat(topic)) == ours
    assert sorted(cluster.read_with_java(topic)) == ours
    print(f"changes={len(writer.committed)} records={len(recs)} checks={len(checks)}")
