"""The migration runner and the key checks at start (docs/hook.md, Schema and migrations,
Tokens at rest): several processes and threads opening one fresh database at once apply each
migration exactly once; a store from a newer hsinstall is refused; a missing, short or
malformed key, or a key ring without a row's key id, stops the hook at start with a message
naming HSINSTALL_TOKEN_KEY."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import APP_JSON, CLIENT_ID
from hsinstall import store as S
from hsinstall._sealing import KeyRing, SettingsError

KEY_A, KEY_B = "a" * 64, "b" * 64
ID_A = KeyRing.parse(KEY_A).sealing_id

OPEN_AT_ONCE = r"""
import sys, time
from hsinstall.store import open_store
from hsinstall._sealing import KeyRing
url, start = sys.argv[1], float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
s = open_store(url, KeyRing.parse(sys.argv[3]))
print(s.schema_version())
s.close()
"""


def store_url(dialect, tmp_path, request) -> str:
    return request.getfixturevalue("pg_url") if dialect == "postgresql" else "sqlite:///%s" % (tmp_path / "store.db")


def migrations(url: str):
    dialect, where = S.parse_store_url(url)
    if dialect == "sqlite":
        c = sqlite3.connect(where)
        try:
            return c.execute("SELECT version, name FROM hsinstall_migrations ORDER BY version").fetchall()
        finally:
            c.close()
    import psycopg2

    c = psycopg2.connect(where)
    try:
        with c.cursor() as cur:
            cur.execute("SELECT version, name FROM hsinstall_migrations ORDER BY version")
            return [tuple(r) for r in cur.fetchall()]
    finally:
        c.close()


EXPECTED = [(1, "tables"), (2, "token_key_id"), (3, "attempts_append_only")]  # as the Node hook records them


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_four_processes_opening_a_fresh_store_at_once_apply_each_migration_once(dialect, tmp_path, request):
    url = store_url(dialect, tmp_path, request)
    start = time.time() + 1.5  # every process imported and waiting by then
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_AT_ONCE, url, str(start), KEY_A], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [o[1][-2000:] for o in outs]
    assert [o[0].strip() for o in outs] == [str(len(EXPECTED))] * 4
    assert migrations(url) == EXPECTED


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_eight_threads_opening_a_fresh_store_at_once_apply_each_migration_once(dialect, tmp_path, request):
    url = store_url(dialect, tmp_path, request)
    barrier = threading.Barrier(8)
    results, errors = [], []

    def one():
        barrier.wait()
        try:
            s = S.open_store(url, KeyRing.parse(KEY_A))
            results.append(s.schema_version())
            s.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and results == [len(EXPECTED)] * 8
    assert migrations(url) == EXPECTED


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_store_migrated_by_a_newer_hsinstall_is_refused(dialect, tmp_path, request):
    url = store_url(dialect, tmp_path, request)
    s = S.open_store(url, KeyRing.parse(KEY_A))
    s._tx(lambda q: q("INSERT INTO hsinstall_migrations (version, name, applied_at) VALUES (?, ?, ?)", (99, "future", 1)))
    s.close()
    with pytest.raises(SettingsError) as e:
        S.open_store(url, KeyRing.parse(KEY_A))
    assert e.value.variable == "HSINSTALL_STORE" and "newer hsinstall" in str(e.value) and "99" in str(e.value)


def test_schema_files_come_from_the_package_copy_of_the_repository_folder(root):
    import hsinstall

    package = Path(hsinstall.__file__).resolve().parent
    for dialect in ("sqlite", "postgresql"):
        shipped = S.schema_migrations(dialect)
        repo = sorted((root / "schema" / dialect).glob("*.sql"))
        assert [(v, n) for v, n, _ in shipped] == [(int(p.name[:3]), p.stem[4:]) for p in repo]
        assert [sql for _, _, sql in shipped] == [p.read_text(encoding="utf-8") for p in repo]
        # the package (installed, or a CMake build folder) carries its own copy
        assert sorted(p.name for p in (package / "schema" / dialect).glob("*.sql")) == [p.name for p in repo]


def test_split_sql_keeps_a_sqlite_trigger_body_whole():
    text = "CREATE TRIGGER t BEFORE DELETE ON a\nBEGIN SELECT RAISE(ABORT, 'no; never'); END;\nCREATE TABLE b (x TEXT);"
    assert S.split_sql(text, "sqlite") == ["CREATE TRIGGER t BEFORE DELETE ON a\nBEGIN SELECT RAISE(ABORT, 'no; never'); END",
                                           "CREATE TABLE b (x TEXT)"]


def test_split_sql_keeps_statements_and_drops_comments():
    text = "-- a; comment\nCREATE TABLE t (a TEXT DEFAULT 'x;y'); -- trailing; one\n\nALTER TABLE t ADD COLUMN b TEXT;\n-- end"
    assert S.split_sql(text) == ["CREATE TABLE t (a TEXT DEFAULT 'x;y')", "ALTER TABLE t ADD COLUMN b TEXT"]


# ---------------------------------------------------------------------------- the key at start


def hook_env(tmp_path: Path, store: str, **over: str) -> dict:
    config = tmp_path / "app-hsmeta.json"
    config.write_text(APP_JSON)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSINSTALL_")}
    env.update(HSINSTALL_CLIENT_ID=CLIENT_ID, HSINSTALL_CLIENT_SECRET="test-secret-0123456789",
               HSINSTALL_STATE_KEY=os.urandom(32).hex(), HSINSTALL_APP_CONFIG=str(config), HSINSTALL_STORE=store)
    env.update(over)
    return env


def start_hook(env: dict):
    """Runs python -m hsinstall.hook; (returncode, stderr) when it stops at start, (0, first line) once it listens."""
    p = subprocess.Popen([sys.executable, "-m", "hsinstall.hook", "--port", "0"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "listening on" in line:
        p.terminate()
        p.communicate(timeout=10)
        return 0, line
    _, err = p.communicate(timeout=30)
    return p.returncode, err


def test_a_missing_short_or_malformed_token_key_stops_the_hook_at_start(tmp_path):
    store = "sqlite:///%s" % (tmp_path / "h.db")
    cases = {
        "missing": {},
        "short": {"HSINSTALL_TOKEN_KEY": os.urandom(31).hex()},
        "malformed": {"HSINSTALL_TOKEN_KEY": "not a key at all"},
        "one bad of two": {"HSINSTALL_TOKEN_KEY": KEY_A + "," + "c" * 40},
    }
    for name, over in cases.items():
        rc, err = start_hook(hook_env(tmp_path, store, **over))
        assert rc == 2 and "HSINSTALL_TOKEN_KEY" in err and "openssl rand -hex 32" in err, (name, err)
        assert over.get("HSINSTALL_TOKEN_KEY", "@")[:20] not in err, name  # the key itself is never echoed
    (tmp_path / "key").write_text(KEY_A + "\n")
    assert start_hook(hook_env(tmp_path, store, HSINSTALL_TOKEN_KEY_FILE=str(tmp_path / "key")))[0] == 0
    rc, err = start_hook(hook_env(tmp_path, store, HSINSTALL_TOKEN_KEY_FILE=str(tmp_path / "nope")))
    assert rc == 2 and "HSINSTALL_TOKEN_KEY_FILE" in err


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_key_ring_without_a_rows_key_id_stops_the_hook_at_start(dialect, tmp_path, request):
    url = store_url(dialect, tmp_path, request)
    s = S.open_store(url, KeyRing.parse(KEY_A))
    s.finish_exchange(None, "", S.Attempt(1, "installed", "installed", 5, ""),
                      S.Install(5, 1, "p5.example", ("oauth",), "at-5", "rt-5", 5000, 1000))
    s.close()
    rc, err = start_hook(hook_env(tmp_path, url, HSINSTALL_TOKEN_KEY=KEY_B))
    assert rc == 2, err
    assert "HSINSTALL_TOKEN_KEY" in err and ID_A in err and "rotate-key" in err and "after the current one" in err
    # The old key listed after the new one: the hook starts.
    assert start_hook(hook_env(tmp_path, url, HSINSTALL_TOKEN_KEY="%s %s" % (KEY_B, KEY_A)))[0] == 0
