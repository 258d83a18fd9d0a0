"""A continuous writer for crash tests: one connection, serial transactions, each recording what
it committed so the test can check every committed change reached the topic."""

import random
import threading

import psycopg2


class Writer(threading.Thread):
    """Inserts, updates and deletes rows of `table(id int pk, version int, payload text)` in small
    transactions. `committed` lists (id, version, op) for every committed change. With
    track_lsn, `commit_lsns` gets (n, lsn) after each commit: the first n changes of `committed`
    committed at or below WAL position lsn (read just after the commit)."""

    def __init__(self, dsn, table, keys=50, seed=1, pause=0.002, first_key=1, track_lsn=False):
        super().__init__(daemon=True)
        self.dsn = dsn
        self.table = table
        self.keys = keys
        self.first_key = first_key
        self.rng = random.Random(seed)
        self.pause = pause
        self.stop_event = threading.Event()
        self.committed = []
        self.track_lsn = track_lsn
        self.commit_lsns = []
        self.error = None

    def run(self):
        try:
            conn = psycopg2.connect(self.dsn)
            cur = conn.cursor()
            versions = {}
            while not self.stop_event.is_set():
                batch = []
                for _ in range(self.rng.randint(1, 5)):
                    k = self.rng.randint(self.first_key, self.first_key + self.keys - 1)
                    if k not in versions:
                        versions[k] = 1
                        cur.execute(f"INSERT INTO {self.table} VALUES (%s, 1, %s)", (k, "x" * 20))
                        batch.append((k, 1, "c"))
                    elif self.rng.random() < 0.15:
                        del versions[k]
                        cur.execute(f"DELETE FROM {self.table} WHERE id = %s", (k,))
                        batch.append((k, None, "d"))
                    else:
                        versions[k] += 1
                        cur.execute(f"UPDATE {self.table} SET version = %s WHERE id = %s",
                                    (versions[k], k))
                        batch.append((k, versions[k], "u"))
                conn.commit()
                self.committed.extend(batch)
                if self.track_lsn:
                    cur.execute("SELECT pg_current_wal_lsn()::text")
                    self.commit_lsns.append((len(self.committed), cur.fetchone()[0]))
                    conn.commit()
                self.stop_event.wait(self.pause)
            conn.close()
        except Exception as e:  # surfaced by the test
            self.error = e

    def stop(self):
        self.stop_event.set()
        self.join(timeout=30)
        if self.error:
            raise self.error
