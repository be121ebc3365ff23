"""Differential checks against Python's urllib.parse: every URL the core builds, and every
URL or callback it accepts, must read the same in urllib (the parser Python back ends use).
Inputs are generated from a fixed seed, thousands per run; tests/node/differential.test.mjs
does the same against WHATWG URL."""
from __future__ import annotations

import random
from urllib.parse import parse_qs, quote, urlsplit

import hsinstall

SEED = 20261125
ROUNDS = 3000
CLIENT_ID = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
TEXT = ["a", "Z", "0", "-", ".", "_", "~", " ", "!", '"', "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "/", ":", ";", "<",
        "=", ">", "?", "@", "[", "\\", "]", "^", "`", "{", "|", "}", "é", "ß", "€", "中", "😀", "%20", "%2B", "+%"]
HOSTS = ["app.example.com", "a-b.example.co.uk", "x1.example", "localhost"]
PATH = ["oauth", "callback", "cb", "hubspot", "a-b", "x_y", "~t", "%C3%A9", "v1.2"]
CURRENT = sorted(s.name for s in hsinstall.scopes if s.status == "current" and s.name != "oauth")


def words(s: str) -> list:
    return [w for w in s.split(" ") if w]


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_built_install_urls_read_the_same() -> None:
    rnd = random.Random(SEED)
    text = lambda n: "".join(rnd.choice(TEXT) for _ in range(n))  # noqa: E731
    built = 0
    for i in range(ROUNDS):
        host = rnd.choice(HOSTS)
        scheme = "http" if host == "localhost" else "https"
        port = f":{rnd.randrange(1024, 61024)}" if rnd.random() < 0.2 else ""
        path = "/".join(rnd.choice(PATH) for _ in range(rnd.randrange(1, 4)))
        query = f"?t={quote(text(3), safe='')}" if rnd.random() < 0.3 else ""
        redirect = f"{scheme}://{host}{port}/{path}{query}"
        pool = rnd.sample(CURRENT, 10)
        scopes = ["oauth"] + pool[: rnd.randrange(0, 6)]
        optional = pool[6 : 6 + rnd.randrange(0, 4)]
        state = text(rnd.randrange(1, 21))
        kw = dict(client_id=CLIENT_ID, redirect_uri=redirect, scopes=scopes, optional_scopes=optional, state=state)
        if rnd.random() < 0.3:
            kw["host"] = "eu1"
        if rnd.random() < 0.2:
            kw["account_id"] = str(rnd.randrange(1, 10**9))
        try:
            url = hsinstall.install_url(**kw)
        except hsinstall.HsInstallError:
            continue  # refused, with diagnostics saying why
        built += 1
        case = f"case {i}: {kw}"
        parts = urlsplit(url)
        assert parts.scheme == "https", case
        assert parts.hostname == ("app-eu1.hubspot.com" if kw.get("host") == "eu1" else "app.hubspot.com"), case
        assert parts.path == (f"/oauth/{kw['account_id']}/authorize" if "account_id" in kw else "/oauth/authorize"), case
        q = query_of(url)
        assert {k: len(v) for k, v in q.items() if k != "optional_scope"} == {"client_id": 1, "redirect_uri": 1, "scope": 1, "state": 1}, case
        assert q["client_id"] == [CLIENT_ID], case
        assert q["redirect_uri"] == [redirect], case
        assert words(q["scope"][0]) == scopes, case
        assert words(q.get("optional_scope", [""])[0]) == optional, case
        assert q["state"] == [state], case
    assert built > ROUNDS * 0.8


def test_accepted_install_urls_read_the_same() -> None:
    rnd = random.Random(SEED + 1)
    base = hsinstall.install_url(client_id=CLIENT_ID, redirect_uri="https://app.example.com/oauth/callback?x=1",
                                 scopes=["oauth", "crm.objects.contacts.read"], optional_scopes=["crm.objects.deals.read"], state="S-1")
    junk = ["+", "%", "%2", "%zz", "%00", "%FF", "%C3%A9", "#", ";", "&", "=", "&&", "\\", " ", "\t", "é", "%20", "%2B",
            "&state=x", "&scope=tickets", "?", "/", ".", "..", ":", "@", "A"]
    accepted = 0
    for i in range(ROUNDS):
        url = str(base)
        for _ in range(rnd.randrange(1, 4)):
            at = rnd.randrange(0, len(url) + 1)
            url = url[:at] + rnd.choice(junk) + url[at:]
        r = hsinstall.inspect_url(url)
        if any(d.severity == "error" for d in r.diagnostics):
            continue
        accepted += 1
        case = f"case {i}: {url}"
        assert urlsplit(url).hostname == r.host, case
        q = query_of(url)
        for key, got in (("client_id", r.client_id), ("redirect_uri", r.redirect_uri), ("state", r.state)):
            assert q.get(key, [None]) == [got], (case, key)
        assert words(q.get("scope", [""])[0]) == list(r.scopes), case
        assert words(q.get("optional_scope", [""])[0]) == list(r.optional_scopes), case
    assert accepted > 100


def test_accepted_callbacks_read_the_same() -> None:
    rnd = random.Random(SEED + 2)
    text = lambda n: "".join(rnd.choice(TEXT) for _ in range(n))  # noqa: E731
    accepted = 0
    for i in range(ROUNDS):
        code = f"na1-{rnd.randrange(10**9):x}" if rnd.random() < 0.8 else text(4)
        state = text(rnd.randrange(1, 13))
        enc = lambda s: quote(s, safe="") if rnd.random() < 0.5 else quote(s, safe="").replace("%20", "+")  # noqa: E731
        query = f"code={enc(code)}&state={enc(state)}"
        if rnd.random() < 0.3:
            query += f"&{rnd.choice(['x', 'hs', 'step_', 'returnUrl_'])}={enc(text(3))}"
        if rnd.random() < 0.2:
            query = query.replace("&", rnd.choice(["&", ";", "&&", "&amp;"]), 1)
        url = f"https://app.example.com/oauth/callback?{query}"
        try:
            cb = hsinstall.parse_callback(url, expected_state=state)
        except hsinstall.HsInstallError:
            continue
        accepted += 1
        q = query_of(url)
        assert q["code"] == [cb.code], url
        assert q["state"] == [cb.state], url
    assert accepted > ROUNDS * 0.3
