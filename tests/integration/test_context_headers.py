"""Debezium's __debezium.context.* headers (extended.headers.enabled, default true; issue 16),
read back with confluent_kafka (a client pgcdc did not write).

Debezium 3.6.1.Final (debezium-connector-common, tag v3.6.1.Final): EventDispatcher
.getExtendedHeaders adds DebeziumHeaderProducer.contextHeaders() to every data change record
(streamed, snapshot and incremental snapshot reads, truncates) after the record's own headers,
and a delete's tombstone copies the delete's headers; transaction metadata (TransactionMonitor),
logical decoding messages (LogicalDecodingMessageMonitor) and heartbeats build their records
without them. The four headers, in this order, are STRING values, which Kafka Connect's default
SimpleHeaderConverter writes as their UTF-8 bytes:
  __debezium.context.connectorLogicalName  topic.prefix (pgcdc's name)
  __debezium.context.taskId                "0" (CdcSourceTaskContext's default; PostgreSQL has
                                           one task)
  __debezium.context.connectorName         "postgresql" (Module.name())
  __debezium.context.runId                 UUIDUtils.generateNewUUID(): a version-7 UUID, new at
                                           each task start
"""

import os
import re
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from conftest import base_config
from pgcdc_harness import Pgcdc, TopicReader

CONTEXT = ["__debezium.context.connectorLogicalName", "__debezium.context.taskId",
           "__debezium.context.connectorName", "__debezium.context.runId"]
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def headers_of(msg_headers):
    return [(k, v.decode("utf-8") if v is not None else None) for k, v in (msg_headers or [])]


def read(broker, topics, done, timeout=90):
    """Every record of `topics` as (topic, value, [(header, text)...]) once done(records)."""
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "ctx-" + os.urandom(6).hex(),
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        deadline = time.monotonic() + timeout
        assigned, got = set(), []
        while time.monotonic() < deadline and not done(got):
            md = c.list_topics(timeout=5)
            new = [TopicPartition(t, p, OFFSET_BEGINNING) for t in topics
                   if t in md.topics and md.topics[t].error is None
                   for p in md.topics[t].partitions if (t, p) not in assigned]
            if new:
                assigned |= {(tp.topic, tp.partition) for tp in new}
                c.incremental_assign(new)
            for m in c.consume(num_messages=100, timeout=0.5):
                if not m.error():
                    got.append((m.topic(), m.value(), headers_of(m.headers())))
        assert done(got), f"records so far: {got}"
        return got
    finally:
        c.close()


def run(pg, broker, workdir, name, extra_format):
    db = name
    pg.create_database(db)
    pg.execute("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'snap');",
               db=db)
    cfg = base_config(pg, broker, name, db=db, snapshot={"mode": "initial"},
                      format=dict({"transaction_metadata": True}, **extra_format),
                      heartbeat={"interval_ms": 500},
                      offsets={"file": os.path.join(workdir, name + ".offsets")})
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming(timeout=60)
        pg.execute("INSERT INTO t VALUES (2, 'a'); UPDATE t SET id = 3 WHERE id = 2; "
                   "DELETE FROM t WHERE id = 1; "
                   "SELECT pg_logical_emit_message(true, 'ctx', 'hello');", db=db)
        # r(1); BEGIN c(2) d(2)+tombstone c(3) d(1)+tombstone m END; heartbeats.
        topics = [f"{name}.public.t", f"{name}.transaction", f"{name}.message",
                  f"__debezium-heartbeat.{name}"]

        def done(got):
            per = [sum(1 for r in got if r[0] == t) for t in topics]
            return per[0] >= 7 and per[1] >= 2 and per[2] >= 1 and per[3] >= 1
        recs = read(broker, topics, done)
    finally:
        assert p.stop() == 0, p.log()
    return recs


def test_context_headers_on_data_change_records(pg, broker, workdir):
    recs = run(pg, broker, workdir, "ctxon", {})
    table = [r for r in recs if r[0] == "ctxon.public.t"]
    assert len(table) == 7, table  # r, c, d, tombstone, c, d, tombstone
    run_ids = set()
    for topic, value, headers in table:
        names = [k for k, _ in headers]
        # A key change's __debezium.newkey/oldkey comes first, then the context headers.
        assert names[-4:] == CONTEXT, headers
        assert names[:-4] in ([], ["__debezium.newkey"], ["__debezium.oldkey"]), headers
        ctx = dict(headers[-4:])
        assert ctx["__debezium.context.connectorLogicalName"] == "ctxon"
        assert ctx["__debezium.context.taskId"] == "0"
        assert ctx["__debezium.context.connectorName"] == "postgresql"
        assert UUID7.match(ctx["__debezium.context.runId"]), ctx
        run_ids.add(ctx["__debezium.context.runId"])
    assert len(run_ids) == 1, run_ids  # one per start
    others = [r for r in recs if r[0] != "ctxon.public.t"]
    assert {r[0] for r in others} >= {"ctxon.transaction", "ctxon.message",
                                      "__debezium-heartbeat.ctxon"}, others
    for topic, value, headers in others:
        assert headers == [], (topic, headers)


def test_extended_headers_false_writes_none(pg, broker, workdir):
    recs = run(pg, broker, workdir, "ctxoff", {"extended_headers": False})
    table = [r for r in recs if r[0] == "ctxoff.public.t"]
    assert len(table) == 7, table
    for topic, value, headers in table:
        assert not [k for k, _ in headers if k.startswith("__debezium.context.")], headers
