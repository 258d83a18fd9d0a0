"""[capture] partitioned tables (issue #15): a partitioned table named in source.tables is captured,
through its root (source.partitions: root, the default: one topic per partitioned table) or per
leaf (leaves), in the initial snapshot and in the stream, rows that move between partitions
included; an admin-made publication works when its publish_via_partition_root agrees with
source.partitions, and fails with one clear line when it does not."""

import os
import random
import threading

import psycopg2
import pytest

from conftest import base_config, scaled
from pgcdc_harness import Pgcdc, TopicReader, replay, run_pgcdc, wait_until

import yaml_writer

# Partitioned by region; the key includes the partition column (PostgreSQL requires it), so a
# row that moves partitions changes its key.
SCHEMA = """
    CREATE TABLE orders (id int, region text, amount int, PRIMARY KEY (id, region))
        PARTITION BY LIST (region);
    CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
    CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
    CREATE TABLE orders_asia PARTITION OF orders FOR VALUES IN ('asia');
    CREATE TABLE other (id int PRIMARY KEY);
    INSERT INTO orders SELECT g, (ARRAY['eu', 'us', 'asia'])[g % 3 + 1], g * 10
        FROM generate_series(1, 30) g;
"""

LEAVES = ("orders_eu", "orders_us", "orders_asia")


def setup_db(pg, db):
    pg.create_database(db)
    pg.execute(SCHEMA, db=db)


def write_changes(pg, db):
    """Inserts, an update inside a partition, a move across partitions, a delete."""
    pg.execute("""
        INSERT INTO orders VALUES (100, 'eu', 1), (101, 'us', 2);
        UPDATE orders SET amount = 999 WHERE id = 1;
        UPDATE orders SET region = 'asia' WHERE id = 100;
        DELETE FROM orders WHERE id = 2;
    """, db=db)


def table_state(pg, db):
    return {(r[0], r[1]): r[2] for r in pg.execute("SELECT id, region, amount FROM orders", db=db)}


def replayed(records):
    state = {}
    for k, after in replay(records).items():
        state[(after["id"], after["region"])] = after["amount"]
    return state


def topics(reader):
    return set(reader.consumer.list_topics(timeout=5).topics)


def config(pg, broker, workdir, name, **source):
    cfg = base_config(pg, broker, name, db=name, snapshot={"mode": "initial"})
    cfg["source"].update({"tables": ["public.orders"]}, **source)
    cfg["offsets"]["file"] = os.path.join(workdir, name + ".offsets")
    return cfg


def run_and_collect(pg, broker, workdir, name, topic_names, expect, **source):
    """Starts pgcdc (initial snapshot), writes the changes, and reads until `expect(records)`."""
    p = Pgcdc(config(pg, broker, workdir, name, **source), workdir).start()
    reader = TopicReader(broker.bootstrap, topic_names)
    try:
        p.wait_streaming()
        write_changes(pg, name)
        reader.wait_for(expect, timeout=60, what="the snapshot and the streamed changes")
        reader.poll(1.0)  # nothing unexpected after them
        seen = topics(reader)
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    return reader.records, seen, p


def test_root_mode_one_topic_snapshot_stream_and_moves(pg, broker, workdir):
    setup_db(pg, "proot")
    root = "proot.public.orders"

    def done(recs):
        return any(r.payload and r.payload["op"] == "d" and r.payload["before"]["id"] == 2
                   for r in recs)
    records, seen, p = run_and_collect(pg, broker, workdir, "proot", [root], done)

    # One topic for the partitioned table, none per partition.
    assert root in seen
    assert not any(t.startswith("proot.public.orders_") for t in seen), seen
    reads = [r for r in records if r.payload and r.payload["op"] == "r"]
    assert len(reads) == 30
    assert all(r.payload["source"]["table"] == "orders" for r in records if r.payload)
    # The move arrives as pgoutput sends it: a delete of the old key, an insert of the new one.
    moved = [(r.payload["op"], r.key_payload) for r in records
             if r.payload and r.key_payload["id"] == 100]
    assert moved == [("c", {"id": 100, "region": "eu"}), ("d", {"id": 100, "region": "eu"}),
                     ("c", {"id": 100, "region": "asia"})], moved
    assert replayed(records) == table_state(pg, "proot")
    # pgcdc's publication names the root and publishes through it.
    assert pg.execute("SELECT tablename FROM pg_publication_tables WHERE pubname = "
                      "'pgcdc_proot'", db="proot") == [("orders",)]
    assert pg.execute("SELECT pubviaroot FROM pg_publication WHERE pubname = 'pgcdc_proot'",
                      db="proot") == [(True,)]


def test_leaves_mode_topic_per_partition(pg, broker, workdir):
    setup_db(pg, "pleaf")
    names = ["pleaf.public." + leaf for leaf in LEAVES]

    def done(recs):
        return any(r.payload and r.payload["op"] == "d" and r.payload["before"]["id"] == 2
                   for r in recs)
    records, seen, p = run_and_collect(pg, broker, workdir, "pleaf", names, done,
                                       partitions="leaves")
    assert set(names) <= seen
    assert "pleaf.public.orders" not in seen
    for r in records:
        if r.payload:
            assert r.topic == "pleaf.public." + r.payload["source"]["table"]
    per_leaf = {leaf: sum(1 for r in records if r.payload and r.payload["op"] == "r"
                          and r.topic.endswith("." + leaf)) for leaf in LEAVES}
    assert per_leaf == {"orders_eu": 10, "orders_us": 10, "orders_asia": 10}, per_leaf
    # The move: deleted from the eu partition's topic, inserted into asia's (in WAL order: the
    # topics are read side by side).
    moved = [(r.topic, r.payload["op"]) for r in sorted(
        (r for r in records if r.payload and r.key_payload["id"] == 100),
        key=lambda r: r.payload["source"]["lsn"])]
    assert moved == [("pleaf.public.orders_eu", "c"), ("pleaf.public.orders_eu", "d"),
                     ("pleaf.public.orders_asia", "c")], moved
    assert replayed(records) == table_state(pg, "pleaf")
    assert sorted(pg.execute("SELECT tablename FROM pg_publication_tables WHERE pubname = "
                             "'pgcdc_pleaf'", db="pleaf")) == sorted((t,) for t in LEAVES)
    assert pg.execute("SELECT pubviaroot FROM pg_publication WHERE pubname = 'pgcdc_pleaf'",
                      db="pleaf") == [(False,)]


def test_admin_publication_via_root(pg, broker, workdir):
    setup_db(pg, "padm")
    pg.execute("CREATE PUBLICATION adm FOR TABLE orders WITH (publish_via_partition_root = true)",
               db="padm")
    root = "padm.public.orders"

    def done(recs):
        return any(r.payload and r.payload["op"] == "d" and r.payload["before"]["id"] == 2
                   for r in recs)
    # Before: the snapshot failed with "cannot copy from partitioned table".
    records, seen, p = run_and_collect(pg, broker, workdir, "padm", [root], done,
                                       publication="adm", create_publication=False)
    assert "cannot copy" not in p.log()
    assert sum(1 for r in records if r.payload and r.payload["op"] == "r") == 30
    assert replayed(records) == table_state(pg, "padm")
    assert not any(t.startswith("padm.public.orders_") for t in seen), seen
    # Never altered.
    assert pg.execute("SELECT pubviaroot FROM pg_publication WHERE pubname = 'adm'",
                      db="padm") == [(True,)]


def test_admin_publication_that_disagrees_fails_with_one_line(pg, broker, workdir):
    setup_db(pg, "pbad")
    pg.execute("CREATE PUBLICATION leafy FOR TABLE orders", db="pbad")  # via root: false
    cfg = config(pg, broker, workdir, "pbad", publication="leafy", create_publication=False)
    p = Pgcdc(cfg, workdir).start()
    wait_until(lambda: not p.alive(), timeout=30, what="pgcdc to refuse the publication")
    assert p.proc.returncode != 0
    errors = [line for line in p.log().splitlines()
              if line.startswith("error:") or line.split(" ")[1:2] == ["error"]]
    assert len(errors) == 1, p.log()
    assert "publish_via_partition_root = false" in errors[0]
    assert "source.partitions is root" in errors[0]
    assert pg.slot("pgcdc_pbad", "pbad") is None  # refused before anything was created
    # validate says the same.
    r = run_pgcdc(["validate", "-c", p.config_path])
    assert r.returncode != 0
    assert "publish_via_partition_root = false" in r.stdout, r.stdout
    # The same publication suits leaves mode.
    cfg["source"]["partitions"] = "leaves"
    with open(p.config_path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    r = run_pgcdc(["validate", "-c", p.config_path])
    assert "publish_via_partition_root" not in r.stdout, r.stdout


def test_bad_partitions_word_is_one_line_exit_2(pg, broker, workdir):
    cfg = base_config(pg, broker, "pword")
    cfg["source"]["partitions"] = "roots"
    path = os.path.join(workdir, "pword.yaml")
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    r = run_pgcdc(["run", "-c", path])
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert "source.partitions" in lines[0] and "root, leaves" in lines[0], lines[0]


class PartitionWriter(threading.Thread):
    """Single-row transactions on `orders` until stopped: inserts of new ids, updates inside a
    partition, moves to the next region's partition (the key changes) and deletes."""

    def __init__(self, dsn, existing, first_new_id, seed=15):
        super().__init__(daemon=True)
        self.dsn, self.existing, self.next_id = dsn, existing, first_new_id
        self.rng = random.Random(seed)
        self.stop_event = threading.Event()
        self.counts = {"insert": 0, "update": 0, "move": 0, "delete": 0}
        self.error = None

    def run(self):
        try:
            conn = psycopg2.connect(self.dsn)
            cur = conn.cursor()
            while not self.stop_event.is_set():
                r, k = self.rng.random(), self.rng.randint(1, self.existing)
                if r < 0.25:
                    region = ("eu", "us", "asia")[self.next_id % 3]
                    cur.execute("INSERT INTO orders VALUES (%s, %s, 0)", (self.next_id, region))
                    self.next_id, op = self.next_id + 1, "insert"
                elif r < 0.55:
                    cur.execute("UPDATE orders SET amount = amount + 1 WHERE id = %s", (k,))
                    op = "update"
                elif r < 0.85:
                    cur.execute("UPDATE orders SET region = CASE region WHEN 'eu' THEN 'us' "
                                "WHEN 'us' THEN 'asia' ELSE 'eu' END WHERE id = %s", (k,))
                    op = "move"
                else:
                    cur.execute("DELETE FROM orders WHERE id = %s", (k,))
                    op = "delete"
                conn.commit()
                self.counts[op] += cur.rowcount
                self.stop_event.wait(0.001)
            conn.close()
        except Exception as e:  # surfaced by stop()
            self.error = e

    def stop(self):
        self.stop_event.set()
        self.join(timeout=30)
        if self.error:
            raise self.error
        return self.counts


@pytest.mark.parametrize("mode", ["root", "leaves", "admin"])
def test_snapshot_and_stream_under_a_concurrent_writer(pg, broker, workdir, mode):
    """The issue's acceptance: rows inserted, updated, moved across partitions and deleted by a
    writer that runs from before the initial snapshot until after it (in root mode, leaves mode
    and through an admin publication with publish_via_partition_root): replaying the topics
    equals SELECT."""
    db = f"pconc{mode}"
    rows = scaled(20_000, 5_000)
    setup_db(pg, db)
    pg.execute(f"INSERT INTO orders SELECT g, (ARRAY['eu', 'us', 'asia'])[g % 3 + 1], g "
               f"FROM generate_series(31, {rows}) g", db=db)
    source = {"partitions": "leaves"} if mode == "leaves" else {}
    if mode == "admin":
        pg.execute("CREATE PUBLICATION adm FOR TABLE orders "
                   "WITH (publish_via_partition_root = true)", db=db)
        source = {"publication": "adm", "create_publication": False}
    names = [f"{db}.public.{t}" for t in (LEAVES if mode == "leaves" else ("orders",))]
    cfg = config(pg, broker, workdir, db, **source)
    writer = PartitionWriter(pg.dsn(db), rows, rows + 1)
    reader = TopicReader(broker.bootstrap, names)
    writer.start()
    wait_until(lambda: sum(writer.counts.values()) > 0, timeout=30, what="the writer to start")
    before = sum(writer.counts.values())
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming(timeout=120)
        snapshotted = sum(writer.counts.values())
        wait_until(lambda: sum(writer.counts.values()) > snapshotted + 200,
                   timeout=60, what="the writer to go on while streaming")
        counts = writer.stop()
        pg.wait_confirmed(f"pgcdc_{db}", db, pg.current_wal_lsn(db), 120)
        state = table_state(pg, db)
        reader.wait_for(lambda recs: replayed(recs) == state, timeout=120,
                        what="the topics to replay to the table")
    finally:
        writer.stop_event.set()
        reader.close()
        assert p.stop() == 0, p.log()
    # The writer was busy while pgcdc started and snapshotted, and every kind of change happened.
    assert snapshotted > before, (before, snapshotted)
    assert min(counts.values()) > 0, counts
    reads = [r for r in reader.records if r.payload and r.payload["op"] == "r"]
    assert len(reads) >= rows - counts["delete"], (len(reads), rows, counts)
    assert {r.topic for r in reader.records} <= set(names)
