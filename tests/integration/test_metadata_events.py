"""Transaction metadata (BEGIN/END on <name>.transaction and the transaction block), logical
decoding messages (op m on <name>.message, transactional and not) and heartbeats
(__debezium-heartbeat.<name>, with an action query that keeps an idle slot moving)."""

import os
import time

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader


def test_transaction_metadata_messages_and_heartbeats(pg, broker, workdir):
    pg.create_database("meta")
    pg.execute("CREATE TABLE a(id int PRIMARY KEY); CREATE TABLE b(id int PRIMARY KEY);"
               "CREATE TABLE hb(id int PRIMARY KEY, at timestamptz)", db="meta")
    cfg = base_config(pg, broker, "meta", db="meta", source={"tables": ["public.a", "public.b"]},
                      format={"transaction_metadata": True, "message_prefixes": ["audit*"]},
                      heartbeat={"interval_ms": 300,
                                 "action_query": "INSERT INTO hb VALUES (1, now()) ON CONFLICT "
                                                 "(id) DO UPDATE SET at = now()"},
                      offsets={"file": os.path.join(workdir, "meta.offsets")})
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, ["meta.public.a", "meta.public.b", "meta.transaction",
                                            "meta.message", "__debezium-heartbeat.meta"])
    try:
        p.wait_streaming()
        conn = pg.connect("meta")
        conn.autocommit = False
        cur = conn.cursor()
        cur.execute("INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1)")
        cur.execute("SELECT pg_logical_emit_message(true, 'audit.tx', 'inside')")
        cur.execute("SELECT txid_current()")
        xid = cur.fetchone()[0]
        conn.commit()
        cur.execute("SELECT pg_logical_emit_message(false, 'audit.nontx', '\\x00ff'::bytea)")
        cur.execute("SELECT pg_logical_emit_message(false, 'other', 'filtered out')")
        conn.commit()
        conn.close()

        def done(recs):
            topics = [r.topic for r in recs]
            return (topics.count("meta.transaction") >= 2 and topics.count("meta.message") >= 2
                    and topics.count("__debezium-heartbeat.meta") >= 2)
        recs = reader.wait_for(done, timeout=60, what="metadata, messages and heartbeats")
        time.sleep(1.0)
        reader.poll(1.0)
        recs = reader.records
    finally:
        reader.close()
        assert p.stop() == 0, p.log()

    tx = sorted([r for r in recs if r.topic == "meta.transaction"], key=lambda r: r.offset)
    begin, end = tx[0].payload, tx[-1].payload
    assert begin["status"] == "BEGIN" and end["status"] == "END"
    assert begin["id"] == end["id"] and begin["id"].split(":")[0] == str(xid)
    assert tx[0].key_payload == {"id": begin["id"]}
    assert end["event_count"] == 4  # the transactional message counts too, as with Debezium
    assert sorted((c["data_collection"], c["event_count"]) for c in end["data_collections"]) == \
        [("public.a", 2), ("public.b", 1)]
    data = [r for r in recs if r.topic in ("meta.public.a", "meta.public.b")]
    assert len(data) == 3
    blocks = sorted((r.payload["transaction"]["total_order"], r.topic,
                     r.payload["transaction"]["data_collection_order"]) for r in data)
    assert blocks == [(1, "meta.public.a", 1), (2, "meta.public.a", 2), (3, "meta.public.b", 1)]
    assert all(r.payload["transaction"]["id"] == begin["id"] for r in data)

    msgs = {r.key_payload["prefix"]: r for r in recs if r.topic == "meta.message"}
    assert set(msgs) == {"audit.tx", "audit.nontx"}  # 'other' filtered by message_prefixes
    inside = msgs["audit.tx"].payload
    assert inside["op"] == "m" and inside["source"]["txId"] == xid
    assert inside["transaction"] == {"id": begin["id"], "total_order": 4,
                                     "data_collection_order": 1}
    assert inside["message"] == {"prefix": "audit.tx", "content": "aW5zaWRl"}  # "inside"
    outside = msgs["audit.nontx"].payload
    assert outside["source"]["txId"] is None and outside["message"]["content"] == "AP8="

    beats = [r for r in recs if r.topic == "__debezium-heartbeat.meta"]
    assert beats[0].key_payload == {"serverName": "meta"}
    assert beats[-1].payload["ts_ms"] >= beats[0].payload["ts_ms"]
    # The action query ran on the source.
    assert pg.execute("SELECT count(*) FROM hb", "meta") == [(1,)]
