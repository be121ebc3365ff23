# Type stubs for hsinstall._core, the pybind11 module (python/src/module.cpp).
# The package re-exports these under their public names; see hsinstall/__init__.py.
from typing import Dict, Iterable, List, Optional, Tuple, Union

from ._types import (
    AppConfig,
    BuiltUrl,
    Callback,
    Diagnostic,
    HttpRequest,
    InspectedUrl,
    IntrospectionResponse,
    LintReport,
    ScopeComparison,
    ScopeInfo,
    StateToken,
    TokenResponse,
)

_Text = Union[str, bytes, bytearray, memoryview]
_Bytes = Union[bytes, bytearray, memoryview]
_Names = Iterable[str]  # any iterable of str, never a bare str
_Number = Union[int, float]

__version__: str
MIN_STATE_BYTES: int
MAX_STATE_BYTES: int
MAX_CONFIG_BYTES: int
MAX_CALLBACK_BYTES: int
INSTALL_URL_WARN_LENGTH: int

def _register(classes: Dict[str, type]) -> None: ...

# scopes
def catalogue() -> Tuple[ScopeInfo, ...]: ...
def find_scope(name: str) -> Optional[ScopeInfo]: ...
def suggest_scopes(name: str, max: Optional[int] = ...) -> List[str]: ...
def search_scopes(text: str) -> List[ScopeInfo]: ...
def canonical_scope(name: str) -> str: ...
def validate_scope_config(
    *,
    required: Optional[_Names] = ...,
    conditional: Optional[_Names] = ...,
    optional: Optional[_Names] = ...,
    marketplace: bool = ...,
    pointer: Optional[str] = ...,
) -> List[Diagnostic]: ...
def check_scope_name(name: str, *, where: Optional[str] = ..., marketplace: bool = ...) -> List[Diagnostic]: ...

# app_config
def lint_app_config(text: _Text, file_name: Optional[str] = ...) -> LintReport: ...
def load_app_config(text: _Text, file_name: Optional[str] = ...) -> AppConfig: ...

# redirect_uri
def validate_redirect_uri(uri: str, *, registered: Optional[_Names] = ..., where: Optional[str] = ...) -> List[Diagnostic]: ...
def check_redirect_registered(uri: str, registered: _Names, *, where: Optional[str] = ...) -> List[Diagnostic]: ...

# install_url
def install_url(
    *,
    client_id: str,
    redirect_uri: Optional[str] = ...,
    scopes: Optional[_Names] = ...,
    optional_scopes: Optional[_Names] = ...,
    state: Optional[str] = ...,
    host: Optional[str] = ...,
    account_id: Union[str, int, None] = ...,
    config: Optional[AppConfig] = ...,
    with_scopes: Optional[_Names] = ...,
) -> BuiltUrl: ...
def inspect_url(url: str, config: Optional[AppConfig] = ...) -> InspectedUrl: ...
def parse_install_url(url: str) -> InspectedUrl: ...
def check_install_url(url: Union[str, InspectedUrl], config: AppConfig) -> List[Diagnostic]: ...
def install_host(host: str) -> Optional[str]: ...

# callback
def parse_callback(
    url: str, *, expected_state: Optional[str], max_value_bytes: Optional[int] = ..., extra_return_origins: Optional[_Names] = ...
) -> Callback: ...
def constant_time_equal(a: _Text, b: _Text) -> bool: ...

# state
def encode_state(random: _Bytes, *, expires_at: Optional[_Number] = ...) -> str: ...
def sign_state(state: str, mac: _Bytes) -> str: ...
def decode_state(state: str) -> StateToken: ...
def verify_state(state: Union[str, StateToken], *, now: _Number, expected_mac: Optional[_Bytes] = ...) -> List[Diagnostic]: ...

# token
def code_request(
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: Optional[str] = ...,
    api: Optional[str] = ...,
    api_base: Optional[str] = ...,
) -> HttpRequest: ...
def refresh_request(
    *, client_id: str, client_secret: str, refresh_token: str, api: Optional[str] = ..., api_base: Optional[str] = ...
) -> HttpRequest: ...
def introspection_request(
    *,
    client_id: str,
    client_secret: str,
    token: str,
    token_type_hint: Optional[str] = ...,
    api: Optional[str] = ...,
    api_base: Optional[str] = ...,
) -> HttpRequest: ...
def revoke_request(
    *,
    client_id: str,
    client_secret: str,
    token: str,
    token_type_hint: Optional[str] = ...,
    api: Optional[str] = ...,
    api_base: Optional[str] = ...,
) -> HttpRequest: ...
def parse_token_response(status: int, body: Optional[_Text]) -> TokenResponse: ...
def parse_introspection_response(status: int, body: Optional[_Text]) -> IntrospectionResponse: ...
def compare_granted_scopes(
    granted: _Names,
    *,
    required: Optional[_Names] = ...,
    conditional: Optional[_Names] = ...,
    optional: Optional[_Names] = ...,
    requested_conditional: Optional[_Names] = ...,
) -> ScopeComparison: ...
