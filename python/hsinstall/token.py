"""The token endpoint: ready-to-send requests and parsed responses (the HTTP call is yours).

    req = hsinstall.token.code_request(client_id=..., client_secret=..., redirect_uri=..., code=cb.code)
    r = requests.request(req.method, req.url, headers=dict(req.headers), data=req.body)
    resp = hsinstall.token.parse_response(r.status_code, r.content)
    if resp.ok: store(resp.tokens)
    elif resp.error.retryable: retry_later()

Secrets travel only in form bodies, never in URLs. ``api`` is 'v3' (default), '2026-03' or 'v1'.
"""
from __future__ import annotations

from typing import Iterable, Optional, Union

from . import _core
from ._types import AppConfig, HttpRequest, IntrospectionResponse, ScopeComparison, TokenResponse

Body = Union[str, bytes, None]


def code_request(*, client_id: str, client_secret: str, redirect_uri: str, code: str,
                 code_verifier: Optional[str] = None, api: Optional[str] = None,
                 api_base: Optional[str] = None) -> HttpRequest:
    """The authorization-code grant request. Raises TokenRequestError."""
    return _core.code_request(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri, code=code,
                              code_verifier=code_verifier, api=api, api_base=api_base)


def refresh_request(*, client_id: str, client_secret: str, refresh_token: str, api: Optional[str] = None,
                    api_base: Optional[str] = None) -> HttpRequest:
    """The refresh-token grant request. Raises TokenRequestError."""
    return _core.refresh_request(client_id=client_id, client_secret=client_secret, refresh_token=refresh_token,
                                 api=api, api_base=api_base)


def introspection_request(*, client_id: str, client_secret: str, token: str, token_type_hint: Optional[str] = None,
                          api: Optional[str] = None, api_base: Optional[str] = None) -> HttpRequest:
    """The token-introspection request. Raises TokenRequestError."""
    return _core.introspection_request(client_id=client_id, client_secret=client_secret, token=token,
                                       token_type_hint=token_type_hint, api=api, api_base=api_base)


def revoke_request(*, client_id: str, client_secret: str, token: str, token_type_hint: Optional[str] = None,
                   api: Optional[str] = None, api_base: Optional[str] = None) -> HttpRequest:
    """The token-revocation request. Raises TokenRequestError."""
    return _core.revoke_request(client_id=client_id, client_secret=client_secret, token=token,
                                token_type_hint=token_type_hint, api=api, api_base=api_base)


def parse_response(status: int, body: Body) -> TokenResponse:
    """Tokens, or a typed HubSpot error with ``retryable`` explicit. Never raises for a bad
    response: check ``.ok`` or call ``.raise_for_error()``."""
    return _core.parse_token_response(status, body)


def parse_introspection(status: int, body: Body) -> IntrospectionResponse:
    """The introspection response (v3 ``{"active": ...}`` or the v1 shape)."""
    return _core.parse_introspection_response(status, body)


def compare_scopes(granted: Iterable[str], config: Optional[AppConfig] = None, *,
                   required: Optional[Iterable[str]] = None, conditional: Optional[Iterable[str]] = None,
                   optional: Optional[Iterable[str]] = None,
                   requested_conditional: Optional[Iterable[str]] = None) -> ScopeComparison:
    """Granted scopes (from the token or introspection response) against the app's scopes:
    ``config``'s, or the lists given. ``requested_conditional``: the conditionally required
    scopes the install URL asked for (``with_scopes``)."""
    if config is not None:
        if required is not None or conditional is not None or optional is not None:
            raise TypeError("compare_scopes(): give config= or required=/conditional=/optional=, not both")
        required, conditional, optional = config.scopes.required, config.scopes.conditional, config.scopes.optional
    return _core.compare_granted_scopes(granted, required=required, conditional=conditional, optional=optional,
                                        requested_conditional=requested_conditional)
