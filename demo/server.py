"""The demo's one server: the marketing site (demo/site/), the widget and its wasm core (wasm/,
served at /hsinstall/ as the widget's README says), the Python hook (hsinstall.hook) mounted
under /hook/, and /installs, a page listing the stored installs and the attempt log (never a
token). scripts/demo starts it; it reads the hook's HSINSTALL_* settings from the environment.

    HSINSTALL_CLIENT_ID=... HSINSTALL_CLIENT_SECRET_FILE=... HSINSTALL_STATE_KEY_FILE=... \\
    HSINSTALL_TOKEN_KEY_FILE=... (the key that seals tokens at rest; e.g. openssl rand -hex 32) \\
    HSINSTALL_APP_CONFIG=demo/app/app-hsmeta.json HSINSTALL_API_BASE=http://127.0.0.1:8031 \\
    .venv/bin/python demo/server.py --port 8030 [--sandbox http://localhost:8031]

The install buttons' first-paint links are built at start by the core (the Python API) from the
app's config and injected into the page; the client secret stays in this process.
"""
from __future__ import annotations

import argparse
import html
import json
import mimetypes
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import hsinstall
from hsinstall.hook import Hook, HookError, Settings, SettingsError, mount, serve

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "demo" / "site"
PACKAGE = ROOT / "wasm"  # the npm package's folder: index.js, dist/ and widget/ side by side
PACKAGE_PARTS = ("index.js", "dist/", "widget/")
TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".wasm": "application/wasm",
         ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8", ".json": "application/json",
         ".svg": "image/svg+xml"}
# The page runs under a strict policy: the widget needs only 'self' and 'wasm-unsafe-eval'.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

StartResponse = Callable[..., Any]


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


class Demo:
    """The site as a WSGI app; the hook is mounted in front of it by :func:`app`."""

    def __init__(self, hook: Hook, config_path: str, sandbox: Optional[str] = None) -> None:
        self.hook = hook
        s = hook.settings
        self.sandbox = sandbox
        self.config = Path(config_path).read_bytes()
        self.callback_path = urlsplit(s.redirect_uri).path or "/"
        # The first-paint links, from the core: the app's required and optional scopes, and the
        # commerce tier with its conditionally required scope. No state: the widget adds one per click.
        self.href_basic = str(hsinstall.install_url(config=s.app, client_id=s.client_id, redirect_uri=s.redirect_uri))
        self.tiered = list(s.app.scopes.conditional)
        self.href_tier = str(hsinstall.install_url(config=s.app, client_id=s.client_id, redirect_uri=s.redirect_uri,
                                                   with_scopes=self.tiered)) if self.tiered else ""
        self.index = self._render_index()

    # ---- pages

    def _render_index(self) -> bytes:
        s = self.hook.settings
        text = (SITE / "index.html").read_text(encoding="utf-8")
        if self.sandbox:
            head = '<script src="/sandbox-route.js" data-sandbox="%s"></script>' % _e(self.sandbox)
            banner = ('Local sandbox: HubSpot\'s side is simulated at <a href="%s/">%s</a> (test accounts, consent screen, '
                      'token endpoints). Try a <a href="%s/marketplace/%s">marketplace-initiated install</a> too.'
                      % (_e(self.sandbox), _e(urlsplit(self.sandbox).netloc), _e(self.sandbox), _e(s.client_id)))
        else:
            head = ""
            banner = "Real HubSpot: installs go to app.hubspot.com for the app with client ID <code>%s</code>." % _e(s.client_id)
        tier = ""
        if self.tiered:
            tier = ((SITE / "tier.html").read_text(encoding="utf-8")
                    .replace("{{client_id}}", _e(s.client_id))
                    .replace("{{conditional_scopes}}", _e(" ".join(self.tiered)))
                    .replace("{{href_tier}}", _e(self.href_tier))
                    .replace("{{tier_scopes}}", ", ".join("<code>%s</code>" % _e(x) for x in self.tiered)))
        values = {"{{sandbox_script}}": head, "{{mode_banner}}": banner, "{{client_id}}": _e(s.client_id),
                  "{{app_name}}": _e(s.app.name), "{{href_basic}}": _e(self.href_basic), "{{tier}}": tier}
        for k, v in values.items():
            text = text.replace(k, v)
        return text.encode("utf-8")

    def _installs_page(self) -> bytes:
        installs = self.hook.installs()
        attempts = list(reversed(self.hook.attempts()))
        now = time.time()

        def when(t: int) -> str:
            return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))

        rows_i = "".join(
            "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                _e(i["portal_id"]), _e(i["hub_domain"] or ""), _e(i["user_id"] or ""),
                " ".join("<code>%s</code>" % _e(x) for x in i["scopes"]), _e(when(i["updated_at"])),
                _e("in %d min" % ((i["expires_at"] - now) // 60) if i["expires_at"] > now else "expired (refreshed on use)"))
            for i in installs) or '<tr><td colspan="6" class="empty">No installs yet.</td></tr>'
        rows_a = "".join(
            '<tr class="%s"><td>%s</td><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td></tr>' % (
                _e(a.outcome), _e(when(a.at)), _e(a.outcome), _e(a.reason), _e("" if a.portal_id is None else a.portal_id),
                _e(a.detail)) for a in attempts) or '<tr><td colspan="5" class="empty">No attempts yet.</td></tr>'
        doc = (SITE / "installs.html").read_text(encoding="utf-8")
        doc = doc.replace("{{installs}}", rows_i).replace("{{attempts}}", rows_a)
        doc = doc.replace("{{count_installs}}", str(len(installs))).replace("{{count_attempts}}", str(len(attempts)))
        return doc.encode("utf-8")

    # ---- WSGI

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return self._send(start_response, 405, b"Method not allowed", "text/plain; charset=utf-8")
        if path == self.callback_path:
            # HubSpot's redirect. A marketplace-initiated install (step=authorize, then step=finalize)
            # is the hook's to handle on the server; an install started by the button goes to the
            # callback page, which checks the state this tab stored and POSTs the code to the hook.
            if "step" in parse_qs(environ.get("QUERY_STRING") or ""):
                env = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + path, PATH_INFO="/callback")
                return self.hook(env, start_response)
            return self._file(start_response, SITE / "callback.html", page=True)
        if path in ("/", "/index.html"):
            return self._send(start_response, 200, self.index, TYPES[".html"], page=True)
        if path == "/installs":
            return self._send(start_response, 200, self._installs_page(), TYPES[".html"], page=True)
        if path == "/installs.json":
            body = json.dumps({"installs": self.hook.installs(),
                               "attempts": [a.__dict__ for a in self.hook.attempts()]}).encode("utf-8")
            return self._send(start_response, 200, body, TYPES[".json"])
        if path == "/app-config/app-hsmeta.json":  # for the widget's `config` attribute: redirect URLs and scopes, no secret
            return self._send(start_response, 200, self.config, TYPES[".json"])
        if path.startswith("/hsinstall/"):
            rest = path[len("/hsinstall/"):]
            if rest == PACKAGE_PARTS[0] or rest.startswith(PACKAGE_PARTS[1:]):
                return self._file(start_response, PACKAGE / rest, root=PACKAGE)
            return self._not_found(start_response)
        name = path.lstrip("/")
        if name.endswith((".css", ".js", ".svg")) and "/" not in name:
            if name == "sandbox-route.js" and not self.sandbox:
                return self._not_found(start_response)
            return self._file(start_response, SITE / name, root=SITE)
        return self._not_found(start_response)

    def _file(self, start_response: StartResponse, file: Path, root: Optional[Path] = None, page: bool = False) -> List[bytes]:
        try:
            real = file.resolve()
            if root is not None and root.resolve() not in real.parents:
                return self._not_found(start_response)
            data = real.read_bytes()
        except OSError:
            return self._not_found(start_response)
        ctype = TYPES.get(real.suffix) or mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        return self._send(start_response, 200, data, ctype, page=page)

    def _not_found(self, start_response: StartResponse) -> List[bytes]:
        return self._send(start_response, 404, b"Not found", "text/plain; charset=utf-8")

    @staticmethod
    def _send(start_response: StartResponse, status: int, data: bytes, ctype: str, page: bool = False) -> List[bytes]:
        headers = [("Content-Type", ctype), ("Content-Length", str(len(data))), ("X-Content-Type-Options", "nosniff"),
                   ("Cache-Control", "no-store" if page else "no-cache")]
        if page:
            headers += [("Content-Security-Policy", CSP), ("Referrer-Policy", "no-referrer")]
        start_response({200: "200 OK", 404: "404 Not Found", 405: "405 Method Not Allowed"}[status], headers)
        return [data]


def app(hook: Hook, config_path: str, sandbox: Optional[str] = None) -> Tuple[Any, Demo]:
    demo = Demo(hook, config_path, sandbox)
    return mount(demo, "/hook", hook), demo


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8030, help="0 picks a free port (printed on the first line)")
    ap.add_argument("--sandbox", help="the local sandbox's origin, e.g. http://localhost:8031 (omit for real HubSpot)")
    args = ap.parse_args(argv)
    try:
        hook = Hook(Settings.from_env())
    except SettingsError as e:
        print("demo server: %s" % e, file=sys.stderr)
        return 2
    except HookError as e:  # the store's database could not be reached
        print("demo server: HSINSTALL_STORE: %s" % e, file=sys.stderr)
        return 2
    wsgi, _ = app(hook, os.environ["HSINSTALL_APP_CONFIG"], args.sandbox)
    try:
        server = serve(wsgi, args.host, args.port)
    except OSError as e:
        print("demo server: cannot listen on %s:%d (%s)" % (args.host, args.port, e.strerror or e), file=sys.stderr)
        return 1
    print("demo server listening on http://%s:%d" % (args.host, server.server_address[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        hook.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
