"""A local stand-in for HubSpot's install flow, following HubSpot's documented behaviour
(../shared/hubspot/REFERENCE.md §§1-5, 7). It is HubSpot's side of the wire, so it parses
with the standard library on purpose: it must not share hsinstall's code, or the tests
would only check hsinstall against itself.

  GET  /oauth/authorize, /oauth/{accountId}/authorize   consent page (or HubSpot's kind of error page)
  POST /oauth/consent                                   grant -> 302 to redirect_uri?code&state; decline -> no redirect
  POST /oauth/v3/token, /oauth/2026-03/token, /oauth/v1/token   authorization_code and refresh_token grants
  POST /oauth/v3/token/introspect, GET /oauth/v1/access-tokens/{t}, GET /oauth/v1/refresh-tokens/{t}
  POST /oauth/v3/token/revoke, DELETE /oauth/v1/refresh-tokens/{t}
  GET  /marketplace/{clientId}                          a listing page whose Install starts a marketplace-initiated install
  POST /__sandbox/faults  {"token": {"delay_ms", "status", "malformed", "drop", "count"}}   faults for tests
  GET  /__sandbox/stats, POST /__sandbox/reset
  POST /__sandbox/config  {"token_ttl": s, "account_token_ttl": {"<accountId>": s}}   access-token lifetimes from now on
  GET  /__sandbox/issued  (only with --expose-issued) every code and token issued, for tests that
                          search stores and logs for them; never enable it outside tests

Run: python3 sandbox.py [--port 8031] [--world world.json] [--redirect-url URL]... [--token-ttl 1800] [--expose-issued]
"""
import argparse
import html
import json
import os
import secrets
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))


class World:
    """Apps, accounts, and everything issued: authorization requests, codes, tokens."""

    def __init__(self, spec, code_ttl, token_ttl, rotate_refresh):
        self.apps = {a["client_id"]: a for a in spec["apps"]}
        self.accounts = {a["id"]: a for a in spec["accounts"]}
        self.user = spec["user"]
        self.code_ttl = code_ttl
        self.initial_token_ttl = token_ttl
        self.rotate_refresh = rotate_refresh
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {}  # consent request id -> pending authorization
            self.codes = {}  # code -> grant
            self.access = {}  # access token -> grant
            self.refresh = {}  # refresh token -> grant
            self.faults = {}
            self.token_ttl = self.initial_token_ttl  # POST /__sandbox/config changes them until the next reset
            self.account_token_ttl = {}  # account id -> access-token lifetime
            self.issued = []  # every token pair issued, oldest first: {"account", "grant_type", "access_token", "refresh_token", "expires_in"}
            self.stats = {"token_requests": 0, "code_grants": 0, "refresh_grants": 0, "codes_issued": 0,
                          "introspections": 0, "revocations": 0, "faults_served": 0,
                          # per account (keys are account ids as strings): successful grants only
                          "code_grants_by_account": {}, "refresh_grants_by_account": {}}

    def ttl(self, account):
        return self.account_token_ttl.get(account, self.token_ttl)

    def count(self, name, account):
        by = self.stats[name]
        by[str(account)] = by.get(str(account), 0) + 1


WORLD = None
LOG_REQUESTS = False
EXPOSE_ISSUED = False


def page(title, body, status=200):
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; background: #f5f8fa; color: #33475b; margin: 0; }}
header {{ background: #ff7a59; color: #fff; padding: .8rem 1.5rem; font-weight: 600; }}
main {{ max-width: 40rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }}
.banner {{ padding: .6rem .9rem; border-radius: 4px; margin-bottom: 1rem; }}
.banner.unverified {{ background: #fdedee; color: #a8231c; }}
.banner.verified {{ background: #fef8f0; color: #7a4b00; }}
.error {{ background: #fdedee; color: #a8231c; padding: 1rem; border-radius: 4px; }}
fieldset {{ border: 1px solid #cbd6e2; border-radius: 4px; margin: 1rem 0; }}
button {{ font: inherit; padding: .5rem 1.2rem; border-radius: 4px; border: 1px solid #ff7a59; background: #ff7a59; color: #fff; cursor: pointer; }}
button.secondary {{ background: #fff; color: #ff7a59; }}
code {{ background: #eaf0f6; padding: 0 .25rem; border-radius: 3px; }}
</style></head><body><header>HubSpot sandbox (local)</header><main>{body}</main></body></html>"""
    return status, "text/html; charset=utf-8", doc.encode()


def error_page(message, status=400):
    return page("Something went wrong", f'<h1>Something went wrong</h1><p class="error" id="sandbox-error">{html.escape(message, quote=False)}</p>', status)


def one(query, key):
    """The single value of a query parameter: None when absent; raises on duplicates."""
    values = query.get(key)
    if values is None:
        return None
    if len(values) > 1:
        raise ValueError(f"The parameter {key} appears more than once.")
    return values[0]


def authorize(path, query_string):
    w = WORLD
    parts = path.strip("/").split("/")
    account_id = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
    try:
        q = parse_qs(query_string, keep_blank_values=True, strict_parsing=False)
        client_id, redirect_uri = one(q, "client_id"), one(q, "redirect_uri")
        scope, optional, state = one(q, "scope") or "", one(q, "optional_scope") or "", one(q, "state")
    except ValueError as e:
        return error_page(str(e))
    app = w.apps.get(client_id or "")
    if app is None:
        return error_page("This app could not be found. Check the client_id in the install URL.")
    if redirect_uri not in app["redirect_urls"]:
        return error_page("The redirect URL in this install link doesn't match the app's registered redirect URL.")
    scopes, optional_scopes = scope.split(" ") if scope else [], optional.split(" ") if optional else []
    declared = set(app["required"]) | set(app["conditional"])
    problems = [s for s in app["required"] if s not in scopes and s != "oauth"]
    problems += [s for s in scopes if s not in declared and s != "oauth"]
    problems += [s for s in optional_scopes if s not in app["optional"]]
    if problems or not scopes:
        return error_page("The scopes in this install link don't match the app's scope settings: " + ", ".join(problems or ["(none)"]))
    if account_id is not None and account_id not in w.accounts:
        return error_page("This account does not exist or you do not have access to it.", 404)
    request_id = secrets.token_urlsafe(16)
    with w.lock:
        w.requests[request_id] = {"app": client_id, "redirect_uri": redirect_uri, "scopes": scopes, "optional": optional_scopes,
                                  "state": state, "account": account_id, "marketplace": False, "created": time.time()}
    return consent_page(request_id)


def consent_page(request_id):
    w = WORLD
    req = w.requests[request_id]
    app = w.apps[req["app"]]
    banner = {"unverified": '<p class="banner unverified" id="banner">This app is not verified: its developer has not verified a domain.</p>',
              "verified": '<p class="banner verified" id="banner">This app has not been reviewed by HubSpot.</p>',
              "listed": ""}[app["verification"]]
    accounts = [a for a in w.accounts.values() if req["account"] in (None, a["id"])]
    radios = "".join(
        f'<label><input type="radio" name="account_id" value="{a["id"]}" data-type="{a["type"]}"{" checked" if i == 0 else ""}> '
        f'{html.escape(a["name"])} <small>({a["id"]})</small></label><br>' for i, a in enumerate(accounts))

    def listing(title, names, kind):
        if not names:
            return ""
        items = "".join(f'<li data-kind="{kind}"><code>{html.escape(n)}</code></li>' for n in names)
        return f"<h3>{title}</h3><ul>{items}</ul>"

    required = [s for s in req["scopes"] if s in app["required"] or s == "oauth"]
    conditional = [s for s in req["scopes"] if s not in required]
    body = (f'{banner}<h1>Connect {html.escape(app["name"])} to HubSpot</h1>'
            f'<form method="post" action="/oauth/consent"><input type="hidden" name="request_id" value="{request_id}">'
            f'<fieldset><legend>Choose an account</legend>{radios}</fieldset>'
            f'<p>{html.escape(app["name"])} will be able to:</p>'
            f'{listing("Required", required, "required")}{listing("Required for the features you chose", conditional, "conditional")}'
            f'{listing("Optional (only if your account has them)", req["optional"], "optional")}'
            f'<button name="action" value="grant" id="grant">Connect app</button> '
            f'<button name="action" value="decline" id="decline" class="secondary">Cancel</button></form>')
    return page("Connect app", body)


def consent(form):
    w = WORLD
    request_id = (form.get("request_id") or [""])[0]
    with w.lock:
        req = w.requests.pop(request_id, None)
    if req is None:
        return error_page("This consent screen has expired. Start the install again from the app.")
    if (form.get("action") or [""])[0] != "grant":
        return page("Install cancelled", '<h1 id="declined">Install cancelled</h1><p>The app was not connected. You can close this window.</p>')
    try:
        account = w.accounts[int((form.get("account_id") or [""])[0])]
    except (KeyError, ValueError):
        return error_page("Choose an account.")
    app = w.apps[req["app"]]
    if account["type"] == "developer":
        return error_page("Apps can't be installed in developer accounts. Use a test account instead.", 403)
    lacking = [s for s in req["scopes"] if s in account["lacks"]]
    if lacking:
        return error_page(f"{account['name']} doesn't have access to {', '.join(lacking)}, which {app['name']} requires.", 403)
    granted = req["scopes"] + [s for s in req["optional"] if s not in account["lacks"]]
    code = "na1-" + "-".join(uuid.uuid4().hex[i:j] for i, j in ((0, 4), (4, 8), (8, 12), (12, 16), (16, 28)))
    with w.lock:
        w.codes[code] = {"app": req["app"], "redirect_uri": req["redirect_uri"], "account": account["id"], "scopes": granted,
                         "expires": time.time() + w.code_ttl, "used": False, "grant_requests": 0}
        w.stats["codes_issued"] += 1
    params = {"code": code}
    if req["marketplace"]:
        params["step"] = "finalize"
    if req["state"] is not None:
        params["state"] = req["state"]
    sep = "&" if "?" in req["redirect_uri"] else "?"
    return 302, req["redirect_uri"] + sep + urlencode(params), b""


def marketplace(path, origin):
    """A listing page; its Install calls the app's redirect URL with step=authorize and a returnUrl."""
    w = WORLD
    parts = path.strip("/").split("/")
    app = w.apps.get(parts[1] if len(parts) > 1 else "")
    if app is None:
        return error_page("No such listing.", 404)
    if len(parts) == 2:
        install = f"/marketplace/{app['client_id']}/install"
        return page("App Marketplace", f'<h1>{html.escape(app["name"])}</h1><p>On the HubSpot App Marketplace.</p>'
                                       f'<a id="marketplace-install" href="{install}"><button type="button">Install</button></a>')
    if parts[2] == "install":
        return_url = f"{origin}/marketplace/{app['client_id']}/continue"
        return 302, app["redirect_urls"][0] + "?" + urlencode({"step": "authorize", "returnUrl": return_url}), b""
    if parts[2] == "continue":
        request_id = secrets.token_urlsafe(16)
        with w.lock:
            w.requests[request_id] = {"app": app["client_id"], "redirect_uri": app["redirect_urls"][0], "scopes": list(app["required"]),
                                      "optional": list(app["optional"]), "state": None, "account": None, "marketplace": True,
                                      "created": time.time()}
        return consent_page(request_id)
    return error_page("No such page.", 404)


def oauth_error(status_code, error, status, message):
    body = {"status": status, "message": message, "correlationId": str(uuid.uuid4()), "category": "BAD_REQUEST"}
    if error:
        body["error"], body["error_description"] = error, message
    return status_code, "application/json", json.dumps(body).encode()


def token_body(grant, access, refresh):
    return {"access_token": access, "refresh_token": refresh, "expires_in": grant["ttl"], "token_type": "bearer",
            "token_use": "access_token", "hub_id": grant["account"], "user_id": WORLD.user["id"], "scopes": grant["scopes"]}


def issue(grant, grant_type):
    w = WORLD
    access, refresh = "sbx-at-" + secrets.token_urlsafe(32), "sbx-rt-" + secrets.token_urlsafe(24)
    ttl = w.ttl(grant["account"])
    grant = dict(grant, access_expires=time.time() + ttl, ttl=ttl)
    w.access[access] = grant
    w.refresh[refresh] = grant
    w.issued.append({"account": grant["account"], "grant_type": grant_type, "access_token": access, "refresh_token": refresh,
                     "expires_in": ttl})
    return access, refresh, grant


def token(form):
    w = WORLD

    def field(name):
        values = form.get(name)
        return values[0] if values and len(values) == 1 else None

    grant_type, client_id, secret = field("grant_type"), field("client_id"), field("client_secret")
    app = w.apps.get(client_id or "")
    if app is None:
        return oauth_error(400, "invalid_client", "BAD_CLIENT_ID", "missing or unknown client id")
    if secret != app["client_secret"]:
        return oauth_error(400, "invalid_client", "BAD_CLIENT_SECRET", "missing or invalid client secret")
    with w.lock:
        if grant_type == "authorization_code":
            w.stats["code_grants"] += 1
            code = w.codes.get(field("code") or "")
            if code is not None:
                code["grant_requests"] += 1
            if code is None or code["used"] or code["app"] != client_id:
                return oauth_error(400, "invalid_grant", "BAD_AUTH_CODE", "missing or invalid auth code")
            code["used"] = True  # single use, even when the rest of the request is wrong
            if time.time() > code["expires"]:
                return oauth_error(400, "invalid_grant", "EXPIRED_AUTH_CODE", "auth code is expired")
            if field("redirect_uri") != code["redirect_uri"]:
                return oauth_error(400, "invalid_grant", "MISMATCH_REDIRECT_URI_AUTH_CODE", "redirect URI does not match initial auth code URL")
            access, refresh, grant = issue({k: code[k] for k in ("app", "account", "scopes")}, "authorization_code")
            w.count("code_grants_by_account", grant["account"])
            return 200, "application/json", json.dumps(token_body(grant, access, refresh)).encode()
        if grant_type == "refresh_token":
            w.stats["refresh_grants"] += 1
            old = field("refresh_token") or ""
            grant = w.refresh.get(old)
            if grant is None or grant["app"] != client_id:
                return oauth_error(400, "invalid_grant", "BAD_REFRESH_TOKEN", "missing or unknown refresh token")
            access, refresh, grant = issue(grant, "refresh_token")
            w.count("refresh_grants_by_account", grant["account"])
            if w.rotate_refresh:
                del w.refresh[old]  # the newest refresh token wins
            else:
                del w.refresh[refresh]
                refresh = old
                w.issued[-1]["refresh_token"] = old
            return 200, "application/json", json.dumps(token_body(grant, access, refresh)).encode()
    return oauth_error(400, "unsupported_grant_type", "BAD_GRANT_TYPE", "grant_type must be authorization_code or refresh_token")


def introspect_fields(tok, grant, ttl):
    acct = WORLD.accounts[grant["account"]]
    app = WORLD.apps[grant["app"]]
    return {"token": tok, "user": WORLD.user["email"], "user_id": WORLD.user["id"], "hub_domain": acct["domain"], "hub_id": acct["id"],
            "app_id": app["app_id"], "client_id": app["client_id"], "scopes": grant["scopes"], "expires_in": max(0, int(ttl)),
            "token_type": "access", "token_use": "access_token"}


def introspect_v3(form):
    w = WORLD
    app = w.apps.get((form.get("client_id") or [""])[0])
    if app is None or (form.get("client_secret") or [""])[0] != app["client_secret"]:
        return oauth_error(400, "invalid_client", "BAD_CLIENT_SECRET", "missing or invalid client credentials")
    tok = (form.get("token") or [""])[0]
    with w.lock:
        w.stats["introspections"] += 1
        grant = w.access.get(tok)
        if grant is None or grant["app"] != app["client_id"] or grant["access_expires"] < time.time():
            return 200, "application/json", b'{"active": false}'
        body = dict(introspect_fields(tok, grant, grant["access_expires"] - time.time()), active=True)
    del body["token"]
    return 200, "application/json", json.dumps(body).encode()


def introspect_v1(kind, tok):
    w = WORLD
    with w.lock:
        w.stats["introspections"] += 1
        grant = (w.access if kind == "access-tokens" else w.refresh).get(tok)
        if grant is None or (kind == "access-tokens" and grant["access_expires"] < time.time()):
            return 404, "application/json", json.dumps({"status": "error", "message": "Token not found", "category": "OBJECT_NOT_FOUND"}).encode()
        ttl = grant["access_expires"] - time.time() if kind == "access-tokens" else 0
        return 200, "application/json", json.dumps(introspect_fields(tok, grant, ttl)).encode()


def revoke(tok):
    w = WORLD
    with w.lock:
        w.stats["revocations"] += 1
        found = w.refresh.pop(tok, None) or w.access.pop(tok, None)
    return (200 if found else 404), "application/json", b"{}"


class Handler(BaseHTTPRequestHandler):
    server_version = "hubspot-sandbox"
    disable_nagle_algorithm = True  # headers and body go out in separate writes; no delayed-ACK stall for keep-alive clients
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless asked: tests read the output
        if LOG_REQUESTS:
            # Paths only: codes and tokens travel in query strings and bodies, which are never logged.
            sys.stderr.write("sandbox: %s %s\n" % (self.command, urlsplit(self.path).path))

    def origin(self):
        return f"http://{self.headers.get('Host') or '127.0.0.1'}"

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, ctype, data):
        self.send_response(status)
        if status in (301, 302, 303):
            self.send_header("Location", ctype)
            data = b""
        else:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def token_fault(self):
        """Applies a configured fault to a token-endpoint request; True when the request is answered."""
        w = WORLD
        with w.lock:
            f = w.faults.get("token")
            if not f or f.get("count", 1) <= 0:
                return False
            f["count"] = f.get("count", 1) - 1
            w.stats["faults_served"] += 1
            f = dict(f)
        if f.get("delay_ms"):
            time.sleep(f["delay_ms"] / 1000)
        if f.get("drop"):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return True
        if f.get("malformed"):
            self.send(200, "application/json", b'{"access_token": "sbx-at-trunc')
            return True
        if f.get("status"):
            status = int(f["status"])
            if status == 429:
                self.send(429, "application/json", json.dumps({"status": "error", "message": "You have reached your secondly limit.",
                                                                "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4())}).encode())
            else:
                self.send(status, "text/html", b"<html><body>Service unavailable</body></html>")
            return True
        return False  # a pure delay: go on to the real answer

    def do_GET(self):
        u = urlsplit(self.path)
        p = u.path
        if p == "/oauth/authorize" or (p.startswith("/oauth/") and p.endswith("/authorize") and p.count("/") == 3):
            return self.send(*authorize(p, u.query))
        if p.startswith("/marketplace/"):
            return self.send(*marketplace(p, self.origin()))
        if p.startswith("/oauth/v1/access-tokens/") or p.startswith("/oauth/v1/refresh-tokens/"):
            kind, tok = p.split("/")[3], p.split("/", 4)[4]
            return self.send(*introspect_v1(kind, tok))
        if p == "/__sandbox/stats":
            with WORLD.lock:
                return self.send(200, "application/json", json.dumps(WORLD.stats).encode())
        if p == "/__sandbox/issued" and EXPOSE_ISSUED:
            with WORLD.lock:
                codes = [{"code": c, "account": g["account"], "grant_requests": g["grant_requests"], "used": g["used"]}
                         for c, g in WORLD.codes.items()]
                return self.send(200, "application/json", json.dumps({"codes": codes, "tokens": WORLD.issued}).encode())
        if p == "/":
            links = "".join(f'<li><a href="/marketplace/{a["client_id"]}">{html.escape(a["name"])} (listing)</a></li>' for a in WORLD.apps.values())
            return self.send(*page("HubSpot sandbox", f"<h1>HubSpot sandbox</h1><ul>{links}</ul>"))
        return self.send(*error_page("No such page.", 404))

    def do_POST(self):
        p = urlsplit(self.path).path
        data = self.body()
        if p == "/oauth/consent":
            return self.send(*consent(parse_qs(data.decode("utf-8", "replace"), keep_blank_values=True)))
        if p in ("/oauth/v3/token", "/oauth/2026-03/token", "/oauth/v1/token"):
            with WORLD.lock:
                WORLD.stats["token_requests"] += 1
            if self.token_fault():
                return None
            return self.send(*token(parse_qs(data.decode("utf-8", "replace"), keep_blank_values=True)))
        if p in ("/oauth/v3/token/introspect", "/oauth/2026-03/token/introspect"):
            return self.send(*introspect_v3(parse_qs(data.decode("utf-8", "replace"), keep_blank_values=True)))
        if p in ("/oauth/v3/token/revoke", "/oauth/2026-03/token/revoke"):
            return self.send(*revoke((parse_qs(data.decode()).get("token") or [""])[0]))
        if p == "/__sandbox/faults":
            with WORLD.lock:
                WORLD.faults = json.loads(data or b"{}")
            return self.send(200, "application/json", b"{}")
        if p == "/__sandbox/config":
            try:
                cfg = json.loads(data or b"{}")
                ttl = cfg.get("token_ttl")
                per = {int(k): (None if v is None else int(v)) for k, v in (cfg.get("account_token_ttl") or {}).items()}
                if ttl is not None and (not isinstance(ttl, int) or ttl < 0) or any(v is not None and v < 0 for v in per.values()):
                    raise ValueError("token lifetimes are whole seconds, 0 or more")
            except (ValueError, TypeError, AttributeError) as e:
                return self.send(400, "application/json", json.dumps({"error": "bad config: %s" % e}).encode())
            with WORLD.lock:
                if ttl is not None:
                    WORLD.token_ttl = ttl
                for k, v in per.items():
                    if v is None:
                        WORLD.account_token_ttl.pop(k, None)
                    else:
                        WORLD.account_token_ttl[k] = v
            return self.send(200, "application/json", b"{}")
        if p == "/__sandbox/reset":
            WORLD.reset()
            return self.send(200, "application/json", b"{}")
        return self.send(*error_page("No such page.", 404))

    def do_DELETE(self):
        p = urlsplit(self.path).path
        if p.startswith("/oauth/v1/refresh-tokens/"):
            status, ctype, data = revoke(p.split("/", 4)[4])
            return self.send(204 if status == 200 else status, ctype, b"" if status == 200 else data)
        return self.send(*error_page("No such page.", 404))


def main(argv=None):
    global WORLD, LOG_REQUESTS, EXPOSE_ISSUED
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8031, help="0 picks a free port (printed on the first line)")
    ap.add_argument("--world", default=os.path.join(HERE, "world.json"))
    ap.add_argument("--redirect-url", action="append", help="replace every app's redirect URLs (repeatable)")
    ap.add_argument("--verification", choices=["unverified", "verified", "listed"], help="the apps' verification state")
    ap.add_argument("--code-ttl", type=float, default=300)
    ap.add_argument("--token-ttl", type=int, default=1800)
    ap.add_argument("--no-rotate-refresh", action="store_true", help="keep the same refresh token on refresh")
    ap.add_argument("--log", action="store_true", help="log request paths (never queries or bodies) to stderr")
    ap.add_argument("--expose-issued", action="store_true",
                    help="tests only: GET /__sandbox/issued answers every code and token issued")
    args = ap.parse_args(argv)
    with open(args.world, encoding="utf-8") as f:
        spec = json.load(f)
    for app in spec["apps"]:
        if args.redirect_url:
            app["redirect_urls"] = args.redirect_url
        if args.verification:
            app["verification"] = args.verification
    WORLD = World(spec, args.code_ttl, args.token_ttl, not args.no_rotate_refresh)
    LOG_REQUESTS = args.log
    EXPOSE_ISSUED = args.expose_issued
    ThreadingHTTPServer.request_queue_size = 256  # many hook processes at once: no refused or reset connections
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"sandbox listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
