"""Typed exceptions. Every one is a ValueError carrying the core's ``.diagnostics``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from ._types import Diagnostic, TokenError


class HsInstallError(ValueError):
    """An input hsinstall could not use.

    ``diagnostics`` holds everything the core reported (errors, and any warnings and notes
    found on the way); ``errors`` only the errors; ``code`` the first error's stable code
    (match on it, not on the message).
    """

    diagnostics: Tuple["Diagnostic", ...]

    def __init__(self, diagnostics: Iterable["Diagnostic"] = ()) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.diagnostics)

    @property
    def errors(self) -> Tuple["Diagnostic", ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def codes(self) -> Tuple[str, ...]:
        return tuple(d.code for d in self.diagnostics)

    @property
    def code(self) -> Optional[str]:
        errors = self.errors
        return errors[0].code if errors else (self.diagnostics[0].code if self.diagnostics else None)

    def __str__(self) -> str:
        shown = self.errors or self.diagnostics
        if not shown:
            return "(no diagnostics)"
        if len(shown) == 1:
            return str(shown[0])
        return "%d errors:\n" % len(shown) + "\n".join("  " + str(d).replace("\n", "\n  ") for d in shown)

    def _repr_html_(self) -> str:
        from ._display import diagnostics_html, wrap

        return wrap("<b>%s</b>" % type(self).__name__ + diagnostics_html(self.diagnostics))


class ConfigError(HsInstallError):
    """An app config file (``*-hsmeta.json`` or ``public-app.json``) has errors."""


class InstallUrlError(HsInstallError):
    """An install URL could not be built, or a URL given to parse_install_url has errors."""


class CallbackError(HsInstallError):
    """The redirect back from HubSpot is unusable: state mismatch, missing code, HubSpot's error=, ..."""


class StateError(HsInstallError):
    """A state value could not be encoded, signed or decoded."""


class TokenRequestError(HsInstallError):
    """A token-endpoint request could not be built (missing field, insecure api_base, ...)."""


class TokenResponseError(HsInstallError):
    """The token endpoint answered with an error; raised by ``TokenResponse.raise_for_error()``.

    ``error`` is the typed HubSpot error; ``retryable`` says whether trying again can help.
    """

    error: Optional["TokenError"]

    def __init__(self, diagnostics: Iterable["Diagnostic"] = (), error: Optional["TokenError"] = None) -> None:
        super().__init__(diagnostics)
        self.error = error

    @property
    def retryable(self) -> bool:
        return bool(self.error and self.error.retryable)

    @property
    def http_status(self) -> Optional[int]:
        return self.error.http_status if self.error else None

    def __reduce__(self) -> Any:
        return (type(self), (self.diagnostics, self.error))
