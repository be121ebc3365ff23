"""Installs per second through a token-exchange hook against the local sandbox, on loopback.

    .venv/bin/python bench/hook/bench.py --label python [--installs 1000] [--concurrency 8] \\
        -- .venv/bin/python -m hsinstall.hook --port 0 --prefix /hook

Starts the sandbox (demo/sandbox/sandbox.py, a world with one test account per install) and
the hook command given after ``--``. Any runtime's hook fits if it reads the HSINSTALL_*
settings of docs/hook.md from the environment and prints ``... listening on http://HOST:PORT[/PREFIX]``
as its first line on stdout (POST PREFIX/state and PREFIX/exchange live under that URL).

1. Untimed: for each install, POST /state to the hook, then the sandbox's authorize and
   consent pages (HubSpot's side and the person's clicks), which give a code.
2. Timed: every code goes to POST /exchange, ``--concurrency`` at a time, each on a new
   connection: the hook verifies and consumes the state, makes the token request and the
   introspection request to the sandbox and stores the install.

Prints one line: ``<label>: N installs/s, exchange median X ms, p99 Y ms (n installs, c concurrent)``,
checks that every install succeeded exactly once (the sandbox's stats and the answers), and
writes the figures to bench/out/hook-<label>.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

import hsinstall

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
REDIRECT = "http://localhost:8930/oauth/callback"  # registered, never visited: the codes are read from the Location header
FIRST_ACCOUNT = 60000


def request(host: str, port: int, method: str, path: str, body=None, headers=None) -> Tuple[int, Dict[str, str], bytes]:
    c = http.client.HTTPConnection(host, port, timeout=60)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def start(cmd: List[str], env: Dict[str, str], name: str) -> Tuple[subprocess.Popen, str]:
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        p.kill()
        sys.exit("bench: %s did not start (%r)" % (name, line))
    return p, m.group(1).rstrip("/")


def percentile(xs: List[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * len(xs) + 0.5)) - 1))]


def main() -> int:
    argv = sys.argv[1:]
    cmd = argv[argv.index("--") + 1:] if "--" in argv else []
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="python")
    ap.add_argument("--installs", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--json", help="where to write the figures (default bench/out/hook-<label>.json)")
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if not cmd:
        cmd = [sys.executable, "-m", "hsinstall.hook", "--port", "0", "--prefix", "/hook"]
    n = args.installs

    with tempfile.TemporaryDirectory(prefix="hsinstall-bench-hook.") as tmp:
        world = json.loads((ROOT / "demo" / "sandbox" / "world.json").read_text())
        world["accounts"] += [{"id": FIRST_ACCOUNT + i, "name": "Bench account %d" % i, "type": "test",
                               "domain": "bench-%d.sandbox.hubspot.example" % i, "lacks": []} for i in range(n)]
        (Path(tmp) / "world.json").write_text(json.dumps(world))
        config = json.loads((ROOT / "demo" / "app" / "app-hsmeta.json").read_text())
        config["config"]["auth"]["redirectUrls"] = [REDIRECT]
        (Path(tmp) / "app-hsmeta.json").write_text(json.dumps(config))
        app = hsinstall.AppConfig.load(Path(tmp) / "app-hsmeta.json")
        secret = world["apps"][0]["client_secret"]
        (Path(tmp) / "secret").write_text(secret)

        sandbox, sandbox_url = start([sys.executable, str(ROOT / "demo" / "sandbox" / "sandbox.py"), "--port", "0",
                                      "--world", str(Path(tmp) / "world.json"), "--redirect-url", REDIRECT],
                                     dict(os.environ), "the sandbox")
        sb = urlsplit(sandbox_url)
        env = dict(os.environ, HSINSTALL_CLIENT_ID=CLIENT_ID, HSINSTALL_CLIENT_SECRET_FILE=str(Path(tmp) / "secret"),
                   HSINSTALL_STATE_KEY=secrets.token_hex(32), HSINSTALL_APP_CONFIG=str(Path(tmp) / "app-hsmeta.json"),
                   HSINSTALL_API_BASE=sandbox_url, HSINSTALL_STORE="sqlite:///%s" % (Path(tmp) / "hsinstall.db"))
        env.pop("HSINSTALL_CLIENT_SECRET", None)
        hook, hook_url = start(cmd, env, "the hook (%s)" % " ".join(cmd))
        hu = urlsplit(hook_url)
        prefix = hu.path
        try:
            def prepare(i: int) -> Tuple[str, str]:
                status, _, body = request(hu.hostname, hu.port, "POST", prefix + "/state")
                assert status == 200, body
                state = json.loads(body)["state"]
                url = hsinstall.install_url(config=app, client_id=CLIENT_ID, state=state, account_id=FIRST_ACCOUNT + i)
                status, _, page = request(sb.hostname, sb.port, "GET", url[len("https://app.hubspot.com"):])
                rid = re.search(rb'name="request_id" value="([^"]+)"', page).group(1).decode()
                status, h, _ = request(sb.hostname, sb.port, "POST", "/oauth/consent",
                                       urlencode({"request_id": rid, "account_id": FIRST_ACCOUNT + i, "action": "grant"}),
                                       {"Content-Type": "application/x-www-form-urlencoded"})
                return parse_qs(urlsplit(h["location"]).query)["code"][0], state

            with ThreadPoolExecutor(args.concurrency) as pool:
                codes = list(pool.map(prepare, range(n)))

            latencies: List[float] = [0.0] * n
            answers: List[dict] = [{}] * n

            def exchange(i: int) -> None:
                code, state = codes[i]
                body = json.dumps({"code": code, "state": state, "redirect_uri": REDIRECT})
                t0 = time.perf_counter()
                status, _, data = request(hu.hostname, hu.port, "POST", prefix + "/exchange", body,
                                          {"Content-Type": "application/json"})
                latencies[i] = time.perf_counter() - t0
                answers[i] = dict(json.loads(data), http_status=status)

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(exchange, range(n)))
            wall = time.perf_counter() - t0
            stats = json.loads(request(sb.hostname, sb.port, "GET", "/__sandbox/stats")[2])
        finally:
            hook.terminate()
            sandbox.terminate()
            hook.wait()
            sandbox.wait()
            hook.stdout.close()
            sandbox.stdout.close()

    bad = [a for i, a in enumerate(answers) if not a.get("ok") or a.get("portal_id") != FIRST_ACCOUNT + i]
    if bad or stats["code_grants"] != n:
        print("bench: %d of %d installs failed (first: %s); the sandbox saw %d code grants"
              % (len(bad), n, bad[:1], stats["code_grants"]), file=sys.stderr)
        return 1
    ms = [x * 1000 for x in latencies]
    result = {"label": args.label, "installs": n, "concurrency": args.concurrency, "wall_s": wall,
              "installs_per_s": n / wall, "median_ms": statistics.median(ms), "p99_ms": percentile(ms, 0.99),
              "command": cmd, "sandbox": stats}
    print("%s: %.1f installs/s, exchange median %.1f ms, p99 %.1f ms (%d installs, %d concurrent)"
          % (args.label, result["installs_per_s"], result["median_ms"], result["p99_ms"], n, args.concurrency), flush=True)
    out = Path(args.json) if args.json else ROOT / "bench" / "out" / ("hook-%s.json" % args.label)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
