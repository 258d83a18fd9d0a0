"""Start-up warnings scale with the problem, not the schema: with many tables the TOAST and
no-primary-key warnings are one line each (the count and the first few names; every name at
debug level), the snapshot's per-table completion lines move to debug, and key columns never
count as TOAST-able."""

import os

from conftest import base_config
from pgcdc_harness import Pgcdc

TOASTY = 60   # tables with a text column that is not part of the key
KEYLESS = 7   # tables without a primary key (and without TOAST-able columns)


def setup_db(pg, db):
    pg.create_database(db)
    ddl = [f"CREATE TABLE t{i:03d}(id int PRIMARY KEY, body text); "
           f"INSERT INTO t{i:03d} VALUES (1, 'x');" for i in range(1, TOASTY + 1)]
    ddl += [f"CREATE TABLE nk{i}(a int, b int); INSERT INTO nk{i} VALUES (1, 2);"
            for i in range(1, KEYLESS + 1)]
    # Their only TOAST-able columns are key columns: never warned about.
    ddl.append("CREATE TABLE keyonly(k text PRIMARY KEY, n int);")
    ddl.append("CREATE TABLE byindex(id int, code text NOT NULL); "
               "CREATE UNIQUE INDEX byindex_code ON byindex(code); "
               "ALTER TABLE byindex REPLICA IDENTITY USING INDEX byindex_code;")
    pg.execute("\n".join(ddl), db=db)


def run(pg, broker, workdir, tag, **overrides):
    d = os.path.join(workdir, tag)
    os.makedirs(d)
    cfg = base_config(pg, broker, "warn", db="warn", offsets={"file": os.path.join(d, "o.offsets")},
                      **overrides)
    p = Pgcdc(cfg, d).start()
    p.wait_streaming(timeout=120)
    assert p.stop() == 0, p.log()
    return p.log().splitlines()


def test_many_tables_give_one_line_per_warning(pg, broker, workdir):
    setup_db(pg, "warn")
    lines = run(pg, broker, workdir, "initial", snapshot={"mode": "initial"})

    warnings = [line for line in lines if " warning " in line]
    toast = [line for line in warnings if "TOAST-able" in line]
    assert len(toast) == 1, "\n".join(warnings)
    assert f"{TOASTY} tables have TOAST-able columns without REPLICA IDENTITY FULL: " \
           "public.t001 (body), public.t002 (body), public.t003 (body), public.t004 (body), " \
           f"public.t005 (body) and {TOASTY - 5} more;" in toast[0], toast[0]
    assert "keyonly" not in "\n".join(lines) and "byindex" not in "\n".join(lines)

    keyless = [line for line in warnings if "tables have no primary key" in line]
    assert len(keyless) == 1, "\n".join(warnings)
    assert f"{KEYLESS} tables have no primary key" in keyless[0], keyless[0]
    # FOR ALL TABLES publishes them without a replica identity: the application's writes
    # fail, said loudly, in one line too.
    failing = [line for line in warnings if "without a usable replica identity" in line]
    assert len(failing) == 1, "\n".join(warnings)
    assert f"publication pgcdc_warn publishes {KEYLESS} tables without a usable replica " \
           "identity: the application's UPDATE and DELETE on them FAIL: public.nk1 (no primary " \
           "key), public.nk2 (no primary key)" in failing[0], failing[0]
    assert len(warnings) == 3, "\n".join(warnings)

    assert not [line for line in lines if " done, " in line], "\n".join(lines)
    assert [line for line in lines if "snapshot complete:" in line]
    assert len(lines) < 30, "\n".join(lines)  # not one line per table

    # At debug level the full lists are there, still one line each.
    debug = run(pg, broker, workdir, "debug", log={"level": "debug"})
    full = [line for line in debug if "tables with TOAST-able columns" in line]
    assert len(full) == 1 and all(f"public.t{i:03d} (body)" in full[0]
                                  for i in range(1, TOASTY + 1)), full
    assert "keyonly" not in full[0] and "byindex" not in full[0]


def test_a_handful_of_tables_keep_a_line_each(pg, broker, workdir):
    pg.create_database("few")
    pg.execute("CREATE TABLE a(id int PRIMARY KEY, body text); INSERT INTO a VALUES (1, 'x');"
               "CREATE TABLE b(v text); INSERT INTO b VALUES ('y');", db="few")
    d = os.path.join(workdir, "few")
    os.makedirs(d)
    cfg = base_config(pg, broker, "few", db="few", offsets={"file": os.path.join(d, "o.offsets")},
                      snapshot={"mode": "initial"})
    p = Pgcdc(cfg, d).start()
    p.wait_streaming(timeout=60)
    assert p.stop() == 0, p.log()
    log = p.log()
    assert "table public.a has TOAST-able columns (body) without REPLICA IDENTITY FULL" in log
    assert "table public.b has TOAST-able columns (v) without REPLICA IDENTITY FULL" in log
    assert "table public.b has no primary key" in log
    assert "publication pgcdc_few (FOR ALL TABLES) publishes table public.b, which has no " \
           "usable replica identity (no primary key): the application's UPDATE and DELETE on " \
           "it FAIL" in log, log
    assert "snapshot: public.a done, 1 rows" in log and "snapshot: public.b done, 1 rows" in log
