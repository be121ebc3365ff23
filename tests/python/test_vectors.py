"""Every shared vector under tests/vectors/ (and the adversarial corpus under
tests/adversarial/, same format) through the Python API.

The same files drive the Catch2 suite (tests/core/vectors_test.cpp); this is its Python twin.
Each op maps to the public call a Python user would make (not to hsinstall._core), the
result goes through ``to_dict()`` (the JSON shapes of hsinstall/json.hpp, built from the
attributes) and is compared the way the C++ driver compares: the exact multiset of codes,
partial matches of diagnostics, a partial match of the value (null: the call failed).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

import hsinstall
from hsinstall import token

TESTS = Path(__file__).resolve().parents[1]


def load_cases(folder: str) -> List[Tuple[str, Dict[str, Any]]]:
    cases = []
    for f in sorted((TESTS / folder).glob("*.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        for i, case in enumerate(doc["cases"]):
            cases.append(("%s/%s:%d:%s" % (folder, f.name, i, case["name"]), case))
    return cases


VECTORS = load_cases("vectors")
ADVERSARIAL = load_cases("adversarial")
CASES = VECTORS + ADVERSARIAL


def config_text(spec: Dict[str, Any]) -> str:
    if "text" in spec:
        return spec["text"]
    # nlohmann's dump(): keys sorted (std::map, byte order = code point order), no spaces, UTF-8 kept.
    return json.dumps(spec["json"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def load_config(spec: Dict[str, Any]) -> hsinstall.AppConfig:
    return hsinstall.AppConfig.from_json(config_text(spec), file_name=spec.get("file_name"))


def opt(inp: Dict[str, Any], key: str) -> Optional[str]:
    """A missing or empty field is the core's "absent": None in Python."""
    v = inp.get(key)
    return v if v else None


def run(op: str, inp: Dict[str, Any]) -> Tuple[Any, List[hsinstall.Diagnostic]]:
    """(value as the JSON shape, or None; diagnostics)."""
    if op == "scope.lookup":
        s = hsinstall.scopes.get(inp.get("name", ""))
        return (s.to_dict() if s else None), []
    if op == "scope.suggest":
        return {"suggestions": hsinstall.scopes.suggest(inp.get("name", ""))}, []
    if op == "scope.search":
        return {"names": [s.name for s in hsinstall.scopes.search(inp.get("text", ""))]}, []
    if op == "scope.validate":
        return None, hsinstall.scopes.validate(required=inp.get("required", []), conditional=inp.get("conditional", []),
                                               optional=inp.get("optional", []), marketplace=inp.get("marketplace", False))
    if op == "app_config.parse":
        try:
            cfg = hsinstall.AppConfig.from_json(config_text(inp), file_name=inp.get("file_name"))
        except hsinstall.ConfigError as e:
            return None, list(e.diagnostics)
        return cfg.to_dict(), list(cfg.diagnostics)
    if op == "redirect_uri.validate":
        return None, hsinstall.validate_redirect_uri(inp.get("uri", ""), registered=inp.get("registered"))
    if op in ("install_url.build", "install_url.build_from_config"):
        kw: Dict[str, Any] = dict(client_id=inp.get("client_id", ""), redirect_uri=opt(inp, "redirect_uri"),
                                  state=opt(inp, "state"), host=opt(inp, "host"), account_id=opt(inp, "account_id"))
        if op == "install_url.build":
            kw.update(scopes=inp.get("scopes", []), optional_scopes=inp.get("optional_scopes", []))
        else:
            kw.update(config=load_config(inp["config"]), with_scopes=inp.get("with", []))
        try:
            url = hsinstall.install_url(**kw)
        except hsinstall.InstallUrlError as e:
            return None, list(e.diagnostics)
        assert isinstance(url, str) and isinstance(url, hsinstall.BuiltUrl)
        return {"url": str(url)}, list(url.diagnostics)
    if op == "install_url.inspect":
        cfg = load_config(inp["config"]) if "config" in inp else None
        r = hsinstall.inspect_url(inp.get("url", ""), cfg)
        value = r.to_dict()
        del value["diagnostics"]
        return value, list(r.diagnostics)
    if op == "callback.parse":
        try:
            cb = hsinstall.parse_callback(inp.get("url", ""), expected_state=opt(inp, "expected_state"))
        except hsinstall.CallbackError as e:
            return None, list(e.diagnostics)
        return cb.to_dict(), list(cb.diagnostics)
    if op == "state.encode":
        try:
            s = hsinstall.state.encode(bytes.fromhex(inp.get("random_hex", "")), expires_at=inp.get("expires_at"))
            if "mac_hex" in inp:
                s = hsinstall.state.sign(s, bytes.fromhex(inp["mac_hex"]))
        except hsinstall.StateError as e:
            return None, list(e.diagnostics)
        return {"state": s}, []
    if op == "state.verify":
        try:
            t = hsinstall.state.decode(inp.get("state", ""))
        except hsinstall.StateError as e:
            return None, list(e.diagnostics)
        mac = bytes.fromhex(inp.get("expected_mac_hex", ""))
        ds = hsinstall.state.verify(t, now=inp.get("now", 0), expected_mac=mac or None)
        return t.to_dict(), ds
    if op.startswith("token.") and op.endswith("_request"):
        common = dict(client_id=inp.get("client_id", ""), client_secret=inp.get("client_secret", ""),
                      api=inp.get("api"), api_base=inp.get("api_base"))
        try:
            if op == "token.code_request":
                r = token.code_request(redirect_uri=inp.get("redirect_uri", ""), code=inp.get("code", ""),
                                       code_verifier=opt(inp, "code_verifier"), **common)
            elif op == "token.refresh_request":
                r = token.refresh_request(refresh_token=inp.get("refresh_token", ""), **common)
            elif op == "token.introspection_request":
                r = token.introspection_request(token=inp.get("token", ""), token_type_hint=opt(inp, "token_type_hint"), **common)
            else:
                r = token.revoke_request(token=inp.get("token", ""), token_type_hint=opt(inp, "token_type_hint"), **common)
        except hsinstall.TokenRequestError as e:
            return None, list(e.diagnostics)
        return r.to_dict(), list(r.diagnostics)
    if op == "token.parse_response":
        r = token.parse_response(inp["status"], inp.get("body", ""))
        value = r.to_dict()
        del value["diagnostics"]
        return value, list(r.diagnostics)
    if op == "token.parse_introspection":
        r = token.parse_introspection(inp["status"], inp.get("body", ""))
        value = r.to_dict()
        del value["diagnostics"]
        return value, list(r.diagnostics)
    if op == "grant.compare":
        r = token.compare_scopes(inp.get("granted", []), required=inp.get("required", []),
                                 conditional=inp.get("conditional", []), optional=inp.get("optional", []),
                                 requested_conditional=inp.get("requested_conditional", []))
        value = r.to_dict()
        del value["diagnostics"]
        return value, list(r.diagnostics)
    raise AssertionError("unknown op " + op)


def partial_match(want: Any, got: Any, path: str = "") -> Optional[str]:
    """None when every key of want matches in got (arrays: same length, element by element);
    otherwise the path of the first mismatch."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return path or "/"
        for k, v in want.items():
            if k not in got:
                return path + "/" + k + " (missing)"
            bad = partial_match(v, got[k], path + "/" + k)
            if bad is not None:
                return bad
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return path or "/"
        for i, (w, g) in enumerate(zip(want, got)):
            bad = partial_match(w, g, "%s/%d" % (path, i))
            if bad is not None:
                return bad
        return None
    # JSON equality: true is not 1 (Python's True == 1, nlohmann's true != 1).
    if isinstance(want, bool) or isinstance(got, bool):
        return None if type(want) is type(got) and want == got else (path or "/")
    return None if want == got else (path or "/")


def test_vector_files_are_all_read():
    assert len(VECTORS) >= 600  # as vectors_test.cpp: >= 200; the set holds 600+
    assert len(ADVERSARIAL) >= 300
    ops = {c["op"] for _, c in VECTORS}
    assert len(ops) >= 19


@pytest.mark.parametrize("name,case", CASES, ids=[n for n, _ in CASES])
def test_vector(name: str, case: Dict[str, Any]) -> None:
    value, diagnostics = run(case["op"], case["input"])
    for d in diagnostics:
        assert isinstance(d, hsinstall.Diagnostic)
    got = {"value": value, "diagnostics": [d.to_dict() for d in diagnostics]}
    expect = case["expect"]
    context = "got: " + json.dumps(got, ensure_ascii=False)
    if "codes" in expect:
        assert sorted(d.code for d in diagnostics) == sorted(expect["codes"]), context
    for want in expect.get("diagnostics", []):
        assert any(partial_match(want, d) is None for d in got["diagnostics"]), "wanted %s; %s" % (want, context)
    if "value" in expect:
        bad = partial_match(expect["value"], value)
        assert bad is None, "value mismatch at %s; %s" % (bad, context)


BUILT = [(n, c) for n, c in CASES if c["op"].startswith("install_url.build") and c["expect"].get("value")]


@pytest.mark.parametrize("name,case", BUILT, ids=[n for n, _ in BUILT])
def test_built_urls_parse_the_same_in_urllib(name: str, case: Dict[str, Any]) -> None:
    """DESIGN.md's contract: every URL the core builds parses back to the same fields, and
    parses the same in Python's urllib.parse."""
    from urllib.parse import parse_qs, urlsplit

    value, _ = run(case["op"], case["input"])
    url = value["url"]
    fields = hsinstall.inspect_url(url)
    assert fields.ok, fields.diagnostics
    parts = urlsplit(url)
    q = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in q.values()), q
    assert parts.scheme == "https" and parts.hostname == fields.host
    assert parts.path == ("/oauth/%s/authorize" % fields.account_id if fields.account_id else "/oauth/authorize")
    assert q["client_id"] == [fields.client_id]
    assert q["redirect_uri"] == [fields.redirect_uri]
    assert q["scope"][0].split(" ") == list(fields.scopes)
    assert q.get("optional_scope", [""])[0].split(" ") == (list(fields.optional_scopes) or [""])
    assert q.get("state", [None])[0] == fields.state
    if case["op"] == "install_url.build":
        assert list(fields.scopes) == case["input"].get("scopes", [])
        assert list(fields.optional_scopes) == case["input"].get("optional_scopes", [])
