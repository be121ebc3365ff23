"""hsinstall: a HubSpot app-install helper, over the same C++ core as the CLI and the wasm module.

    import hsinstall

    app = hsinstall.AppConfig.load("src/app/app-hsmeta.json")       # ConfigError on errors
    state = hsinstall.new_state()                                    # from secrets, encoded by the core
    url = hsinstall.install_url(config=app, client_id=CLIENT_ID, state=state)
    url = hsinstall.install_url(client_id=CLIENT_ID, redirect_uri="https://acme.example/cb",
                                scopes=["oauth", "crm.objects.contacts.read"], state=state)
    cb = hsinstall.parse_callback(request_url, expected_state=state)  # CallbackError on errors
    req = hsinstall.token.code_request(client_id=..., client_secret=..., redirect_uri=..., code=cb.code)

    hsinstall.lint("app-hsmeta.json")            # a LintReport (tables in a notebook)
    hsinstall.inspect_url(url, app)              # an InspectedUrl, never raises
    hsinstall.scopes["crm.objects.contacts.read"], hsinstall.scopes.search("deals")

Errors raise typed exceptions (all ValueError subclasses) carrying ``.diagnostics``;
validate/check functions return lists of Diagnostic; results are frozen dataclasses whose
``diagnostics`` hold the warnings and notes. Lists of scope names must be lists (or other
iterables) of str: a bare str such as ``"oauth crm.objects.contacts.read"`` is refused with
a TypeError instead of being split into letters.
"""
from __future__ import annotations

import os
from typing import List, Optional, Union

from . import _core
from ._errors import (
    CallbackError,
    ConfigError,
    HsInstallError,
    InstallUrlError,
    StateError,
    TokenRequestError,
    TokenResponseError,
)
from ._types import (
    RECORD_CLASSES,
    AppConfig,
    BuiltUrl,
    Callback,
    Diagnostic,
    HttpRequest,
    InspectedUrl,
    Introspection,
    IntrospectionResponse,
    LintReport,
    PermittedUrls,
    ScopeComparison,
    ScopeConfig,
    ScopeInfo,
    StateToken,
    SupportInfo,
    TokenError,
    TokenResponse,
    Tokens,
)

_core._register(dict(RECORD_CLASSES, BuiltUrl=BuiltUrl, ConfigError=ConfigError, InstallUrlError=InstallUrlError,
                     CallbackError=CallbackError, StateError=StateError, TokenRequestError=TokenRequestError))

from . import state, token  # noqa: E402  (they need the registered classes)
from ._catalogue import ScopeCatalogue, scopes  # noqa: E402
from ._core import install_url, parse_callback  # noqa: E402  (the hot two: C functions with their own signatures)
from .state import new_state  # noqa: E402

__version__: str = _core.__version__

# Public classes show (and pickle) as hsinstall.X, wherever they are defined.
for _cls in (*RECORD_CLASSES.values(), BuiltUrl, ScopeCatalogue, HsInstallError, ConfigError,
             InstallUrlError, CallbackError, StateError, TokenRequestError, TokenResponseError):
    _cls.__module__ = __name__
del _cls

PathOrText = Union[str, bytes, "os.PathLike[str]"]


def lint(path_or_text: PathOrText, *, file_name: Optional[str] = None) -> LintReport:
    """Checks one app config; never raises for a bad config (OSError if a file is unreadable).

    ``path_or_text``: a path (``pathlib.Path`` or ``str``), or the JSON itself (``bytes``, or a
    ``str`` whose first non-blank character is ``{``). ``file_name`` names text for the format
    choice and the report (a path's own name is used otherwise)."""
    data: Union[str, bytes]
    if isinstance(path_or_text, (bytes, bytearray, memoryview)):
        data, name = bytes(path_or_text), file_name
    elif isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
        data, name = path_or_text, file_name
    elif isinstance(path_or_text, (str, os.PathLike)):
        path = os.fspath(path_or_text)
        if not isinstance(path, str):
            path = os.fsdecode(path)
        with open(path, "rb") as f:
            data = f.read()
        name = file_name or path
    else:
        raise TypeError("lint() takes a path (str or os.PathLike) or the config's JSON text (str or bytes), not %s"
                        % type(path_or_text).__name__)
    return _core.lint_app_config(data, name)


def inspect_url(url: str, config: Optional[AppConfig] = None) -> InspectedUrl:
    """Takes any install URL apart, best effort, and never raises: ``diagnostics`` says what
    HubSpot would reject or a person would trip on (``+`` for spaces, duplicated parameters,
    an unknown host, ...) and, given the app's ``config``, what does not fit it."""
    return _core.inspect_url(url, config)


def parse_install_url(url: str) -> InspectedUrl:
    """Like ``inspect_url``, but raises InstallUrlError when the URL has errors."""
    return _core.parse_install_url(url)


def check_install_url(url: Union[str, InspectedUrl], config: AppConfig) -> List[Diagnostic]:
    """Does an install URL (text, or an InspectedUrl) fit the app? Missing required scope, optional
    scope inside ``scope``, undeclared scope, unregistered redirect, ...: a list of Diagnostic."""
    return _core.check_install_url(url, config)


def install_host(host: str) -> Optional[str]:
    """``'eu1'`` → ``'app-eu1.hubspot.com'``, ``''``/``'global'`` → ``'app.hubspot.com'``, a HubSpot UI
    host as is; None for anything else."""
    return _core.install_host(host)


def constant_time_equal(a: Union[str, bytes], b: Union[str, bytes]) -> bool:
    """Compares in time that depends only on the lengths, not on where they differ."""
    return _core.constant_time_equal(a, b)


def validate_redirect_uri(uri: str, *, registered: Optional[List[str]] = None) -> List[Diagnostic]:
    """Checks a redirect URI (https unless localhost, absolute, no fragment or user-info, ...) and,
    given ``registered`` (the app's redirect URLs), that it is exactly one of them."""
    return _core.validate_redirect_uri(uri, registered=registered)


__all__ = [
    "AppConfig", "BuiltUrl", "Callback", "CallbackError", "ConfigError", "Diagnostic", "HsInstallError", "HttpRequest",
    "InspectedUrl", "InstallUrlError", "Introspection", "IntrospectionResponse", "LintReport", "PermittedUrls",
    "ScopeCatalogue", "ScopeComparison", "ScopeConfig", "ScopeInfo", "StateError", "StateToken", "SupportInfo",
    "TokenError", "TokenRequestError", "TokenResponse", "TokenResponseError", "Tokens",
    "check_install_url", "constant_time_equal", "inspect_url", "install_host", "install_url", "lint", "new_state",
    "parse_callback", "parse_install_url", "scopes", "state", "token", "validate_redirect_uri",
]
