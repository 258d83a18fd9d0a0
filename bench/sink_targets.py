"""The destinations of `bench.py stream --sink KIND` other than Kafka: the same servers the
integration tests start (tests/integration: Debian's nats-server, redis-server and
rabbitmq-server, kinesalite from npm), each on a free loopback port in a temp dir.

A SinkTarget starts its server, gives the `sink:` section a pgcdc configuration needs for it and
the server's process ids (for the CPU it spends while pgcdc drains), and stops what it started.
bench.py calls stop() in a finally block. Single-threaded, like bench.py.
"""

import os
import subprocess

# redis: Redis's default configuration (no AOF: an acknowledged entry is in memory);
# redis-everysec: AOF written at once, fsynced every second (Redis's recommended durable
# setting); redis-always: an fsync before every reply, as the integration tests run it (Redis
# then fsyncs once per 16 KB it reads from a client: the disk's fsync latency bounds the rate).
REDIS_FSYNC = {"redis": None, "redis-everysec": "everysec", "redis-always": "always"}
KINDS = ["nats"] + list(REDIS_FSYNC) + ["rabbitmq", "kinesis"]


def process_tree(pid):
    """pid and its descendants (rabbitmq-server's script starts the Erlang VM as a child)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        out = subprocess.run(["pgrep", "-P", str(p)], capture_output=True, text=True).stdout
        todo.extend(int(x) for x in out.split())
    return pids


class SinkTarget:
    def __init__(self, kind):
        self.kind = kind
        self.server = None

    def start(self):
        if self.kind == "nats":
            from test_sink_nats import NatsServer
            self.server = NatsServer().start()
        elif self.kind in REDIS_FSYNC:
            from sink_servers import RedisServer
            self.server = RedisServer(appendfsync=REDIS_FSYNC[self.kind]).start()
        elif self.kind == "rabbitmq":
            from sink_servers import RabbitServer
            self.server = RabbitServer().start()
        elif self.kind == "kinesis":
            from test_sink_kinesis import Kinesalite
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
            self.server = Kinesalite().start()
        else:
            raise ValueError(f"unknown sink {self.kind}")
        return self

    def describe(self):
        if self.kind in REDIS_FSYNC:
            fsync = REDIS_FSYNC[self.kind]
            return "redis-server (" + (f"appendonly yes, appendfsync {fsync})" if fsync
                                       else "default configuration: no AOF)")
        if self.kind == "rabbitmq":
            return "rabbitmq-server (persistent messages, publisher confirms)"
        if self.kind == "nats":
            return "nats-server -js (file store, PubAcks)"
        return "kinesalite (LevelDB), one shard per stream"

    def section(self, name):
        """The sink: section for connector `name` (its stream, exchange, ... named after it)."""
        if self.kind == "nats":
            return {"type": "nats", "nats": {"url": self.server.url, "stream": name.upper()}}
        if self.kind.startswith("redis"):
            return {"type": "redis", "redis": {"url": self.server.url()}}
        if self.kind == "rabbitmq":
            # pgcdc stops on a message the exchange cannot route (a mandatory publish returned):
            # a durable queue bound with "#" receives everything, as a consumer's would.
            self.server.bind_queue(name, f"{name}.all")
            return {"type": "rabbitmq", "rabbitmq": {"url": self.server.url, "exchange": name}}
        return {"type": "kinesis", "kinesis": {"region": "us-east-1",
                                               "endpoint": self.server.endpoint(),
                                               "create_streams": True}}

    def pids(self):
        proc = getattr(self.server, "proc", None)
        return process_tree(proc.pid) if proc is not None and proc.poll() is None else []

    def stop(self):
        if self.server is None:
            return
        for method in ("destroy", "close", "stop"):
            if hasattr(self.server, method):
                getattr(self.server, method)()
                break
