"""The multi-instance proof (issue 9): four hook processes, two Python and two Node, sharing
one store behind the sandbox; N installs over HTTP on loopback (state from a random
instance, consent through the sandbox's pages, exchange at a random instance), mixed with

- replayed codes: the same code again at another instance, after the first answer or at the
  same moment: the first outcome, without a second token request;
- replayed states: the same state with a new code: hook.state_replayed, no token request;
- concurrent token requests: R portals whose tokens live T seconds are asked for at all four
  instances at once (3 requests each) every time their tokens near expiry (rounds).

Asserted: 0 installs lost, 0 duplicated, exactly one refresh per portal per expiry window, the
sandbox's token requests equal to what the hooks logged, no token or code in the raw tables or
the logs, and the attempts CSV byte-identical from all four instances.

    HSINSTALL_TEST_PG=postgresql://... .venv/bin/python -m pytest tests/multi/test_burst.py
    (or: .venv/bin/python tests/multi/test_burst.py postgresql|sqlite [N])
Knobs: HSINSTALL_BURST_INSTALLS (2000), HSINSTALL_BURST_SEED (random; printed).
"""
from __future__ import annotations

import collections
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import USER_ID, Cluster, Report, find_secrets, sha256  # noqa: E402

KINDS = os.environ.get("HSINSTALL_BURST_KINDS", "python,node,python,node").split(",")  # two of each runtime (debugging: override)
CONCURRENCY = 16
REFRESH_PORTALS = 24
ROUNDS = 2
TTL = 5  # seconds an access token of a refresh portal lives; the hooks refresh after 75% (3.75 s), so rounds run mid-burst
PER_INSTANCE = 3  # concurrent token requests per refresh portal per instance per round


def plan(n: int, seed: int) -> List[str]:
    """What each install does besides its first exchange. The first REFRESH_PORTALS are plain."""
    rng = random.Random(seed)
    kinds = []
    for i in range(n):
        x = rng.random()
        kinds.append("plain" if i < REFRESH_PORTALS else
                     "code_replay" if x < 0.10 else "code_replay_concurrent" if x < 0.15 else
                     "state_replay" if x < 0.25 else "plain")
    return kinds


def run_burst(store_kind: str, n: Optional[int] = None, seed: Optional[int] = None) -> Dict[str, Any]:
    n = n or int(os.environ.get("HSINSTALL_BURST_INSTALLS", "2000"))
    seed = seed if seed is not None else int(os.environ.get("HSINSTALL_BURST_SEED") or random.randrange(1 << 30))
    print("burst (%s): %d installs through %s, seed %d" % (store_kind, n, "+".join(KINDS), seed), flush=True)
    kinds = plan(n, seed)
    t_start = time.monotonic()
    with Cluster(n, store_kind, KINDS) as c:
        rep = Report("burst on %s (seed %d)" % (store_kind, seed))
        accounts = c.world.accounts
        refresh_set = accounts[:REFRESH_PORTALS]
        c.sandbox.config(account_token_ttl={a: TTL for a in refresh_set})
        results: List[Dict[str, Any]] = [{} for _ in range(n)]

        def install(i: int) -> None:
            rng = random.Random(seed * 7919 + i)
            account = accounts[i]
            r: Dict[str, Any] = {"account": account, "kind": kinds[i], "problems": []}
            results[i] = r
            step = "POST /state"
            try:
                a = c.pick(rng)
                status, body = a.state()
                if status != 200:
                    r["problems"].append("POST /state at %s: %d %s" % (a.name, status, body.get("code")))
                    return
                state = body["state"]
                step = "the sandbox's consent"
                code = c.sandbox.consent(state, account)
                r["code"] = code
                b = c.pick(rng)
                step = "POST /exchange"
                if kinds[i] == "code_replay_concurrent":
                    other = c.pick(rng, other_than=b)
                    box: Dict[str, Tuple[int, Dict[str, Any]]] = {}
                    t = threading.Thread(target=lambda: box.__setitem__("second", other.exchange(code, state)))
                    t.start()
                    first = b.exchange(code, state)
                    t.join()
                    answers = [(b, first), (other, box["second"])]
                else:
                    answers = [(b, b.exchange(code, state))]
                    if kinds[i] == "code_replay":
                        other = c.pick(rng, other_than=b)
                        answers.append((other, other.exchange(code, state)))
                for inst, (status, body) in answers:
                    if status != 200 or not body.get("ok") or body.get("portal_id") != account:
                        r["problems"].append("%s: exchange of account %d's code at %s: %d %s (%s)"
                                             % (kinds[i], account, inst.name, status, body.get("code"), body.get("message")))
                r["answer"] = next((body for _, (_, body) in answers if body.get("ok")), answers[0][1][1])
                if len(answers) == 2 and answers[0][1][1] != answers[1][1][1]:
                    r["problems"].append("%s: account %d: the replayed code got another answer than the first (%s vs %s)"
                                         % (kinds[i], account, answers[0][1][1].get("code"), answers[1][1][1].get("code")))
                if kinds[i] == "state_replay":
                    step = "the sandbox's consent (replayed state)"
                    code2 = c.sandbox.consent(state, account)
                    step = "POST /exchange (replayed state)"
                    r["replayed_state_code"] = code2
                    inst = c.pick(rng)
                    status, body = inst.exchange(code2, state)
                    if body.get("code") != "hook.state_replayed" or status < 400 or status >= 500 or body.get("ok"):
                        r["problems"].append("a replayed state with a new code at %s: %d %s (expected 4xx hook.state_replayed)"
                                             % (inst.name, status, body.get("code")))
            except Exception as e:  # a broken connection, a parse error: the install is reported, not the test aborted
                r["problems"].append("account %d, %s: %s: %s" % (account, step, type(e).__name__, e))

        # The refresh portals first, then the rest of the burst while the refresh rounds run.
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(install, range(REFRESH_PORTALS)))
        ready = time.time()
        rounds: List[Dict[int, List[Tuple[str, int, Dict[str, Any]]]]] = []
        round_times: List[Tuple[float, float]] = []

        def refresh_rounds() -> None:
            nonlocal ready
            with ThreadPoolExecutor(len(KINDS) * PER_INSTANCE * 4) as pool:
                for _ in range(ROUNDS):
                    # stale once 75% of TTL has passed since the (whole-second) updated_at
                    time.sleep(max(0.0, ready + 0.75 * TTL + 0.3 - time.time()))
                    jobs = [(p, inst) for p in refresh_set for inst in c.instances for _ in range(PER_INSTANCE)]
                    t0 = time.time()
                    def ask(job: Tuple[int, Any]) -> Tuple[str, int, Tuple[int, Dict[str, Any]]]:
                        try:
                            return job[1].name, job[0], job[1].token(job[0])
                        except OSError as e:
                            return job[1].name, job[0], (0, {"code": "connection failed: %s" % type(e).__name__})

                    answers = list(pool.map(ask, jobs))
                    ready = time.time()
                    round_times.append((t0, ready))
                    per: Dict[int, List[Tuple[str, int, Dict[str, Any]]]] = collections.defaultdict(list)
                    for name, p, (status, body) in answers:
                        per[p].append((name, status, body))
                    rounds.append(per)

        refresher = threading.Thread(target=refresh_rounds)
        refresher.start()
        t_burst, burst_wall = time.monotonic(), time.time()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(install, range(REFRESH_PORTALS, n)))
        burst_s = time.monotonic() - t_burst
        refresher.join()

        # ---- what happened, from the sandbox, the store and the hooks
        stats = c.sandbox.stats()
        issued = c.sandbox.issued()
        tables = c.store.tables()
        csvs = [i.csv() for i in c.instances]
        events = [e for i in c.instances for e in i.log_events()]

        for d in c.dead():
            rep.check(False, d)
        for r in results:
            for p in r.get("problems", ["install never ran"]):
                rep.check(False, p)

        # 0 lost: every successful answer has its row, every portal the sandbox granted is installed, whole
        installs = {row[0]: row for row in c.store.query("SELECT portal_id, user_id, hub_domain, scopes, access_token, "
                                                         "refresh_token, expires_at, updated_at, key_id FROM hsinstall_installs")}
        answered = {r["account"] for r in results if r.get("answer", {}).get("ok")}
        granted = {int(a) for a in stats["code_grants_by_account"]}
        lost_answered = answered - set(installs)
        lost_granted = granted - set(installs)
        lost = lost_answered | lost_granted | (set(accounts) - set(installs))
        rep.check(not lost, "%d installs lost (no row): first %s" % (len(lost), sorted(lost)[:5]))
        rep.check(set(installs) <= set(accounts), "rows for portals never installed: %s" % sorted(set(installs) - set(accounts))[:5])
        whole, broken = 0, []
        for r in results:
            row = installs.get(r["account"])
            if row is None or not r.get("answer"):
                continue
            ans = r["answer"]
            ok = (row[1] == USER_ID and row[2] == c.world.domains[r["account"]] and row[3] and
                  sorted(row[3].split(" ")) == sorted(ans.get("granted_scopes", [])) and row[4] and row[5] and
                  row[6] > row[7] and row[8])
            whole += bool(ok)
            if not ok:
                broken.append("portal %d (user %r, domain %r, scopes %r, tokens %s/%s, expiry %r > updated %r, key_id %r)"
                              % (r["account"], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6], row[7], row[8]))
        rep.check(not broken, "%d install rows are not whole, e.g. %s" % (len(broken), broken[:2]))

        # 0 duplicated: one token request per code at the sandbox, one installed attempt per portal
        by_code = {x["code"]: x for x in issued["codes"]}
        first_codes = [r["code"] for r in results if "code" in r]
        twice = [x for x in issued["codes"] if x["grant_requests"] > 1]
        rep.check(not twice, "%d codes were sent to the sandbox more than once (accounts %s)"
                  % (len(twice), [x["account"] for x in twice][:5]))
        never = [cd for cd in first_codes if by_code.get(cd, {}).get("grant_requests") != 1]
        rep.check(not never, "%d first-exchange codes did not reach the sandbox exactly once" % len(never))
        replayed_state_codes = [r["replayed_state_code"] for r in results if "replayed_state_code" in r]
        spent = [cd for cd in replayed_state_codes if by_code.get(cd, {}).get("grant_requests")]
        rep.check(not spent, "%d codes that came with a replayed state were sent to the sandbox" % len(spent))
        attempts = tables.get("hsinstall_attempts", [])
        att = c.store.query("SELECT outcome, reason, portal_id FROM hsinstall_attempts")
        installed_per_portal = collections.Counter(p for o, _, p in att if o == "installed")
        dup = [p for p, k in installed_per_portal.items() if k > 1]
        rep.check(not dup, "%d portals have more than one 'installed' attempt: %s" % (len(dup), dup[:5]))
        codes_rows = dict(c.store.query("SELECT code_hash, outcome FROM hsinstall_codes"))
        pending = [h for h, o in codes_rows.items() if '"pending"' in (o or "") or o == "pending"]
        rep.check(not pending, "%d codes still 'pending' after the burst" % len(pending))
        missing_codes = [cd for cd in first_codes if sha256(cd) not in codes_rows]
        rep.check(not missing_codes, "%d exchanged codes have no hsinstall_codes row" % len(missing_codes))

        # exactly one refresh per portal per expiry window
        refreshes = {int(a): k for a, k in stats["refresh_grants_by_account"].items()}
        wrong = {p: refreshes.get(p, 0) for p in refresh_set if refreshes.get(p, 0) != ROUNDS}
        rep.check(not wrong, "refresh portals with other than %d refreshes (one per window): %s" % (ROUNDS, dict(list(wrong.items())[:6])))
        stray = {p: k for p, k in refreshes.items() if p not in refresh_set}
        rep.check(not stray, "refreshes of portals whose tokens were fresh: %s" % dict(list(stray.items())[:6]))
        rep.check(len(rounds) == ROUNDS, "%d refresh rounds ran, not %d" % (len(rounds), ROUNDS))
        for k, (t0, t1) in enumerate(round_times):
            # a refreshed token stays fresh at least 0.75 * TTL - 1 s (updated_at is a whole second): a round
            # that ended later could rightly see two refreshes, and the check below would not mean anything
            rep.check(t1 - t0 < 0.75 * TTL - 1, "refresh round %d took %.1f s: longer than an expiry window allows" % (k + 1, t1 - t0))
        refresh_tokens = collections.defaultdict(list)
        for t in issued["tokens"]:
            if t["grant_type"] == "refresh_token":
                refresh_tokens[t["account"]].append(sha256(t["access_token"]))
        for k, per in enumerate(rounds):
            for p in refresh_set:
                got = per.get(p, [])
                bad = [(name, status, body.get("code")) for name, status, body in got if status != 200 or not body.get("ok")]
                rep.check(not bad, "round %d, portal %d: token requests failed: %s" % (k + 1, p, bad[:4]))
                hashes = {body.get("sha256") for _, status, body in got if status == 200}
                want = refresh_tokens[p][k] if len(refresh_tokens[p]) > k else None
                rep.check(len(got) == len(KINDS) * PER_INSTANCE and hashes == {want},
                          "round %d, portal %d: the %d answers are not all the token of refresh %d (%d distinct)"
                          % (k + 1, p, len(got), k + 1, len(hashes)))

        # the sandbox's count of token requests agrees with the hooks' attempt log and logs
        n_installed = sum(1 for o, _, _ in att if o == "installed")
        n_code_replayed = sum(1 for o, rs, _ in att if o == "replayed" and rs == "hook.code_replayed")
        n_state_replayed = sum(1 for o, rs, _ in att if o == "failed" and rs == "hook.state_replayed")
        other_failures = collections.Counter(rs for o, rs, _ in att if o == "failed" and rs != "hook.state_replayed")
        n_refreshed = sum(1 for e in events if e.get("event") == "refresh" and e.get("outcome") == "refreshed")
        refresh_failed = [e.get("reason") for e in events if e.get("event") == "refresh" and e.get("outcome") != "refreshed"]
        want_replays = sum(1 for r in results if r["kind"] in ("code_replay", "code_replay_concurrent"))
        want_state_replays = sum(1 for r in results if r["kind"] == "state_replay")
        rep.check(stats["token_requests"] == stats["code_grants"] + stats["refresh_grants"],
                  "sandbox: %d token requests but %d code + %d refresh grants" % (stats["token_requests"], stats["code_grants"], stats["refresh_grants"]))
        rep.check(stats["code_grants"] == n_installed == n,
                  "sandbox code grants %d, 'installed' attempts in the log %d, installs %d" % (stats["code_grants"], n_installed, n))
        rep.check(stats["refresh_grants"] == n_refreshed == ROUNDS * REFRESH_PORTALS,
                  "sandbox refresh grants %d, 'refreshed' in the hooks' logs %d, expected %d"
                  % (stats["refresh_grants"], n_refreshed, ROUNDS * REFRESH_PORTALS))
        rep.check(not refresh_failed, "refreshes logged as failed: %s" % collections.Counter(refresh_failed))
        rep.check(n_code_replayed == want_replays, "%d hook.code_replayed attempts logged, %d replays sent" % (n_code_replayed, want_replays))
        rep.check(n_state_replayed == want_state_replays,
                  "%d hook.state_replayed attempts logged, %d sent" % (n_state_replayed, want_state_replays))
        rep.check(not other_failures, "unexpected failed attempts: %s" % dict(other_failures))

        # no token or code in the raw tables, the logs or the CSV
        secrets_ = [t["access_token"] for t in issued["tokens"]] + [t["refresh_token"] for t in issued["tokens"]]
        codes = [x["code"] for x in issued["codes"]]
        raw = c.store.raw_text()
        leaked = find_secrets(raw, secrets_)
        rep.check(not leaked, "%d of %d issued tokens appear in the raw tables (as text)" % (len(leaked), len(secrets_)))
        leaked = find_secrets(raw, codes)
        rep.check(not leaked, "%d of %d codes appear in the raw tables" % (len(leaked), len(codes)))
        logs = c.logs_text() + "\n" + csvs[0].decode("utf-8", "replace")
        leaked = find_secrets(logs, secrets_ + codes)
        rep.check(not leaked, "%d tokens or codes appear in the hooks' logs or the CSV" % len(leaked))

        # the attempts CSV is the same from every instance
        rep.check(all(x == csvs[0] for x in csvs),
                  "attempts.csv differs between instances (sizes %s)" % [len(x) for x in csvs])
        rep.check(csvs[0].count(b"\r\n") - 1 == len(attempts), "attempts.csv has %d rows, the table %d"
                  % (csvs[0].count(b"\r\n") - 1, len(attempts)))

        figures = {"store": store_kind, "installs": n, "seed": seed, "lost": len(lost), "whole_rows": whole,
                   "duplicated": len(twice) + len(dup), "code_replays": want_replays, "state_replays": want_state_replays,
                   "refresh_portals": REFRESH_PORTALS, "windows": ROUNDS,
                   "refreshes_per_portal_per_window": sorted({k / ROUNDS for k in (refreshes.get(p, 0) for p in refresh_set)}),
                   "concurrent_token_requests": ROUNDS * REFRESH_PORTALS * len(KINDS) * PER_INSTANCE,
                   "sandbox_token_requests": stats["token_requests"], "sandbox_code_grants": stats["code_grants"],
                   "sandbox_refresh_grants": stats["refresh_grants"], "log_installed": n_installed, "log_refreshed": n_refreshed,
                   "csv_bytes": len(csvs[0]), "burst_s": round(burst_s, 1), "total_s": round(time.monotonic() - t_start, 1),
                   "rounds_s_into_burst": [(round(t0 - burst_wall, 1), round(t1 - t0, 2)) for t0, t1 in round_times]}
        print("burst (%s): %d installs in %.1f s: %d lost, %d duplicated; %d code replays, %d state replays; "
              "refreshes per portal per window %s (%d portals x %d windows, %d concurrent token requests); "
              "sandbox token requests %d = %d code grants + %d refresh grants; hooks logged %d installed + %d refreshed; "
              "attempts.csv identical from %d instances (%d bytes); refresh rounds at %s s into the burst, lasting %s s"
              % (store_kind, n, burst_s, len(lost), figures["duplicated"], want_replays, want_state_replays,
                 figures["refreshes_per_portal_per_window"], REFRESH_PORTALS, ROUNDS, figures["concurrent_token_requests"],
                 stats["token_requests"], stats["code_grants"], stats["refresh_grants"], n_installed, n_refreshed,
                 len(csvs), len(csvs[0]), [x for x, _ in figures["rounds_s_into_burst"]], [y for _, y in figures["rounds_s_into_burst"]]),
              flush=True)
        rep.done()
        return figures


def test_burst_postgresql() -> None:
    run_burst("postgresql")


def test_burst_sqlite() -> None:
    run_burst("sqlite", int(os.environ.get("HSINSTALL_BURST_SQLITE_INSTALLS", "500")))


if __name__ == "__main__":
    run_burst(sys.argv[1] if len(sys.argv) > 1 else "postgresql", int(sys.argv[2]) if len(sys.argv) > 2 else None)
