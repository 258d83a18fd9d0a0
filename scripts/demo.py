"""The README's demo: a throwaway PostgreSQL and Kafka-protocol broker on loopback, pgcdc
streaming between them, a few changes, and the resulting events read back with kcat.
Everything it starts is stopped at the end."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from pgcdc_harness import MockBroker, Pgcdc, PostgresServer, TopicReader  # noqa: E402


def main():
    workdir = tempfile.mkdtemp(prefix="pgcdc-demo-")
    pg = broker = p = None
    try:
        print("== starting a throwaway PostgreSQL (wal_level=logical) and a local broker")
        pg = PostgresServer().start()
        broker = MockBroker().start()
        pg.create_database("shop")
        pg.execute("""CREATE TABLE customers(id int PRIMARY KEY, name text NOT NULL, email text);
                      CREATE TABLE orders(id bigint PRIMARY KEY, customer_id int, amount numeric(10,2),
                                          placed_at timestamptz DEFAULT now())""", db="shop")
        # Already there when pgcdc starts: the initial snapshot reads it (op "r").
        pg.execute("INSERT INTO customers VALUES (3, 'Cy', 'cy@example.com')", db="shop")
        config = {
            "name": "shop",
            "source": {"dsn": pg.dsn("shop"), "tables": ["public.*"]},
            "format": {"schemas": False},  # payload-only JSON keeps the demo readable
            "sink": {"type": "kafka", "kafka": {"bootstrap.servers": broker.bootstrap}},
            "offsets": {"file": os.path.join(workdir, "shop.offsets")},
            "metrics": {"listen": "127.0.0.1:0"},
        }
        p = Pgcdc(config, workdir).start()
        p.wait_streaming()
        print(f"== pgcdc is streaming (config {p.config_path}); making some changes")
        statements = [
            "INSERT INTO customers VALUES (1, 'Ann', 'ann@example.com'), (2, 'Bob', NULL)",
            "INSERT INTO orders(id, customer_id, amount) VALUES (100, 1, 19.99)",
            "UPDATE customers SET email = 'bob@example.com' WHERE id = 2",
            "UPDATE orders SET amount = 24.50 WHERE id = 100",
            "DELETE FROM customers WHERE id = 1",
        ]
        for sql in statements:
            print("   " + sql)
            pg.execute(sql, db="shop")
        topics = ["shop.public.customers", "shop.public.orders"]
        reader = TopicReader(broker.bootstrap, topics)
        # 1 snapshot read + 4 customer changes + tombstone, 2 order changes
        reader.wait_count(8, timeout=60)
        reader.close()
        for topic in topics:
            print(f"\n== events on {topic} (kcat -C -t {topic}):")
            out = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", topic, "-o",
                                  "beginning", "-e", "-q", "-f", "key=%k\nvalue=%s\n\n"],
                                 capture_output=True, text=True, timeout=60)
            print(out.stdout.rstrip() or out.stderr)
        time.sleep(1.5)
        print("\n== slot position confirmed after delivery:",
              pg.slot("pgcdc_shop", "shop")[0])
        rc = p.stop()
        print(f"== pgcdc stopped (exit {rc}); log:\n" + p.log())
        return 0 if rc == 0 else 1
    finally:
        if p:
            p.kill()
        if broker:
            broker.stop()
        if pg:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
