"""A Python hook process for the multi-instance tests (test-only; never deploy it).

    .venv/bin/python tests/multi/instance.py [--host 127.0.0.1] [--port 0] [--prefix /hook]

The hook exactly as ``python -m hsinstall.hook`` runs it (settings from the HSINSTALL_*
environment, hsinstall.hook's own mount() and serve()), plus one route outside the prefix:

    GET /__test/token?portal=N   200 {"ok": true, "sha256": "<hex of SHA-256 of the access token>"}
                                 or {"ok": false, "code", "retryable"} (503 when retryable, else 409)

so the tests can compare tokens across processes without any token leaving the process.
Prints ``hsinstall test instance (python) listening on http://HOST:PORT/PREFIX`` first.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from urllib.parse import parse_qs

from hsinstall.hook import Hook, HookError, Settings, SettingsError, mount, serve


def token_route(hook: Hook):
    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/__test/token" or environ.get("REQUEST_METHOD") != "GET":
            return answer(start_response, 404, {"ok": False, "code": "hook.not_found", "retryable": False})
        try:
            portal = int(parse_qs(environ.get("QUERY_STRING") or "").get("portal", [""])[0])
        except ValueError:
            return answer(start_response, 400, {"ok": False, "code": "hook.bad_request", "retryable": False})
        try:
            token = hook.get_access_token(portal)
        except HookError as e:
            return answer(start_response, 503 if e.retryable else 409, {"ok": False, "code": e.code, "retryable": e.retryable})
        except Exception as e:  # not the hook's contract: name the type only (a message could quote a token)
            print("hsinstall test instance: get_access_token raised %s" % type(e).__name__, file=sys.stderr, flush=True)
            return answer(start_response, 500, {"ok": False, "code": "test.unexpected_error", "retryable": False,
                                                "type": type(e).__name__})
        return answer(start_response, 200, {"ok": True, "sha256": hashlib.sha256(token.encode()).hexdigest()})

    return app


def answer(start_response, status: int, body: dict):
    data = json.dumps(body).encode()
    start_response("%d %s" % (status, {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict"}.get(status, "Service Unavailable")),
                   [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--prefix", default="/hook")
    args = ap.parse_args()
    try:
        hook = Hook(Settings.from_env())
    except SettingsError as e:
        print("hsinstall test instance: %s" % e, file=sys.stderr)
        return 2
    prefix = "/" + args.prefix.strip("/")
    server = serve(mount(token_route(hook), prefix, hook), args.host, args.port)
    print("hsinstall test instance (python) listening on http://%s:%d%s" % (args.host, server.server_address[1], prefix), flush=True)
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
