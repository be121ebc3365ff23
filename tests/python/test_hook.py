"""hsinstall.hook (docs/hook.md) against a real sandbox process (demo/sandbox/sandbox.py).

The hook is served over HTTP by the module's wsgiref server; the tests play the browser
(POST /state, the sandbox's authorize and consent pages, POST /exchange or GET /callback)
and check what the hook answers, stores and logs, and what the sandbox saw (its stats).
Everything the hook logged or answered is kept and scanned for secrets at the end.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
import http.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

import hsinstall
from hsinstall import hook as H
from conftest import TOKEN_KEY

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "demo" / "sandbox" / "sandbox.py"
WORLD = ROOT / "demo" / "sandbox" / "world.json"
DEMO_CONFIG = ROOT / "demo" / "app" / "app-hsmeta.json"
CLIENT_ID = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
SECRET = "sandbox-secret-3b1f7d2e9c5a4e6f8a0b"
ENTERPRISE, STARTER, DEVELOPER = 50001, 50002, 50003
BURST = 1000
EXTRA_ACCOUNTS = 60000  # generated test accounts: 60000, 60001, ...
TOKEN_TTL = 1800

# Everything the hooks answered or logged, and every secret they were given or saw, for the final scan.
SEEN: List[str] = []
SECRETS: set = {SECRET, TOKEN_KEY}


def fetch(port: int, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
         timeout: float = 30) -> Tuple[int, Dict[str, str], str]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
    finally:
        c.close()


class Clock:
    """The hook's clock: real time plus an offset the tests move."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class RecordingHook(H.Hook):
    """The hook, recording every token HubSpot's side handed it (for the secret scan)."""

    def _send(self, req):  # type: ignore[override]
        status, body, headers = super()._send(req)
        try:
            d = json.loads(body)
        except ValueError:
            d = None
        if isinstance(d, dict):
            for k in ("access_token", "refresh_token"):
                if isinstance(d.get(k), str):
                    SECRETS.add(d[k])
        return status, body, headers


class Harness:
    """One sandbox process and one hook server for the module; each test makes its own hook
    (own database, clock and settings) and puts it behind the server."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.app: Any = None
        self.server = H.serve(lambda env, sr: self.app(env, sr), "127.0.0.1", 0)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.redirect = "http://localhost:%d/callback" % self.port
        world = json.loads(WORLD.read_text())
        world["accounts"] += [{"id": EXTRA_ACCOUNTS + i, "name": "Burst test account %d" % i, "type": "test",
                               "domain": "burst-%d.sandbox.hubspot.example" % i, "lacks": []} for i in range(BURST + 10)]
        (tmp / "world.json").write_text(json.dumps(world))
        self.proc = subprocess.Popen([sys.executable, str(SANDBOX), "--port", "0", "--world", str(tmp / "world.json"),
                                      "--redirect-url", self.redirect, "--token-ttl", str(TOKEN_TTL)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.sandbox_port = int(re.search(r":(\d+)$", line.strip()).group(1))
        self.api_base = "http://127.0.0.1:%d" % self.sandbox_port
        config = json.loads(DEMO_CONFIG.read_text())
        config["config"]["auth"]["redirectUrls"] = [self.redirect]
        self.config_path = tmp / "app-hsmeta.json"
        self.config_path.write_text(json.dumps(config))
        self.app_config = hsinstall.AppConfig.load(self.config_path)
        self.log = io.StringIO()
        self.key = secrets.token_hex(32)
        SECRETS.add(self.key)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        SEEN.append(self.log.getvalue())

    def env(self, **over: str) -> Dict[str, str]:
        e = {"HSINSTALL_CLIENT_ID": CLIENT_ID, "HSINSTALL_CLIENT_SECRET": SECRET, "HSINSTALL_STATE_KEY": self.key,
             "HSINSTALL_APP_CONFIG": str(self.config_path), "HSINSTALL_API_BASE": self.api_base,
             "HSINSTALL_RETURN_ORIGINS": self.api_base, "HSINSTALL_STORE": "sqlite:///%s" % (self.tmp / "unused.db"),
             "HSINSTALL_TOKEN_KEY": TOKEN_KEY}
        e.update(over)
        return e

    def hook(self, db: Any, clock: Optional[Clock] = None, **kw: Any) -> H.Hook:
        """A hook on ``db``: a SQLite file's path, or a postgresql:// URL."""
        env = self.env(**kw.pop("env", {}))
        env["HSINSTALL_STORE"] = db if isinstance(db, str) and db.startswith("postgresql:") else "sqlite:///%s" % db
        kw.setdefault("backoff", 0.01)
        kw.setdefault("timeout", 5.0)
        h = RecordingHook(H.Settings.from_env(env), log=self.log, clock=clock or time.time, **kw)
        self.app = h
        fetch(self.sandbox_port, "POST", "/__sandbox/reset")
        return h

    # ---- the browser's side

    def call(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None):
        status, h, text = fetch(self.port, method, path, body, headers)
        SEEN.append(text)
        SEEN.append(json.dumps(h))
        return status, h, text

    def state(self) -> str:
        status, _, text = self.call("POST", "/state")
        assert status == 200, text
        return json.loads(text)["state"]

    def authorize(self, state: Optional[str], account: Optional[int] = None, with_scopes=(), redirect: Optional[str] = None):
        if redirect is None:
            url = hsinstall.install_url(config=self.app_config, client_id=CLIENT_ID, state=state, with_scopes=list(with_scopes),
                                        account_id=account)
        else:  # explicit fields: an install URL for another redirect URI
            url = hsinstall.install_url(client_id=CLIENT_ID, redirect_uri=redirect, state=state,
                                        scopes=list(self.app_config.scopes.required) + list(with_scopes),
                                        optional_scopes=list(self.app_config.scopes.optional), account_id=account)
        path = url[len("https://app.hubspot.com"):]  # the sandbox stands in for app.hubspot.com
        return fetch(self.sandbox_port, "GET", path)

    def consent(self, page: str, account: int, action: str = "grant"):
        rid = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
        return fetch(self.sandbox_port, "POST", "/oauth/consent",
                    urlencode({"request_id": rid, "account_id": account, "action": action}),
                    {"Content-Type": "application/x-www-form-urlencoded"})

    def code_for(self, state: Optional[str], account: int = ENTERPRISE, with_scopes=()) -> str:
        status, _, page = self.authorize(state, account, with_scopes)
        assert status == 200, page
        status, h, page = self.consent(page, account)
        assert status == 302, page
        q = parse_qs(urlsplit(h["location"]).query)
        assert q.get("state") == ([state] if state else None)
        SECRETS.add(q["code"][0])
        return q["code"][0]

    def exchange(self, code: str, state: Optional[str], redirect: Optional[str] = None):
        body = json.dumps({"code": code, "state": state, "redirect_uri": redirect or self.redirect})
        status, _, text = self.call("POST", "/exchange", body, {"Content-Type": "application/json"})
        return status, json.loads(text)

    def install(self, account: int = ENTERPRISE, with_scopes=()):
        state = self.state()
        code = self.code_for(state, account, with_scopes)
        return (code, state) + self.exchange(code, state)

    # ---- the sandbox's side

    def stats(self) -> Dict[str, int]:
        return json.loads(fetch(self.sandbox_port, "GET", "/__sandbox/stats")[2])

    def fault(self, **token: Any) -> None:
        fetch(self.sandbox_port, "POST", "/__sandbox/faults", json.dumps({"token": token}) if token else "{}")


def rows(db: Path, sql: str, args=()) -> List[tuple]:
    c = sqlite3.connect(str(db))
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def tokens(db: Path, portal_id: int) -> Tuple[str, str]:
    """The portal's tokens as stored: sealed in the file (checked), unsealed with the test key."""
    (at, rt, kid), = rows(db, "SELECT access_token, refresh_token, key_id FROM hsinstall_installs WHERE portal_id = ?",
                          (portal_id,))
    ring = H.KeyRing.parse(TOKEN_KEY)
    assert kid == ring.sealing_id and at.startswith("v1.%s." % kid) and rt.startswith("v1.%s." % kid)
    return ring.unseal(at, "access_token", portal_id), ring.unseal(rt, "refresh_token", portal_id)


@pytest.fixture(scope="module")
def hx(tmp_path_factory):
    h = Harness(tmp_path_factory.mktemp("hook"))
    yield h
    h.close()


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "hsinstall.db"


# ---------------------------------------------------------------------------- the happy path


def test_install_success_stores_the_install_and_answers_without_tokens(hx, db):
    hook = hx.hook(db)
    code, state, status, body = hx.install(ENTERPRISE)
    assert status == 200, body
    assert body == {"ok": True, "portal_id": ENTERPRISE,
                    "granted_scopes": ["oauth", "crm.objects.contacts.read", "crm.objects.deals.write",
                                       "crm.objects.deals.read", "tickets"],
                    "missing_optional_scopes": []}
    (row,) = rows(db, "SELECT portal_id, user_id, hub_domain, scopes, access_token, refresh_token, expires_at - updated_at FROM hsinstall_installs")
    assert row[:4] == (ENTERPRISE, 70001, "acme-corp.sandbox.hubspot.example",
                       "oauth crm.objects.contacts.read crm.objects.deals.write crm.objects.deals.read tickets")
    at, rt = tokens(db, ENTERPRISE)  # sealed at rest: the file holds no token text
    assert at.startswith("sbx-at-") and rt.startswith("sbx-rt-") and row[6] == TOKEN_TTL
    files = [f for f in (db, db.parent / (db.name + "-wal")) if f.exists()]
    assert db in files and not any(b"sbx-" in f.read_bytes() for f in files)  # no token text in the file or its WAL
    assert rows(db, "SELECT used_at IS NOT NULL FROM hsinstall_states") == [(1,)]
    assert rows(db, "SELECT outcome FROM hsinstall_attempts") == [("installed",)]
    (stored,) = rows(db, "SELECT code_hash, outcome FROM hsinstall_codes")
    assert code not in stored[0] and json.loads(stored[1])["body"]["ok"] is True
    s = hx.stats()
    assert (s["token_requests"], s["code_grants"], s["introspections"]) == (1, 1, 1)
    assert hook.installs()[0]["portal_id"] == ENTERPRISE and "access_token" not in json.dumps(hook.installs())
    # The database runs in WAL mode.
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]


def test_state_endpoint_issues_signed_expiring_states(hx, db):
    hx.hook(db)
    s = hx.state()
    token = hsinstall.state.decode(s)
    assert len(token.nonce) == 32 and token.signed
    assert 590 <= token.expires_at - time.time() <= 600
    assert hsinstall.state.verify(s, key=bytes.fromhex(hx.key)) == []
    assert rows(db, "SELECT COUNT(*), MIN(used_at) FROM hsinstall_states") == [(1, None)]
    assert hx.state() != s


def test_developer_account_is_refused_by_hubspot_and_the_hook_sees_nothing(hx, db):
    hx.hook(db)
    state = hx.state()
    status, _, page = hx.authorize(state)
    status, h, page = hx.consent(page, DEVELOPER)
    assert status == 403 and "location" not in h and "developer accounts" in page
    assert hx.stats()["codes_issued"] == 0
    assert rows(db, "SELECT used_at FROM hsinstall_states") == [(None,)]  # nothing reached the hook
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_attempts") == [(0,)]


def test_conditional_scope_without_the_feature_fails_at_hubspot_and_with_it_is_granted(hx, db):
    hx.hook(db)
    state = hx.state()
    status, _, page = hx.authorize(state, with_scopes=["e-commerce"])
    assert "e-commerce" in page
    status, h, page = hx.consent(page, STARTER)  # Bright Bakery lacks e-commerce
    assert status == 403 and "location" not in h and "e-commerce" in page
    assert hx.stats()["codes_issued"] == 0
    code, state, status, body = hx.install(ENTERPRISE, with_scopes=["e-commerce"])
    assert status == 200 and "e-commerce" in body["granted_scopes"]
    assert "e-commerce" in rows(db, "SELECT scopes FROM hsinstall_installs")[0][0].split()


def test_optional_scope_the_account_lacks_is_dropped_and_stored_scopes_say_so(hx, db):
    hook = hx.hook(db)
    code, state, status, body = hx.install(STARTER)
    assert status == 200
    assert "tickets" not in body["granted_scopes"] and body["missing_optional_scopes"] == ["tickets"]
    assert rows(db, "SELECT scopes FROM hsinstall_installs WHERE portal_id = ?", (STARTER,)) == [
        ("oauth crm.objects.contacts.read crm.objects.deals.write crm.objects.deals.read",)]
    assert "optional not granted: tickets" in rows(db, "SELECT detail FROM hsinstall_attempts")[0][0]
    assert hook.check_scopes(STARTER).missing_optional == ("tickets",)


def test_declined_consent_sends_no_redirect(hx, db):
    hx.hook(db)
    state = hx.state()
    _, _, page = hx.authorize(state)
    status, h, page = hx.consent(page, ENTERPRISE, action="decline")
    assert status == 200 and "location" not in h and "Install cancelled" in page
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_attempts") == [(0,)]


# ---------------------------------------------------------------------------- state


def test_forged_states_fail_before_any_token_request_and_spend_nothing(hx, db):
    hx.hook(db)
    state = hx.state()
    code = hx.code_for(state)
    nonce, exp, mac = state.split(".")
    other_key = secrets.token_bytes(32)
    forged = {
        "altered MAC": ("%s.%s.%s" % (nonce, exp, ("A" if mac[0] != "A" else "B") + mac[1:]), "state.bad_signature"),
        "later expiry, same MAC": ("%s.%d.%s" % (nonce, int(exp) + 3600, mac), "state.bad_signature"),
        "another key": (hsinstall.new_state(nbytes=32, expires_in=600, key=other_key), "state.bad_signature"),
        "unsigned": (hsinstall.new_state(expires_in=600), "state.unsigned"),
        "garbage": ("not-a-state", "state.malformed"),
        "missing": (None, "state.malformed"),
    }
    for name, (bad, expected) in forged.items():
        status, body = hx.exchange(code, bad)
        assert (status, body["code"], body["ok"]) == (400, expected, False), name
    assert hx.stats()["token_requests"] == 0
    reasons = [r[0] for r in rows(db, "SELECT reason FROM hsinstall_attempts ORDER BY id")]
    assert reasons == [e for _, e in forged.values()]
    # Neither the code nor the genuine state was spent.
    status, body = hx.exchange(code, state)
    assert status == 200 and body["ok"]


def test_expired_state_is_refused(hx, db):
    clock = Clock()
    hx.hook(db, clock=clock)
    state = hx.state()
    code = hx.code_for(state)
    clock.offset = 601
    status, body = hx.exchange(code, state)
    assert (status, body["code"]) == (400, "state.expired")
    assert hx.stats()["token_requests"] == 0


def test_replayed_state_is_refused_with_hook_state_replayed(hx, db):
    hx.hook(db)
    code, state, status, body = hx.install()
    assert status == 200
    second = hx.code_for(state)  # the same state through HubSpot again
    status, body = hx.exchange(second, state)
    assert (status, body["code"]) == (409, "hook.state_replayed")
    assert hx.stats()["token_requests"] == 1


def test_a_state_not_issued_here_is_refused_even_when_signed_with_the_key(hx, db):
    hx.hook(db)
    state = hsinstall.new_state(nbytes=32, expires_in=600, key=bytes.fromhex(hx.key))  # key leaked, nonce never issued
    code = hx.code_for(state)
    status, body = hx.exchange(code, state)
    assert (status, body["code"]) == (409, "hook.state_replayed")
    assert hx.stats()["token_requests"] == 0


# ---------------------------------------------------------------------------- codes


def test_replayed_code_gets_the_first_outcome_without_a_second_token_request(hx, db):
    hx.hook(db)
    code, state, status, first = hx.install(STARTER)
    assert status == 200
    for _ in range(2):
        assert hx.exchange(code, state) == (200, first)
    s = hx.stats()
    assert (s["token_requests"], s["code_grants"]) == (1, 1)
    assert [r[:2] for r in rows(db, "SELECT outcome, reason FROM hsinstall_attempts ORDER BY id")] == [
        ("installed", "installed"), ("replayed", "hook.code_replayed"), ("replayed", "hook.code_replayed")]


def test_concurrent_exchanges_of_one_code_make_one_token_request(hx, db):
    hx.hook(db)
    state = hx.state()
    code = hx.code_for(state)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: hx.exchange(code, state), range(8)))
    assert all(a == answers[0] for a in answers) and answers[0][0] == 200
    assert hx.stats()["code_grants"] == 1
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_attempts WHERE outcome = 'installed'") == [(1,)]


def test_a_failed_code_replays_its_failure(hx, db):
    hx.hook(db)
    state = hx.state()
    code = hx.code_for(state)
    fetch(hx.sandbox_port, "POST", "/oauth/v3/token", urlencode({"grant_type": "authorization_code", "client_id": CLIENT_ID,
         "client_secret": SECRET, "code": code, "redirect_uri": hx.redirect}), {"Content-Type": "application/x-www-form-urlencoded"})
    status, body = hx.exchange(code, state)  # someone spent the code first
    assert (status, body["code"], body["retryable"]) == (400, "token.bad_auth_code", False)
    assert hx.exchange(code, state) == (status, body)
    assert hx.stats()["code_grants"] == 2
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_installs") == [(0,)]


def test_unregistered_redirect_uri(hx, db):
    hx.hook(db)
    # At HubSpot: an install URL with another redirect URI gets an error page and no consent.
    status, h, page = hx.authorize(hx.state(), redirect="http://localhost:1/elsewhere")
    assert status == 400 and "redirect URL" in page and "request_id" not in page
    # At the hook: the core's check_redirect_registered refuses it before any token request.
    state = hx.state()
    code = hx.code_for(state)
    status, body = hx.exchange(code, state, redirect="http://localhost:1/elsewhere")
    assert (status, body["code"]) == (400, "redirect.unregistered")
    assert hx.stats()["token_requests"] == 0
    assert hx.exchange(code, state)[0] == 200


def test_bad_requests(hx, db):
    hx.hook(db)
    assert hx.call("POST", "/exchange", "code=x", {"Content-Type": "application/x-www-form-urlencoded"})[0] == 415
    assert hx.call("POST", "/exchange", "{not json", {"Content-Type": "application/json"})[0] == 400
    assert hx.call("POST", "/exchange", json.dumps(["x"]), {"Content-Type": "application/json"})[0] == 400
    assert hx.call("POST", "/exchange", json.dumps({"code": "x" * 20000}), {"Content-Type": "application/json"})[0] == 413
    assert hx.call("GET", "/exchange")[0] == 405
    assert hx.call("HEAD", "/callback?code=x&state=y")[0] == 405
    assert hx.call("GET", "/nope")[0] == 404
    status, body = hx.exchange("na1-a b<c>", hx.state())
    assert (status, body["code"]) == (400, "callback.invalid_code")
    status, body = hx.exchange("", hx.state())
    assert (status, body["code"]) == (400, "callback.missing_code")
    status, _, text = hx.call("POST", "/exchange", json.dumps({"code": 5, "state": "x"}), {"Content-Type": "application/json"})
    assert status == 400 and json.loads(text)["code"] == "hook.bad_request"
    assert hx.stats()["token_requests"] == 0
    assert {r[0] for r in rows(db, "SELECT reason FROM hsinstall_attempts")} == {"hook.bad_request", "callback.invalid_code",
                                                                                   "callback.missing_code"}


# ---------------------------------------------------------------------------- the redirect URI served by the hook


def test_hook_served_callback_page(hx, db):
    hx.hook(db)
    state = hx.state()
    status, _, page = hx.authorize(state)
    status, h, _ = hx.consent(page, ENTERPRISE)
    u = urlsplit(h["location"])
    SECRETS.add(parse_qs(u.query)["code"][0])
    status, headers, page = hx.call("GET", u.path + "?" + u.query)
    assert status == 200 and "Installed in HubSpot account 50001" in page
    assert "default-src 'none'" in headers["content-security-policy"]
    status, _, page = hx.call("GET", "/callback?error=access_denied&error_description=The%20user%20declined&state=" + state)
    assert status == 400 and "access_denied" in page


def test_marketplace_initiated_install(hx, db):
    hx.hook(db)
    status, h, _ = fetch(hx.sandbox_port, "GET", "/marketplace/%s/install" % CLIENT_ID)
    assert status == 302
    u = urlsplit(h["location"])
    assert parse_qs(u.query)["step"] == ["authorize"]
    # step=authorize: the hook sends the person on to the returnUrl, which the core checked.
    status, h, _ = hx.call("GET", u.path + "?" + u.query)
    assert status == 302
    back = urlsplit(h["location"])
    assert "%s://%s" % (back.scheme, back.netloc) == hx.api_base
    status, _, page = fetch(hx.sandbox_port, "GET", back.path)
    assert status == 200 and "Connect Acme Deal Sync" in page
    status, h, _ = hx.consent(page, STARTER)
    u = urlsplit(h["location"])
    q = parse_qs(u.query)
    assert q["step"] == ["finalize"] and "state" not in q
    SECRETS.add(q["code"][0])
    # step=finalize: the exchange, without state.
    status, _, page = hx.call("GET", u.path + "?" + u.query)
    assert status == 200 and "Installed in HubSpot account 50002" in page
    assert rows(db, "SELECT portal_id FROM hsinstall_installs") == [(STARTER,)]
    assert [r[:2] for r in rows(db, "SELECT outcome, reason FROM hsinstall_attempts ORDER BY id")] == [
        ("redirected", "callback.marketplace_initiated"), ("installed", "installed")]
    # The finalize code is single use too.
    status, _, page = hx.call("GET", u.path + "?" + u.query)
    assert status == 200 and hx.stats()["code_grants"] == 1


def test_marketplace_return_url_must_be_hubspot_or_a_configured_origin(hx, db):
    hx.hook(db, env={"HSINSTALL_RETURN_ORIGINS": ""})
    query = urlencode({"step": "authorize", "returnUrl": hx.api_base + "/marketplace/%s/continue" % CLIENT_ID})
    status, h, page = hx.call("GET", "/callback?" + query)
    assert status == 400 and "location" not in h
    for evil in ("https://evil.example/x", "https://app.hubspot.com.evil.example/x", "http://app.hubspot.com/x"):
        status, h, _ = hx.call("GET", "/callback?" + urlencode({"step": "authorize", "returnUrl": evil}))
        assert status == 400 and "location" not in h, evil
    status, h, _ = hx.call("GET", "/callback?" + urlencode({"step": "authorize", "returnUrl": "https://app.hubspot.com/x"}))
    assert status == 302 and h["location"] == "https://app.hubspot.com/x"
    assert {r[0] for r in rows(db, "SELECT reason FROM hsinstall_attempts WHERE outcome = 'failed'")} == {"callback.bad_return_url"}


# ---------------------------------------------------------------------------- tokens on demand


def test_get_access_token_refreshes_at_75_percent_and_keeps_the_newest_refresh_token(hx, db):
    clock = Clock()
    hook = hx.hook(db, clock=clock)
    assert hx.install(ENTERPRISE)[2] == 200
    first_at, first_rt = tokens(db, ENTERPRISE)
    clock.offset = 0.74 * TOKEN_TTL
    assert hook.get_access_token(ENTERPRISE) == first_at
    assert hx.stats()["refresh_grants"] == 0
    clock.offset = 0.76 * TOKEN_TTL
    second = hook.get_access_token(ENTERPRISE)
    assert second != first_at and hx.stats()["refresh_grants"] == 1
    (life,), = rows(db, "SELECT expires_at - updated_at FROM hsinstall_installs")
    at, rt = tokens(db, ENTERPRISE)
    assert (at, life) == (second, TOKEN_TTL) and rt != first_rt  # the sandbox rotates refresh tokens: the newest is kept
    assert hook.get_access_token(ENTERPRISE) == second  # fresh again
    # The old refresh token is dead at HubSpot's side; the next refresh works only because the newest was kept.
    clock.offset += 0.8 * TOKEN_TTL
    third = hook.get_access_token(ENTERPRISE)
    assert third not in (first_at, second) and hx.stats()["refresh_grants"] == 2
    assert hook.check_scopes(ENTERPRISE).ok


def test_one_refresh_per_portal_at_a_time(hx, db):
    clock = Clock()
    hook = hx.hook(db, clock=clock)
    assert hx.install(ENTERPRISE)[2] == 200
    clock.offset = 0.9 * TOKEN_TTL
    hx.fault(delay_ms=300, count=1)  # a slow refresh, so the others arrive while it runs
    other = RecordingHook(hook.settings, log=hx.log, clock=clock)  # a second process's hook on the same database
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda i: (hook if i % 2 else other).get_access_token(ENTERPRISE), range(8)))
    assert len(set(tokens)) == 1
    assert hx.stats()["refresh_grants"] == 1
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_refresh_locks") == [(0,)]


def test_a_refresh_held_elsewhere_too_long_ends_in_refresh_busy(hx, db):
    clock = Clock()
    hook = hx.hook(db, clock=clock, refresh_wait=0.3)
    assert hook.refresh_wait == 0.3 and H.Hook(hook.settings, store=hook.store, log=None).refresh_wait == 15.0
    assert hx.install(ENTERPRISE)[2] == 200
    clock.offset = 0.9 * TOKEN_TTL
    now = int(clock())
    assert hook.store.acquire_refresh(ENTERPRISE, "another-process", now + 600, now)  # a refresh that hangs
    t0 = time.monotonic()
    with pytest.raises(H.HookError) as e:
        hook.get_access_token(ENTERPRISE)
    assert e.value.code == "hook.refresh_busy" and e.value.retryable and 0.3 <= time.monotonic() - t0 < 3
    assert hx.stats()["refresh_grants"] == 0


def test_get_access_token_errors(hx, db):
    clock = Clock()
    hook = hx.hook(db, clock=clock)
    with pytest.raises(H.HookError) as e:
        hook.get_access_token(12345)
    assert e.value.code == "hook.not_installed"
    assert hx.install(ENTERPRISE)[2] == 200
    _, rt = tokens(db, ENTERPRISE)
    fetch(hx.sandbox_port, "POST", "/oauth/v3/token/revoke", urlencode({"token": rt}))  # the app was uninstalled, say
    clock.offset = TOKEN_TTL
    with pytest.raises(H.HookError) as e:
        hook.get_access_token(ENTERPRISE)
    assert e.value.code == "token.bad_refresh_token" and not e.value.retryable
    assert tokens(db, ENTERPRISE)[1] == rt


def test_introspection_check_refuses_an_install_missing_a_required_scope(hx, db, tmp_path):
    # This hook's config requires a scope the sandbox's app (and so the install URL) lacks.
    config = json.loads(hx.config_path.read_text())
    config["config"]["auth"]["requiredScopes"].append("crm.objects.companies.read")
    path = tmp_path / "stricter-hsmeta.json"
    path.write_text(json.dumps(config))
    hx.hook(db, env={"HSINSTALL_APP_CONFIG": str(path)})
    code, state, status, body = hx.install(ENTERPRISE)
    assert (status, body["code"]) == (403, "grant.missing_required")
    assert "crm.objects.companies.read" in body["message"]
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_installs") == [(0,)]
    s = hx.stats()
    assert (s["introspections"], s["revocations"]) == (1, 1)  # checked through introspection; the unused tokens given back
    assert rows(db, "SELECT outcome, reason, portal_id FROM hsinstall_attempts") == [("failed", "grant.missing_required", ENTERPRISE)]


# ---------------------------------------------------------------------------- faults


FAULTS = [
    # (name, fault, expected reason, token requests, installed)
    ("slow but in time", {"delay_ms": 300, "count": 1}, "installed", 1, True),
    ("slower than the hook's timeout, once", {"delay_ms": 1500, "count": 1}, "installed", 2, True),
    ("5xx once", {"status": 503, "count": 1}, "installed", 2, True),
    ("5xx every time", {"status": 500, "count": 99}, "token.server_error", 4, False),
    ("429 once", {"status": 429, "count": 1}, "installed", 2, True),
    ("429 every time", {"status": 429, "count": 99}, "token.rate_limited", 4, False),
    ("malformed body", {"malformed": True, "count": 1}, "token.malformed_response", 1, False),
    ("dropped connection once", {"drop": True, "count": 1}, "installed", 2, True),
    ("dropped connection every time", {"drop": True, "count": 99}, "hook.network_error", 4, False),
]


@pytest.mark.parametrize("name,fault,reason,requests,installed", FAULTS, ids=[f[0] for f in FAULTS])
def test_faults_end_with_a_recorded_reason_retries_within_limits_nothing_half_stored(hx, db, name, fault, reason, requests,
                                                                                    installed):
    hx.hook(db, timeout=0.8)
    state = hx.state()
    code = hx.code_for(state, STARTER)
    hx.fault(**fault)
    status, body = hx.exchange(code, state)
    assert body["ok"] is installed, body
    assert hx.stats()["token_requests"] == requests
    (outcome, why, portal, detail), = rows(db, "SELECT outcome, reason, portal_id, detail FROM hsinstall_attempts")
    assert why == reason and outcome == ("installed" if installed else "failed")
    if requests > 1:
        assert "after %d retr" % (requests - 1) in detail
    assert rows(db, "SELECT outcome != 'pending' FROM hsinstall_codes") == [(1,)]
    if installed:
        assert status == 200 and rows(db, "SELECT portal_id FROM hsinstall_installs") == [(STARTER,)]
    else:
        assert status in (502, 503) and body["code"] == reason
        assert body["retryable"] == (reason != "token.malformed_response")
        assert rows(db, "SELECT COUNT(*) FROM hsinstall_installs") == [(0,)]
        assert portal is None
        # The recorded failure is the code's outcome: a replay answers it without another token request.
        assert hx.exchange(code, state) == (status, body)
        assert hx.stats()["token_requests"] == requests
    hx.fault()
    if fault.get("delay_ms", 0) > 1000:
        time.sleep(fault["delay_ms"] / 1000)  # let the abandoned slow request finish before the next test


def test_an_unexpected_error_mid_exchange_leaves_a_final_outcome_not_a_pending_code(hx, db):
    hook = hx.hook(db, replay_wait=5)
    state = hx.state()
    code = hx.code_for(state)

    def broken(req):
        raise RuntimeError("bug")

    hook._send = broken  # type: ignore[assignment]
    status, _, text = hx.call("POST", "/exchange", json.dumps({"code": code, "state": state, "redirect_uri": hx.redirect}),
                              {"Content-Type": "application/json"})
    assert (status, json.loads(text)["code"]) == (500, "hook.internal_error")
    assert rows(db, "SELECT outcome != 'pending' FROM hsinstall_codes") == [(1,)]
    assert rows(db, "SELECT outcome, reason FROM hsinstall_attempts") == [("failed", "hook.internal_error")]
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_installs") == [(0,)]
    t0 = time.monotonic()
    assert hx.exchange(code, state)[1]["code"] == "hook.internal_error"  # the recorded outcome, at once
    assert time.monotonic() - t0 < 2


def test_kept_attempts_are_appended_once_the_store_answers_and_one_it_refuses_is_dropped(hx, db):
    hook = hx.hook(db)
    real = hook.store.record_attempt
    answers = iter(["down", "down", "ok", "down", "refused"])

    def flaky(a):
        what = next(answers, "ok")
        if what == "down":
            raise H.HookError.of("hook.store_unavailable", "down", retryable=True)
        if what == "refused":
            raise ValueError("refused")
        return real(a)

    hook.store.record_attempt = flaky  # type: ignore[method-assign]
    hook._record(H.Attempt(1, "failed", "state.expired", None, "kept 1"))  # down: kept
    assert hook.flush_kept() == 0  # still down: kept
    assert hx.call("POST", "/state")[0] == 200  # the store answers: the kept attempt goes in
    assert [a.detail for a in hook.store.attempts(0)] == ["kept 1"]
    hook._record(H.Attempt(2, "failed", "state.expired", None, "kept 2"))  # down: kept
    assert hx.call("POST", "/state")[0] == 200  # refused outright: dropped, the page unaffected
    assert len(hook._kept) == 0 and [a.detail for a in hook.store.attempts(0)] == ["kept 1"]
    assert '"event":"store","outcome":"failed","reason":"hook.internal_error"' in hx.log.getvalue()


def test_retry_after_is_honoured_up_to_ten_seconds(hx, db):
    hook = hx.hook(db)
    waits: List[float] = []
    hook.sleep = waits.append
    headers = {"Retry-After": "3"}
    assert hook._retry_after(headers) == 3.0
    assert hook._retry_after({"Retry-After": "soon"}) is None
    hook._send = lambda req: (429, b'{"status":"error","message":"slow down"}', {"Retry-After": "60"})  # type: ignore
    call = hook._call(lambda: hsinstall.token.refresh_request(client_id=CLIENT_ID, client_secret=SECRET, refresh_token="r",
                                                              api_base=hx.api_base), hsinstall.token.parse_response, "refresh")
    assert call.code == "token.rate_limited" and call.tries == 4
    assert waits == [10.0, 10.0, 10.0]


# ---------------------------------------------------------------------------- the burst


def test_burst_of_1000_installs_over_http_none_lost_or_duplicated(hx, db):
    hook = hx.hook(db)
    accounts = [EXTRA_ACCOUNTS + i for i in range(BURST)]

    def one(account: int):
        code, state, status, body = hx.install(account)
        return account, status, body

    t0 = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, accounts))
    elapsed = time.monotonic() - t0
    failures = [r for r in results if r[1] != 200 or r[2].get("portal_id") != r[0]]
    assert failures == []
    s = hx.stats()
    assert (s["codes_issued"], s["token_requests"], s["code_grants"]) == (BURST, BURST, BURST)
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT portal_id), MIN(portal_id), MAX(portal_id) FROM hsinstall_installs") == [
        (BURST, BURST, accounts[0], accounts[-1])]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT portal_id) FROM hsinstall_attempts WHERE outcome = 'installed'") == [(BURST, BURST)]
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_attempts WHERE outcome != 'installed'") == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_codes WHERE outcome != 'pending'") == [(BURST,)]
    assert rows(db, "SELECT COUNT(*) FROM hsinstall_states WHERE used_at IS NOT NULL") == [(BURST,)]
    stored = hook.store.installs()
    assert len({i.access_token for i in stored}) == len({i.refresh_token for i in stored}) == BURST
    # A sample of the stored tokens is live at HubSpot's side.
    for account in accounts[:: BURST // 10]:
        assert hook.check_scopes(account).ok
    print("burst: %d installs in %.1f s (%.0f/s)" % (BURST, elapsed, BURST / elapsed))


# ---------------------------------------------------------------------------- the attempt log


def test_attempts_csv_exports_the_last_30_days(hx, db):
    clock = Clock()
    hook = hx.hook(db, clock=clock)
    now = int(time.time())
    hook.store.record_attempt(H.Attempt(now - 31 * 86400, "failed", "token.bad_auth_code", None, "too old"))
    hook.store.record_attempt(H.Attempt(now - 29 * 86400, "failed", "token.server_error", 7, "=HYPERLINK(\"x\")"))
    assert hx.install(STARTER)[2] == 200
    hx.exchange("na1-0000-0000", hx.state())  # a code HubSpot never issued
    status, headers, text = hx.call("GET", "/attempts.csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["at", "outcome", "reason", "portal_id", "detail"]
    body = table[1:]
    assert [r[1:3] for r in body] == [["failed", "token.server_error"], ["installed", "installed"],
                                      ["failed", "token.bad_auth_code"]]
    assert body[0][3] == "7" and body[0][4].startswith("'=")  # no formula runs in a spreadsheet
    assert body[1][3] == str(STARTER) and body[2][3] == ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body[0][0])
    assert hook.attempts_csv() == text
    assert "too old" not in text
    hook.expose_attempts = False
    assert hx.call("GET", "/attempts.csv")[0] == 404


def test_log_lines_are_json_with_the_documented_fields(hx, db):
    stream = io.StringIO()
    hx.hook(db)
    hook = RecordingHook(hx.app.settings, log=stream)
    hx.app = hook
    hx.install(STARTER)
    hx.exchange("na1-0000-0000", hx.state())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    SEEN.append(stream.getvalue())
    assert all(set(line) == {"at", "event", "outcome", "reason", "portal_id"} for line in lines)
    assert [(line["event"], line["outcome"], line["reason"]) for line in lines if line["event"] == "exchange"] == [
        ("exchange", "installed", "installed"), ("exchange", "failed", "token.bad_auth_code")]


# ---------------------------------------------------------------------------- settings, mounting, serving


def test_settings_from_the_environment(hx, tmp_path):
    good = hx.env()
    s = H.Settings.from_env(good)
    assert s.redirect_uri == hx.redirect and s.return_origins == (hx.api_base,) and "secret" not in repr(s).lower()
    for name in ("HSINSTALL_CLIENT_ID", "HSINSTALL_CLIENT_SECRET", "HSINSTALL_STATE_KEY", "HSINSTALL_APP_CONFIG",
                 "HSINSTALL_TOKEN_KEY"):
        env = dict(good)
        del env[name]
        with pytest.raises(H.SettingsError, match=name):
            H.Settings.from_env(env)
    bad = {
        "HSINSTALL_STATE_KEY": secrets.token_hex(31),  # 31 bytes
        "HSINSTALL_API_BASE": "http://api.example.com",  # http off loopback
        "HSINSTALL_REDIRECT_URI": "http://localhost:1/not-registered",
        "HSINSTALL_RETURN_ORIGINS": "https://evil.example/path",
        "HSINSTALL_STORE": "mysql://db/hsinstall",
        "HSINSTALL_TOKEN_KEY": secrets.token_hex(31),  # 31 bytes
        "HSINSTALL_APP_CONFIG": str(tmp_path / "missing-hsmeta.json"),
    }
    for name, value in bad.items():
        with pytest.raises(H.SettingsError, match=name):
            H.Settings.from_env(dict(good, **{name: value}))
    # *_FILE: the value from a file (a trailing newline dropped); both at once is an error.
    (tmp_path / "secret").write_text(SECRET + "\n")
    (tmp_path / "key").write_text(secrets.token_urlsafe(32) + "\n")
    env = {k: v for k, v in good.items() if k not in ("HSINSTALL_CLIENT_SECRET", "HSINSTALL_STATE_KEY")}
    env.update(HSINSTALL_CLIENT_SECRET_FILE=str(tmp_path / "secret"), HSINSTALL_STATE_KEY_FILE=str(tmp_path / "key"))
    s = H.Settings.from_env(env)
    assert s.client_secret == SECRET and len(s.state_key) == 32
    with pytest.raises(H.SettingsError, match="HSINSTALL_CLIENT_SECRET"):
        H.Settings.from_env(dict(env, HSINSTALL_CLIENT_SECRET=SECRET))
    with pytest.raises(H.SettingsError, match="HSINSTALL_APP_CONFIG"):
        (tmp_path / "broken-hsmeta.json").write_text('{"type": "app", "config": {"auth": {"requiredScopes": ["contacts"]}}}')
        H.Settings.from_env(dict(good, HSINSTALL_APP_CONFIG=str(tmp_path / "broken-hsmeta.json")))


def test_mount_under_a_prefix_and_a_custom_store(hx, tmp_path):
    store = H.SQLiteStore(":memory:", keys=H.KeyRing.parse(TOKEN_KEY))
    hook = RecordingHook(H.Settings.from_env(hx.env()), store=store, log=hx.log)

    def site(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"site:" + environ["PATH_INFO"].encode()]

    app = H.mount(site, "/hook", hook)
    hx.app = app
    assert hx.call("GET", "/about")[2] == "site:/about"
    status, _, text = hx.call("POST", "/hook/state")
    assert status == 200 and json.loads(text)["state"]
    assert hx.call("POST", "/hookx")[2] == "site:/hookx"
    state = json.loads(text)["state"]
    code = hx.code_for(state)
    body = json.dumps({"code": code, "state": state, "redirect_uri": hx.redirect})
    status, _, text = hx.call("POST", "/hook/exchange", body, {"Content-Type": "application/json"})
    assert status == 200 and json.loads(text)["portal_id"] == ENTERPRISE
    assert [i["portal_id"] for i in hook.installs()] == [ENTERPRISE]


def test_python_m_hsinstall_hook_runs_on_its_own(hx, tmp_path):
    env = dict(os.environ, **hx.env(HSINSTALL_STORE="sqlite:///%s" % (tmp_path / "cli.db")))
    p = subprocess.Popen([sys.executable, "-m", "hsinstall.hook", "--port", "0", "--prefix", "/hook"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(tmp_path))
    try:
        line = p.stdout.readline()
        port = int(re.search(r":(\d+)/hook$", line.strip()).group(1))
        status, _, text = fetch(port, "POST", "/hook/state")
        assert status == 200
        state = json.loads(text)["state"]
        code = hx.code_for(state, STARTER)
        status, _, text = fetch(port, "POST", "/hook/exchange", json.dumps({"code": code, "state": state,
                               "redirect_uri": hx.redirect}), {"Content-Type": "application/json"})
        SEEN.append(text)
        assert status == 200 and json.loads(text)["portal_id"] == STARTER
    finally:
        p.terminate()
        _, err = p.communicate(timeout=10)
        p.stdout.close()
        p.stderr.close()
    SEEN.append(err)
    assert '"outcome":"installed"' in err
    for missing in ("HSINSTALL_STATE_KEY", "HSINSTALL_TOKEN_KEY"):
        bad = {k: v for k, v in env.items() if k != missing}
        r = subprocess.run([sys.executable, "-m", "hsinstall.hook", "--port", "0"], env=bad, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 2 and missing in r.stderr, r.stderr


# ---------------------------------------------------------------------------- last: the secret scan


def test_zz_nothing_the_hook_logged_or_answered_holds_a_secret(hx):
    """Client secret, state key, access and refresh tokens, authorization codes: none of them in
    any log line, answer, CSV or attempt detail of this module's hooks."""
    assert len(SECRETS) > 3  # the client secret, the state key, and the codes and tokens of every install above
    SEEN.append(hx.log.getvalue())
    text = "\n".join(SEEN)
    # Every secret is made of [A-Za-z0-9_-], so any copy of one lies inside a run of those
    # characters: look each run's substrings of the secrets' lengths up in the set.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16,}", s) for s in SECRETS)
    lengths = {len(s) for s in SECRETS}
    leaks = {w[i:i + n] for w in set(re.findall(r"[A-Za-z0-9_-]{16,}", text)) for n in lengths
             for i in range(len(w) - n + 1) if w[i:i + n] in SECRETS}
    assert leaks == set()
    key = bytes.fromhex(hx.key)
    for form in (key.hex(), key.hex().upper(), __import__("base64").urlsafe_b64encode(key).decode().rstrip("=")):
        assert form not in text
