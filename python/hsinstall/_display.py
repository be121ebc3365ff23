"""Readable reprs and notebook HTML (``_repr_html_``) for hsinstall's values.

Presentation only: tables of scopes by kind (with the catalogue's descriptions and
sensitivity) and diagnostics coloured by severity. Nothing here decides what is valid.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Iterable, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from ._types import AppConfig, BuiltUrl, Diagnostic, InspectedUrl, LintReport

SEVERITY_COLOURS = {"error": "#c62828", "warning": "#a15c00", "note": "#1565c0"}
SENSITIVITY_COLOURS = {"sensitive": "#a15c00", "highly_sensitive": "#c62828"}

_STYLE = (
    "<style>"
    ".hsinstall{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;line-height:1.4}"
    ".hsinstall table{border-collapse:collapse;margin:4px 0 10px 0}"
    ".hsinstall th,.hsinstall td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
    ".hsinstall th{background:#f4f4f4;font-weight:600}"
    ".hsinstall code{font-size:12px}"
    ".hsinstall .badge{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:11px;font-weight:600}"
    ".hsinstall .muted{color:#777}"
    "</style>"
)

e = html.escape


def wrap(body: str) -> str:
    return '<div class="hsinstall">' + _STYLE + body + "</div>"


def badge(text: str, colour: str) -> str:
    return '<span class="badge" style="background:%s">%s</span>' % (colour, e(text))


def counts_text(diagnostics: Sequence["Diagnostic"]) -> str:
    n = {"error": 0, "warning": 0, "note": 0}
    for d in diagnostics:
        n[d.severity] = n.get(d.severity, 0) + 1

    def plural(k: int, word: str) -> str:
        return "%d %s%s" % (k, word, "" if k == 1 else "s")

    return ", ".join((plural(n["error"], "error"), plural(n["warning"], "warning"), plural(n["note"], "note")))


def diagnostics_text(diagnostics: Sequence["Diagnostic"], indent: str = "  ") -> List[str]:
    lines = []
    for d in diagnostics:
        lines.append(indent + str(d).replace("\n", "\n" + indent))
    return lines


def diagnostics_html(diagnostics: Sequence["Diagnostic"]) -> str:
    if not diagnostics:
        return '<p class="muted">No diagnostics.</p>'
    rows = []
    for d in diagnostics:
        colour = SEVERITY_COLOURS.get(d.severity, "#555")
        rows.append(
            '<tr style="border-left:4px solid %s"><td>%s</td><td><code>%s</code></td><td><code>%s</code></td>'
            "<td>%s%s</td></tr>" % (
                colour, badge(d.severity, colour), e(d.code), e(d.where), e(d.message),
                '<br><span class="muted">hint: %s</span>' % e(d.hint) if d.hint else ""))
    return ("<table><tr><th>severity</th><th>code</th><th>where</th><th>message</th></tr>"
            + "".join(rows) + "</table>")


def scope_table(rows: Iterable[Tuple[str, str]]) -> str:
    """rows: (kind, scope name). Descriptions, status and sensitivity come from the catalogue."""
    from . import _core

    rows = list(rows)
    show_kind = any(kind for kind, _ in rows)
    out = []
    for kind, name in rows:
        info = _core.find_scope(name)
        if info is None:
            status = badge("unknown", SEVERITY_COLOURS["error"])
            sens, desc = "", '<span class="muted">not in the catalogue</span>'
        else:
            status = "" if info.status == "current" else badge(info.status, SEVERITY_COLOURS["warning"]
                                                               if info.status in ("variant", "deprecated")
                                                               else SEVERITY_COLOURS["error"])
            if info.replacements:
                status += ' <span class="muted">→ %s</span>' % e(", ".join(info.replacements[:3]) + (", …" if len(info.replacements) > 3 else ""))
            sens = badge(info.sensitivity.replace("_", " "), SENSITIVITY_COLOURS[info.sensitivity]) \
                if info.sensitivity in SENSITIVITY_COLOURS else ""
            desc = e(info.description) + (' <span class="muted">(%s)</span>' % e(info.tier) if info.tier else "")
        out.append("<tr>%s<td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>"
                   % ("<td>%s</td>" % e(kind) if show_kind else "", e(name), status, sens, desc))
    if not out:
        return '<p class="muted">No scopes.</p>'
    return ("<table><tr>%s<th>scope</th><th>status</th><th>sensitivity</th><th>description</th></tr>"
            % ("<th>kind</th>" if show_kind else "") + "".join(out) + "</table>")


def fields_html(pairs: Iterable[Tuple[str, Any]]) -> str:
    rows = []
    for k, v in pairs:
        if v is None or v == "" or v == ():
            shown = '<span class="muted">—</span>'
        elif isinstance(v, (tuple, list)):
            shown = "<br>".join("<code>%s</code>" % e(x if isinstance(x, str) else "%s=%s" % tuple(x)) for x in v)
        else:
            shown = "<code>%s</code>" % e(str(v))
        rows.append("<tr><th>%s</th><td>%s</td></tr>" % (e(k), shown))
    return "<table>" + "".join(rows) + "</table>"


def record_html(obj: Any, names: Sequence[str]) -> str:
    body = "<b>%s</b>" % type(obj).__name__ + fields_html((n, getattr(obj, n)) for n in names)
    diagnostics = getattr(obj, "diagnostics", ())
    if diagnostics:
        body += diagnostics_html(diagnostics)
    return wrap(body)


def _config_scope_rows(scopes: Any) -> List[Tuple[str, str]]:
    return ([("required", s) for s in scopes.required] + [("conditional", s) for s in scopes.conditional]
            + [("optional", s) for s in scopes.optional])


def _list_text(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "(none)"


# ---------------------------------------------------------------------------- AppConfig


def app_config_text(c: "AppConfig") -> str:
    lines = ["AppConfig(%r, format=%r, distribution=%r, auth_type=%r, uid=%r%s)" % (
        c.name, c.format, c.distribution, c.auth_type, c.uid, ", file_name=%r" % c.file_name if c.file_name else "")]
    lines.append("  redirect_urls: " + _list_text(c.redirect_urls))
    lines.append("  required scopes:    " + _list_text(c.scopes.required))
    lines.append("  conditional scopes: " + _list_text(c.scopes.conditional))
    lines.append("  optional scopes:    " + _list_text(c.scopes.optional))
    if c.diagnostics:
        lines.append("  diagnostics: " + counts_text(c.diagnostics))
        lines += diagnostics_text(c.diagnostics, "    ")
    return "\n".join(lines)


def app_config_html(c: "AppConfig") -> str:
    title = "<b>%s</b> <span class=\"muted\">%s</span>" % (
        e(c.name or "(unnamed app)"), e(" · ".join(x for x in (c.file_name or "", c.format, c.distribution, c.auth_type) if x)))
    body = title + fields_html((
        ("uid", c.uid), ("description", c.description), ("redirect_urls", c.redirect_urls),
        ("permitted fetch", c.permitted_urls.fetch), ("permitted iframe", c.permitted_urls.iframe),
        ("permitted img", c.permitted_urls.img), ("support", c.support.email or c.support.support_url)))
    body += scope_table(_config_scope_rows(c.scopes))
    if c.diagnostics:
        body += "<b>Diagnostics</b> <span class=\"muted\">(%s)</span>" % counts_text(c.diagnostics) + diagnostics_html(c.diagnostics)
    return wrap(body)


# ---------------------------------------------------------------------------- LintReport


def lint_text(r: "LintReport") -> str:
    name = r.file_name or "<text>"
    lines = ["%s: %s (%s)" % (name, "ok" if r.ok else "FAILED", counts_text(r.diagnostics))]
    lines += diagnostics_text(r.diagnostics)
    return "\n".join(lines)


def lint_html(r: "LintReport") -> str:
    verdict = badge("ok", "#2e7d32") if r.ok else badge("FAILED", SEVERITY_COLOURS["error"])
    body = "<b>%s</b> %s <span class=\"muted\">%s%s</span>" % (
        e(r.file_name or "(text)"), verdict, e(counts_text(r.diagnostics)), " · " + e(r.format) if r.format else "")
    body += diagnostics_html(r.diagnostics)
    if r.config is not None:
        body += "<b>Scopes</b>" + scope_table(_config_scope_rows(r.config.scopes))
    return wrap(body)


# ---------------------------------------------------------------------------- InspectedUrl


def _inspected_rows(u: "InspectedUrl") -> List[Tuple[str, str]]:
    c = u.config
    rows = []
    for s in u.scopes:
        kind = "scope"
        if c is not None:
            kind += " · " + ("required" if s in c.scopes.required else "conditional" if s in c.scopes.conditional
                             else "optional in config" if s in c.scopes.optional else "not in config")
        rows.append((kind, s))
    for s in u.optional_scopes:
        kind = "optional_scope"
        if c is not None and s not in c.scopes.optional:
            kind += " · " + ("required in config" if s in c.scopes.required else "conditional in config"
                             if s in c.scopes.conditional else "not in config")
        rows.append((kind, s))
    return rows


def inspected_text(u: "InspectedUrl") -> str:
    lines = ["InspectedUrl(%s%s)" % ("ok" if u.ok else "errors", ", checked against %r" % u.config.name if u.config else "")]
    lines.append("  host: %s%s" % (u.host, " (hublet %s)" % u.hublet if u.hublet else ""))
    if u.account_id:
        lines.append("  account_id: " + u.account_id)
    lines.append("  client_id: " + u.client_id)
    lines.append("  redirect_uri: " + u.redirect_uri)
    lines.append("  scopes: " + _list_text(u.scopes))
    lines.append("  optional_scopes: " + _list_text(u.optional_scopes))
    lines.append("  state: " + ("(none)" if u.state is None else u.state))
    if u.extra_params:
        lines.append("  extra_params: " + ", ".join("%s=%s" % p for p in u.extra_params))
    if u.diagnostics:
        lines.append("  diagnostics: " + counts_text(u.diagnostics))
        lines += diagnostics_text(u.diagnostics, "    ")
    return "\n".join(lines)


def inspected_html(u: "InspectedUrl") -> str:
    verdict = badge("ok", "#2e7d32") if u.ok else badge("errors", SEVERITY_COLOURS["error"])
    body = "<b>Install URL</b> %s" % verdict
    if u.config is not None:
        body += ' <span class="muted">checked against %s</span>' % e(u.config.name or u.config.file_name or "the app config")
    body += fields_html((("host", u.host), ("hublet", u.hublet), ("account_id", u.account_id), ("client_id", u.client_id),
                         ("redirect_uri", u.redirect_uri), ("state", u.state), ("extra_params", u.extra_params)))
    body += scope_table(_inspected_rows(u))
    body += "<b>Diagnostics</b> <span class=\"muted\">(%s)</span>" % counts_text(u.diagnostics) + diagnostics_html(u.diagnostics)
    return wrap(body)


# ---------------------------------------------------------------------------- BuiltUrl, catalogue


def built_url_html(u: "BuiltUrl") -> str:
    body = '<a href="%s" target="_blank" rel="noopener"><code>%s</code></a>' % (e(str(u)), e(str(u)))
    if u.diagnostics:
        body += diagnostics_html(u.diagnostics)
    return wrap(body)


def catalogue_html(scopes: Sequence[Any], limit: Optional[int] = None) -> str:
    shown = list(scopes)[:limit] if limit else list(scopes)
    body = scope_table(("", s.name) for s in shown)
    if limit and len(scopes) > limit:
        body += '<p class="muted">… and %d more; search with hsinstall.scopes.search(text).</p>' % (len(scopes) - limit)
    return wrap(body)
