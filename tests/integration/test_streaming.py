"""[core] acceptance: changes on two tables arrive on <name>.public.<table> with the right op,
before/after, key, source.lsn/txId, in commit order per key, tombstones after deletes; a clean
stop confirms exactly what was delivered."""

import json
import os
import signal

from conftest import base_config
from pgcdc_harness import (Pgcdc, TopicReader, java_murmur2_partition, lsn_to_int, run_pgcdc,
                            wait_until)


def test_two_tables_insert_update_delete(pg, broker, workdir):
    pg.create_database("shop")
    pg.execute("""
        CREATE TABLE customers(id int PRIMARY KEY, name text NOT NULL, email varchar(80));
        CREATE TABLE orders(id bigint PRIMARY KEY, customer_id int, amount numeric(10,2),
                            placed_at timestamptz, paid boolean, note jsonb);
    """, db="shop")
    cfg = base_config(pg, broker, "shop", db="shop",
                      offsets={"file": os.path.join(workdir, "shop.offsets")})
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        conn = pg.connect("shop")
        conn.autocommit = False
        cur = conn.cursor()
        lsn_before = pg.current_wal_lsn("shop")
        cur.execute("INSERT INTO customers VALUES (1, 'Ann', 'ann@example.com'), (2, 'Bob', NULL)")
        cur.execute("INSERT INTO orders VALUES (10, 1, 12.34, '2024-01-02 03:04:05.123456+00', "
                    "true, '{\"a\": [1, 2]}')")
        cur.execute("SELECT txid_current()")
        txid1 = cur.fetchone()[0]
        conn.commit()
        cur.execute("UPDATE customers SET name = 'Annie' WHERE id = 1")
        cur.execute("UPDATE orders SET amount = 99.90, paid = false WHERE id = 10")
        conn.commit()
        cur.execute("DELETE FROM customers WHERE id = 2")
        cur.execute("SELECT txid_current()")
        txid3 = cur.fetchone()[0]
        conn.commit()
        cur.execute("UPDATE customers SET name = 'Ann B' WHERE id = 1")
        conn.commit()
        conn.close()
        lsn_after = pg.current_wal_lsn("shop")

        reader = TopicReader(broker.bootstrap, ["shop.public.customers", "shop.public.orders"])
        recs = reader.wait_count(8, timeout=60)
        reader.poll(1.0)  # nothing more than expected may arrive
        partitions = {t: len([1 for (tt, _) in reader.assigned if tt == t]) for t in reader.topics}
        reader.close()
        # Keys land where Java clients and Kafka Streams expect them (murmur2 of the key bytes).
        for r in recs:
            assert r.partition == java_murmur2_partition(r.raw_key, partitions[r.topic]), r
        cust = sorted([r for r in recs if r.topic == "shop.public.customers"],
                      key=lambda r: (r.partition, r.offset))
        orders = [r for r in recs if r.topic == "shop.public.orders"]
        assert len(cust) == 6 and len(orders) == 2, [
            (r.topic, r.partition, r.offset, r.key_payload,
             r.payload and (r.payload["op"], r.payload["source"]["lsn"])) for r in recs]

        by_key = {}
        for r in cust:
            by_key.setdefault(r.key_payload["id"], []).append(r)
        k1 = by_key[1]
        assert [r.payload["op"] for r in k1] == ["c", "u", "u"]
        assert [r.payload["after"]["name"] for r in k1] == ["Ann", "Annie", "Ann B"]
        assert k1[1].payload["before"] is None  # DEFAULT identity: pgoutput sends no old row
        k2 = by_key[2]
        assert [r.payload["op"] if r.value else "tombstone" for r in k2] == ["c", "d", "tombstone"]
        # Not sent by pgoutput: NOT NULL columns get their type's zero (as Debezium), others null.
        assert k2[1].payload["before"] == {"id": 2, "name": "", "email": None}
        assert k2[1].payload["after"] is None
        assert k2[2].raw_value is None and k2[2].key_payload == {"id": 2}

        for r in recs:
            if r.value is None:
                continue
            src = r.payload["source"]
            assert src["connector"] == "postgresql" and src["name"] == "shop"
            assert src["db"] == "shop" and src["schema"] == "public"
            assert src["table"] == r.topic.split(".")[-1]
            assert src["snapshot"] == "false"
            assert lsn_before <= src["lsn"] <= lsn_after
            assert r.value["schema"]["name"] == r.topic + ".Envelope"
            assert r.key["schema"]["name"] == r.topic + ".Key"
        assert k1[0].payload["source"]["txId"] == txid1
        assert k2[1].payload["source"]["txId"] == txid3
        # Within a key, LSNs follow commit order.
        lsns = [r.payload["source"]["lsn"] for r in k1]
        assert lsns == sorted(lsns)

        last_event_lsn = max(r.payload["source"]["lsn"] for r in recs if r.value is not None)
        o = sorted(orders, key=lambda r: r.offset)
        assert o[0].key_payload == {"id": 10}
        assert o[0].payload["after"] == {"id": 10, "customer_id": 1, "amount": "BNI=",
                                         "placed_at": "2024-01-02T03:04:05.123456Z",
                                         "paid": True, "note": "{\"a\": [1, 2]}"}
        assert o[1].payload["after"]["amount"] == "JwY="  # 99.90 -> unscaled 9990 = 0x2706
        assert o[1].payload["after"]["paid"] is False
        # NOT NULL columns are required in the schema, others optional.
        after_fields = {f["field"]: f for f in k1[0].value["schema"]["fields"][1]["fields"]}
        assert after_fields["name"]["optional"] is False
        assert after_fields["email"]["optional"] is True
    finally:
        assert p.stop() == 0, p.log()

    # A clean stop confirms what was delivered: the offsets file and the slot agree and cover
    # every change made above.
    with open(cfg["offsets"]["file"]) as f:
        stored = json.load(f)
    assert stored["slot"] == "pgcdc_shop"
    assert lsn_to_int(stored["lsn"]) > last_event_lsn  # past the last change's commit
    # The walsender applies pgcdc's final status update asynchronously.
    wait_until(lambda: pg.confirmed_flush("pgcdc_shop", "shop") == lsn_to_int(stored["lsn"]),
               timeout=10, what="the slot to report the persisted offset")


def test_primary_key_change_and_payload_only(pg, broker, workdir):
    pg.create_database("pk")
    pg.execute("CREATE TABLE items(id int PRIMARY KEY, label text)", db="pk")
    cfg = base_config(pg, broker, "pk", db="pk", format={"schemas": False},
                      offsets={"file": os.path.join(workdir, "pk.offsets")})
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO items VALUES (1, 'one')", db="pk")
        pg.execute("UPDATE items SET id = 2 WHERE id = 1", db="pk")
        reader = TopicReader(broker.bootstrap, ["pk.public.items"])
        recs = reader.wait_count(4, timeout=60)
        reader.close()
        # Keys 1 and 2 may land in different partitions; order within each key is what counts.
        k1 = sorted([r for r in recs if r.key == {"id": 1}], key=lambda r: r.offset)
        k2 = [r for r in recs if r.key == {"id": 2}]
        assert [r.value["op"] if r.value else None for r in k1] == ["c", "d", None]
        assert "schema" not in k1[0].value and k1[0].value["after"] == {"id": 1, "label": "one"}
        assert json.loads(k1[1].headers["__debezium.newkey"]) == {"id": 2}
        assert len(k2) == 1 and k2[0].value["op"] == "c"
        assert k2[0].value["after"] == {"id": 2, "label": "one"}
        assert json.loads(k2[0].headers["__debezium.oldkey"]) == {"id": 1}
    finally:
        assert p.stop(signal.SIGINT) == 0, p.log()


def test_stdout_sink_and_table_filter(pg, workdir):
    pg.create_database("out")
    pg.execute("CREATE TABLE a(id int PRIMARY KEY, v text); CREATE TABLE b(id int PRIMARY KEY)",
               db="out")
    cfg = {
        "name": "out",
        "source": {"dsn": pg.dsn("out"), "tables": ["public.a"]},
        "sink": {"type": "stdout"},
        "offsets": {"file": os.path.join(workdir, "out.offsets")},
    }
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO b VALUES (1); INSERT INTO a VALUES (7, 'x')", db="out")

        def lines():
            with open(p.out_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        got = wait_until(lambda: lines(), timeout=30, what="a stdout event")
    finally:
        assert p.stop() == 0, p.log()
    assert len(got) == 1
    assert got[0]["topic"] == "out.public.a"
    assert got[0]["key"]["payload"] == {"id": 7}
    assert got[0]["value"]["payload"]["after"] == {"id": 7, "v": "x"}
    # Only the included table was put in the publication.
    assert pg.execute("SELECT tablename FROM pg_publication_tables WHERE pubname = 'pgcdc_out'",
                      db="out") == [("a",)]


def test_validate_command(pg, broker, workdir):
    pg.create_database("val")
    cfg = base_config(pg, broker, "val", db="val")
    path = os.path.join(workdir, "val.yaml")
    import yaml_writer
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    r = run_pgcdc(["validate", "-c", path])
    assert r.returncode == 0, r.stderr
    for finding in ("ok    wal_level = logical", "ok    slot pgcdc_val will be created",
                    "ok    publication pgcdc_val will be created",
                    "ok    next start: creates the slot and streams from there",
                    "ok    broker reachable at"):
        assert finding in r.stdout, r.stdout
    cfg["snapshot"]["mode"] = "initial"
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    r = run_pgcdc(["validate", "-c", path])
    assert "ok    next start: takes a snapshot (no offsets yet" in r.stdout, r.stdout
    # validate creates nothing
    assert pg.execute("SELECT count(*) FROM pg_publication", db="val") == [(0,)]
    assert pg.slot("pgcdc_val", "val") is None
