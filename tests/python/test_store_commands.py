"""The store's commands as a site runs them (docs/hook.md, Commands):
``python -m hsinstall.hook rotate-key`` and ``python -m hsinstall.hook migrate-store --from
URL --to URL``, as subprocesses, settings from the environment."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from conftest import APP_JSON, CLIENT_ID
from hsinstall import hook as H
from hsinstall import store as S
from hsinstall._sealing import KeyRing

KEY_A, KEY_B = os.urandom(32).hex(), os.urandom(32).hex()
RING_A, RING_B = KeyRing.parse(KEY_A), KeyRing.parse(KEY_B)


def command(args: List[str], **env: str) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith("HSINSTALL_")}
    e.update(env)
    return subprocess.run([sys.executable, "-m", "hsinstall.hook", *args], env=e, capture_output=True, text=True, timeout=120)


def install(pid: int, updated_at: int = 1000, expires_at: int = 5000, tag: str = "") -> S.Install:
    return S.Install(pid, 7, "p%d.example" % pid, ("oauth", "crm.objects.contacts.read"), "at-%d%s" % (pid, tag),
                     "rt-%d%s" % (pid, tag), expires_at, updated_at)


def put(store: S.Store, i: S.Install) -> None:
    store.finish_exchange(None, "", S.Attempt(i.updated_at, "installed", "installed", i.portal_id, ""), i)


class Raw:
    def __init__(self, url: str) -> None:
        self.dialect, where = S.parse_store_url(url)
        if self.dialect == "sqlite":
            self.c = sqlite3.connect(where, isolation_level=None)
        else:
            import psycopg2

            self.c = psycopg2.connect(where)
            self.c.autocommit = True

    def q(self, sql: str, args: tuple = ()) -> List[Tuple]:
        if self.dialect == "sqlite":
            return self.c.execute(sql, args).fetchall()
        with self.c.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), args or None)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def close(self) -> None:
        self.c.close()


def raw(url: str, sql: str, args: tuple = ()) -> List[Tuple]:
    r = Raw(url)
    try:
        return r.q(sql, args)
    finally:
        r.close()


# ---------------------------------------------------------------------------- rotate-key


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_rotate_key_reseals_every_row_with_the_first_key(dialect, tmp_path, request):
    url = request.getfixturevalue("pg_url") if dialect == "postgresql" else "sqlite:///%s" % (tmp_path / "r.db")
    s = S.open_store(url, RING_A)
    for pid in (3, 1, 2):
        put(s, install(pid))
    s.close()
    r = command(["rotate-key"], HSINSTALL_STORE=url, HSINSTALL_TOKEN_KEY="%s %s" % (KEY_B, KEY_A))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "rotate-key: 3 install rows re-sealed with key id %s\n" % RING_B.sealing_id
    assert raw(url, "SELECT DISTINCT key_id FROM hsinstall_installs") == [(RING_B.sealing_id,)]
    for (a, b) in raw(url, "SELECT access_token, refresh_token FROM hsinstall_installs"):
        assert a.startswith("v1.%s." % RING_B.sealing_id) and b.startswith("v1.%s." % RING_B.sealing_id)
    again = command(["rotate-key"], HSINSTALL_STORE=url, HSINSTALL_TOKEN_KEY="%s,%s" % (KEY_B, KEY_A))
    assert again.returncode == 0 and again.stdout.startswith("rotate-key: 0 install rows"), again.stdout + again.stderr
    s = S.open_store(url, RING_B)  # the old key can go
    assert [(i.portal_id, i.access_token, i.refresh_token) for i in sorted(s.installs(), key=lambda i: i.portal_id)] == [
        (1, "at-1", "rt-1"), (2, "at-2", "rt-2"), (3, "at-3", "rt-3")]
    s.close()
    # Without the old key the rows cannot be re-sealed: an error naming the setting, nothing changed.
    put_back = S.open_store(url, KeyRing([bytes.fromhex(KEY_A), bytes.fromhex(KEY_B)]))
    put(put_back, install(4))
    put_back.close()
    r = command(["rotate-key"], HSINSTALL_STORE=url, HSINSTALL_TOKEN_KEY=KEY_B)
    assert r.returncode == 2 and "HSINSTALL_TOKEN_KEY" in r.stderr and RING_A.sealing_id in r.stderr
    r = command(["rotate-key"], HSINSTALL_STORE=url)
    assert r.returncode == 2 and "HSINSTALL_TOKEN_KEY" in r.stderr


def test_rotate_key_goes_in_batches(tmp_path):
    url = "sqlite:///%s" % (tmp_path / "b.db")
    s = S.open_store(url, RING_A)
    for pid in range(1, 8):
        put(s, install(pid))
    s.close()
    both = KeyRing([bytes.fromhex(KEY_B), bytes.fromhex(KEY_A)])
    assert S.rotate_key(url, both, batch=2) == 7
    assert S.rotate_key(url, both, batch=2) == 0
    assert raw(url, "SELECT COUNT(*) FROM hsinstall_installs WHERE key_id = ?", (RING_B.sealing_id,)) == [(7,)]


# ---------------------------------------------------------------------------- migrate-store


def legacy_sqlite(path: Path, now: int) -> None:
    """A version-1 store, as the first release left it: no migration table, tokens in clear."""
    c = sqlite3.connect(str(path))
    (_, _, sql), = [m for m in S.schema_migrations("sqlite") if m[0] == 1]
    for stmt in S.split_sql(sql):
        c.execute(stmt)
    rows = [(1, 7, "p1.example", "oauth", "legacy-at-1", "legacy-rt-1", now + 1800, now),  # fresh
            (2, 8, "p2.example", "oauth crm.objects.contacts.read", "legacy-at-2", "legacy-rt-2", 5000, 1000),
            (3, None, None, "oauth", "legacy-at-3", "legacy-rt-3", 5000, 1000)]
    c.executemany("INSERT INTO hsinstall_installs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    c.executemany("INSERT INTO hsinstall_states VALUES (?, ?, ?)", [("live", now + 600, None), ("used", now + 600, now),
                                                                  ("old", now - 10, None)])
    c.executemany("INSERT INTO hsinstall_codes VALUES (?, ?, ?)", [("h-done", '{"status":200,"body":{"ok":true}}', now),
                                                                 ("h-pending", "pending", now)])
    c.executemany("INSERT INTO hsinstall_attempts (at, outcome, reason, portal_id, detail) VALUES (?, ?, ?, ?, ?)",
                  [(now - 5, "installed", "installed", 1, ""), (now - 3, "failed", "state.expired", None, "x"),
                   (now - 3, "failed", "state.expired", None, "x"), (now - 1, "replayed", "hook.code_replayed", 1, "y")])
    c.commit()
    c.close()


def dump(url: str):
    return {
        "installs": raw(url, "SELECT portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at, updated_at, "
                             "key_id FROM hsinstall_installs ORDER BY portal_id"),
        "states": raw(url, "SELECT nonce, expires_at, used_at FROM hsinstall_states ORDER BY nonce"),
        "codes": raw(url, "SELECT code_hash, outcome, at FROM hsinstall_codes ORDER BY code_hash"),
        "attempts": raw(url, "SELECT at, outcome, reason, portal_id, detail FROM hsinstall_attempts ORDER BY at, id"),
    }


def test_migrate_store_from_sqlite_to_postgresql(tmp_path, pg_url):
    now = int(time.time())
    src_path = tmp_path / "site.db"
    legacy_sqlite(src_path, now)
    src = "sqlite:///%s" % src_path
    r = command(["migrate-store", "--from", src, "--to", pg_url], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "migrate-store: copied 3 installs, 2 states, 2 codes, 4 attempts\n"
    source, target = dump(src), dump(pg_url)
    # Both migrated: the legacy source sealed in place; the target holds the same sealed values.
    assert raw(src, "SELECT MAX(version) FROM hsinstall_migrations") == raw(pg_url, "SELECT MAX(version) FROM hsinstall_migrations") == [(S.schema_migrations("sqlite")[-1][0],)]
    assert target["installs"] == source["installs"] and all(row[8] == RING_A.sealing_id for row in target["installs"])
    assert not any("legacy-" in str(v) for row in target["installs"] + source["installs"] for v in row)
    assert target["states"] == [("live", now + 600, None), ("used", now + 600, now)]  # the expired one stays behind
    assert target["codes"] == source["codes"] and target["attempts"] == source["attempts"]
    # Rerun: nothing copied twice.
    r = command(["migrate-store", "--from", src, "--to", pg_url], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 0 and r.stdout == "migrate-store: copied 0 installs, 0 states, 0 codes, 0 attempts\n", r.stdout + r.stderr
    assert dump(pg_url) == target
    # The newer row wins either way: portal 2 reinstalled on the target, portal 3 on the source.
    t = S.open_store(pg_url, RING_A)
    put(t, install(2, updated_at=now, expires_at=now + 1800, tag="-target"))
    t.close()
    s = S.open_store(src, RING_A)
    put(s, install(3, updated_at=now, expires_at=now + 1800, tag="-source"))
    s.finish_exchange("h-pending", '{"status":400,"body":{"ok":false}}', S.Attempt(now, "failed", "token.bad_auth_code", None, ""), None)
    s.close()
    r = command(["migrate-store", "--from", src, "--to", pg_url], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 0 and r.stdout == "migrate-store: copied 1 installs, 0 states, 0 codes, 2 attempts\n", r.stdout + r.stderr
    t = S.open_store(pg_url, RING_A)
    assert t.get_install(2).access_token == "at-2-target" and t.get_install(3).access_token == "at-3-source"
    assert t.code_outcome("h-pending") == '{"status":400,"body":{"ok":false}}'  # a pending code takes the final outcome
    t.close()
    # A hook on the target serves the copied install's access token (fresh: no refresh, no HubSpot).
    config = tmp_path / "app-hsmeta.json"
    config.write_text(APP_JSON)
    hook = H.Hook(H.Settings.from_env({"HSINSTALL_CLIENT_ID": CLIENT_ID, "HSINSTALL_CLIENT_SECRET": "test-secret-0123456789",
                                       "HSINSTALL_STATE_KEY": os.urandom(32).hex(), "HSINSTALL_APP_CONFIG": str(config),
                                       "HSINSTALL_STORE": pg_url, "HSINSTALL_TOKEN_KEY": KEY_A}), log=None)
    try:
        assert isinstance(hook.store, S.PostgresStore)
        assert hook.get_access_token(1) == "legacy-at-1"
        assert [a.reason for a in hook.attempts(1)].count("state.expired") == 2  # copied once, duplicates kept as they were
    finally:
        hook.close()


def test_migrate_store_arguments_and_settings(tmp_path):
    a, b = "sqlite:///%s" % (tmp_path / "a.db"), "sqlite:///%s" % (tmp_path / "b.db")
    r = command(["migrate-store", "--from", a], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 2 and "--to" in r.stderr
    r = command(["migrate-store", "--from", a, "--to", "mysql://x/y"], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 2 and "HSINSTALL_STORE" in r.stderr and "not a store URL" in r.stderr
    r = command(["migrate-store", "--from", a, "--to", "postgresql://x@/db?no_such_option=1"], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 2 and "libpq" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = command(["migrate-store", "--from", a, "--to", a], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 2 and "same store" in r.stderr
    r = command(["migrate-store", "--from", a, "--to", b])
    assert r.returncode == 2 and "HSINSTALL_TOKEN_KEY" in r.stderr
    r = command(["migrate-store", "--from", a, "--to", b], HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 0 and r.stdout == "migrate-store: copied 0 installs, 0 states, 0 codes, 0 attempts\n"
    # An unreachable PostgreSQL is a clear error, not a traceback; a password in the URL is not echoed.
    r = command(["migrate-store", "--from", a, "--to", "postgresql://u:hunter2secret@/db?host=%s" % (tmp_path / "no-such-dir")],
                HSINSTALL_TOKEN_KEY=KEY_A)
    assert r.returncode == 1 and "hook.store_unavailable" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "hunter2secret" not in r.stderr + r.stdout
    assert re.search(r"could not be reached", r.stderr)


def test_migrate_store_back_from_postgresql_to_a_fresh_sqlite_file(tmp_path, pg_url):
    now = int(time.time())
    s = S.open_store(pg_url, RING_A)
    for pid in (9007199254740991, 2):
        put(s, install(pid, updated_at=now, expires_at=now + 1800))
    s.issue_state("n-live", now + 600)
    s.begin_exchange("n-live", "h-1", now)
    s.record_attempt(S.Attempt(now, "failed", "state.expired", None, "a,\"b\"\n"))
    s.close()
    target = "sqlite:///%s" % (tmp_path / "back.db")
    assert S.migrate_store(pg_url, target, RING_A) == {"installs": 2, "states": 1, "codes": 1, "attempts": 3}
    assert S.migrate_store(pg_url, target, RING_A) == {"installs": 0, "states": 0, "codes": 0, "attempts": 0}
    assert dump(target) == dump(pg_url)
    t = S.open_store(target, RING_A)
    assert t.get_install(9007199254740991).refresh_token == "rt-9007199254740991"
    assert t.begin_exchange("n-live", "h-2", now) == ("state_replayed", None)  # the used state stays used
    t.close()
