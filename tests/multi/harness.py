"""Shared pieces of the multi-instance tests: the sandbox, hook processes of both runtimes
(tests/multi/instance.py and instance.mjs), stores (a SQLite file, or a throwaway PostgreSQL
database in the cluster of HSINSTALL_TEST_PG), an HTTP client, and readers of the raw tables.

Nothing here re-implements the hook: the processes are the hooks, driven over HTTP on loopback.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import hsinstall

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CLIENT_ID = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
REDIRECT = "http://localhost:8930/oauth/callback"  # registered, never visited: codes are read from the Location header
FIRST_ACCOUNT = 60000
USER_ID = 70001
PYTHON = os.environ.get("HSINSTALL_TEST_PYTHON") or sys.executable
NODE = shutil.which("node") or "node"


class Failure(AssertionError):
    pass


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def request(host: str, port: int, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
            timeout: float = 60) -> Tuple[int, Dict[str, str], bytes]:
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def _first_line(p: subprocess.Popen, what: str, timeout: float = 60) -> str:
    box: List[str] = []
    t = threading.Thread(target=lambda: box.append(p.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    line = box[0] if box else ""
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        p.kill()
        p.wait()
        raise Failure("%s did not start within %d s (first line %r, exit status %s)" % (what, timeout, line, p.returncode))
    # Keep draining stdout so a chatty process never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    return m.group(1).rstrip("/")


def _stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---------------------------------------------------------------------------- the world


class World:
    """A temporary folder with the sandbox's world (``n`` extra test accounts), the app's
    config with the test redirect URL, and the client secret in a file."""

    def __init__(self, n: int, tmp: Path) -> None:
        self.tmp = tmp
        world = json.loads((ROOT / "demo" / "sandbox" / "world.json").read_text())
        self.accounts = [FIRST_ACCOUNT + i for i in range(n)]
        world["accounts"] += [{"id": a, "name": "Burst account %d" % a, "type": "test",
                               "domain": "burst-%d.sandbox.hubspot.example" % a, "lacks": []} for a in self.accounts]
        self.domains = {a["id"]: a["domain"] for a in world["accounts"]}
        (tmp / "world.json").write_text(json.dumps(world))
        config = json.loads((ROOT / "demo" / "app" / "app-hsmeta.json").read_text())
        config["config"]["auth"]["redirectUrls"] = [REDIRECT]
        (tmp / "app-hsmeta.json").write_text(json.dumps(config))
        self.app = hsinstall.AppConfig.load(tmp / "app-hsmeta.json")
        self.secret = world["apps"][0]["client_secret"]
        (tmp / "client-secret").write_text(self.secret)
        self.state_key = secrets.token_hex(32)
        self.token_key = secrets.token_hex(32)

    def hook_env(self, store: str, api_base: str) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HSINSTALL_") or k == "HSINSTALL_HOOK_DEBUG"}
        env.update(HSINSTALL_CLIENT_ID=CLIENT_ID, HSINSTALL_CLIENT_SECRET_FILE=str(self.tmp / "client-secret"),
                   HSINSTALL_STATE_KEY=self.state_key, HSINSTALL_APP_CONFIG=str(self.tmp / "app-hsmeta.json"),
                   HSINSTALL_API_BASE=api_base, HSINSTALL_STORE=store, HSINSTALL_TOKEN_KEY=self.token_key)
        return env


class Sandbox:
    def __init__(self, world: World, *extra: str) -> None:
        self.world = world
        self.proc = subprocess.Popen([PYTHON, str(ROOT / "demo" / "sandbox" / "sandbox.py"), "--port", "0",
                                      "--world", str(world.tmp / "world.json"), "--redirect-url", REDIRECT,
                                      "--expose-issued", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = _first_line(self.proc, "the sandbox")
        u = urlsplit(self.url)
        self.host, self.port = u.hostname, u.port

    def get(self, path: str) -> Any:
        status, _, body = request(self.host, self.port, "GET", path)
        if status != 200:
            raise Failure("sandbox GET %s: %d" % (path, status))
        return json.loads(body)

    def stats(self) -> Dict[str, Any]:
        return self.get("/__sandbox/stats")

    def issued(self) -> Dict[str, Any]:
        return self.get("/__sandbox/issued")

    def config(self, token_ttl: Optional[int] = None, account_token_ttl: Optional[Dict[int, Optional[int]]] = None) -> None:
        body: Dict[str, Any] = {}
        if token_ttl is not None:
            body["token_ttl"] = token_ttl
        if account_token_ttl:
            body["account_token_ttl"] = {str(k): v for k, v in account_token_ttl.items()}
        status, _, data = request(self.host, self.port, "POST", "/__sandbox/config", json.dumps(body))
        if status != 200:
            raise Failure("sandbox config: %d %r" % (status, data))

    def consent(self, state: str, account: int) -> str:
        """The person's side: the install URL (built by hsinstall, as the widget does), the
        consent page, Connect; returns the code of the redirect."""
        url = hsinstall.install_url(config=self.world.app, client_id=CLIENT_ID, state=state, account_id=account)
        status, _, page = request(self.host, self.port, "GET", url[len("https://app.hubspot.com"):])
        m = re.search(rb'name="request_id" value="([^"]+)"', page)
        if status != 200 or not m:
            raise Failure("sandbox consent page for account %d: status %d" % (account, status))
        status, h, _ = request(self.host, self.port, "POST", "/oauth/consent",
                               urlencode({"request_id": m.group(1).decode(), "account_id": account, "action": "grant"}),
                               {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise Failure("sandbox consent for account %d: status %d" % (account, status))
        return parse_qs(urlsplit(h["location"]).query)["code"][0]

    def stop(self) -> None:
        _stop(self.proc)


class Instance:
    """One hook process: ``kind`` is ``python`` (tests/multi/instance.py) or ``node``
    (tests/multi/instance.mjs). Its stderr (the hook's JSON-lines log) goes to ``log``."""

    def __init__(self, kind: str, env: Dict[str, str], log: Path, name: str) -> None:
        self.kind, self.name, self.log = kind, name, log
        node_instance = os.environ.get("HSINSTALL_TEST_NODE_INSTANCE") or str(HERE / "instance.mjs")  # debugging: a patched hook
        cmd = [PYTHON, str(HERE / "instance.py")] if kind == "python" else [NODE, node_instance]
        self._err = open(log, "wb")
        self.proc = subprocess.Popen(cmd + ["--port", "0", "--prefix", "/hook"], env=env, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True)
        try:
            self.url = _first_line(self.proc, "hook instance %s (%s)" % (name, kind))
        except Failure as e:
            self._err.close()
            raise Failure("%s; its stderr: %s" % (e, log.read_text(errors="replace")[-2000:]))
        u = urlsplit(self.url)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path

    def call(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, Any]]:
        status, _, data = request(self.host, self.port, method, path, body, headers)
        try:
            return status, json.loads(data)
        except ValueError:
            return status, {"unparsed": data[:200].decode("utf-8", "replace")}

    def state(self) -> Tuple[int, Dict[str, Any]]:
        return self.call("POST", self.prefix + "/state")

    def exchange(self, code: str, state: str) -> Tuple[int, Dict[str, Any]]:
        return self.call("POST", self.prefix + "/exchange", json.dumps({"code": code, "state": state, "redirect_uri": REDIRECT}),
                         {"Content-Type": "application/json"})

    def token(self, portal: int) -> Tuple[int, Dict[str, Any]]:
        return self.call("GET", "/__test/token?portal=%d" % portal)

    def csv(self) -> bytes:
        status, _, data = request(self.host, self.port, "GET", self.prefix + "/attempts.csv")
        if status != 200:
            raise Failure("%s: GET attempts.csv answered %d" % (self.name, status))
        return data

    def log_events(self) -> List[Dict[str, Any]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def stop(self) -> None:
        _stop(self.proc)
        self._err.close()


# ---------------------------------------------------------------------------- stores


def pg_cluster_url() -> str:
    url = os.environ.get("HSINSTALL_TEST_PG")
    if not url:
        raise Failure("HSINSTALL_TEST_PG is not set: run scripts/test-multi (it starts a throwaway PostgreSQL with "
                      "tests/pg/pgtmp), or set it to a database URL whose user may CREATE DATABASE")
    return url


def pg_with_db(url: str, name: str) -> str:
    u = urlsplit(url)
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


class Store:
    """A fresh store: ``sqlite`` (a file in ``tmp``) or ``postgresql`` (a new database in the
    cluster of HSINSTALL_TEST_PG, or of ``cluster`` when given; dropped by ``drop()``)."""

    def __init__(self, kind: str, tmp: Path, cluster: Optional[str] = None) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.path = tmp / "hsinstall.db"
            self.url = "sqlite:///%s" % self.path
            self._admin = None
        elif kind == "postgresql":
            import psycopg2

            self._admin = cluster or pg_cluster_url()
            self.name = "hst_%s" % secrets.token_hex(6)
            c = psycopg2.connect(self._admin)
            c.autocommit = True
            with c.cursor() as cur:
                cur.execute("CREATE DATABASE %s" % self.name)
            c.close()
            self.url = pg_with_db(self._admin, self.name)
        else:
            raise ValueError(kind)

    def connect(self):
        if self.kind == "sqlite":
            return sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=30)
        import psycopg2

        return psycopg2.connect(self.url)

    def query(self, sql: str, args: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        c = self.connect()
        try:
            cur = c.cursor()
            cur.execute(sql if self.kind == "postgresql" else sql.replace("%s", "?"), tuple(args))
            rows = cur.fetchall()
            cur.close()
            return rows
        finally:
            c.close()

    def tables(self) -> Dict[str, List[Tuple[Any, ...]]]:
        """Every hsinstall_* table, raw."""
        if self.kind == "sqlite":
            names = [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'hsinstall%%'")]
        else:
            names = [r[0] for r in self.query("SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = 'public' AND table_name LIKE 'hsinstall%%'")]
        return {n: self.query("SELECT * FROM %s" % n) for n in names}

    def raw_text(self) -> str:
        """Every cell of every hsinstall_* table as text, one cell per line (what a dump shows)."""
        return "\n".join(str(cell) for rows in self.tables().values() for row in rows for cell in row)

    def drop(self) -> None:
        if self.kind == "postgresql":
            import psycopg2

            c = psycopg2.connect(self._admin)
            c.autocommit = True
            with c.cursor() as cur:
                cur.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
            c.close()


def find_secrets(text: str, secrets_: Iterable[str]) -> List[str]:
    """The secrets (tokens, codes) that appear in ``text``: each is searched for whole and by
    its random part (a token without its ``sbx-at-``/``sbx-rt-``/``na1-`` prefix)."""
    found = []
    for s in secrets_:
        body = re.sub(r"^(sbx-[ar]t-|na1-)", "", s)
        if s in text or body in text:
            found.append(s)
    return found


# ---------------------------------------------------------------------------- a cluster


class Cluster:
    """The sandbox and hook processes of ``kinds`` sharing one store."""

    def __init__(self, n_accounts: int, store_kind: str, kinds: Sequence[str], sandbox_args: Sequence[str] = (),
                 cluster: Optional[str] = None, store_url: Optional[str] = None) -> None:
        self.tmpdir = tempfile.TemporaryDirectory(prefix="hsinstall-multi.")
        tmp = Path(self.tmpdir.name)
        self.world = World(n_accounts, tmp)
        self.sandbox: Optional[Sandbox] = None
        self.instances: List[Instance] = []
        self.store = Store(store_kind, tmp, cluster)
        try:
            self.sandbox = Sandbox(self.world, *sandbox_args)
            env = self.world.hook_env(store_url or self.store.url, self.sandbox.url)
            names = {"python": 0, "node": 0}
            for k in kinds:
                names[k] += 1
                name = "%s-%d" % (k, names[k])
                self.instances.append(Instance(k, env, tmp / ("%s.log" % name), name))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, kind: Any, *exc: Any) -> None:
        keep = os.environ.get("HSINSTALL_MULTI_LOGS")
        if kind is not None and keep:  # a failure: keep the hooks' logs (JSON lines, no secrets) to look at
            dest = Path(keep) / Path(self.tmpdir.name).name
            dest.mkdir(parents=True, exist_ok=True)
            for i in self.instances:
                if i.log.exists():
                    shutil.copy(i.log, dest / i.log.name)
            print("the hooks' logs are in %s" % dest, file=sys.stderr, flush=True)
        self.close()

    def close(self) -> None:
        for i in self.instances:
            i.stop()
        if self.sandbox:
            self.sandbox.stop()
        try:
            self.store.drop()
        finally:
            self.tmpdir.cleanup()

    def pick(self, rng: random.Random, other_than: Optional[Instance] = None) -> Instance:
        choices = [i for i in self.instances if i is not other_than] or self.instances
        return rng.choice(choices)

    def issued_tokens(self) -> Dict[str, Any]:
        issued = self.sandbox.issued()
        toks = [t["access_token"] for t in issued["tokens"]] + [t["refresh_token"] for t in issued["tokens"]]
        return {"tokens": toks, "codes": [c["code"] for c in issued["codes"]], "issued": issued}

    def dead(self) -> List[str]:
        """The hook processes that exited, each with the first lines its stderr holds besides the JSON log."""
        out = []
        for i in self.instances:
            if i.proc.poll() is not None:
                other = [ln for ln in i.log.read_text(errors="replace").splitlines() if ln.strip() and not ln.startswith("{")]
                out.append("hook instance %s exited with status %s during the test: %s"
                           % (i.name, i.proc.returncode, " | ".join(ln.strip() for ln in other[:5]) or "(nothing on stderr)"))
        return out

    def logs_text(self) -> str:
        return "\n".join(i.log.read_text(errors="replace") for i in self.instances)


class Report:
    """Collects every failed check (so one run shows them all), then raises once."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.problems: List[str] = []

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.problems.append(message)
        return ok

    def done(self) -> None:
        if self.problems:
            shown = self.problems if len(self.problems) <= 40 else self.problems[:20] + ["..."] + self.problems[-20:]
            raise Failure("%s: %d check(s) failed:\n  - %s" % (self.title, len(self.problems), "\n  - ".join(shown)))
