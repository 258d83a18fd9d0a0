"""[peers] librdkafka 2.0.2's transactional producer (Debian's, the library pgcdc links) against a
real Apache Kafka broker: init, commit, abort after a produce, fencing of a second producer with
the same transactional.id, and a read_committed consumer that sees committed records only. Not
exactly-once delivery itself: the ground it will be built on.

librdkafka 2.0.2 caveat followed here (docs: shared reference exactly-once.md, 2.4, #4849): an
abort is sent only after the transaction's produced records have been acknowledged."""

import uuid

import pytest
from confluent_kafka import (Consumer, KafkaError, KafkaException, Producer, TopicPartition,
                             OFFSET_BEGINNING, libversion)

from real_kafka import KafkaCluster

TIMEOUT = 30  # seconds for each transactional call


@pytest.fixture(scope="module")
def kafka():
    k = KafkaCluster(brokers=1).start()
    yield k
    k.stop()


def producer(kafka, txn_id, **extra):
    conf = {"bootstrap.servers": kafka.bootstrap, "transactional.id": txn_id,
            "transaction.timeout.ms": 60000, "linger.ms": 5}
    conf.update(extra)
    return Producer(conf)


def produce_acked(p, topic, values, key=b"k"):
    """Produces and waits until every record is acknowledged; returns the delivery errors."""
    errors = []
    done = []

    def report(err, msg):
        done.append(msg)
        if err is not None:
            errors.append(err)
    for v in values:
        p.produce(topic, value=v, key=key, on_delivery=report)
    while len(done) < len(values):
        p.poll(0.1)
    return errors


def read_all(kafka, topic, isolation):
    """Every record of partition 0 up to its end (the last stable offset for read_committed),
    with a consumer of the given isolation.level; returns the values in offset order."""
    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": "t-" + uuid.uuid4().hex,
                  "enable.auto.commit": False, "isolation.level": isolation,
                  "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        values = []
        for _ in range(200):
            msg = c.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    return values
                raise KafkaException(msg.error())
            values.append(msg.value())
        raise AssertionError(f"no end of partition reached on {topic}; read {values}")
    finally:
        c.close()


def test_linked_librdkafka_is_the_one_pgcdc_uses():
    # The findings below are about this version; a newer one may behave differently.
    assert libversion()[0] == "2.0.2", libversion()


def test_commit_abort_and_read_committed(kafka):
    topic = "txn.smoke"
    kafka.create_topic(topic, 1)
    p = producer(kafka, "pgcdc-txn-" + uuid.uuid4().hex[:8])
    p.init_transactions(TIMEOUT)

    p.begin_transaction()
    assert produce_acked(p, topic, [b"c1", b"c2", b"c3"]) == []
    p.commit_transaction(TIMEOUT)

    p.begin_transaction()
    assert produce_acked(p, topic, [b"a1", b"a2"]) == []  # written to the log, then aborted
    p.abort_transaction(TIMEOUT)

    p.begin_transaction()
    assert produce_acked(p, topic, [b"c4"]) == []
    p.commit_transaction(TIMEOUT)

    # An open transaction: its records are in the log but not below the last stable offset.
    p.begin_transaction()
    assert produce_acked(p, topic, [b"open"]) == []

    assert read_all(kafka, topic, "read_committed") == [b"c1", b"c2", b"c3", b"c4"]
    # The aborted and the open records really are in the log: a read_uncommitted consumer sees
    # them, so the filtering above is the broker's and the consumer's, not a lost produce.
    assert read_all(kafka, topic, "read_uncommitted") == \
        [b"c1", b"c2", b"c3", b"a1", b"a2", b"c4", b"open"]

    p.commit_transaction(TIMEOUT)
    assert read_all(kafka, topic, "read_committed") == [b"c1", b"c2", b"c3", b"c4", b"open"]
    # Offsets count the transaction markers too: 7 records + 4 control records.
    lo, hi = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": "w"}) \
        .get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    assert (lo, hi) == (0, 11)


def test_second_producer_with_the_same_id_fences_the_first(kafka):
    topic = "txn.fence"
    kafka.create_topic(topic, 1)
    txn_id = "pgcdc-fence-" + uuid.uuid4().hex[:8]
    first = producer(kafka, txn_id)
    first.init_transactions(TIMEOUT)
    first.begin_transaction()
    assert produce_acked(first, topic, [b"first-1"]) == []
    first.commit_transaction(TIMEOUT)

    # The first opens a transaction; a second instance with the same id takes over (bumps the
    # epoch and aborts what the first left open).
    first.begin_transaction()
    first.produce(topic, value=b"first-2", key=b"k")
    first.flush(TIMEOUT)
    second = producer(kafka, txn_id)
    second.init_transactions(TIMEOUT)

    with pytest.raises(KafkaException) as e:
        first.produce(topic, value=b"first-3", key=b"k")
        first.commit_transaction(TIMEOUT)
    err = e.value.args[0]
    # Fenced is fatal: this producer instance can do nothing more and must be dropped.
    assert err.fatal(), err
    assert err.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED,
                          KafkaError.INVALID_PRODUCER_EPOCH), err
    with pytest.raises(KafkaException):
        first.begin_transaction()

    second.begin_transaction()
    assert produce_acked(second, topic, [b"second-1"]) == []
    second.commit_transaction(TIMEOUT)
    assert read_all(kafka, topic, "read_committed") == [b"first-1", b"second-1"]
