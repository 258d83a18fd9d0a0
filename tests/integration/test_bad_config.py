"""[core] acceptance: bad configuration (missing keys, unknown keys, wrong types, unreachable
database, missing privileges, wal_level not logical) ends with one clear error line naming the key
or the cause and a non-zero exit, before anything is created on the server."""

import json
import os

import pytest

import yaml_writer
from conftest import base_config
from pgcdc_harness import Pgcdc, PostgresServer, free_port, run_pgcdc, wait_until


def write(workdir, text, name="bad.yaml"):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def assert_one_line_error(result, code, *needles):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # CLI errors start with "error:"; log lines carry the level as their second field.
    errors = [line for line in lines
              if line.startswith("error:") or line.split(" ")[1:2] == ["error"]]
    assert len(errors) == 1, result.stderr
    for n in needles:
        assert n in errors[0], (n, errors[0])
    return errors[0]


def nothing_created(pg, db="postgres"):
    assert pg.execute("SELECT count(*) FROM pg_publication", db) == [(0,)]
    assert pg.execute("SELECT count(*) FROM pg_replication_slots") == [(0,)]


GOOD = """name: shop
source:
  dsn: "host=127.0.0.1 dbname=x"
sink:
  type: stdout
"""


@pytest.mark.parametrize("text,needle", [
    ("", "configuration is empty"),
    ("name: [oops\n", "invalid YAML at line"),
    ("source:\n  dsn: x\nsink:\n  type: stdout\n", "name: required key is missing"),
    ("name: shop\nsink:\n  type: stdout\n", "source: required section is missing"),
    (GOOD + "extra: 1\n", "extra: unknown key"),
    (GOOD.replace("type: stdout", "type: stdout\n  kafak: {}"), "sink.kafak: unknown key"),
    (GOOD + "format:\n  schemas: 3\n", "format.schemas: must be true or false"),
    (GOOD + "offsets:\n  commit_interval_ms: soon\n", "offsets.commit_interval_ms: must be an integer"),
    (GOOD.replace("stdout", "kafka"), "sink.kafka.bootstrap.servers: required key is missing"),
    (GOOD.replace("stdout", "rabbit"), "sink.type: must be one of kafka, stdout"),
    (GOOD.replace("shop", "shop/eu"), "name: 'shop/eu' may contain only"),
    (GOOD.replace('"host=127.0.0.1 dbname=x"', '"${PGCDC_SURELY_UNSET_VAR}"'),
     "source.dsn: environment variable PGCDC_SURELY_UNSET_VAR is not set"),
])
def test_config_errors_exit_2_with_one_line(workdir, text, needle):
    path = write(workdir, text)
    for cmd in ("run", "validate"):
        r = run_pgcdc([cmd, "-c", path])
        assert_one_line_error(r, 2, needle)


def test_usage_errors(workdir):
    assert run_pgcdc([]).returncode == 2
    assert run_pgcdc(["run"]).returncode == 2
    assert run_pgcdc(["frobnicate", "-c", "x"]).returncode == 2
    r = run_pgcdc(["run", "-c", os.path.join(workdir, "missing.yaml")])
    assert_one_line_error(r, 2, "cannot read configuration file")
    assert run_pgcdc(["--help"]).returncode == 0
    assert run_pgcdc(["--version"]).stdout.startswith("pgcdc ")


def run_with(pg, workdir, cfg):
    cfg.setdefault("metrics", {"listen": "127.0.0.1:0"})  # tests run side by side
    path = write(workdir, yaml_writer.dump(cfg), "cfg.yaml")
    return run_pgcdc(["run", "-c", path], timeout=60)


def test_unreachable_database(pg, workdir):
    cfg = {"name": "u", "source": {"dsn": f"host=127.0.0.1 port={free_port()} dbname=x "
                                           "password=hunter2 connect_timeout=3"},
           "sink": {"type": "stdout"}, "offsets": {"file": os.path.join(workdir, "u.offsets")}}
    r = run_with(pg, workdir, cfg)
    line = assert_one_line_error(r, 1, "cannot connect")
    assert "hunter2" not in r.stderr + r.stdout
    assert not os.path.exists(cfg["offsets"]["file"])
    assert line


def test_wrong_password(pg, workdir):
    # This role must authenticate with a password (first matching pg_hba.conf line wins).
    pg.execute("DROP ROLE IF EXISTS pwuser; CREATE ROLE pwuser LOGIN REPLICATION PASSWORD "
               "'right-one'")
    hba = os.path.join(pg.dir, "data", "pg_hba.conf")
    with open(hba) as f:
        rules = f.read()
    with open(hba, "w") as f:
        f.write("host all pwuser 127.0.0.1/32 scram-sha-256\n" + rules)
    pg.execute("SELECT pg_reload_conf()")
    cfg = {"name": "pw", "source": {"dsn": pg.dsn(user="pwuser") + " password=wrong-secret-42"},
           "sink": {"type": "stdout"}, "offsets": {"file": os.path.join(workdir, "pw.offsets")},
           "metrics": {"listen": "127.0.0.1:0"}}
    for cmd in ("run", "validate"):
        path = write(workdir, yaml_writer.dump(cfg), "cfg.yaml")
        r = run_pgcdc([cmd, "-c", path], timeout=60)
        assert_one_line_error(r, 1, "password authentication failed for user \"pwuser\"")
        assert "wrong-secret-42" not in r.stderr + r.stdout
    assert not os.path.exists(cfg["offsets"]["file"])


def test_missing_replication_privilege(pg, workdir):
    pg.execute("CREATE ROLE plain LOGIN")
    cfg = {"name": "p", "source": {"dsn": pg.dsn(user="plain"), "tables": ["public.*"]},
           "sink": {"type": "stdout"}, "offsets": {"file": os.path.join(workdir, "p.offsets")}}
    r = run_with(pg, workdir, cfg)
    # A role without REPLICATION cannot even open the walsender connection.
    assert_one_line_error(r, 1, "replication")
    nothing_created(pg)


def test_for_all_tables_needs_superuser(pg, workdir):
    pg.execute("CREATE ROLE repl LOGIN REPLICATION")
    cfg = {"name": "r", "source": {"dsn": pg.dsn(user="repl")},
           "sink": {"type": "stdout"}, "offsets": {"file": os.path.join(workdir, "r.offsets")}}
    r = run_with(pg, workdir, cfg)
    assert_one_line_error(r, 1, "FOR ALL TABLES publication needs a superuser")
    nothing_created(pg)


def test_include_list_matching_nothing(pg, workdir):
    cfg = {"name": "n", "source": {"dsn": pg.dsn(), "tables": ["nosuch.*"]},
           "sink": {"type": "stdout"}, "offsets": {"file": os.path.join(workdir, "n.offsets")}}
    r = run_with(pg, workdir, cfg)
    assert_one_line_error(r, 1, "source.tables matches no table")
    nothing_created(pg)


def test_unreachable_broker(pg, workdir):
    cfg = {"name": "k", "source": {"dsn": pg.dsn()},
           "sink": {"type": "kafka", "kafka": {"bootstrap.servers": f"127.0.0.1:{free_port()}"}},
           "offsets": {"file": os.path.join(workdir, "k.offsets")}}
    r = run_with(pg, workdir, cfg)
    assert_one_line_error(r, 1, "cannot reach bootstrap.servers")
    nothing_created(pg)


def test_wal_level_not_logical(workdir):
    server = PostgresServer(extra_conf={"wal_level": "replica"}).start()
    try:
        cfg = {"name": "w", "source": {"dsn": server.dsn()}, "sink": {"type": "stdout"},
               "offsets": {"file": os.path.join(workdir, "w.offsets")}}
        r = run_with(server, workdir, cfg)
        assert_one_line_error(r, 1, "wal_level is 'replica'", "wal_level = logical")
        nothing_created(server)
        v = run_pgcdc(["validate", "-c", os.path.join(workdir, "cfg.yaml")])
        assert_one_line_error(v, 1, "wal_level")
    finally:
        server.stop()


def test_foreign_offsets_file_is_refused(pg, workdir):
    offsets = os.path.join(workdir, "f.offsets")
    with open(offsets, "w") as f:
        f.write('{"format":1,"slot":"other","system_id":"1","database":"postgres",'
                '"timeline":1,"lsn":"0/1"}')
    cfg = {"name": "f", "source": {"dsn": pg.dsn(), "tables": ["public.*"]},
           "sink": {"type": "stdout"}, "offsets": {"file": offsets}}
    pg.execute("CREATE TABLE IF NOT EXISTS ft(id int primary key)")
    r = run_with(pg, workdir, cfg)
    assert_one_line_error(r, 1, "belongs to slot 'other'", "refusing")
    with open(offsets) as f:
        assert '"slot":"other"' in f.read()  # untouched
    nothing_created(pg)


def test_least_privilege_role_streams(pg, workdir):
    """The documented least-privilege setup: an admin owns the publication; pgcdc's role has
    LOGIN REPLICATION and SELECT on the captured table, nothing else."""
    pg.create_database("lp")
    pg.execute("""
        CREATE TABLE lp(id int PRIMARY KEY, v text);
        CREATE PUBLICATION lp_pub FOR TABLE lp;
        CREATE ROLE cdc_lp LOGIN REPLICATION;
        GRANT SELECT ON lp TO cdc_lp;
    """, db="lp")
    cfg = {"name": "lp",
           "source": {"dsn": pg.dsn("lp", user="cdc_lp"), "publication": "lp_pub",
                      "create_publication": False, "tables": ["public.lp"]},
           "sink": {"type": "stdout"}, "offsets": {"file": os.path.join(workdir, "lp.offsets")}}
    p = Pgcdc(cfg, workdir).start()
    try:
        p.wait_streaming()
        pg.execute("INSERT INTO lp VALUES (1, 'x')", db="lp")

        def lines():
            with open(p.out_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        got = wait_until(lines, timeout=30, what="an event")
    finally:
        assert p.stop() == 0, p.log()
    assert got[0]["value"]["payload"]["after"] == {"id": 1, "v": "x"}
    pg.execute("SELECT pg_drop_replication_slot('pgcdc_lp')")  # other tests expect no slots
    # With create_publication false, a missing publication is a clear error, not a creation.
    cfg["source"]["publication"] = "nope"
    r = run_with(pg, workdir, cfg)
    assert_one_line_error(r, 1, "publication 'nope' does not exist")
