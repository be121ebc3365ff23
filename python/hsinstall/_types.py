"""The values hsinstall returns: frozen, slotted dataclasses (plus BuiltUrl, a str).

The C++ module fills these classes' slots directly (hsinstall._core registers them at
import), so the field names and order below are part of the binding: change them together
with python/src/module.cpp. Sequences are tuples, absent values None, the same meaning as
the stable JSON shapes of ``hsinstall/json.hpp`` (the CLI's ``--json``), which ``to_dict()``
returns. Python code here only adapts types: no validation, URL or token logic.
"""
from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Tuple, Union

if TYPE_CHECKING:  # pragma: no cover
    import os

from . import _display
from ._errors import TokenResponseError

Pairs = Tuple[Tuple[str, str], ...]


def _jsonable(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _names(value: Any, what: str) -> Tuple[str, ...]:
    """A tuple of str from any iterable of str; never a bare str split into letters."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError("%s takes a list of str, not a single %s (iterating it would give letters): write %s=[%r]"
                        % (what, type(value).__name__, what, value))
    out = tuple(value)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            raise TypeError("%s[%d] must be str, not %s" % (what, i, type(v).__name__))
    return out


class _Record:
    """Shared behaviour: to_dict() (the JSON shape), readable repr hooks."""

    __slots__ = ()
    _json_exclude: FrozenSet[str] = frozenset()
    _json_pairs: FrozenSet[str] = frozenset()

    def to_dict(self) -> Dict[str, Any]:
        """The value as the stable JSON shape of hsinstall/json.hpp (what the CLI's --json prints)."""
        out: Dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in self._json_exclude:
                continue
            v = getattr(self, f.name)
            out[f.name] = {k: val for k, val in v} if f.name in self._json_pairs else _jsonable(v)
        return out

    def _set(self, name: str, value: Any) -> None:  # for __post_init__ only
        object.__setattr__(self, name, value)


def _severity_counts(diagnostics: Tuple["Diagnostic", ...]) -> Tuple[int, int, int]:
    e = sum(1 for d in diagnostics if d.severity == "error")
    w = sum(1 for d in diagnostics if d.severity == "warning")
    return e, w, len(diagnostics) - e - w


# ---------------------------------------------------------------------------- diagnostic


@dataclass(frozen=True, slots=True)
class Diagnostic(_Record):
    """One finding: a stable dotted ``code``, ``severity`` ('error', 'warning' or 'note'),
    ``where`` (a JSON pointer into a config, or a URL part such as 'query.scope[2]'),
    ``message`` (what is wrong) and ``hint`` (how to fix it; may be empty)."""

    code: str
    severity: str = "error"
    where: str = ""
    message: str = ""
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        # The CLI's text form: "<where>: <severity>[<code>]: <message>" and an indented hint.
        head = "%s: %s[%s]: %s" % (self.where or "-", self.severity, self.code, self.message)
        return head + ("\n    hint: " + self.hint if self.hint else "")

    def _repr_html_(self) -> str:
        return _display.wrap(_display.diagnostics_html((self,)))


# ---------------------------------------------------------------------------- scopes


@dataclass(frozen=True, slots=True)
class ScopeInfo(_Record):
    """A catalogue entry. ``status``: 'current', 'variant', 'deprecated', 'removed' or
    'not_requestable'; ``replacements``: a variant's current spelling or a legacy scope's
    granular replacements; ``sensitivity``: 'none', 'sensitive' or 'highly_sensitive'."""

    name: str
    status: str = "current"
    replacements: Tuple[str, ...] = ()
    sensitivity: str = "none"
    tier: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        self._set("replacements", _names(self.replacements, "replacements"))

    def _repr_html_(self) -> str:
        return _display.wrap(_display.scope_table([("", self.name)]))


@dataclass(frozen=True, slots=True)
class ScopeConfig(_Record):
    """An app's scopes: ``required`` and ``conditional`` (conditionally required) go to the
    install URL's ``scope``, ``optional`` to ``optional_scope``."""

    required: Tuple[str, ...] = ()
    conditional: Tuple[str, ...] = ()
    optional: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("required", "conditional", "optional"):
            self._set(name, _names(getattr(self, name), name))


# ---------------------------------------------------------------------------- app_config


@dataclass(frozen=True, slots=True)
class SupportInfo(_Record):
    email: str = ""
    documentation_url: str = ""
    support_url: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class PermittedUrls(_Record):
    fetch: Tuple[str, ...] = ()
    iframe: Tuple[str, ...] = ()
    img: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("fetch", "iframe", "img"):
            self._set(name, _names(getattr(self, name), name))


@dataclass(frozen=True, slots=True, repr=False)
class AppConfig(_Record):
    """A HubSpot app's configuration, from a ``*-hsmeta.json`` app component or a legacy
    ``public-app.json`` (one model for both). Usually made by ``AppConfig.load(path)`` or
    ``AppConfig.from_json(text)``, which raise ConfigError on errors; ``diagnostics`` then
    holds the warnings and notes. ``format``: 'hsmeta' or 'public_app'; ``distribution``:
    'unspecified', 'marketplace' or 'private'; ``auth_type``: 'oauth' or 'static'."""

    format: str = "hsmeta"
    uid: str = ""
    name: str = ""
    description: str = ""
    distribution: str = "unspecified"
    auth_type: str = "oauth"
    redirect_urls: Tuple[str, ...] = ()
    scopes: ScopeConfig = field(default_factory=ScopeConfig)
    permitted_urls: PermittedUrls = field(default_factory=PermittedUrls)
    support: SupportInfo = field(default_factory=SupportInfo)
    diagnostics: Tuple[Diagnostic, ...] = ()
    file_name: Optional[str] = None

    _json_exclude = frozenset({"diagnostics", "file_name"})

    def __post_init__(self) -> None:
        self._set("redirect_urls", _names(self.redirect_urls, "redirect_urls"))
        self._set("diagnostics", tuple(self.diagnostics))

    @classmethod
    def from_json(cls, text: Union[str, bytes], file_name: Optional[str] = None) -> "AppConfig":
        """Parses and checks an app config's text. ``file_name`` (a base name or path) picks the
        format ('...-hsmeta.json' or 'public-app.json'); without it the content decides.
        Raises ConfigError (with .diagnostics) when the config has errors."""
        from . import _core

        return _core.load_app_config(text, file_name)

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "AppConfig":
        """Reads and checks an app config file; raises OSError if unreadable, ConfigError on errors."""
        import os

        from . import _core

        path = os.fspath(path)
        with open(path, "rb") as f:
            data = f.read()
        return _core.load_app_config(data, path)

    @property
    def errors(self) -> Tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> Tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def install_url(self, *, client_id: str, **kwargs: Any) -> "BuiltUrl":
        """``hsinstall.install_url(config=self, client_id=..., ...)``."""
        from . import _core

        return _core.install_url(config=self, client_id=client_id, **kwargs)

    def __repr__(self) -> str:
        return _display.app_config_text(self)

    def _repr_html_(self) -> str:
        return _display.app_config_html(self)


@dataclass(frozen=True, slots=True, repr=False)
class LintReport(_Record):
    """What ``hsinstall.lint`` found in one app config. ``ok``: no error; ``format``: 'hsmeta'
    or 'public_app' (None when the config was unusable); ``config``: the AppConfig, or None."""

    file_name: Optional[str]
    ok: bool
    format: Optional[str]
    diagnostics: Tuple[Diagnostic, ...] = ()
    config: Optional[AppConfig] = None

    def __post_init__(self) -> None:
        self._set("diagnostics", tuple(self.diagnostics))

    def to_dict(self) -> Dict[str, Any]:
        """The CLI's ``lint --json`` entry for one file: {file, ok, format, diagnostics}."""
        return {"file": self.file_name, "ok": self.ok, "format": self.format,
                "diagnostics": [d.to_dict() for d in self.diagnostics]}

    @property
    def errors(self) -> int:
        return _severity_counts(self.diagnostics)[0]

    @property
    def warnings(self) -> int:
        return _severity_counts(self.diagnostics)[1]

    @property
    def notes(self) -> int:
        return _severity_counts(self.diagnostics)[2]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return _display.lint_text(self)

    def __repr__(self) -> str:
        return _display.lint_text(self)

    def _repr_html_(self) -> str:
        return _display.lint_html(self)


# ---------------------------------------------------------------------------- install_url


class BuiltUrl(str):
    """An install URL built by ``hsinstall.install_url``: a plain ``str`` to redirect to, plus
    ``diagnostics`` (warnings and notes; errors raise InstallUrlError instead)."""

    diagnostics: Tuple[Diagnostic, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("BuiltUrl is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("BuiltUrl is immutable")

    def inspect(self, config: Optional[AppConfig] = None) -> "InspectedUrl":
        """Parses this URL back into its fields (``hsinstall.inspect_url``)."""
        from . import _core

        return _core.inspect_url(str(self), config)

    def _repr_html_(self) -> str:
        return _display.built_url_html(self)


@dataclass(frozen=True, slots=True, repr=False)
class InspectedUrl(_Record):
    """An install URL taken apart, best effort, with everything HubSpot would reject or a
    person would trip on in ``diagnostics``; checked against ``config`` when one was given.
    ``account_id`` and ``state`` are None when absent; ``extra_params`` are (name, value) pairs."""

    host: str
    hublet: str
    account_id: Optional[str]
    client_id: str
    redirect_uri: str
    scopes: Tuple[str, ...]
    optional_scopes: Tuple[str, ...]
    state: Optional[str]
    extra_params: Pairs
    diagnostics: Tuple[Diagnostic, ...] = ()
    url: str = ""
    config: Optional[AppConfig] = None

    _json_exclude = frozenset({"url", "config"})
    _json_pairs = frozenset({"extra_params"})

    def __post_init__(self) -> None:
        self._set("scopes", _names(self.scopes, "scopes"))
        self._set("optional_scopes", _names(self.optional_scopes, "optional_scopes"))
        self._set("extra_params", tuple((str(k), str(v)) for k, v in self.extra_params))
        self._set("diagnostics", tuple(self.diagnostics))

    @property
    def ok(self) -> bool:
        """No error diagnostic."""
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> Tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    def check(self, config: AppConfig) -> List[Diagnostic]:
        """Does this URL fit the app? (``hsinstall.check_install_url``): a list of Diagnostic."""
        from . import _core

        return _core.check_install_url(self, config)

    def __repr__(self) -> str:
        return _display.inspected_text(self)

    def _repr_html_(self) -> str:
        return _display.inspected_html(self)


# ---------------------------------------------------------------------------- callback


@dataclass(frozen=True, slots=True)
class Callback(_Record):
    """HubSpot's redirect back, verified. ``kind``: 'success' (``code`` and ``state``),
    'marketplace_authorize' (send the person to ``return_url``) or 'marketplace_finalize'.
    ``state_verified`` is True when state matched the expected one. ``diagnostics`` holds
    warnings and notes (errors raise CallbackError)."""

    kind: str
    code: str
    state: Optional[str]
    state_verified: bool
    return_url: str = ""
    extra_params: Pairs = ()
    diagnostics: Tuple[Diagnostic, ...] = ()

    _json_exclude = frozenset({"diagnostics"})
    _json_pairs = frozenset({"extra_params"})

    def _repr_html_(self) -> str:
        return _display.record_html(self, ("kind", "code", "state", "state_verified", "return_url", "extra_params"))


# ---------------------------------------------------------------------------- state


@dataclass(frozen=True, slots=True)
class StateToken(_Record):
    """A decoded state: the random ``nonce``, ``expires_at`` (Unix seconds) or None, the
    host-made ``mac`` (empty when unsigned) and ``signed_part``, what that MAC covers."""

    nonce: bytes
    expires_at: Optional[int] = None
    mac: bytes = b""
    signed_part: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.mac)

    def to_dict(self) -> Dict[str, Any]:
        return {"nonce": base64.urlsafe_b64encode(self.nonce).rstrip(b"=").decode("ascii"),
                "nonce_bytes": len(self.nonce), "expires_at": self.expires_at,
                "signed": self.signed, "signed_part": self.signed_part}

    def __repr__(self) -> str:
        return "StateToken(nonce=<%d bytes>, expires_at=%r, signed=%r)" % (len(self.nonce), self.expires_at, self.signed)


# ---------------------------------------------------------------------------- token


@dataclass(frozen=True, slots=True, repr=False)
class HttpRequest(_Record):
    """A ready-to-send token-endpoint request. ``headers`` are (name, value) pairs (``dict(r.headers)``
    for most HTTP clients); ``body`` is the form body, which holds the client secret: the repr
    never shows it."""

    method: str
    url: str
    headers: Pairs
    body: str
    diagnostics: Tuple[Diagnostic, ...] = ()

    _json_exclude = frozenset({"diagnostics"})
    _json_pairs = frozenset({"headers"})

    def __repr__(self) -> str:
        return "HttpRequest(%s %s, headers=%r, body=<%d characters, not shown>)" % (
            self.method, self.url, [k for k, _ in self.headers], len(self.body))


def _redact(secret: str) -> str:
    return "" if not secret else (secret[:4] + "…" if len(secret) > 8 else "…")


@dataclass(frozen=True, slots=True, repr=False)
class Tokens(_Record):
    """Tokens from the token endpoint. ``expires_in`` is in seconds; ``scopes`` is None when
    the response did not list them. The repr shortens the tokens."""

    access_token: str
    refresh_token: str = ""
    expires_in: int = 0
    token_type: str = ""
    token_use: str = ""
    id_token: str = ""
    hub_id: Optional[int] = None
    user_id: Optional[int] = None
    scopes: Optional[Tuple[str, ...]] = None

    def __repr__(self) -> str:
        return "Tokens(access_token=%r, refresh_token=%r, expires_in=%d, hub_id=%r, scopes=%r)" % (
            _redact(self.access_token), _redact(self.refresh_token), self.expires_in, self.hub_id, self.scopes)


@dataclass(frozen=True, slots=True)
class TokenError(_Record):
    """A failed token call, classified: ``code`` (token.bad_auth_code, token.expired_auth_code,
    token.rate_limited, ...) and ``retryable``, plus what HubSpot said."""

    code: str
    retryable: bool = False
    http_status: int = 0
    error: str = ""
    error_description: str = ""
    status: str = ""
    message: str = ""
    category: str = ""
    correlation_id: str = ""


@dataclass(frozen=True, slots=True)
class TokenResponse(_Record):
    """``tokens`` or ``error`` (one of them), and diagnostics about the body."""

    tokens: Optional[Tokens]
    error: Optional[TokenError]
    diagnostics: Tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.tokens is not None

    def raise_for_error(self) -> Tokens:
        """The tokens, or TokenResponseError (with .error and .retryable)."""
        if self.tokens is None:
            raise TokenResponseError(self.diagnostics, self.error)
        return self.tokens


@dataclass(frozen=True, slots=True)
class Introspection(_Record):
    active: bool
    app_id: Optional[int] = None
    hub_id: Optional[int] = None
    user_id: Optional[int] = None
    expires_in: Optional[int] = None
    client_id: str = ""
    hub_domain: str = ""
    user: str = ""
    token_type: str = ""
    token_use: str = ""
    scopes: Tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IntrospectionResponse(_Record):
    """``introspection`` or ``error``, and diagnostics about the body."""

    introspection: Optional[Introspection]
    error: Optional[TokenError]
    diagnostics: Tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.introspection is not None

    def raise_for_error(self) -> Introspection:
        """The introspection, or TokenResponseError (with .error and .retryable)."""
        if self.introspection is None:
            raise TokenResponseError(self.diagnostics, self.error)
        return self.introspection


@dataclass(frozen=True, slots=True)
class ScopeComparison(_Record):
    """Granted scopes against the app's: a missing required or requested conditional scope is
    an error diagnostic, a missing optional one a note, an unconfigured grant a warning."""

    missing_required: Tuple[str, ...] = ()
    missing_conditional: Tuple[str, ...] = ()
    granted_optional: Tuple[str, ...] = ()
    missing_optional: Tuple[str, ...] = ()
    unexpected: Tuple[str, ...] = ()
    diagnostics: Tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


RECORD_CLASSES: Dict[str, type] = {
    c.__name__: c
    for c in (Diagnostic, ScopeInfo, ScopeConfig, SupportInfo, PermittedUrls, AppConfig, InspectedUrl, Callback,
              StateToken, HttpRequest, Tokens, TokenError, TokenResponse, Introspection, IntrospectionResponse,
              ScopeComparison, LintReport)
}
