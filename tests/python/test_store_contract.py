"""The store contract (tests/store/contract.json, format in tests/store/README.md): every case
against the SQLite store and the PostgreSQL store, each on a fresh database."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from hsinstall import store as S
from hsinstall._sealing import KeyRing, key_id

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = json.loads((ROOT / "tests" / "store" / "contract.json").read_text(encoding="utf-8"))
CASES = CONTRACT["cases"]
TABLES = ("hsinstall_states", "hsinstall_codes", "hsinstall_installs", "hsinstall_attempts", "hsinstall_refresh_locks",
          "hsinstall_migrations")


def ring(names: List[str]) -> KeyRing:
    return KeyRing([bytes.fromhex(CONTRACT["keys"][n]) for n in names])


def test_key_ids_are_derived_as_the_contract_says():
    for name, hexkey in CONTRACT["keys"].items():
        assert key_id(bytes.fromhex(hexkey)) == CONTRACT["keyIds"][name]
        assert KeyRing.parse(hexkey).sealing_id == CONTRACT["keyIds"][name]


def test_every_operation_the_contract_uses_is_known():
    ops = {step["op"] for case in CASES for step in case["steps"]}
    assert ops <= set(Runner.OPS), ops - set(Runner.OPS)


def install_of(d: Optional[Dict[str, Any]]) -> Optional[S.Install]:
    if d is None:
        return None
    return S.Install(portal_id=d["portalId"], user_id=d["userId"], hub_domain=d["hubDomain"], scopes=tuple(d["scopes"]),
                     access_token=d["accessToken"], refresh_token=d["refreshToken"], expires_at=d["expiresAt"],
                     updated_at=d["updatedAt"])


def node_install(i: Optional[S.Install]) -> Optional[Dict[str, Any]]:
    if i is None:
        return None
    return {"portalId": i.portal_id, "userId": i.user_id, "hubDomain": i.hub_domain, "scopes": list(i.scopes),
            "accessToken": i.access_token, "refreshToken": i.refresh_token, "expiresAt": i.expires_at,
            "updatedAt": i.updated_at}


def attempt_of(d: Dict[str, Any]) -> S.Attempt:
    return S.Attempt(at=d["at"], outcome=d["outcome"], reason=d["reason"], portal_id=d["portalId"], detail=d["detail"])


def node_attempt(a: S.Attempt) -> Dict[str, Any]:
    return {"at": a.at, "outcome": a.outcome, "reason": a.reason, "portalId": a.portal_id, "detail": a.detail}


class Raw:
    """The runner's own connection to the database under the store."""

    def __init__(self, dialect: str, where: str) -> None:
        self.dialect = dialect
        if dialect == "sqlite":
            self.c = sqlite3.connect(where, isolation_level=None)
        else:
            import psycopg2

            self.c = psycopg2.connect(where)
            self.c.autocommit = True

    def q(self, sql: str, args: tuple = ()) -> List[tuple]:
        if self.dialect == "sqlite":
            return self.c.execute(sql, args).fetchall()
        with self.c.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), args or None)
            return cur.fetchall() if cur.description else []

    def tables(self) -> List[str]:
        if self.dialect == "sqlite":
            names = [r[0] for r in self.q("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            names = [r[0] for r in self.q("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        return [n for n in names if n.startswith("hsinstall_")]

    def close(self) -> None:
        self.c.close()


class Runner:
    OPS = ("saveState", "beginExchange", "getCodeOutcome", "finishExchange", "appendAttempt", "getInstall", "listInstalls",
           "listAttempts", "acquireRefresh", "releaseRefresh", "updateTokens", "purge", "reopen", "rotateKey",
           "schemaVersion", "rawInstall", "rawContains", "rawCopyToken", "rawLegacy", "rawChangeAttempts")

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect, self.where = S.parse_store_url(url)
        self.store: Optional[S.Store] = S.open_store(url, ring(["A"]))
        self.raw = Raw(self.dialect, self.where)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        self.raw.close()

    def run(self, op: str, args: List[Any]) -> Any:
        s = self.store
        if op == "saveState":
            return s.issue_state(*args)
        if op == "beginExchange":
            verdict, outcome = s.begin_exchange(*args)
            return {"verdict": verdict, "outcome": outcome}
        if op == "getCodeOutcome":
            return s.code_outcome(*args)
        if op == "finishExchange":
            code, outcome, attempt, install = args
            return s.finish_exchange(code, outcome, attempt_of(attempt), install_of(install))
        if op == "appendAttempt":
            return s.record_attempt(attempt_of(args[0]))
        if op == "getInstall":
            return node_install(s.get_install(args[0]))
        if op == "listInstalls":
            return [node_install(i) for i in s.installs()]
        if op == "listAttempts":
            return [node_attempt(a) for a in s.attempts(args[0])]
        if op == "acquireRefresh":
            return s.acquire_refresh(*args)
        if op == "releaseRefresh":
            return s.release_refresh(*args)
        if op == "updateTokens":
            portal, old, new = args
            return s.update_tokens(portal, old, new["accessToken"], new["refreshToken"], new["expiresAt"], now=new["updatedAt"])
        if op == "purge":
            return s.purge(*args)
        if op == "reopen":
            if self.store is not None:
                self.store.close()
                self.store = None
            self.ring = ring(args[0])
            self.store = S.open_store(self.url, self.ring)
            return None
        if op == "rotateKey":  # the rotate-key command's working, on the store's database
            return S.rotate_key(self.url, getattr(self, "ring", ring(["A"])))
        if op == "schemaVersion":
            return self.raw.q("SELECT MAX(version) FROM hsinstall_migrations")[0][0]
        if op == "rawInstall":
            rows = self.raw.q("SELECT access_token, refresh_token, key_id FROM hsinstall_installs WHERE portal_id = ?", (args[0],))
            return {"accessToken": rows[0][0], "refreshToken": rows[0][1], "keyId": rows[0][2]} if rows else None
        if op == "rawContains":
            for t in self.raw.tables():
                for row in self.raw.q("SELECT * FROM %s" % t):
                    if any(isinstance(v, str) and args[0] in v for v in row):
                        return True
            return False
        if op == "rawCopyToken":
            src, src_col, dst, dst_col = args
            assert src_col in ("access_token", "refresh_token") and dst_col in ("access_token", "refresh_token")
            (value,), = self.raw.q("SELECT %s FROM hsinstall_installs WHERE portal_id = ?" % src_col, (src,))
            self.raw.q("UPDATE hsinstall_installs SET %s = ? WHERE portal_id = ?" % dst_col, (value, dst))
            return None
        if op == "rawChangeAttempts":
            sql = {"update": "UPDATE hsinstall_attempts SET detail = 'x'", "delete": "DELETE FROM hsinstall_attempts"}[args[0]]
            self.raw.q(sql)
            return None
        if op == "rawLegacy":
            if self.store is not None:
                self.store.close()
                self.store = None
            for t in self.raw.tables():
                self.raw.q("DROP TABLE %s" % t)
            (version, name, sql), = [m for m in S.schema_migrations(self.dialect) if m[0] == 1]
            for stmt in S.split_sql(sql, self.dialect):
                self.raw.q(stmt)
            for d in args[0]:
                self.raw.q("INSERT INTO hsinstall_installs (portal_id, user_id, hub_domain, scopes, access_token, refresh_token, "
                           "expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (d["portalId"], d["userId"], d["hubDomain"], " ".join(d["scopes"]), d["accessToken"],
                            d["refreshToken"], d["expiresAt"], d["updatedAt"]))
            assert "hsinstall_migrations" not in self.raw.tables()
            return None
        raise AssertionError("unknown contract operation %s" % op)


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_store_contract(case, dialect, tmp_path, request):
    url = request.getfixturevalue("pg_url") if dialect == "postgresql" else "sqlite:///%s" % (tmp_path / "contract.db")
    r = Runner(url)
    try:
        for n, step in enumerate(case["steps"]):
            where = "step %d (%s %s)" % (n + 1, step["op"], json.dumps(step["args"])[:120])
            if "expectError" in step:
                with pytest.raises(Exception) as e:
                    r.run(step["op"], step["args"])
                want = step["expectError"]
                if want is not True:
                    text = "%s %s" % (getattr(e.value, "code", "") or "", e.value)
                    assert want in text, "%s: the error %r does not name %r" % (where, text, want)
                continue
            got = r.run(step["op"], step["args"])
            if "expect" in step:
                assert as_json(got) == step["expect"], where
            if "expectMatch" in step:
                assert isinstance(got, dict), where
                for k, pattern in step["expectMatch"].items():
                    assert isinstance(got.get(k), str) and re.search(pattern, got[k]), "%s: %s=%r" % (where, k, got.get(k))
    finally:
        r.close()
