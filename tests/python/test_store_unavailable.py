"""The hook over PostgreSQL when the database goes away (docs/hook.md, Store): a private
cluster (tests/pg/pgtmp) stopped and started under a running hook and a real sandbox.

- the database down: POST /exchange answers 503 hook.store_unavailable (retryable) with nothing
  consumed and no token request; POST /state answers the same; the page's retry of the same
  code and state succeeds once the database is back, and the failed attempt is then in the log;
- a restart while the hook is idle is invisible (the pool's dead connections are replaced);
- a store write after HubSpot issued tokens is retried until the database is back (up to
  ``store_retry``), and when it never comes back the tokens are given back and the failure
  becomes the code's outcome once the database answers.

Also the hook's guarantees over PostgreSQL with two hooks (two processes' worth) on one database:
one token request per code however many callbacks race, one refresh per portal."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hsinstall import hook as H
from hsinstall import store as S
from test_hook import ENTERPRISE, EXTRA_ACCOUNTS, STARTER, TOKEN_TTL, Clock, Harness, RecordingHook

ROOT = Path(__file__).resolve().parents[2]
PGTMP = ROOT / "tests" / "pg" / "pgtmp"
# PostgreSQL's own programs run without the sanitizer runtimes scripts/test-python preloads into
# the interpreter for its second pass (initdb hangs under them).
PG_ENV = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


class Cluster:
    """A private PostgreSQL, stopped and started by the tests."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="hsi-pgu.", dir="/tmp")
        try:
            r = subprocess.run([str(PGTMP), "start", self.dir], capture_output=True, text=True, timeout=120, env=PG_ENV)
            assert r.returncode == 0, "tests/pg/pgtmp could not start PostgreSQL: %s" % r.stderr
        except BaseException:
            self.stop()
            raise
        self.url = r.stdout.strip()

    def down(self) -> None:
        r = subprocess.run([str(PGTMP), "down", self.dir], capture_output=True, text=True, timeout=60, env=PG_ENV)
        assert r.returncode == 0, r.stderr

    def up(self) -> None:
        r = subprocess.run([str(PGTMP), "start", self.dir], capture_output=True, text=True, timeout=120, env=PG_ENV)
        assert r.returncode == 0, r.stderr

    def restart(self) -> None:
        subprocess.run([str(PGTMP), "restart", self.dir], check=True, capture_output=True, timeout=120, env=PG_ENV)

    def stop(self) -> None:
        subprocess.run([str(PGTMP), "stop", self.dir], capture_output=True, timeout=120, env=PG_ENV)

    def fresh(self, name: str) -> str:
        r = subprocess.run([str(PGTMP), "createdb", self.dir, name], capture_output=True, text=True, timeout=60, env=PG_ENV)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def hx(tmp_path_factory):
    h = Harness(tmp_path_factory.mktemp("hook-pg"))
    yield h
    h.close()


def csv_reasons(hx) -> list:
    status, _, text = hx.call("GET", "/attempts.csv")
    assert status == 200, text
    return [line.split(",")[2] for line in text.strip().splitlines()[1:]]


def test_database_down_answers_503_with_nothing_consumed_and_the_retry_succeeds(hx, cluster):
    hook = hx.hook(cluster.fresh("down1"))
    assert isinstance(hook.store, H.PostgresStore)
    assert hx.install(ENTERPRISE)[2] == 200
    state = hx.state()
    code = hx.code_for(state, STARTER)
    before = hx.stats()["token_requests"]
    cluster.down()
    try:
        status, body = hx.exchange(code, state)
        assert status == 503 and body["code"] == "hook.store_unavailable" and body["retryable"] is True, body
        assert hx.stats()["token_requests"] == before  # the code never went to HubSpot
        status, _, text = hx.call("POST", "/state")
        assert status == 503 and json.loads(text)["code"] == "hook.store_unavailable" and json.loads(text)["retryable"]
        with pytest.raises(H.HookError) as e:
            hook.get_access_token(ENTERPRISE)
        assert e.value.code == "hook.store_unavailable" and e.value.retryable
        assert '"reason":"hook.store_unavailable"' in hx.log.getvalue()
    finally:
        cluster.up()
    # The page's retry of the same code and state: nothing was consumed, so it installs.
    status, body = hx.exchange(code, state)
    assert status == 200 and body["portal_id"] == STARTER, body
    assert hx.stats()["token_requests"] == before + 1
    reasons = csv_reasons(hx)
    assert sorted(reasons) == ["hook.store_unavailable", "installed", "installed"], reasons
    assert hook.get_access_token(STARTER).startswith("sbx-at-")


def test_attempts_kept_while_the_database_was_down_are_written_at_close(hx, cluster):
    url = cluster.fresh("close1")
    hook = hx.hook(url)
    state = hx.state()
    code = hx.code_for(state, STARTER)
    cluster.down()
    try:
        status, body = hx.exchange(code, state)
        assert status == 503 and body["code"] == "hook.store_unavailable", body
    finally:
        cluster.up()
    hook.close()  # no store call succeeded since: the kept attempt is written now, not lost
    other = S.open_store(url, hook.settings.token_keys)
    try:
        assert [a.reason for a in other.attempts(0)] == ["hook.store_unavailable"]
    finally:
        other.close()


def test_a_restart_while_idle_is_invisible(hx, cluster):
    hook = hx.hook(cluster.fresh("idle1"))
    assert hx.install(ENTERPRISE)[2] == 200
    cluster.restart()  # every pooled connection is now dead
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda a: hx.install(a)[2:], [EXTRA_ACCOUNTS + i for i in range(4)]))
    assert [r[0] for r in results] == [200] * 4, results
    assert "hook.store_unavailable" not in csv_reasons(hx)
    assert len(hook.installs()) == 5


def test_a_store_write_after_tokens_were_issued_is_retried_until_the_database_is_back(hx, cluster):
    hook = hx.hook(cluster.fresh("late1"))
    state = hx.state()
    code = hx.code_for(state, STARTER)
    hx.fault(delay_ms=1500, count=1)  # the token request is slow: the database goes away meanwhile
    out = {}
    t = threading.Thread(target=lambda: out.update(r=hx.exchange(code, state)))
    t.start()
    time.sleep(0.3)
    cluster.down()
    time.sleep(2.0)  # the tokens came back while the database was down
    cluster.up()
    t.join(30)
    hx.fault()
    status, body = out["r"]
    assert status == 200 and body["portal_id"] == STARTER, body
    assert [i.portal_id for i in hook.store.installs()] == [STARTER]
    assert hook.store.code_outcome(__import__("hashlib").sha256(code.encode()).hexdigest()) is not None
    assert '"event":"exchange","outcome":"retrying","reason":"hook.store_unavailable"' in hx.log.getvalue()


def test_when_the_database_stays_away_the_tokens_are_given_back_and_the_failure_is_the_codes_outcome(hx, cluster):
    hook = hx.hook(cluster.fresh("late2"), store_retry=1.0, replay_wait=1.0)
    state = hx.state()
    code = hx.code_for(state, STARTER)
    hx.fault(delay_ms=800, count=1)
    out = {}
    t = threading.Thread(target=lambda: out.update(r=hx.exchange(code, state)))
    t.start()
    time.sleep(0.3)
    cluster.down()
    t.join(30)
    hx.fault()
    status, body = out["r"]
    try:
        assert status == 503 and body["code"] == "hook.store_unavailable" and body["retryable"] is True, body
        assert hx.stats()["revocations"] == 1  # the tokens the hook could not keep went back to HubSpot
    finally:
        cluster.up()
    # Once the database answers, the kept failure becomes the code's outcome and its attempt is logged.
    assert "hook.store_unavailable" in csv_reasons(hx)
    status, again = hx.exchange(code, state)
    assert (status, again["code"], again["retryable"]) == (503, "hook.store_unavailable", False), again
    assert "Start the install again" in again["message"]
    assert hook.store.installs() == []
    assert hx.stats()["token_requests"] == 1


# ---------------------------------------------------------------------------- the guarantees, over PostgreSQL


def test_concurrent_callbacks_with_one_code_on_two_hooks_make_one_token_request(hx, pg_url):
    first = hx.hook(pg_url)
    second = RecordingHook(first.settings, log=hx.log)  # another process's hook on the same database
    state = hx.state()
    code = hx.code_for(state)
    hooks = [first, second]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: hooks[i % 2].exchange(code=code, state=state), range(8)))
    assert all(a == answers[0] for a in answers) and answers[0].status == 200
    assert hx.stats()["code_grants"] == 1
    assert [a.reason for a in first.attempts()].count("installed") == 1
    second.close()


def test_one_refresh_per_portal_across_two_hooks(hx, pg_url):
    clock = Clock()
    hook = hx.hook(pg_url, clock=clock)
    assert hx.install(ENTERPRISE)[2] == 200
    clock.offset = 0.9 * TOKEN_TTL
    hx.fault(delay_ms=300, count=1)
    other = RecordingHook(hook.settings, log=hx.log, clock=clock)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: (hook if i % 2 else other).get_access_token(ENTERPRISE), range(8)))
    assert len(set(got)) == 1 and hx.stats()["refresh_grants"] == 1
    other.close()
