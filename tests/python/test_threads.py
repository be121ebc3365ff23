"""Concurrent calls: same answers from many threads, and the GIL released during long core work."""
from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import hsinstall

from conftest import APP_JSON, CLIENT_ID

STATE = "AQIDBAUGBwgJCgsMDQ4PEA"


def mixed_work(i: int):
    """One of everything, with per-call variation; returns comparable values."""
    app = hsinstall.AppConfig.from_json(APP_JSON, file_name="app-hsmeta.json")
    state = "%s%06d" % (STATE, i)
    url = hsinstall.install_url(config=app, client_id=CLIENT_ID, state=state, with_scopes=["e-commerce"] if i % 2 else [])
    inspected = hsinstall.inspect_url(url, app)
    cb = hsinstall.parse_callback("https://acme.example/oauth/callback?code=na1-%d&state=%s" % (i, state), expected_state=state)
    try:
        hsinstall.parse_callback("code=na1-1&state=wrong", expected_state=state)
        mismatch = None
    except hsinstall.CallbackError as e:
        mismatch = e.code
    lint = hsinstall.lint(APP_JSON.replace("Acme", "Acme %d" % i), file_name="app-hsmeta.json")
    resp = hsinstall.token.parse_response(200, json.dumps({"access_token": "a%d" % i, "refresh_token": "r", "expires_in": 60 + i,
                                                           "token_type": "bearer"}))
    hits = [s.name for s in hsinstall.scopes.search("contacts")]
    return (str(url), inspected.to_dict(), cb, mismatch, lint.ok, lint.config.name, resp.tokens.expires_in, hits)


def test_concurrent_calls_agree_with_sequential_ones():
    n = 400
    expected = [mixed_work(i) for i in range(n)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(mixed_work, range(n))) == expected


def test_hot_calls_from_many_threads():
    url = "https://acme.example/oauth/callback?code=na1-abc&state=" + STATE
    want_cb = hsinstall.parse_callback(url, expected_state=STATE)
    want_url = hsinstall.install_url(client_id=CLIENT_ID, redirect_uri="https://acme.example/oauth/callback",
                                     scopes=["oauth", "crm.objects.contacts.read"], state=STATE)
    errors = []

    def worker():
        try:
            for _ in range(5000):
                assert hsinstall.parse_callback(url, expected_state=STATE) == want_cb
                assert hsinstall.install_url(client_id=CLIENT_ID, redirect_uri="https://acme.example/oauth/callback",
                                             scopes=["oauth", "crm.objects.contacts.read"], state=STATE) == want_url
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def big_config() -> str:
    doc = json.loads(APP_JSON)
    doc["config"]["permittedUrls"]["fetch"] = ["https://a%d.acme.example/p" % i for i in range(25000)]
    return json.dumps(doc)


def test_the_gil_is_released_while_the_core_lints():
    """While a worker thread is inside one long lint (the core parsing ~700 kB), the main
    thread keeps running Python: its longest pause stays well under the call's duration."""
    text = big_config()
    t0 = time.perf_counter()
    report = hsinstall.lint(text, file_name="app-hsmeta.json")
    duration = time.perf_counter() - t0
    assert report.diagnostics is not None
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        best = None
        for _attempt in range(5):  # a busy machine can pause the main thread on its own; take the best run
            done = threading.Event()

            def worker():
                for _ in range(5):
                    hsinstall.lint(text, file_name="app-hsmeta.json")
                done.set()

            t = threading.Thread(target=worker)
            last = time.perf_counter()
            longest = 0.0
            t.start()
            while not done.is_set():
                now = time.perf_counter()
                longest = max(longest, now - last)
                last = now
            t.join()
            best = longest if best is None else min(best, longest)
            if best < duration / 3:
                break
        assert best < duration / 3, "main thread paused %.1f ms during a %.1f ms lint" % (best * 1e3, duration * 1e3)
    finally:
        sys.setswitchinterval(old)
