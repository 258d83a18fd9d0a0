"""[secrets] acceptance: a password of any printable characters works through
`password=${PGCDC_PASSWORD}` (and the URI form) for the SQL and the replication connections, and
no output of pgcdc (stdout, stderr, /metrics) ever contains a fragment of it of 4 or more
characters: not when it works, not when the password is wrong, the server is down or the DSN is
malformed elsewhere. The same for the Kafka credentials (sasl.password, ssl.key.password).

The server requires scram-sha-256 for the test role on 127.0.0.1, for both database and
replication connections, so a password that pgcdc mangles cannot connect."""

import os
import random
import re
import urllib.request

import psycopg2
import pytest

import yaml_writer
from pgcdc_harness import Pgcdc, TopicReader, free_port, run_pgcdc, wait_until

ROLE = "cdc_secret"
DB = "sec"


def long_password():
    rng = random.Random(13)
    alphabet = [chr(c) for c in range(0x20, 0x7f)] + ["\u00e4", "\u00df", "\u2713", "\u65e5"]
    return "".join(rng.choice(alphabet) for _ in range(1000))


PASSWORDS = {
    "quotes": "a'ss\"w\\rd p=1 ' x",           # the example, spaces, quotes, '=' and '\'
    "backslashes": "\\\\'\\ '' \\' zq\\",
    "unicode": "Zw\u00f6lf Gr\u00fc\u00dfe \u2713 \u65e5\u672c '=\\\"",
    "long": long_password(),
}


def fragments(secret):
    """Every piece of 4 characters: a longer fragment contains one of them."""
    return {secret[i:i + 4] for i in range(len(secret) - 3)}


def assert_no_fragment(secret, *outputs):
    text = "\n".join(outputs)
    # A piece that is all hex digits (the long password has 6E96, 7E85, c323) can turn up in a
    # WAL position such as 0/1A45E78 by chance; a real leak shows the pieces around it too.
    leaked = sorted(f for f in fragments(secret)
                    if f in text and not re.fullmatch("[0-9A-Fa-f]{4}", f))
    assert not leaked, f"fragments of the secret in the output: {leaked[:5]}"


@pytest.fixture(scope="module")
def secure_pg(pg):
    """The module's server, with password authentication for ROLE (first matching line wins)."""
    pg.execute(f"CREATE ROLE {ROLE} LOGIN REPLICATION SUPERUSER PASSWORD 'initial'")
    pg.create_database(DB)
    hba = os.path.join(pg.dir, "data", "pg_hba.conf")
    with open(hba) as f:
        rules = f.read()
    with open(hba, "w") as f:
        f.write(f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n"
                f"host replication {ROLE} 127.0.0.1/32 scram-sha-256\n" + rules)
    pg.execute("SELECT pg_reload_conf()")
    return pg


def set_password(pg, password):
    conn = pg.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SET password_encryption = 'scram-sha-256'")
            # The statement is built client-side with the value as a literal: ALTER ROLE takes no
            # bind parameters.
            cur.execute(f"ALTER ROLE {ROLE} PASSWORD %s", (password,))
    finally:
        conn.close()


def write_config(workdir, cfg, name="cfg.yaml"):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(yaml_writer.dump(cfg))
    return path


def keyword_dsn(pg, port=None):
    return (f"host=127.0.0.1 port={port or pg.port} dbname={DB} user={ROLE} "
            "password=${PGCDC_PASSWORD} connect_timeout=5")


def uri_dsn(pg):
    return f"postgresql://{ROLE}:${{PGCDC_PASSWORD}}@127.0.0.1:{pg.port}/{DB}?connect_timeout=5"


def config(name, dsn, broker, workdir, **extra):
    cfg = {
        "name": name,
        "source": {"dsn": dsn, "tables": [f"public.{name}"], "status_interval_ms": 1000},
        "snapshot": {"mode": "initial"},
        "sink": {"type": "kafka", "kafka": {"bootstrap.servers": broker.bootstrap}},
        "offsets": {"file": os.path.join(workdir, f"{name}.offsets"), "commit_interval_ms": 200},
        "metrics": {"listen": "127.0.0.1:0"},
    }
    cfg.update(extra)
    return cfg


def outputs(result):
    return result.stdout + "\n" + result.stderr


@pytest.mark.parametrize("label", sorted(PASSWORDS))
def test_hostile_password_works_and_never_shows(secure_pg, broker, workdir, monkeypatch, label):
    pg, password = secure_pg, PASSWORDS[label]
    set_password(pg, password)
    monkeypatch.setenv("PGCDC_PASSWORD", password)
    table = f"t_{label}"
    pg.execute(f"CREATE TABLE {table}(id int PRIMARY KEY, v text)", DB)
    pg.execute(f"INSERT INTO {table} VALUES (1, 'before')", DB)
    seen = []

    # validate: both connections (it opens a replication connection too), keyword and URI form.
    for dsn in (keyword_dsn(pg), uri_dsn(pg)):
        cfg = config(table, dsn, broker, workdir)
        r = run_pgcdc(["validate", "-c", write_config(workdir, cfg)])
        seen.append(outputs(r))
        assert r.returncode == 0, outputs(r)
        assert "ok    replication connection accepted" in r.stdout

    # run: the snapshot (worker connections), then streaming (the replication connection).
    cfg = config(table, keyword_dsn(pg), broker, workdir)
    p = Pgcdc(cfg, workdir).start()
    reader = TopicReader(broker.bootstrap, [f"{table}.public.{table}"])
    try:
        p.wait_streaming()
        pg.execute(f"INSERT INTO {table} VALUES (2, 'after')", DB)
        records = reader.wait_count(2)
        assert sorted((r.payload["op"], r.payload["after"]["v"]) for r in records) == [
            ("c", "after"), ("r", "before")]
        port = re.search(r"metrics on http://[\d.]+:(\d+)/", p.log()).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as m:
            seen.append(m.read().decode())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as m:
            seen.append(m.read().decode())
    finally:
        reader.close()
        assert p.stop() == 0, p.log()
    seen.append(p.log())
    with open(p.out_path) as f:
        seen.append(f.read())
    assert "taking a snapshot" in p.log()

    # The admin commands, on the stopped connector.
    path = write_config(workdir, cfg)
    for cmd in (["status"], ["offsets", "show"]):
        r = run_pgcdc(cmd + ["-c", path])
        seen.append(outputs(r))
        assert r.returncode == 0, outputs(r)
    assert f"slot pgcdc_{table}: inactive" in seen[-2]
    assert_no_fragment(password, *seen)


def test_failures_never_show_the_password(secure_pg, broker, workdir, monkeypatch):
    pg = secure_pg
    set_password(pg, PASSWORDS["quotes"])
    name = "t_fail"
    pg.execute(f"CREATE TABLE IF NOT EXISTS {name}(id int PRIMARY KEY)", DB)
    for label, wrong in PASSWORDS.items():
        # Wrong password: the server refuses it; the error says so without quoting it.
        if label == "quotes":
            continue
        monkeypatch.setenv("PGCDC_PASSWORD", wrong)
        cfg = config(name, keyword_dsn(pg), broker, workdir)
        path = write_config(workdir, cfg)
        for cmd in (["validate"], ["run"], ["status"]):
            r = run_pgcdc(cmd + ["-c", path])
            assert r.returncode == 1, outputs(r)
            assert f'password authentication failed for user "{ROLE}"' in r.stderr + r.stdout
            assert_no_fragment(wrong, outputs(r))

    password = PASSWORDS["long"]
    monkeypatch.setenv("PGCDC_PASSWORD", password)
    # The server is down (nothing listens on the port).
    cfg = config(name, keyword_dsn(pg, port=free_port()), broker, workdir)
    path = write_config(workdir, cfg)
    for cmd in (["validate"], ["run"], ["slot", "drop"]):
        r = run_pgcdc(cmd + ["-c", path])
        assert r.returncode == 1, outputs(r)
        assert "cannot connect" in outputs(r)
        assert_no_fragment(password, outputs(r))

    # A DSN malformed elsewhere: an unclosed quote swallows the password, a stray word or an
    # unknown keyword follows it. The loader's syntax errors exit 2 before anything connects;
    # libpq's refusals (unknown keyword or URI parameter) come from the connection attempt.
    for dsn, where in [
        (f"host='127.0.0.1 port={pg.port} user={ROLE} password=${{PGCDC_PASSWORD}}", "loader"),
        (f"host=127.0.0.1 port={pg.port} password=${{PGCDC_PASSWORD}} \\", "loader"),
        (f"port={pg.port} password=${{PGCDC_PASSWORD}}x y", "loader"),
        (f"host=127.0.0.1 port={pg.port} password=${{PGCDC_PASSWORD}} nosuchkeyword=1", "libpq"),
        (f"postgresql://{ROLE}:${{PGCDC_PASSWORD}}@127.0.0.1:{pg.port}/{DB}?bogus=1", "libpq"),
    ]:
        cfg = config(name, dsn, broker, workdir)
        path = write_config(workdir, cfg)
        for cmd in (["validate"], ["run"]):
            r = run_pgcdc(cmd + ["-c", path])
            assert r.returncode != 0, (dsn, outputs(r))
            if where == "loader":
                assert r.returncode == 2 and "source.dsn: not a valid connection string" in \
                    r.stderr, (dsn, outputs(r))
            else:
                assert "source.dsn: " in outputs(r), (dsn, outputs(r))
            assert_no_fragment(password, outputs(r))

    # A literal password with a space, unquoted, in the file: the error names no part of it.
    literal = "Lit3ral sp4ce-pw"
    cfg = config(name, f"host=127.0.0.1 port={pg.port} password={literal}", broker, workdir)
    r = run_pgcdc(["validate", "-c", write_config(workdir, cfg)])
    assert r.returncode == 2, outputs(r)
    assert "source.dsn: not a valid connection string" in r.stderr
    assert_no_fragment(literal, outputs(r))


def test_kafka_credentials_never_show(secure_pg, broker, workdir, monkeypatch):
    """The mock broker speaks no SASL: the client's authentication fails, and librdkafka logs
    (also at debug level, with its configuration dump) must not carry the credentials."""
    pg = secure_pg
    set_password(pg, PASSWORDS["unicode"])
    monkeypatch.setenv("PGCDC_PASSWORD", PASSWORDS["unicode"])
    # Unlike the passwords above, nothing pgcdc or librdkafka prints contains their pieces
    # (a secret holding "sasl" would mask that word in every log line).
    sasl = "k4fk4 'S\"A\\S=L' pw \u2713 \u00fcq"
    key_pw = "k3y \\'\" =pw\u00e9 zq"
    monkeypatch.setenv("PGCDC_SASL", sasl)
    name = "t_kafka"
    pg.execute(f"CREATE TABLE IF NOT EXISTS {name}(id int PRIMARY KEY)", DB)
    kafka = {"bootstrap.servers": broker.bootstrap, "security.protocol": "SASL_PLAINTEXT",
             "sasl.mechanisms": "PLAIN", "sasl.username": "pgcdc",
             "sasl.password": "${PGCDC_SASL}", "debug": "conf,security,broker"}
    cfg = config(name, keyword_dsn(pg), broker, workdir, log={"level": "debug"},
                 snapshot={"mode": "never"})
    cfg["sink"]["kafka"] = kafka
    p = Pgcdc(cfg, workdir).start()
    try:
        wait_until(lambda: "SASL authentication" in p.log() or not p.alive(), 30,
                   what="librdkafka to try SASL")
    finally:
        p.stop()
    assert "sasl.password" in p.log()  # the configuration dump was logged, the value was not
    assert_no_fragment(sasl, p.log())
    with open(p.out_path) as f:
        assert_no_fragment(sasl, f.read())

    # validate: the sink cannot be created (a key file that is not there, with its password).
    kafka.pop("debug")
    kafka.update({"security.protocol": "SASL_SSL", "ssl.key.location": "/nonexistent/key.pem",
                  "ssl.key.password": key_pw})
    r = run_pgcdc(["validate", "-c", write_config(workdir, cfg)], timeout=90)
    assert r.returncode != 0, outputs(r)
    assert "FAIL  kafka" in r.stdout, outputs(r)
    assert_no_fragment(sasl, outputs(r))
    assert_no_fragment(key_pw, outputs(r))
