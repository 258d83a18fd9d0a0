"""[reliability] TLS to PostgreSQL: sslmode=verify-full against a server certificate signed by a
private CA works for the SQL and the replication connections; a certificate from another CA is
one clear error."""

import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from conftest import base_config
from pgcdc_harness import Pgcdc, PostgresServer, TopicReader


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=d)


@pytest.fixture(scope="module")
def tls():
    d = tempfile.mkdtemp(prefix="pgcdc-tls-")
    make_ca(d, "ca")
    make_ca(d, "otherca")
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
            "server.key", "-out", "server.csr", cwd=d)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.crt", cwd=d)
    os.chmod(os.path.join(d, "server.key"), 0o600)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        for name in ("server.key", "server.crt"):
            os.chown(os.path.join(d, name), pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o755)
    server = PostgresServer(extra_conf={
        "ssl": "on",
        "ssl_cert_file": f"'{d}/server.crt'",
        "ssl_key_file": f"'{d}/server.key'",
    }).start()
    yield server, d
    server.stop()
    shutil.rmtree(d, ignore_errors=True)  # keys and certificates


def test_verify_full_streams_over_tls(tls, broker, workdir):
    pg, d = tls
    pg.create_database("tls")
    pg.execute("CREATE TABLE t(id int PRIMARY KEY, v text)", db="tls")
    pg.execute("INSERT INTO t VALUES (1, 'before')", db="tls")
    cfg = base_config(pg, broker, "tls", db="tls",
                      offsets={"file": os.path.join(workdir, "tls.offsets")})
    cfg["source"]["dsn"] = pg.dsn("tls") + f" sslmode=verify-full sslrootcert={d}/ca.crt"
    cfg["snapshot"] = {"mode": "initial"}
    reader = TopicReader(broker.bootstrap, ["tls.public.t"])
    p = Pgcdc(cfg, workdir).start()
    p.wait_streaming()
    pg.execute("INSERT INTO t VALUES (2, 'streamed')", db="tls")
    recs = reader.wait_count(2, timeout=30)
    # Both of pgcdc's connections (SQL and walsender) are encrypted.
    ssl = pg.execute("SELECT s.ssl, a.backend_type FROM pg_stat_ssl s JOIN pg_stat_activity a "
                     "USING (pid) WHERE a.usename = 'postgres' AND a.application_name = 'pgcdc'",
                     db="tls")
    assert p.stop() == 0, p.log()
    reader.close()
    assert sorted((r.key_payload["id"], r.payload["op"]) for r in recs) == [(1, "r"), (2, "c")]
    assert ssl and all(row[0] for row in ssl), ssl
    assert any(row[1] == "walsender" for row in ssl), ssl


def test_certificate_from_another_ca_is_one_clear_error(tls, broker, workdir):
    pg, d = tls
    cfg = base_config(pg, broker, "tlsbad", offsets={"file": os.path.join(workdir, "b.offsets")})
    cfg["source"]["dsn"] = pg.dsn() + f" sslmode=verify-full sslrootcert={d}/otherca.crt"
    p = Pgcdc(cfg, workdir).start()
    p.proc.wait(timeout=60)
    assert p.proc.returncode == 1, p.log()
    errors = [l for l in p.log().splitlines() if " error " in l]
    assert len(errors) == 1 and "certificate verify failed" in errors[0], p.log()
