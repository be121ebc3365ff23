#!/usr/bin/env python3
"""hsinstall's Python face beside oauthlib and plain urllib.parse, one run, printed as ratios.

Three jobs over bench/inputs.json (the inputs the C++, urllib and Node benchmarks share):

  build_install_url  build + validate an install URL from explicit fields
                       hsinstall.install_url(client_id=..., scopes=[...], ...)
                       urllib: bench/peers/urllib_peer.py (urlencode(quote_via=quote), as HubSpot's helper)
                       oauthlib: WebApplicationClient(client_id).prepare_request_uri(...)
  parse_callback     parse the redirect back + verify state (constant time)
                       hsinstall.parse_callback(url, expected_state=...)
                       urllib: urlsplit + parse_qs + hmac.compare_digest (the same peer)
                       oauthlib: WebApplicationClient.parse_request_uri_response(url, state=...)
  lint_config        parse + check an app config (*-hsmeta.json)
                       hsinstall.lint(text, file_name=...)
                       urllib: json.loads + a few lookups (the same peer); oauthlib has no equivalent

Contenders run interleaved, in rounds (each round times one batch of each); a contender's
figure is its best round, so a noisy neighbour slows everyone alike or no one. Ratios are
hsinstall ops/s divided by the peer's (above 1: hsinstall is faster). The peers do less work
than hsinstall (no scope catalogue, duplicate, redirect-URI or encoding checks).

  bench.py [--min-time SECONDS] [--rounds N] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
sys.path.insert(0, str(BENCH / "peers"))

import urllib_peer  # noqa: E402  (bench/peers/urllib_peer.py, shared with bench/run)

import hsinstall  # noqa: E402

try:
    from oauthlib.oauth2 import WebApplicationClient
    from oauthlib.oauth2.rfc6749.errors import MismatchingStateError
except ImportError:  # pragma: no cover - scripts/setup installs python3-oauthlib
    WebApplicationClient = None

TARGETS = {  # issue 4: benchmarks, not tests
    "build_install_url": ("urllib", 5.0, "≥ 5× urllib, and faster still than oauthlib"),
    "parse_callback": ("urllib", 3.0, "≥ 3× urllib's parse_qs route"),
}


def batch_time(fn: Callable[[], object], n: int) -> float:
    clock = time.perf_counter
    t0 = clock()
    for _ in range(n):
        fn()
    return clock() - t0


def calibrate(fn: Callable[[], object], seconds: float) -> int:
    """Iterations that take about `seconds`."""
    fn()
    n = 1
    while True:
        t = batch_time(fn, n)
        if t >= seconds * 0.2 or n >= 1 << 26:
            return max(1, int(n * seconds / max(t, 1e-9)))
        n *= 4


def measure(contenders: Dict[str, Callable[[], object]], min_time: float, rounds: int) -> Dict[str, dict]:
    per_round = min_time / rounds
    sizes = {name: calibrate(fn, per_round) for name, fn in contenders.items()}
    best: Dict[str, float] = {name: 0.0 for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            n = sizes[name]
            best[name] = max(best[name], n / batch_time(fn, n))
    return {name: {"ops_per_sec": ops, "ns_per_op": 1e9 / ops, "iterations_per_round": sizes[name]}
            for name, ops in best.items()}


def fmt_ops(v: Optional[float]) -> str:
    if v is None:
        return "—"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    return "%.1fk" % (v / 1e3)


def fmt_ratio(a: Optional[float], b: Optional[float]) -> str:
    return "—" if not a or not b else "%.2f×" % (a / b)


def native_figures() -> Dict[str, float]:
    """ns/op of the C++ core from bench/run's last result, when there is one."""
    path = BENCH / "out" / "hsinstall.json"
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for b in doc.get("benchmarks", []):
        name = b.get("name", "").replace("BM_", "").replace("/real_time", "")
        if b.get("items_per_second"):
            out[name] = 1e9 / b["items_per_second"]
    return out


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds per contender and job (default 1.0)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--inputs", default=str(BENCH / "inputs.json"))
    args = ap.parse_args(argv[1:])

    inputs_path = Path(args.inputs)
    inputs = json.loads(inputs_path.read_text(encoding="utf-8"))
    rq = inputs["build"]
    cb_url, expected = inputs["callback"]["url"], inputs["callback"]["expected_state"]
    config_path = inputs_path.parent / inputs["config"]["path"]
    config_text = config_path.read_text(encoding="utf-8")  # read once, outside the timed loops
    config_name = inputs["config"]["file_name"]

    client_id, redirect_uri, scopes = rq["client_id"], rq["redirect_uri"], rq["scopes"]
    optional_scopes, state, host = rq["optional_scopes"], rq["state"], rq["host"]
    install_url, parse_callback, lint = hsinstall.install_url, hsinstall.parse_callback, hsinstall.lint
    authorize = "https://%s/oauth/authorize" % host

    def hs_build():
        return install_url(client_id=client_id, redirect_uri=redirect_uri, scopes=scopes,
                           optional_scopes=optional_scopes, state=state, host=host)

    def hs_callback():
        return parse_callback(cb_url, expected_state=expected)

    def hs_lint():
        return lint(config_text, file_name=config_name)

    jobs: Dict[str, Dict[str, Callable[[], object]]] = {
        "build_install_url": {"hsinstall": hs_build, "urllib": lambda: urllib_peer.build_install_url(rq)},
        "parse_callback": {"hsinstall": hs_callback, "urllib": lambda: urllib_peer.parse_callback(cb_url, expected)},
        "lint_config": {"hsinstall": hs_lint, "urllib": lambda: urllib_peer.lint_config(config_text)},
    }
    if WebApplicationClient is not None:
        oauth_client = WebApplicationClient(client_id)
        optional_joined = " ".join(optional_scopes)

        def oauthlib_build():
            # A fresh client per URL, as a web app building one URL per visitor would.
            return WebApplicationClient(client_id).prepare_request_uri(
                authorize, redirect_uri=redirect_uri, scope=scopes, state=state, optional_scope=optional_joined)

        def oauthlib_callback():
            return oauth_client.parse_request_uri_response(cb_url, state=expected)["code"]

        jobs["build_install_url"]["oauthlib"] = oauthlib_build
        jobs["parse_callback"]["oauthlib"] = oauthlib_callback

    # Every input must pass before anything is timed, so no error path is measured.
    built = hs_build()
    assert not built.diagnostics, built.diagnostics
    cb = hs_callback()
    assert cb.state_verified and not cb.diagnostics
    report = hs_lint()
    assert report.ok, report
    outputs = {
        "hsinstall_url": str(built),
        "urllib_url_identical": urllib_peer.build_install_url(rq) == built,
        "callback_code": cb.code,
        "urllib_code_identical": urllib_peer.parse_callback(cb_url, expected) == cb.code,
    }
    if WebApplicationClient is not None:
        outputs["oauthlib_url"] = jobs["build_install_url"]["oauthlib"]()
        outputs["oauthlib_code_identical"] = jobs["parse_callback"]["oauthlib"]() == cb.code
        try:
            oauth_client.parse_request_uri_response(cb_url, state="not-the-state")
            raise AssertionError("oauthlib accepted a wrong state")
        except MismatchingStateError:
            pass

    results = {job: measure(contenders, args.min_time, args.rounds) for job, contenders in jobs.items()}
    native = native_figures()

    print("# hsinstall (Python) against urllib.parse and oauthlib (one run)\n")
    print("- %s, %s, %d CPU(s); hsinstall %s; oauthlib %s" % (
        "Python " + platform.python_version(), sys.executable, os.cpu_count() or 0, hsinstall.__version__,
        __import__("oauthlib").__version__ if WebApplicationClient else "not installed"))
    print("- best of %d interleaved rounds, %.2fs per contender and job; ratio = hsinstall ops/s ÷ peer ops/s\n"
          % (args.rounds, args.min_time))
    print("| job | hsinstall ops/s | urllib ops/s | oauthlib ops/s | vs urllib | vs oauthlib | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    verdicts = []
    for job, r in results.items():
        h = r["hsinstall"]["ops_per_sec"]
        u = r["urllib"]["ops_per_sec"]
        o = r.get("oauthlib", {}).get("ops_per_sec")
        target = TARGETS.get(job)
        verdict = ""
        if target:
            peer, want, text = target
            met = h / r[peer]["ops_per_sec"] >= want and (o is None or job != "build_install_url" or h > o)
            verdict = "%s: %s" % (text, "met" if met else "MISSED")
            verdicts.append((job, met))
        print("| %s | %s | %s | %s | %s | %s | %s |" % (job, fmt_ops(h), fmt_ops(u), fmt_ops(o), fmt_ratio(h, u),
                                                      fmt_ratio(h, o), verdict or "—"))
    print()
    print("Where the time goes (ns per call):\n")
    for job, r in results.items():
        line = "- %s: hsinstall %.0f ns" % (job, r["hsinstall"]["ns_per_op"])
        if job in native:
            line += " = C++ core %.0f ns (bench/run's last result) + binding and call %.0f ns" % (
                native[job], r["hsinstall"]["ns_per_op"] - native[job])
        line += "; urllib %.0f ns" % r["urllib"]["ns_per_op"]
        if "oauthlib" in r:
            line += "; oauthlib %.0f ns" % r["oauthlib"]["ns_per_op"]
        print(line)
    print()
    print("Not the same work: hsinstall checks the scope catalogue, duplicates, redirect-URI rules, encoding,")
    print("and (callbacks) duplicate/oversize parameters and code charset; the urllib peer checks presence and")
    print("scheme only; oauthlib checks https and the state, and writes response_type=code and '+' for spaces.")
    print("urllib's URL is identical to hsinstall's: %s; oauthlib's: %s" % (
        outputs["urllib_url_identical"], outputs.get("oauthlib_url", "—")))

    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"python": sys.version, "min_time": args.min_time, "rounds": args.rounds,
                                               "results": results, "native_ns": native, "outputs": outputs,
                                               "targets_met": dict(verdicts)}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
