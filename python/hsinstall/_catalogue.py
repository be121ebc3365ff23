"""``hsinstall.scopes``: HubSpot's scope catalogue (compiled into the core), as a Python object."""
from __future__ import annotations

from typing import Iterable, Iterator, List, Optional, Tuple, Union, overload

from . import _core, _display
from ._types import Diagnostic, ScopeInfo


class ScopeCatalogue:
    """Every scope name HubSpot knows, with status, sensitivity, tier and description.

    >>> hsinstall.scopes["crm.objects.contacts.read"].description
    >>> "crm.objects.contact.read" in hsinstall.scopes          # False: a typo
    >>> hsinstall.scopes.suggest("crm.objects.contact.read")    # ['crm.objects.contacts.read', ...]
    >>> [s.name for s in hsinstall.scopes.search("deals write")]
    >>> for s in hsinstall.scopes: ...                           # ScopeInfo, sorted by name
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[ScopeInfo]:
        return iter(_core.catalogue())

    def __len__(self) -> int:
        return len(_core.catalogue())

    def __contains__(self, name: object) -> bool:
        if isinstance(name, ScopeInfo):
            name = name.name
        return isinstance(name, str) and _core.find_scope(name) is not None

    def __getitem__(self, name: str) -> ScopeInfo:
        info = _core.find_scope(name)
        if info is None:
            hint = _core.suggest_scopes(name)
            raise KeyError("%r is not a HubSpot scope%s" % (name, "; did you mean %s?" % " or ".join(hint) if hint else ""))
        return info

    @overload
    def get(self, name: str) -> Optional[ScopeInfo]: ...
    @overload
    def get(self, name: str, default: ScopeInfo) -> ScopeInfo: ...

    def get(self, name: str, default: Optional[ScopeInfo] = None) -> Optional[ScopeInfo]:
        """Exact, case-sensitive lookup (HubSpot's scope names are case-sensitive)."""
        info = _core.find_scope(name)
        return default if info is None else info

    def names(self) -> Tuple[str, ...]:
        return tuple(s.name for s in _core.catalogue())

    def search(self, text: str) -> List[ScopeInfo]:
        """Case-insensitive search over names and descriptions; every word must match."""
        return _core.search_scopes(text)

    def suggest(self, name: str, max: int = 3) -> List[str]:
        """Close requestable names for a misspelt one, best first."""
        return _core.suggest_scopes(name, max)

    def canonical(self, name: str) -> str:
        """The name an app should use: a variant's current spelling, otherwise the name itself."""
        return _core.canonical_scope(name)

    def validate(self, *, required: Optional[Iterable[str]] = None, conditional: Optional[Iterable[str]] = None,
                 optional: Optional[Iterable[str]] = None, marketplace: bool = False) -> List[Diagnostic]:
        """Checks a scope configuration (unknown, removed, duplicated, in two lists, no required
        scope, sensitive, ...). Diagnostics point at 'requiredScopes/<i>' and so on."""
        return _core.validate_scope_config(required=required, conditional=conditional, optional=optional,
                                           marketplace=marketplace)

    def check(self, name: str, *, where: str = "scope", marketplace: bool = False) -> List[Diagnostic]:
        """Checks one name against the catalogue."""
        return _core.check_scope_name(name, where=where, marketplace=marketplace)

    def table(self, names: Union[str, Iterable[Union[str, ScopeInfo]], None] = None) -> "_Html":
        """A notebook table of the given scopes (a search text, or names), or of the whole catalogue."""
        if names is None:
            scopes = list(_core.catalogue())
        elif isinstance(names, str):
            scopes = self.search(names)
        else:
            scopes = [n if isinstance(n, ScopeInfo) else (self.get(n) or ScopeInfo(n, status="unknown")) for n in names]
        return _Html(_display.catalogue_html(scopes))

    def __repr__(self) -> str:
        return "<hsinstall.scopes: %d scopes; scopes[name], .get(), .search(), .suggest(), .validate(); iterate for ScopeInfo>" % len(self)

    def _repr_html_(self) -> str:
        return _display.catalogue_html(_core.catalogue(), limit=40)


class _Html:
    __slots__ = ("html",)

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return "<HTML table; display it in a notebook>"


scopes = ScopeCatalogue()
