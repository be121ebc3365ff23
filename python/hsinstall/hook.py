"""The token-exchange hook: a WSGI application that follows docs/hook.md.

The hook is the only part of hsinstall that holds the client secret. It issues signed
``state`` values, trades the code HubSpot sends back for tokens, checks the granted scopes
through introspection, stores the install, answers the page with what it may show (portal
id, granted scopes; never a token), refreshes tokens on demand and keeps a log of every
install attempt. Every check, URL, request and parse goes through the hsinstall core; this
module adds only randomness (``secrets``), HMAC (``hmac``), the clock, HTTP
(``urllib.request``) and storage (:mod:`hsinstall.store`: SQLite or PostgreSQL, tokens sealed
at rest with AES-256-GCM; or any :class:`Store`).

    from hsinstall.hook import Hook, Settings, mount

    hook = Hook(Settings.from_env())          # HSINSTALL_* variables; SettingsError names a bad one
    application = mount(site_app, "/hook", hook)   # POST /hook/state, POST /hook/exchange, GET /hook/callback, GET /hook/attempts.csv
    token = hook.get_access_token(portal_id)  # refreshed at 75% of its lifetime

Run it on its own (wsgiref): ``python -m hsinstall.hook --port 8030 --prefix /hook``; the
store's commands: ``python -m hsinstall.hook rotate-key`` and
``python -m hsinstall.hook migrate-store --from URL --to URL`` (docs/hook.md, Commands).
"""
from __future__ import annotations

import argparse
import base64
import binascii
import collections
import csv
import dataclasses
import email.utils
import hashlib
import html
import http.client
import io
import ipaddress
import json
import os
import random
import secrets
import socketserver
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, TextIO, Tuple, Union
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from . import _core
from . import state as _state
from . import token as _token
from ._errors import CallbackError, ConfigError, HsInstallError, StateError, TokenRequestError
from ._sealing import KeyRing, SettingsError, read_setting
from ._types import AppConfig, Diagnostic, HttpRequest, ScopeComparison
from .store import (STORE_UNAVAILABLE, Attempt, HookError, Install, PostgresStore, SQLiteStore, Store, migrate_store,
                    open_store, parse_store_url, rotate_key)

__all__ = [
    "Attempt", "Hook", "HookError", "Install", "KeyRing", "Outcome", "PostgresStore", "SQLiteStore", "Settings",
    "SettingsError", "Store", "main", "mount", "serve",
]

StartResponse = Callable[..., Any]
Environ = Dict[str, Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

STATE_TTL = 600                      # seconds a state issued by POST /state stays valid
MIN_KEY_BYTES = 32                   # HSINSTALL_STATE_KEY
MAX_BODY = 16384                     # bytes of a POST /exchange body (the core's callback limit)
MAX_RESPONSE = (1 << 20) + 1         # read one byte past the core's 1 MiB body limit
RETRY_AFTER_MAX = 10.0               # seconds of Retry-After honoured at most
REFRESH_AT = 0.75                    # refresh once 75% of the access token's lifetime has passed
CSV_DAYS = 30
REFRESH_WAIT = 15.0                  # seconds a get_access_token waits for another process's refresh
STORE_RETRY = 20.0                   # seconds a store write after HubSpot issued tokens is retried
KEPT_ATTEMPTS = 1000                 # attempts kept in memory while the store is unreachable
RETRYABLE_HOOK_CODES = frozenset({"hook.network_error"})
CODE_ERRORS = frozenset({"token.bad_auth_code", "token.expired_auth_code", "token.redirect_mismatch",
                         "token.invalid_grant", "token.bad_code_verifier"})


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Outcome:
    """What an exchange answered: the HTTP ``status`` and the JSON ``body`` the page gets (never a token)."""

    status: int
    body: Dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.body.get("ok"))

    @property
    def code(self) -> Optional[str]:
        return self.body.get("code")

    @property
    def portal_id(self) -> Optional[int]:
        return self.body.get("portal_id")

    def to_json(self) -> str:
        return json.dumps({"status": self.status, "body": self.body}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Outcome":
        d = json.loads(text)
        return cls(int(d["status"]), dict(d["body"]))


# ---------------------------------------------------------------------------- settings


def _key_bytes(text: str) -> bytes:
    """HSINSTALL_STATE_KEY: hex, or base64url (with or without padding)."""
    t = text.strip()
    if t and len(t) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in t):
        return bytes.fromhex(t)
    try:
        return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
    except (binascii.Error, ValueError):
        raise SettingsError("HSINSTALL_STATE_KEY", "is neither hex nor base64url") from None


@dataclass(frozen=True)
class Settings:
    """The hook's settings (docs/hook.md). Build them with :meth:`from_env`, or directly
    (``app`` an AppConfig, ``state_key`` bytes); :meth:`check` runs the start-up checks."""

    client_id: str
    client_secret: str = field(repr=False)
    state_key: bytes = field(repr=False)
    app: AppConfig = field(repr=False)
    redirect_uri: str = ""
    api_base: str = "https://api.hubapi.com"
    return_origins: Tuple[str, ...] = ()
    store: str = "sqlite:///./hsinstall.db"
    token_keys: Optional[KeyRing] = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        """Reads the HSINSTALL_* variables (``NAME_FILE`` reads NAME from a file, trailing
        whitespace dropped) and checks them; raises SettingsError naming the variable."""
        env = os.environ if environ is None else environ

        def get(name: str, required: bool = True) -> Optional[str]:
            value, _ = read_setting(env, name)
            if not value:
                if required:
                    raise SettingsError(name, "is not set")
                return None
            return value

        client_id = get("HSINSTALL_CLIENT_ID")
        secret = get("HSINSTALL_CLIENT_SECRET")
        key = _key_bytes(get("HSINSTALL_STATE_KEY") or "")
        token_keys = KeyRing.from_env(env)
        config_path = get("HSINSTALL_APP_CONFIG")
        assert client_id is not None and secret is not None and config_path is not None
        try:
            app = AppConfig.load(config_path)
        except ConfigError as e:
            raise SettingsError("HSINSTALL_APP_CONFIG", "%s has errors:\n%s" % (config_path, e)) from None
        except OSError as e:
            raise SettingsError("HSINSTALL_APP_CONFIG", "cannot read %s (%s)" % (config_path, e.strerror or e)) from None
        settings = cls(
            client_id=client_id, client_secret=secret, state_key=key, app=app,
            redirect_uri=get("HSINSTALL_REDIRECT_URI", False) or "",
            api_base=get("HSINSTALL_API_BASE", False) or "https://api.hubapi.com",
            return_origins=tuple((get("HSINSTALL_RETURN_ORIGINS", False) or "").split()),
            store=get("HSINSTALL_STORE", False) or "sqlite:///./hsinstall.db",
            token_keys=token_keys,
        )
        return settings.check()

    def check(self) -> "Settings":
        """The start-up checks, every one by the core; returns the settings with
        ``redirect_uri`` filled in (the config's first redirect URL by default)."""
        if len(self.state_key) < MIN_KEY_BYTES:
            raise SettingsError("HSINSTALL_STATE_KEY", "must decode to at least %d bytes (it has %d); make one with "
                                "python3 -c 'import secrets; print(secrets.token_hex(32))'" % (MIN_KEY_BYTES, len(self.state_key)))
        if not self.app.redirect_urls:
            raise SettingsError("HSINSTALL_APP_CONFIG", "the app has no redirect URLs (auth.redirectUrls); the hook needs one")
        redirect = self.redirect_uri or self.app.redirect_urls[0]
        problems = [d for d in _core.check_redirect_registered(redirect, self.app.redirect_urls) if d.is_error]
        if problems:
            raise SettingsError("HSINSTALL_REDIRECT_URI", "; ".join(d.message for d in problems))
        try:
            _core.install_url(config=self.app, client_id=self.client_id, redirect_uri=redirect)
        except HsInstallError as e:
            raise SettingsError("HSINSTALL_CLIENT_ID", str(e)) from None
        for name, base in [("HSINSTALL_API_BASE", self.api_base)] + [("HSINSTALL_RETURN_ORIGINS", o) for o in self.return_origins]:
            try:  # the core's rules for an API base are a sandbox origin's: bare origin, https or loopback http
                _token.refresh_request(client_id=self.client_id, client_secret=self.client_secret or "-",
                                       refresh_token="-", api_base=base)
            except TokenRequestError as e:
                raise SettingsError(name, "%r: %s" % (base, e)) from None
        if not self.client_secret:
            raise SettingsError("HSINSTALL_CLIENT_SECRET", "is empty")
        parse_store_url(self.store)
        if self.token_keys is None:
            raise SettingsError("HSINSTALL_TOKEN_KEY", "is not set: tokens are sealed at rest and need a key; "
                                "make one with: openssl rand -hex 32")
        if redirect == self.redirect_uri:
            return self
        return dataclasses.replace(self, redirect_uri=redirect, return_origins=tuple(self.return_origins))


# ---------------------------------------------------------------------------- the hook


def _iso(t: float, ms: bool = False) -> str:
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return s + (".%03dZ" % int((t % 1) * 1000) if ms else "Z")


def _loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # a 3xx is an answer to classify, not to follow
        return None


@dataclass
class _Call:
    """The end of a token-endpoint call after retries: ``value`` or a failure code."""

    value: Any = None
    code: str = ""
    message: str = ""
    retryable: bool = False
    tries: int = 0
    status: int = 0


class _Redactor:
    """Removes secret strings from any text before it is logged, stored or answered."""

    def __init__(self, secrets_: Iterable[str]) -> None:
        self.fixed = [s for s in secrets_ if s]

    def __call__(self, text: str, *extra: Optional[str]) -> str:
        for s in sorted([x for x in (*self.fixed, *extra) if x and len(x) >= 6], key=len, reverse=True):
            text = text.replace(s, "[redacted]")
        return text


class Hook:
    """The hook: a WSGI application (``hook(environ, start_response)``) and the calls a site's
    back end makes (``get_access_token``, ``check_scopes``, ``exchange``, ``attempts_csv``).

    ``store``: a :class:`Store` (default: the SQLite or PostgreSQL store ``settings.store`` names,
    sealed with ``settings.token_keys``). ``store_retry``: seconds a store write after HubSpot
    issued tokens is retried while the database is unreachable. ``log``: a text
    stream for the JSON-lines log (default ``sys.stderr``) or None. ``timeout``: seconds per HTTP
    request to HubSpot; ``retries`` and ``backoff``: retryable failures (429, 5xx, 408, network)
    are tried again up to ``retries`` times, after ``backoff * 2**n`` seconds or the answer's
    Retry-After (at most 10 s). ``clock``: Unix seconds (tests)."""

    def __init__(self, settings: Settings, *, store: Optional[Store] = None, log: Optional[TextIO] = sys.stderr,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5, state_ttl: int = STATE_TTL,
                 replay_wait: float = 30.0, expose_attempts: bool = True, store_retry: float = STORE_RETRY,
                 refresh_wait: float = REFRESH_WAIT,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings.check()
        self.store = store if store is not None else open_store(self.settings.store, self.settings.token_keys)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.state_ttl = state_ttl
        self.replay_wait = replay_wait
        self.expose_attempts = expose_attempts
        self.clock = clock
        self.sleep = sleep
        self._log_stream = log
        self._log_lock = threading.Lock()
        key = self.settings.state_key
        self._redact = _Redactor([self.settings.client_secret, key.hex(), base64.urlsafe_b64encode(key).decode().rstrip("="),
                                  base64.b64encode(key).decode().rstrip("=")])
        handlers: List[Any] = [_NoRedirect()]
        if _loopback(self.settings.api_base):
            handlers.append(urllib.request.ProxyHandler({}))  # a local sandbox is never behind a proxy
        self._opener = urllib.request.build_opener(*handlers)
        self._last_purge = 0.0
        self.store_retry = store_retry
        self.refresh_wait = refresh_wait
        # Writes the store could not take (it was unreachable): appended once it answers again.
        self._kept: Deque[Tuple[Optional[str], str, Attempt]] = collections.deque(maxlen=KEPT_ATTEMPTS)
        self._kept_lock = threading.Lock()

    # ------------------------------------------------------------------ the store, when it is unreachable

    @staticmethod
    def _unavailable(e: BaseException) -> bool:
        return isinstance(e, HookError) and e.code == STORE_UNAVAILABLE

    def _record(self, attempt: Attempt) -> None:
        """Appends an attempt; kept in memory (and appended later) while the store is unreachable."""
        try:
            self.store.record_attempt(attempt)
        except HookError as e:
            if not self._unavailable(e):
                raise
            self._kept.append((None, "", attempt))
            self._log("store", "failed", STORE_UNAVAILABLE, attempt.portal_id)

    def flush_kept(self) -> int:
        """Writes what was kept while the store was unreachable (in order); returns how many
        went in. Called after each store call that succeeded; stops at the first that fails."""
        if not self._kept or not self._kept_lock.acquire(blocking=False):
            return 0
        n = 0
        try:
            while self._kept:
                code_hash, outcome, attempt = self._kept[0]
                try:
                    if code_hash is None:
                        self.store.record_attempt(attempt)
                    else:
                        self.store.finish_exchange(code_hash, outcome, attempt, None)
                except Exception as e:  # noqa: BLE001 - see below
                    if self._unavailable(e):
                        break
                    # Refused outright (not a reachability problem): retrying cannot help; dropped, logged.
                    self._kept.popleft()
                    self._log("store", "failed", "hook.internal_error", attempt.portal_id)
                    continue
                self._kept.popleft()
                n += 1
        finally:
            self._kept_lock.release()
        if n:
            self._log("store", "recovered", "recovered")
        return n

    def _write_retrying(self, write: Callable[[], Any], what: str) -> Any:
        """A store write that must not be lost (HubSpot has spent the code or rotated the
        refresh token): retried with backoff for ``store_retry`` seconds while the store is
        unreachable, then the HookError goes up."""
        deadline = time.monotonic() + self.store_retry
        wait = 0.05
        while True:
            try:
                return write()
            except HookError as e:
                if not self._unavailable(e) or time.monotonic() + wait > deadline:
                    raise
                self._log(what, "retrying", STORE_UNAVAILABLE)
                self.sleep(wait)
                wait = min(wait * 2, 2.0)

    # ------------------------------------------------------------------ logging

    def _log(self, event: str, outcome: str, reason: str, portal_id: Optional[int] = None) -> None:
        if self._log_stream is None:
            return
        line = json.dumps({"at": _iso(time.time(), ms=True), "event": event, "outcome": outcome, "reason": reason,
                           "portal_id": portal_id}, separators=(",", ":"))
        with self._log_lock:
            try:
                self._log_stream.write(line + "\n")
                self._log_stream.flush()
            except (OSError, ValueError):
                pass

    def _now(self) -> int:
        return int(self.clock())

    # ------------------------------------------------------------------ state

    def issue_state(self) -> str:
        """A fresh state ``<nonce>.<exp>.<mac>``: 32 random bytes, expiry ``state_ttl`` seconds
        ahead, HMAC-SHA256 with the state key; the nonce is recorded as issued."""
        now = self.clock()
        state = _state.new_state(nbytes=32, expires_at=int(now) + self.state_ttl, key=self.settings.state_key)
        token = _core.decode_state(state)
        self.store.issue_state(self._nonce(token.nonce), int(token.expires_at or 0))
        self.flush_kept()
        if now - self._last_purge > 3600:
            self._last_purge = now
            self.store.purge(int(now))
        self._log("state", "issued", "issued")
        return state

    @staticmethod
    def _nonce(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def install_url(self, *, with_scopes: Sequence[str] = (), account_id: Union[str, int, None] = None,
                    host: Optional[str] = None) -> Tuple[str, str]:
        """``(url, state)``: an install URL built by the core from the app's config, with a
        freshly issued state, for sites that start the install on the server."""
        state = self.issue_state()
        url = _core.install_url(config=self.settings.app, client_id=self.settings.client_id,
                                redirect_uri=self.settings.redirect_uri, with_scopes=list(with_scopes),
                                state=state, account_id=account_id, host=host)
        return str(url), state

    # ------------------------------------------------------------------ HTTP to HubSpot

    def _send(self, req: HttpRequest) -> Tuple[int, bytes, Any]:
        r = urllib.request.Request(req.url, data=req.body.encode("utf-8") if req.body else None,
                                   headers=dict(req.headers), method=req.method)
        try:
            with self._opener.open(r, timeout=self.timeout) as resp:
                return resp.status, resp.read(MAX_RESPONSE), resp.headers
        except urllib.error.HTTPError as e:
            try:
                body = e.read(MAX_RESPONSE)
            finally:
                e.close()
            return e.code, body, e.headers

    def _retry_after(self, headers: Any) -> Optional[float]:
        value = headers.get("Retry-After") if headers is not None else None
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, float(when.timestamp()) - time.time())
            except (TypeError, ValueError, IndexError):
                return None

    def _call(self, build: Callable[[], HttpRequest], parse: Callable[[int, bytes], Any], event: str,
              portal_id: Optional[int] = None, *secret: str) -> _Call:
        """Sends a core-built request, parses the answer with the core, and retries retryable
        failures (the core's ``retryable``, or a network error) up to ``self.retries`` times."""
        try:
            req = build()
        except HsInstallError as e:  # the core refused to build it (a field it will not send)
            return _Call(code=e.code or "hook.bad_request", message=self._redact(str(e), *secret))
        out = _Call()
        for n in range(self.retries + 1):
            out.tries = n + 1
            headers = None
            try:
                status, body, headers = self._send(req)
            except (OSError, http.client.HTTPException) as e:
                out = _Call(code="hook.network_error", retryable=True, tries=n + 1,
                            message="HubSpot could not be reached: %s." % (type(e).__name__ if not str(e) else
                                                                          self._redact(str(e), *secret)))
            else:
                parsed = parse(status, body)
                if parsed.error is None:
                    return _Call(value=parsed, tries=n + 1, status=status)
                first = next((d for d in parsed.diagnostics if d.is_error), None)
                out = _Call(code=parsed.error.code, retryable=parsed.error.retryable, tries=n + 1, status=status,
                            message=self._redact(first.message if first else parsed.error.code, *secret))
            if not out.retryable or n == self.retries:
                break
            wait = self.backoff * (2 ** n) * (0.5 + random.random())
            after = self._retry_after(headers)
            if after is not None:
                wait = max(wait, min(after, RETRY_AFTER_MAX))
            self._log(event, "retrying", out.code, portal_id)
            self.sleep(wait)
        return out

    # ------------------------------------------------------------------ exchange

    def exchange(self, *, code: str, state: Optional[str], redirect_uri: Optional[str] = None,
                 marketplace: bool = False) -> Outcome:
        """Trades a code for tokens (docs/hook.md): state verified and consumed, one exchange per
        code, the token request with retries, the introspection scope check, the install
        stored, the attempt logged. ``marketplace``: a marketplace finalize (no state).
        Never raises for a bad request; the Outcome's body is what the page may see."""
        now = self._now()
        redirect = redirect_uri or self.settings.redirect_uri
        event = "finalize" if marketplace else "exchange"

        def fail(status: int, code: str, message: str, retryable: bool = False, portal_id: Optional[int] = None,
                 detail: str = "", code_hash: Optional[str] = None) -> Outcome:
            message = self._redact(message, code, state)
            o = Outcome(status, {"ok": False, "code": code, "message": message, "retryable": retryable})
            attempt = Attempt(now, "failed", code, portal_id, self._redact(detail or message, code, state)[:500])
            if code_hash is None:
                self._record(attempt)
            else:
                self._finish(code_hash, o, attempt, None, event, kept_as_is=True)
            self._log(event, "failed", code, portal_id)
            return o

        def first_error(e: HsInstallError) -> Diagnostic:
            return (e.errors or e.diagnostics or (Diagnostic(code="hook.bad_request", message="Bad request."),))[0]

        # 1. The callback's fields, checked by the core: redirect URI registered, code and state well-formed.
        if not isinstance(code, str) or not isinstance(redirect, str) or (state is not None and not isinstance(state, str)):
            return fail(400, "hook.bad_request", "code, state and redirect_uri must be strings.")
        registered = [d for d in _core.check_redirect_registered(redirect, self.settings.app.redirect_urls) if d.is_error]
        if registered:
            return fail(400, registered[0].code, registered[0].message)
        params = {"code": code}
        if marketplace:
            params["step"] = "finalize"
        elif state is not None:
            params["state"] = state
        try:
            _core.parse_callback(urllib.parse.urlencode(params, quote_via=urllib.parse.quote), expected_state=state,
                                 extra_return_origins=list(self.settings.return_origins))
        except CallbackError as e:
            d = first_error(e)
            return fail(400, d.code, d.message)
        nonce: Optional[str] = None
        if not marketplace:
            # 2. The state: decoded by the core, HMAC recomputed here, compared (constant time) and
            #    its expiry checked by the core against this hook's clock.
            try:
                token = _core.decode_state(state or "")
                problems = [d for d in _state.verify(token, key=self.settings.state_key, now=self.clock()) if d.is_error]
            except StateError as e:
                d = first_error(e)
                return fail(400, d.code, d.message)
            if problems:
                return fail(400, problems[0].code, problems[0].message)
            nonce = self._nonce(token.nonce)
        # 3. One exchange per code, and the state consumed, atomically in the store.
        code_hash = hashlib.sha256(code.encode("utf-8")).hexdigest()
        try:
            verdict, first = self.store.begin_exchange(nonce, code_hash, now)
        except HookError as e:
            if not self._unavailable(e):
                raise
            # Nothing was consumed (the transaction did not commit): the page's retry of the same
            # code and state succeeds once the database answers.
            return fail(503, STORE_UNAVAILABLE, "The install could not be recorded just now; try again in a moment.",
                        True, detail=e.diagnostics[0].message)
        self.flush_kept()
        if verdict == "state_replayed":
            return fail(409, "hook.state_replayed", "This install was already completed, or was not started here. "
                        "Start the install again.")
        if verdict == "replayed":
            return self._replayed(code_hash, first, now, event)
        try:
            return self._exchange_code(code, redirect, code_hash, now, event, fail)
        except BaseException:
            # Whatever broke, the code gets a final outcome: never a pending row, never half an install.
            try:
                fail(500, "hook.internal_error", "The install could not be completed.", code_hash=code_hash)
            except Exception:
                pass
            raise

    def _exchange_code(self, code: str, redirect: str, code_hash: str, now: int, event: str,
                       fail: Callable[..., Outcome]) -> Outcome:
        """Steps 4 to 6 of an exchange, once the code is reserved and the state consumed."""
        # 4. The token request (the core builds it; the secret is only in its body), with retries.
        call = self._call(lambda: _token.code_request(client_id=self.settings.client_id, client_secret=self.settings.client_secret,
                                                      redirect_uri=redirect, code=code, api_base=self.settings.api_base),
                          _token.parse_response, event, None, code)
        if call.value is None:
            status = 400 if call.code in CODE_ERRORS else (503 if call.retryable else 502)
            return fail(status, call.code, call.message, call.retryable,
                        detail=self._detail(call.message, call.tries), code_hash=code_hash)
        tokens = call.value.tokens
        secret = (code, tokens.access_token, tokens.refresh_token)
        # 5. The granted scopes, from introspection, against the app's configuration (the core compares).
        intro = self._call(lambda: _token.introspection_request(client_id=self.settings.client_id,
                                                                client_secret=self.settings.client_secret,
                                                                token=tokens.access_token, api_base=self.settings.api_base),
                           _token.parse_introspection, "introspect", None, *secret)
        info = intro.value.introspection if intro.value is not None else None
        note = ""
        if info is not None and info.active:
            granted, portal_id, user_id, hub_domain = info.scopes, info.hub_id, info.user_id, info.hub_domain or None
        elif tokens.scopes is not None and tokens.hub_id is not None:
            granted, portal_id, user_id, hub_domain = tokens.scopes, tokens.hub_id, tokens.user_id, None
            note = "; introspection failed (%s), scopes from the token response" % (intro.code or "token.inactive")
        else:
            reason = intro.code or "token.inactive"
            self._revoke(tokens.refresh_token, secret)
            return fail(502, reason, intro.message or "The new access token is not active.", intro.retryable,
                        detail=self._detail(intro.message or "introspection: token not active", intro.tries), code_hash=code_hash)
        if portal_id is None:
            self._revoke(tokens.refresh_token, secret)
            return fail(502, "token.malformed_response", "HubSpot did not say which account installed the app.",
                        code_hash=code_hash)
        comparison = _token.compare_scopes(granted, self.settings.app)
        if not comparison.ok:
            d = next(d for d in comparison.diagnostics if d.is_error)
            self._revoke(tokens.refresh_token, secret)
            return fail(403, d.code, d.message, False, portal_id, d.message, code_hash=code_hash)
        # 6. The install, the code's outcome and the attempt, in one transaction.
        install = Install(portal_id=int(portal_id), user_id=user_id, hub_domain=hub_domain, scopes=tuple(granted),
                          access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                          expires_at=now + int(tokens.expires_in), updated_at=now)
        body = {"ok": True, "portal_id": install.portal_id, "granted_scopes": list(granted),
                "missing_optional_scopes": list(comparison.missing_optional)}
        o = Outcome(200, body)
        detail = "granted %d scopes" % len(granted)
        if comparison.missing_optional:
            detail += "; optional not granted: %s" % " ".join(comparison.missing_optional)
        detail = self._detail(detail + note, call.tries)
        stored = self._finish(code_hash, o, Attempt(now, "installed", "installed", install.portal_id, detail), install, event)
        if stored is not None:
            self._revoke(tokens.refresh_token, secret)  # not stored: given back
            return stored
        self._log(event, "installed", "installed", install.portal_id)
        return o

    def _finish(self, code_hash: str, o: Outcome, attempt: Attempt, install: Optional[Install],
                event: str, kept_as_is: bool = False) -> Optional[Outcome]:
        """The code's outcome, the install and the attempt in one transaction, retried while the
        store is unreachable (the code is spent at HubSpot). None when stored; else the 503 to
        answer, the failure kept in memory as the code's outcome until the store answers.
        ``kept_as_is``: a failed exchange's own outcome and attempt are what is kept (as the
        Node hook does); otherwise (an install that could not be stored) "start again"."""
        try:
            self._write_retrying(lambda: self.store.finish_exchange(code_hash, o.to_json(), attempt, install), event)
            return None
        except HookError as e:
            if not self._unavailable(e):
                raise
        if kept_as_is:
            self._kept.append((code_hash, o.to_json(), attempt))
            return o
        message = "The install could not be stored: the hook's database could not be reached."
        final = Outcome(503, {"ok": False, "code": STORE_UNAVAILABLE, "retryable": False,
                              "message": message + " Start the install again."})
        self._kept.append((code_hash, final.to_json(),
                           Attempt(attempt.at, "failed", STORE_UNAVAILABLE, attempt.portal_id,
                                   "%s (%s)" % (message, attempt.reason))))
        self._log(event, "failed", STORE_UNAVAILABLE, attempt.portal_id)
        return Outcome(503, {"ok": False, "code": STORE_UNAVAILABLE, "retryable": True, "message": message})

    @staticmethod
    def _detail(text: str, tries: int) -> str:
        return text + ("" if tries <= 1 else " (after %d retr%s)" % (tries - 1, "y" if tries == 2 else "ies"))

    def _replayed(self, code_hash: str, first: Optional[str], now: int, event: str) -> Outcome:
        deadline = time.monotonic() + self.replay_wait
        while first is None and time.monotonic() < deadline:
            self.sleep(0.02)
            first = self.store.code_outcome(code_hash)
        if first is None:
            o = Outcome(409, {"ok": False, "code": "hook.code_replayed", "retryable": True,
                              "message": "This code is being exchanged already; try again in a moment."})
            self._record(Attempt(now, "replayed", "hook.code_replayed", None, "first exchange still running"))
            self._log(event, "replayed", "hook.code_replayed")
            return o
        o = Outcome.from_json(first)
        detail = "first outcome: %s" % ("installed" if o.ok else o.code)
        self._record(Attempt(now, "replayed", "hook.code_replayed", o.portal_id, detail))
        self._log(event, "replayed", "hook.code_replayed", o.portal_id)
        return o

    def _revoke(self, refresh_token: str, secret: Sequence[str]) -> None:
        """Best effort: tokens the hook will not store are given back (one try)."""
        if not refresh_token:
            return
        try:
            req = _token.revoke_request(client_id=self.settings.client_id, client_secret=self.settings.client_secret,
                                        token=refresh_token, token_type_hint="refresh_token", api_base=self.settings.api_base)
            self._send(req)
            self._log("revoke", "revoked", "revoked")
        except (OSError, http.client.HTTPException, HsInstallError):
            self._log("revoke", "failed", "hook.network_error")

    # ------------------------------------------------------------------ tokens on demand

    def get_access_token(self, portal_id: int) -> str:
        """The portal's access token: the stored one while more than 25% of its lifetime remains,
        otherwise refreshed (one refresh per portal at a time, through the store's lease), the
        new access token and the newest refresh token stored. Raises HookError
        (``hook.not_installed``, ``token.bad_refresh_token``, ``hook.network_error``,
        ``hook.refresh_busy`` after ``refresh_wait`` seconds of another process's refresh,
        ``hook.store_unavailable``, ``hook.store_corrupt``, ...)."""
        portal_id = int(portal_id)
        rec = self._install_or_raise(portal_id)
        if self._fresh(rec):
            return rec.access_token
        holder = secrets.token_hex(8)
        lease = int(self.timeout * (self.retries + 1) + RETRY_AFTER_MAX * self.retries + 30)
        deadline = time.monotonic() + self.refresh_wait
        while True:
            now = self._now()
            if self.store.acquire_refresh(portal_id, holder, now + lease, now):
                try:
                    return self._refresh(portal_id)
                finally:
                    try:
                        self.store.release_refresh(portal_id, holder)
                    except HookError as e:  # the lease runs out on its own
                        if not self._unavailable(e):
                            raise
            self.sleep(0.02)
            rec = self._install_or_raise(portal_id)
            if self._fresh(rec):
                return rec.access_token
            if time.monotonic() > deadline:
                raise HookError.of("hook.refresh_busy", "Another refresh of portal %d did not finish." % portal_id,
                                   retryable=True)

    def _install_or_raise(self, portal_id: int) -> Install:
        rec = self.store.get_install(portal_id)
        if rec is None:
            raise HookError.of("hook.not_installed", "No install is stored for portal %d." % portal_id,
                               "Have the account install the app.")
        return rec

    def _fresh(self, rec: Install) -> bool:
        lifetime = max(0, rec.expires_at - rec.updated_at)
        return self.clock() < rec.updated_at + REFRESH_AT * lifetime

    def _refresh(self, portal_id: int) -> str:
        rec = self._install_or_raise(portal_id)  # again, under the lease: another process may have refreshed
        if self._fresh(rec):
            return rec.access_token
        now = self._now()
        call = self._call(lambda: _token.refresh_request(client_id=self.settings.client_id,
                                                         client_secret=self.settings.client_secret,
                                                         refresh_token=rec.refresh_token, api_base=self.settings.api_base),
                          _token.parse_response, "refresh", portal_id, rec.refresh_token, rec.access_token)
        if call.value is None:
            self._log("refresh", "failed", call.code, portal_id)
            raise HookError.of(call.code, call.message, retryable=call.retryable)
        tokens = call.value.tokens
        newest = tokens.refresh_token or rec.refresh_token  # no refresh_token in the answer: keep the one we have
        if not self._write_retrying(lambda: self.store.update_tokens(portal_id, rec.refresh_token, tokens.access_token, newest,
                                                                     now + int(tokens.expires_in), now), "refresh"):
            self._log("refresh", "failed", "hook.refresh_conflict", portal_id)
            raise HookError.of("hook.refresh_busy", "The stored install changed during the refresh.", retryable=True)
        self._log("refresh", "refreshed", "refreshed", portal_id)
        return str(tokens.access_token)

    def check_scopes(self, portal_id: int) -> ScopeComparison:
        """Introspects the portal's access token and compares the granted scopes with the app's
        configuration (the core's compare_granted_scopes). Raises HookError when HubSpot cannot
        be asked or the token is not active."""
        access = self.get_access_token(portal_id)
        call = self._call(lambda: _token.introspection_request(client_id=self.settings.client_id,
                                                               client_secret=self.settings.client_secret,
                                                               token=access, api_base=self.settings.api_base),
                          _token.parse_introspection, "introspect", portal_id, access)
        if call.value is None:
            raise HookError.of(call.code, call.message, retryable=call.retryable)
        info = call.value.introspection
        if not info.active:
            raise HookError.of("token.inactive", "The access token is not active (expired, revoked or unknown).")
        return _token.compare_scopes(info.scopes, self.settings.app)

    # ------------------------------------------------------------------ reading the log

    def installs(self) -> List[Dict[str, Any]]:
        """The stored installs without their tokens, newest first."""
        return [i.public() for i in self.store.installs()]

    def attempts(self, days: int = CSV_DAYS) -> List[Attempt]:
        self.flush_kept()
        return self.store.attempts(self._now() - days * 86400)

    def attempts_csv(self, days: int = CSV_DAYS) -> str:
        """The last ``days`` days of attempts as CSV: ``at,outcome,reason,portal_id,detail``
        (``at`` in UTC, ISO 8601; cells that a spreadsheet would run as formulas are quoted with ')."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(["at", "outcome", "reason", "portal_id", "detail"])
        for a in self.attempts(days):
            w.writerow([_iso(a.at), a.outcome, a.reason, "" if a.portal_id is None else a.portal_id, _cell(a.detail)])
        return out.getvalue()

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        routes = {"/state": ("POST", self._http_state), "/exchange": ("POST", self._http_exchange),
                  "/callback": ("GET", self._http_callback)}
        if self.expose_attempts:
            routes["/attempts.csv"] = ("GET", self._http_csv)
        try:
            if path not in routes:
                return _json(start_response, 404, {"ok": False, "code": "hook.not_found", "message": "No such endpoint.",
                                                   "retryable": False})
            allowed, handler = routes[path]
            if method != allowed:  # no HEAD: a prefetch of /callback must not spend the code
                return _json(start_response, 405, {"ok": False, "code": "hook.bad_request", "retryable": False,
                                                   "message": "Use %s." % allowed}, [("Allow", allowed)])
            return handler(environ, start_response)
        except Exception as e:  # never a traceback (or a secret in one) to the page or the log
            if self._unavailable(e):  # POST /state, GET /attempts.csv, a replay's wait: the database is down
                self._log("store", "failed", STORE_UNAVAILABLE)
                return _json(start_response, 503, {"ok": False, "code": STORE_UNAVAILABLE, "retryable": True,
                                                   "message": "The hook's database could not be reached; try again in a moment."},
                             [("Retry-After", "1")])
            self._log("error", "failed", "hook.internal_error")
            if os.environ.get("HSINSTALL_HOOK_DEBUG"):
                import traceback

                traceback.print_exc()
            del e
            return _json(start_response, 500, {"ok": False, "code": "hook.internal_error", "retryable": True,
                                               "message": "The install could not be completed; try again."})

    def _http_state(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return _json(start_response, 200, {"state": self.issue_state()})

    def _http_exchange(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        ctype = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        problem = None
        data: Any = None
        if ctype != "application/json":
            problem = (415, "The request must be JSON (Content-Type: application/json).")
        elif length < 0 or length > MAX_BODY:
            problem = (413, "The request body is missing or over %d bytes." % MAX_BODY)
        else:
            raw = environ["wsgi.input"].read(length) if length else b""
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                problem = (400, "The request body is not JSON.")
            else:
                if not isinstance(data, dict) or not isinstance(data.get("code"), str):
                    problem = (400, "The request must be a JSON object with code, state and redirect_uri.")
        if problem is not None:
            now = self._now()
            self._record(Attempt(now, "failed", "hook.bad_request", None, problem[1]))
            self._log("exchange", "failed", "hook.bad_request")
            return _json(start_response, problem[0], {"ok": False, "code": "hook.bad_request", "message": problem[1],
                                                      "retryable": False})
        o = self.exchange(code=data["code"], state=data.get("state"), redirect_uri=data.get("redirect_uri"))
        return _json(start_response, o.status, o.body)

    def _http_callback(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING") or ""
        now = self._now()
        try:
            cb = _core.parse_callback(query, expected_state=None, extra_return_origins=list(self.settings.return_origins))
        except CallbackError as e:
            d = (e.errors or e.diagnostics)[0]
            message = self._redact(d.message)
            self._record(Attempt(now, "failed", d.code, None, message))
            self._log("callback", "failed", d.code)
            return _page(start_response, 400, "The install did not complete", message, d.hint)
        if cb.kind == "marketplace_authorize":
            self._record(Attempt(now, "redirected", "callback.marketplace_initiated", None,
                                              "step=authorize: sent on to HubSpot"))
            self._log("callback", "redirected", "callback.marketplace_initiated")
            start_response("302 Found", [("Location", cb.return_url), ("Cache-Control", "no-store"), ("Content-Length", "0"),
                                         ("Referrer-Policy", "no-referrer")])
            return [b""]
        if cb.kind == "marketplace_finalize":
            o = self.exchange(code=cb.code, state=None, marketplace=True)
        else:
            o = self.exchange(code=cb.code, state=cb.state)
        if o.ok:
            scopes = ", ".join(o.body["granted_scopes"])
            return _page(start_response, 200, "Installed", "Installed in HubSpot account %s. Granted: %s." % (o.portal_id, scopes),
                         "You can close this window.")
        return _page(start_response, o.status, "The install did not complete", o.body["message"], "Code: %s" % o.code)

    def _http_csv(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        data = self.attempts_csv().encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/csv; charset=utf-8"), ("Content-Length", str(len(data))),
                                  ("Content-Disposition", 'attachment; filename="hsinstall-attempts.csv"'),
                                  ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
        return [data]

    def close(self) -> None:
        """Writes what was kept while the store was unreachable (if it answers now), then closes it."""
        try:
            self.flush_kept()
        except Exception:  # noqa: BLE001 - closing must not fail; what could not be written is logged as kept
            pass
        self.store.close()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}


def _status(code: int) -> str:
    return "%d %s" % (code, _REASONS.get(code, http.client.responses.get(code, "Status")))


def _json(start_response: StartResponse, status: int, body: Dict[str, Any],
          extra: Sequence[Tuple[str, str]] = ()) -> List[bytes]:
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    start_response(_status(status), [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                                     ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"), *extra])
    return [data]


def _page(start_response: StartResponse, status: int, title: str, message: str, hint: str = "") -> List[bytes]:
    doc = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title>'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#33475b}'
           '.ok{color:#00785a}.error{color:#a8231c}</style></head><body><h1 class="%s">%s</h1><p id="hsinstall-outcome">%s</p>'
           '<p>%s</p></body></html>') % (html.escape(title), "ok" if status == 200 else "error", html.escape(title),
                                         html.escape(message), html.escape(hint))
    data = doc.encode("utf-8")
    start_response(_status(status), [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data))),
                                     ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                                     ("Referrer-Policy", "no-referrer"),
                                     ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")])
    return [data]


# ---------------------------------------------------------------------------- mounting and serving


def mount(app: Optional[WSGIApp], prefix: str, hook: WSGIApp) -> WSGIApp:
    """A WSGI app that sends ``prefix`` and everything under it to ``hook`` (SCRIPT_NAME and
    PATH_INFO adjusted) and the rest to ``app`` (404 when None). For Flask:
    ``flask_app.wsgi_app = mount(flask_app.wsgi_app, "/hook", hook)``; for Django, in wsgi.py:
    ``application = mount(get_wsgi_application(), "/hook", hook)``."""
    prefix = "/" + prefix.strip("/")

    def dispatch(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == prefix or path.startswith(prefix + "/"):
            environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + prefix, PATH_INFO=path[len(prefix):] or "/")
            return hook(environ, start_response)
        if app is None:
            return _json(start_response, 404, {"ok": False, "code": "hook.not_found", "message": "No such page.",
                                               "retryable": False})
        return app(environ, start_response)

    return dispatch


class _QuietHandler(WSGIRequestHandler):
    """wsgiref's handler without its access log: a callback's query string holds the code."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request."""

    daemon_threads = True
    request_queue_size = 256


def serve(app: WSGIApp, host: str = "127.0.0.1", port: int = 8030) -> ThreadingWSGIServer:
    """A threaded wsgiref server for ``app`` (not started: call ``serve_forever()``)."""
    server = ThreadingWSGIServer((host, port), _QuietHandler)
    server.set_app(app)
    return server


def _store_setting(env: Mapping[str, str]) -> str:
    return env.get("HSINSTALL_STORE") or "sqlite:///./hsinstall.db"


def _command_rotate_key(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m hsinstall.hook rotate-key",
                                 description="Re-seals every install row of HSINSTALL_STORE with the first key of "
                                 "HSINSTALL_TOKEN_KEY (list the old key after it), in batches, each in one transaction.")
    ap.parse_args(argv)
    try:
        keys = KeyRing.from_env()
        moved = rotate_key(_store_setting(os.environ), keys)
    except SettingsError as e:
        print("hsinstall rotate-key: %s" % e, file=sys.stderr)
        return 2
    except HookError as e:
        print("hsinstall rotate-key: %s" % e, file=sys.stderr)
        return 1
    print("rotate-key: %d install row%s re-sealed with key id %s" % (moved, "" if moved == 1 else "s", keys.sealing_id),
          flush=True)
    return 0


def _command_migrate_store(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m hsinstall.hook migrate-store",
                                 description="Migrates both stores to the current schema, then copies installs (still "
                                 "sealed), unexpired states, codes and the attempt log from one to the other; a portal "
                                 "already in the target keeps the newer row; rerunning copies nothing twice. The key "
                                 "ring comes from HSINSTALL_TOKEN_KEY.")
    ap.add_argument("--from", dest="source", required=True, metavar="URL", help="sqlite:///path or postgresql://...")
    ap.add_argument("--to", dest="target", required=True, metavar="URL", help="sqlite:///path or postgresql://...")
    args = ap.parse_args(argv)
    try:
        for url in (args.source, args.target):
            parse_store_url(url)
        if args.source == args.target:
            raise SettingsError("--to", "names the same store as --from")
        counts = migrate_store(args.source, args.target, KeyRing.from_env())
    except SettingsError as e:
        print("hsinstall migrate-store: %s" % e, file=sys.stderr)
        return 2
    except HookError as e:
        print("hsinstall migrate-store: %s" % e, file=sys.stderr)
        return 1
    print("migrate-store: copied %(installs)d installs, %(states)d states, %(codes)d codes, %(attempts)d attempts" % counts,
          flush=True)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m hsinstall.hook [serve] [--host H] [--port P] [--prefix /hook]``: the hook on its
    own; ``rotate-key`` and ``migrate-store --from URL --to URL``: the store's commands
    (docs/hook.md, Commands). Settings from the environment."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "rotate-key":
        return _command_rotate_key(argv[1:])
    if argv and argv[0] == "migrate-store":
        return _command_migrate_store(argv[1:])
    if argv and argv[0] == "serve":
        argv = argv[1:]
    ap = argparse.ArgumentParser(prog="python -m hsinstall.hook", description="hsinstall's token-exchange hook (docs/hook.md), "
                                 "settings from HSINSTALL_* environment variables. Other commands: rotate-key, "
                                 "migrate-store --from URL --to URL.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8030, help="0 picks a free port (printed on the first line)")
    ap.add_argument("--prefix", default="/", help="where the hook is mounted, e.g. /hook (default: /)")
    args = ap.parse_args(argv)
    try:
        hook = Hook(Settings.from_env())
    except SettingsError as e:
        print("hsinstall hook: %s" % e, file=sys.stderr)
        return 2
    except HookError as e:  # the database could not be reached at start
        print("hsinstall hook: HSINSTALL_STORE: %s" % e, file=sys.stderr)
        return 2
    app: WSGIApp = hook
    if args.prefix.strip("/"):
        app = mount(None, args.prefix, hook)
    server = serve(app, args.host, args.port)
    prefix = "/" + args.prefix.strip("/") if args.prefix.strip("/") else ""
    print("hsinstall hook listening on http://%s:%d%s" % (args.host, server.server_address[1], prefix), flush=True)
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
