"""Installs per second through token-exchange hook processes against the local sandbox, on loopback.

    .venv/bin/python bench/hook/bench.py --label python [--installs 1000] [--concurrency 8] \\
        -- .venv/bin/python -m hsinstall.hook --port 0 --prefix /hook
    .venv/bin/python bench/hook/bench.py --label mixed --hooks python,node,python,node \\
        --store postgresql --pg postgresql://postgres@/hsinstall?host=/tmp/hsi-pg.X

Starts the sandbox (demo/sandbox/sandbox.py, a world with one test account per install) and the
hook processes: the command given after ``--`` (one process), or ``--hooks``, a comma-separated
list of runtimes (``python``: ``python -m hsinstall.hook``; ``node``: ``node wasm/hook/serve.js``),
one process each, all on one store: ``--store sqlite`` (a fresh file) or ``postgresql`` (a fresh
database made in the cluster of ``--pg``/HSINSTALL_TEST_PG, dropped afterwards). Any runtime's
hook fits if it reads the HSINSTALL_* settings of docs/hook.md from the environment and prints
``... listening on http://HOST:PORT[/PREFIX]`` as its first line on stdout.

1. Untimed: for each install, POST /state to one process (round robin), then the sandbox's
   authorize and consent pages (HubSpot's side and the person's clicks), which give a code.
2. Untimed: ``--warmup`` installs per process (20) go through step 3 first.
3. Timed: every other code goes to POST /exchange at another process than the one that issued its state
   (when there are several), ``--concurrency`` at a time, each on a new connection: the hook
   verifies and consumes the state, makes the token request and the introspection request to
   the sandbox and stores the install (tokens sealed).

installs/s is the timed installs over the wall time of step 3; latencies are those of its calls.
Prints one line: ``<label>: N installs/s, exchange median X ms, p99 Y ms (n installs, c concurrent, ...)``,
checks that every install succeeded exactly once (the sandbox's stats and the answers), and
writes the figures to bench/out/hook-<label>.json (or --json).
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
from typing import Any, Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import hsinstall

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
REDIRECT = "http://localhost:8930/oauth/callback"  # registered, never visited: the codes are read from the Location header
FIRST_ACCOUNT = 60000


class BenchError(RuntimeError):
    pass


def runtime_command(runtime: str) -> List[str]:
    if runtime == "python":
        return [sys.executable, "-m", "hsinstall.hook", "--port", "0", "--prefix", "/hook"]
    if runtime == "node":
        return ["node", str(ROOT / "wasm" / "hook" / "serve.js"), "--port", "0", "--prefix", "/hook"]
    raise BenchError("unknown runtime %r (python or node)" % runtime)


def request(host: str, port: int, method: str, path: str, body=None, headers=None) -> Tuple[int, Dict[str, str], bytes]:
    c = http.client.HTTPConnection(host, port, timeout=60)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def start(cmd: List[str], env: Dict[str, str], name: str, log: Optional[Path] = None) -> Tuple[subprocess.Popen, str]:
    err = open(log, "wb") if log else subprocess.DEVNULL
    try:
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    finally:
        if log:
            err.close()
    line = p.stdout.readline()
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        p.kill()
        p.wait()
        said = log.read_text(errors="replace").strip().splitlines()[-3:] if log else []
        raise BenchError("%s did not start (%r; stderr: %s)" % (name, line, " | ".join(said) or "nothing"))
    return p, m.group(1).rstrip("/")


def stop(p: subprocess.Popen) -> None:
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stdout.close()


def percentile(xs: List[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * len(xs) + 0.5)) - 1))]


class PgDatabase:
    """A fresh database in the cluster of ``admin_url``, dropped by close()."""

    def __init__(self, admin_url: str) -> None:
        import psycopg2

        self.admin = admin_url
        self.name = "hsb_%s" % secrets.token_hex(6)
        c = psycopg2.connect(admin_url)
        c.autocommit = True
        with c.cursor() as cur:
            cur.execute("CREATE DATABASE %s" % self.name)
        c.close()
        u = urlsplit(admin_url)
        self.url = urlunsplit((u.scheme, u.netloc, "/" + self.name, u.query, u.fragment))

    def close(self) -> None:
        import psycopg2

        c = psycopg2.connect(self.admin)
        c.autocommit = True
        with c.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
        c.close()


def run(label: str, cmds: Sequence[List[str]], *, store: str = "sqlite", pg: Optional[str] = None, installs: int = 1000,
        concurrency: int = 8, json_path: Optional[Path] = None, runtimes: Optional[Sequence[str]] = None,
        warmup: int = 20) -> Dict[str, Any]:
    """One measured run; returns the figures (and writes them as JSON). ``warmup`` installs per
    process go through first, untimed (a fresh process's first calls include compiling and connecting)."""
    w = warmup * len(cmds)
    n = installs + w
    with tempfile.TemporaryDirectory(prefix="hsinstall-bench-hook.") as tmp:
        world = json.loads((ROOT / "demo" / "sandbox" / "world.json").read_text())
        world["accounts"] += [{"id": FIRST_ACCOUNT + i, "name": "Bench account %d" % i, "type": "test",
                               "domain": "bench-%d.sandbox.hubspot.example" % i, "lacks": []} for i in range(n)]
        (Path(tmp) / "world.json").write_text(json.dumps(world))
        config = json.loads((ROOT / "demo" / "app" / "app-hsmeta.json").read_text())
        config["config"]["auth"]["redirectUrls"] = [REDIRECT]
        (Path(tmp) / "app-hsmeta.json").write_text(json.dumps(config))
        app = hsinstall.AppConfig.load(Path(tmp) / "app-hsmeta.json")
        (Path(tmp) / "secret").write_text(world["apps"][0]["client_secret"])

        db: Optional[PgDatabase] = None
        if store == "postgresql":
            admin = pg or os.environ.get("HSINSTALL_TEST_PG")
            if not admin:
                raise BenchError("--store postgresql needs --pg URL or HSINSTALL_TEST_PG (bench/hook/run starts a throwaway one)")
            db = PgDatabase(admin)
            store_url = db.url
        elif store == "sqlite":
            store_url = "sqlite:///%s" % (Path(tmp) / "hsinstall.db")
        else:
            raise BenchError("unknown store %r (sqlite or postgresql)" % store)

        procs: List[subprocess.Popen] = []
        try:
            sandbox, sandbox_url = start([sys.executable, str(ROOT / "demo" / "sandbox" / "sandbox.py"), "--port", "0",
                                          "--world", str(Path(tmp) / "world.json"), "--redirect-url", REDIRECT],
                                         dict(os.environ), "the sandbox")
            procs.append(sandbox)
            sb = urlsplit(sandbox_url)
            env = {k: v for k, v in os.environ.items() if not k.startswith("HSINSTALL_")}
            env.update(HSINSTALL_CLIENT_ID=CLIENT_ID, HSINSTALL_CLIENT_SECRET_FILE=str(Path(tmp) / "secret"),
                       HSINSTALL_STATE_KEY=secrets.token_hex(32), HSINSTALL_APP_CONFIG=str(Path(tmp) / "app-hsmeta.json"),
                       HSINSTALL_API_BASE=sandbox_url, HSINSTALL_STORE=store_url, HSINSTALL_TOKEN_KEY=secrets.token_hex(32))
            hooks = []
            for k, cmd in enumerate(cmds):
                # The hooks' JSON-lines logs go to a file that is removed with the run (kept out of the timing's way).
                p, url = start(cmd, env, "hook %d (%s)" % (k + 1, " ".join(cmd)), Path(tmp) / ("hook-%d.log" % k))
                procs.append(p)
                hooks.append(urlsplit(url))
            h = len(hooks)

            def prepare(i: int) -> Tuple[str, str]:
                hu = hooks[i % h]
                status, _, body = request(hu.hostname, hu.port, "POST", hu.path + "/state")
                if status != 200:
                    raise BenchError("POST /state answered %d" % status)
                state = json.loads(body)["state"]
                url = hsinstall.install_url(config=app, client_id=CLIENT_ID, state=state, account_id=FIRST_ACCOUNT + i)
                status, _, page = request(sb.hostname, sb.port, "GET", url[len("https://app.hubspot.com"):])
                rid = re.search(rb'name="request_id" value="([^"]+)"', page).group(1).decode()
                status, hd, _ = request(sb.hostname, sb.port, "POST", "/oauth/consent",
                                        urlencode({"request_id": rid, "account_id": FIRST_ACCOUNT + i, "action": "grant"}),
                                        {"Content-Type": "application/x-www-form-urlencoded"})
                return parse_qs(urlsplit(hd["location"]).query)["code"][0], state

            with ThreadPoolExecutor(concurrency) as pool:
                codes = list(pool.map(prepare, range(n)))

            latencies: List[float] = [0.0] * n
            answers: List[dict] = [{}] * n

            def exchange(i: int) -> None:
                code, state = codes[i]
                hu = hooks[(i + 1) % h]  # another process than the one that issued the state
                body = json.dumps({"code": code, "state": state, "redirect_uri": REDIRECT})
                t0 = time.perf_counter()
                status, _, data = request(hu.hostname, hu.port, "POST", hu.path + "/exchange", body,
                                          {"Content-Type": "application/json"})
                latencies[i] = time.perf_counter() - t0
                answers[i] = dict(json.loads(data), http_status=status)

            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(exchange, range(w)))
            t0 = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(exchange, range(w, n)))
            wall = time.perf_counter() - t0
            stats = json.loads(request(sb.hostname, sb.port, "GET", "/__sandbox/stats")[2])
        finally:
            for p in procs:
                stop(p)
            if db is not None:
                db.close()

    bad = [a for i, a in enumerate(answers) if not a.get("ok") or a.get("portal_id") != FIRST_ACCOUNT + i]
    if bad or stats["code_grants"] != n:
        raise BenchError("%s: %d of %d installs failed (first: %s); the sandbox saw %d code grants"
                         % (label, len(bad), n, bad[:1], stats["code_grants"]))
    ms = [x * 1000 for x in latencies[w:]]
    stats = {k: v for k, v in stats.items() if not isinstance(v, dict)}  # the per-account counts are long
    result = {"label": label, "store": store, "processes": len(cmds), "runtimes": list(runtimes or []), "installs": n,
              "warmup_installs": w,
              "concurrency": concurrency, "wall_s": wall, "installs_per_s": installs / wall, "median_ms": statistics.median(ms),
              "p99_ms": percentile(ms, 0.99), "cores": os.cpu_count(), "commands": list(cmds), "sandbox": stats}
    print("%s: %.1f installs/s, exchange median %.1f ms, p99 %.1f ms (%d installs, %d concurrent, %d process%s, %s)"
          % (label, result["installs_per_s"], result["median_ms"], result["p99_ms"], installs, concurrency, len(cmds),
             "" if len(cmds) == 1 else "es", store), flush=True)
    out = json_path or ROOT / "bench" / "out" / ("hook-%s.json" % label)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> int:
    argv = sys.argv[1:]
    cmd = argv[argv.index("--") + 1:] if "--" in argv else []
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="python")
    ap.add_argument("--installs", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=20, help="untimed installs per process before the timed ones")
    ap.add_argument("--hooks", help="comma-separated runtimes, one process each (python, node); instead of a command after --")
    ap.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg", help="a PostgreSQL URL whose user may CREATE DATABASE (default HSINSTALL_TEST_PG)")
    ap.add_argument("--json", help="where to write the figures (default bench/out/hook-<label>.json)")
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    try:
        if args.hooks and cmd:
            raise BenchError("give --hooks or a command after --, not both")
        runtimes = args.hooks.split(",") if args.hooks else []
        cmds = [runtime_command(r) for r in runtimes] if runtimes else [cmd or runtime_command("python")]
        run(args.label, cmds, store=args.store, pg=args.pg, installs=args.installs, concurrency=args.concurrency,
            json_path=Path(args.json) if args.json else None, runtimes=runtimes, warmup=args.warmup)
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
