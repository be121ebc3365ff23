"""The cross-runtime test (issue 9): one Python hook and one Node hook on one store (SQLite
and PostgreSQL). Installs made through one runtime only are read through the other's token
route (the token the sandbox issued, compared by SHA-256); the raw table holds sealed values
(v1.<key id>.<nonce>.<ciphertext>, the key id derived from HSINSTALL_TOKEN_KEY) and no token
text; a refresh made by one runtime is read, and refreshed again, by the other (the sandbox
rotates refresh tokens, so a refresh succeeds only with the newest one, as the other runtime
stored it).

    HSINSTALL_TEST_PG=postgresql://... .venv/bin/python -m pytest tests/multi/test_cross.py
    (or: .venv/bin/python tests/multi/test_cross.py sqlite|postgresql)
"""
from __future__ import annotations

import hashlib
import hmac
import re
import sys
import time
from pathlib import Path
from typing import List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Cluster, Instance, Report, find_secrets, sha256  # noqa: E402

SEALED = re.compile(r"^v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$")  # 12-byte nonce, >= 16-byte tag


def run_cross(store_kind: str) -> None:
    with Cluster(6, store_kind, ["python", "node"]) as c:
        rep = Report("cross-runtime test on %s" % store_kind)
        py, nd = c.instances
        a_py, a_nd, b_py, b_nd, r_py, r_nd = c.world.accounts  # installed through: Python, Node; refreshed across
        key_id = hmac.new(bytes.fromhex(c.world.token_key), b"hsinstall token key id", hashlib.sha256).hexdigest()[:16]
        c.sandbox.config(account_token_ttl={r_py: 1, r_nd: 1})

        def install(inst: Instance, account: int) -> float:
            status, body = inst.state()
            assert status == 200, "POST /state at %s: %d %s" % (inst.name, status, body)
            code = c.sandbox.consent(body["state"], account)
            status, body = inst.exchange(code, body["state"])
            assert status == 200 and body.get("portal_id") == account, "exchange at %s: %d %s" % (inst.name, status, body)
            return time.time()

        done = {}
        for inst, account in ((py, a_py), (nd, a_nd), (py, b_py), (nd, b_nd), (py, r_py), (nd, r_nd)):
            done[account] = install(inst, account)

        def issued(account: int, grant_type: str) -> List[str]:
            return [sha256(t["access_token"]) for t in c.sandbox.issued()["tokens"]
                    if t["account"] == account and t["grant_type"] == grant_type]

        def read(inst: Instance, account: int, want: str, what: str) -> bool:
            status, body = inst.token(account)
            return rep.check(status == 200 and body.get("sha256") == want,
                             "%s: %s read portal %d: %d %s (%s)" % (what, inst.name, account, status, body.get("code"),
                                                                     "another token" if body.get("sha256") else "no token"))

        # installs through one runtime, read through the other (and through itself)
        for account, writer in ((a_py, "python"), (a_nd, "node"), (b_py, "python"), (b_nd, "node")):
            first = issued(account, "authorization_code")[0]
            for inst in (nd, py) if writer == "python" else (py, nd):
                read(inst, account, first, "installed by %s" % writer)

        # the raw table: sealed values under the current key's id, no token text
        rows = c.store.query("SELECT portal_id, access_token, refresh_token, key_id FROM hsinstall_installs")
        rep.check(len(rows) == 6, "%d install rows, not 6" % len(rows))
        for portal, access, refresh, kid in rows:
            for column, value in (("access_token", access), ("refresh_token", refresh)):
                m = SEALED.match(value or "")
                rep.check(bool(m) and m.group(1) == key_id, "portal %d: %s is not v1.<key id %s>.<nonce>.<sealed> (%s...)"
                          % (portal, column, key_id, (value or "")[:3]))
            rep.check(kid == key_id, "portal %d: key_id %r, not the id of HSINSTALL_TOKEN_KEY (%s)" % (portal, kid, key_id))
        rep.check(len({r[1] for r in rows} | {r[2] for r in rows}) == 12, "two sealed values are equal (a nonce reused?)")

        # a refresh by one runtime, read and refreshed again by the other
        def stale(account: int) -> None:  # tokens that live 1 s are refreshed 0.75 s after their (whole-second) updated_at
            time.sleep(max(0.0, done[account] + 0.8 - time.time()))

        for account, first, second in ((r_py, nd, py), (r_nd, py, nd)):
            stale(account)
            status, body = first.token(account)
            done[account] = time.time()
            rep.check(status == 200 and body.get("sha256") == (issued(account, "refresh_token") or [None])[-1],
                      "portal %d: the refresh by %s: %d %s" % (account, first.name, status, body.get("code")))
            stale(account)
            status, body = second.token(account)  # needs the refresh token the other runtime stored
            done[account] = time.time()
            rep.check(status == 200 and body.get("sha256") == (issued(account, "refresh_token") or [None])[-1],
                      "portal %d: the second refresh, by %s with the refresh token %s stored: %d %s"
                      % (account, second.name, first.name, status, body.get("code")))
            c.sandbox.config(account_token_ttl={account: 1800})
            stale(account)
            status, body = first.token(account)
            want = (issued(account, "refresh_token") or [None])[-1]
            rep.check(status == 200 and body.get("sha256") == want, "portal %d: the third refresh, by %s: %d %s"
                      % (account, first.name, status, body.get("code")))
            read(second, account, want, "refreshed by %s" % first.name)
        stats = c.sandbox.stats()
        rep.check(stats["refresh_grants_by_account"] == {str(r_py): 3, str(r_nd): 3},
                  "refresh grants per portal %s, want 3 each for %d and %d" % (stats["refresh_grants_by_account"], r_py, r_nd))

        toks = c.issued_tokens()
        leaked = find_secrets(c.store.raw_text(), toks["tokens"] + toks["codes"])
        rep.check(not leaked, "%d tokens or codes appear in the raw tables" % len(leaked))
        leaked = find_secrets(c.logs_text(), toks["tokens"] + toks["codes"])
        rep.check(not leaked, "%d tokens or codes appear in the hooks' logs" % len(leaked))
        print("cross (%s): installs by Python read by Node and back, refreshes by each read and refreshed by the other, "
              "rows sealed under key id %s, no token text: %s" % (store_kind, key_id, "ok" if not rep.problems else "FAILED"), flush=True)
        rep.done()


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_cross_runtime(store_kind: str) -> None:
    run_cross(store_kind)


if __name__ == "__main__":
    run_cross(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
