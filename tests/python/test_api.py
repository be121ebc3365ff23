"""The Python API itself: keywords, types, exceptions, values, Unicode, long inputs, copying."""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import http
import inspect
import json
import pathlib
import pickle
import time
from urllib.parse import parse_qs, urlsplit

import pytest

import hsinstall
from hsinstall import token

from conftest import APP_JSON, CLIENT_ID

REDIRECT = "https://acme.example/oauth/callback"
STATE = "AQIDBAUGBwgJCgsMDQ4PEA"


def build(**kw):
    args = dict(client_id=CLIENT_ID, redirect_uri=REDIRECT, scopes=["oauth", "crm.objects.contacts.read"], state=STATE)
    args.update(kw)
    return hsinstall.install_url(**args)


# ---------------------------------------------------------------------------- install_url


class TestInstallUrl:
    def test_returns_a_str_with_diagnostics(self):
        url = build(optional_scopes=["crm.objects.deals.read"])
        assert type(url) is hsinstall.BuiltUrl and isinstance(url, str)
        assert url == ("https://app.hubspot.com/oauth/authorize?client_id=0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
                       "&redirect_uri=https%3A%2F%2Facme.example%2Foauth%2Fcallback&scope=oauth%20crm.objects.contacts.read"
                       "&optional_scope=crm.objects.deals.read&state=AQIDBAUGBwgJCgsMDQ4PEA")
        assert url.diagnostics == ()

    def test_warnings_ride_along(self):
        url = build(state=None)
        assert [d.code for d in url.diagnostics] == ["install_url.missing_state"]
        assert url.diagnostics[0].severity == "warning"

    def test_keyword_only(self):
        with pytest.raises(TypeError, match="positional"):
            hsinstall.install_url(CLIENT_ID, REDIRECT)  # type: ignore[misc]
        with pytest.raises(TypeError, match="unexpected keyword argument 'scope'"):
            hsinstall.install_url(client_id=CLIENT_ID, scope=["oauth"])  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="missing required keyword argument: 'client_id'"):
            hsinstall.install_url(redirect_uri=REDIRECT)  # type: ignore[call-arg]

    def test_signature_is_introspectable(self):
        sig = inspect.signature(hsinstall.install_url)
        assert list(sig.parameters) == ["client_id", "redirect_uri", "scopes", "optional_scopes", "state", "host",
                                        "account_id", "config", "with_scopes"]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
        assert list(inspect.signature(hsinstall.parse_callback).parameters) == ["url", "expected_state", "max_value_bytes",
                                                                                "extra_return_origins"]

    @pytest.mark.parametrize("field", ["scopes", "optional_scopes"])
    def test_a_string_of_scopes_is_never_split_into_letters(self, field):
        with pytest.raises(TypeError) as e:
            build(**{field: "oauth crm.objects.contacts.read"})
        message = str(e.value)
        assert field in message and "letters" in message and ".split()" in message

    def test_one_scope_as_a_string_is_refused_too(self):
        with pytest.raises(TypeError, match=r"scopes=\['oauth'\]"):
            build(scopes="oauth")
        with pytest.raises(TypeError):
            build(scopes=b"oauth")

    def test_a_scope_entry_with_a_space_is_the_cores_business(self):
        with pytest.raises(hsinstall.InstallUrlError) as e:
            build(scopes=["oauth crm.objects.contacts.read"])
        assert e.value.code == "scope.malformed"

    def test_any_iterable_of_str(self):
        expected = build()
        assert build(scopes=("oauth", "crm.objects.contacts.read")) == expected
        assert build(scopes=(s for s in ["oauth", "crm.objects.contacts.read"])) == expected
        assert build(scopes=dict.fromkeys(["oauth", "crm.objects.contacts.read"])) == expected

    def test_items_must_be_str(self):
        with pytest.raises(TypeError, match=r"scopes\[1\] must be str, not int"):
            build(scopes=["oauth", 7])
        with pytest.raises(TypeError, match="client_id must be str"):
            build(client_id=12)
        with pytest.raises(TypeError, match="takes a list of str, not int"):
            build(scopes=5)

    def test_host_and_account(self):
        url = build(host="eu1", account_id=123456)
        assert url.startswith("https://app-eu1.hubspot.com/oauth/123456/authorize?")
        assert build(host="eu1", account_id="123456") == url

    def test_from_config(self, app):
        url = hsinstall.install_url(config=app, client_id=CLIENT_ID, state=STATE, with_scopes=["e-commerce"])
        fields = url.inspect(app)
        assert fields.ok, fields.diagnostics
        assert fields.scopes == ("oauth", "crm.objects.contacts.read", "e-commerce")
        assert fields.optional_scopes == ("crm.objects.deals.read",)
        assert fields.redirect_uri == app.redirect_urls[0]
        assert app.install_url(client_id=CLIENT_ID, state=STATE, with_scopes=["e-commerce"]) == url

    def test_config_and_explicit_scopes_do_not_mix(self, app):
        with pytest.raises(TypeError, match="with_scopes"):
            hsinstall.install_url(config=app, client_id=CLIENT_ID, scopes=["oauth"])
        with pytest.raises(TypeError, match="config="):
            build(with_scopes=["e-commerce"])
        with pytest.raises(TypeError, match="hsinstall.AppConfig"):
            hsinstall.install_url(config={"name": "x"}, client_id=CLIENT_ID)

    def test_errors_raise_install_url_error(self):
        with pytest.raises(hsinstall.InstallUrlError) as e:
            build(redirect_uri="http://acme.example/cb", scopes=["oauth", "crm.objects.contact.read"])
        err = e.value
        assert isinstance(err, ValueError) and isinstance(err, hsinstall.HsInstallError)
        assert {"redirect.insecure", "scope.unknown"} <= set(err.codes)
        assert all(isinstance(d, hsinstall.Diagnostic) for d in err.diagnostics)
        assert "crm.objects.contacts.read" in str(err)  # the hint's suggestion
        again = pickle.loads(pickle.dumps(err))
        assert type(again) is hsinstall.InstallUrlError and again.diagnostics == err.diagnostics

    def test_builtin_url_is_immutable_and_copies(self):
        url = build(state=None)
        with pytest.raises(AttributeError):
            url.diagnostics = ()  # type: ignore[misc]
        for other in (pickle.loads(pickle.dumps(url)), copy.copy(url), copy.deepcopy(url)):
            assert other == url and type(other) is hsinstall.BuiltUrl and other.diagnostics == url.diagnostics

    def test_round_trip_and_urllib_agree(self):
        # DESIGN.md: every URL the core builds parses back to the same fields, and the same in urllib.parse.
        redirect = "https://acme.example/cb?x=1&y=%C3%A9%20%C3%BC"
        url = build(optional_scopes=["crm.objects.deals.read"], redirect_uri=redirect)
        fields = hsinstall.inspect_url(url)
        assert fields.redirect_uri == redirect
        q = parse_qs(urlsplit(url).query)
        assert q["redirect_uri"] == [fields.redirect_uri]
        assert q["scope"][0].split(" ") == list(fields.scopes)
        assert q["optional_scope"][0].split(" ") == list(fields.optional_scopes)
        assert q["state"] == [STATE] and q["client_id"] == [CLIENT_ID]


# ---------------------------------------------------------------------------- inspect / parse


class TestInspect:
    def test_never_raises(self):
        r = hsinstall.inspect_url("https://evil.example/oauth/authorize?client_id=1&client_id=2")
        assert not r.ok and r.errors
        assert r.url == "https://evil.example/oauth/authorize?client_id=1&client_id=2"

    def test_against_config(self, app):
        url = build(scopes=["oauth", "crm.objects.deals.write"])
        r = hsinstall.inspect_url(url, app)
        assert r.config is app
        codes = {d.code for d in r.diagnostics}
        assert {"install_url.missing_required_scope", "install_url.undeclared_scope", "redirect.unregistered"} <= codes or \
            {"install_url.missing_required_scope", "install_url.undeclared_scope"} <= codes
        assert r.check(app) == hsinstall.check_install_url(url, app)
        assert isinstance(r.check(app), list)

    def test_parse_install_url_raises(self):
        with pytest.raises(hsinstall.InstallUrlError):
            hsinstall.parse_install_url("https://app.hubspot.com/oauth/authorize?scope=oauth")
        ok = hsinstall.parse_install_url(build())
        assert ok.client_id == CLIENT_ID and ok.state == STATE and ok.account_id is None

    def test_absent_fields_are_none(self):
        r = hsinstall.inspect_url(build(state=None))
        assert r.state is None and r.account_id is None
        assert r.to_dict()["state"] is None

    def test_extra_params_are_pairs(self):
        r = hsinstall.inspect_url(build() + "&foo=1&bar=2")
        assert r.extra_params == (("foo", "1"), ("bar", "2"))
        assert r.to_dict()["extra_params"] == {"foo": "1", "bar": "2"}

    def test_install_host(self):
        assert hsinstall.install_host("eu1") == "app-eu1.hubspot.com"
        assert hsinstall.install_host("") == "app.hubspot.com"
        assert hsinstall.install_host("evil.example") is None


# ---------------------------------------------------------------------------- callback


class TestCallback:
    URL = "https://acme.example/oauth/callback?code=na1-1a2b-3c4d&state=" + STATE

    def test_success(self):
        cb = hsinstall.parse_callback(self.URL, expected_state=STATE)
        assert (cb.kind, cb.code, cb.state, cb.state_verified) == ("success", "na1-1a2b-3c4d", STATE, True)
        assert cb.diagnostics == ()
        assert hsinstall.parse_callback("?code=na1-1a2b-3c4d&state=" + STATE, expected_state=STATE) == cb
        assert hsinstall.parse_callback(url=self.URL, expected_state=STATE) == cb

    def test_expected_state_is_required(self):
        with pytest.raises(TypeError, match="expected_state"):
            hsinstall.parse_callback(self.URL)  # type: ignore[call-arg]

    def test_none_skips_the_check_with_a_warning(self):
        cb = hsinstall.parse_callback(self.URL, expected_state=None)
        assert not cb.state_verified
        assert [d.code for d in cb.diagnostics] == ["callback.state_unchecked"]

    def test_an_empty_expected_state_is_refused(self):
        with pytest.raises(ValueError, match="expected_state is empty"):
            hsinstall.parse_callback(self.URL, expected_state="")

    def test_mismatch(self):
        with pytest.raises(hsinstall.CallbackError) as e:
            hsinstall.parse_callback(self.URL, expected_state="x" * 22)
        assert e.value.code == "callback.state_mismatch"
        assert isinstance(e.value, ValueError)

    def test_hubspot_error_after_state(self):
        url = "https://acme.example/cb?error=access_denied&error_description=The%20user%20declined&state=s1"
        with pytest.raises(hsinstall.CallbackError) as e:
            hsinstall.parse_callback(url, expected_state="s1")
        assert e.value.code == "callback.access_denied"
        assert "The user declined" in str(e.value)

    def test_max_value_bytes(self):
        with pytest.raises(hsinstall.CallbackError) as e:
            hsinstall.parse_callback(self.URL, expected_state=STATE, max_value_bytes=5)
        assert "callback.oversize" in e.value.codes
        with pytest.raises(ValueError):
            hsinstall.parse_callback(self.URL, expected_state=STATE, max_value_bytes=-1)

    def test_marketplace_return_url(self):
        ok = hsinstall.parse_callback("step=authorize&returnUrl=https%3A%2F%2Fapp.hubspot.com%2Fx", expected_state=None)
        assert ok.kind == "marketplace_authorize" and ok.return_url == "https://app.hubspot.com/x"
        sandbox = "step=authorize&returnUrl=http%3A%2F%2F127.0.0.1%3A8025%2Fconsent"
        with pytest.raises(hsinstall.CallbackError) as e:
            hsinstall.parse_callback(sandbox, expected_state=None)
        assert e.value.code == "callback.bad_return_url"
        cb = hsinstall.parse_callback(sandbox, expected_state=None, extra_return_origins=["http://127.0.0.1:8025"])
        assert cb.return_url == "http://127.0.0.1:8025/consent"
        # options do not leak from one call to the next (the module reuses them per thread)
        with pytest.raises(hsinstall.CallbackError):
            hsinstall.parse_callback(sandbox, expected_state=None)
        with pytest.raises(TypeError, match="letters"):
            hsinstall.parse_callback(sandbox, expected_state=None, extra_return_origins="http://127.0.0.1:8025")

    def test_frozen_copyable_hashable(self):
        cb = hsinstall.parse_callback(self.URL, expected_state=STATE)
        with pytest.raises(dataclasses.FrozenInstanceError):
            cb.code = "x"  # type: ignore[misc]
        with pytest.raises((AttributeError, TypeError)):
            cb.extra = 1  # type: ignore[attr-defined]
        assert pickle.loads(pickle.dumps(cb)) == cb
        assert copy.deepcopy(cb) == cb and copy.copy(cb) == cb
        assert hash(cb) == hash(copy.deepcopy(cb))
        assert dataclasses.replace(cb, code="other").code == "other"
        assert dataclasses.asdict(cb)["code"] == cb.code

    def test_constant_time_equal(self):
        assert hsinstall.constant_time_equal("abc", "abc")
        assert not hsinstall.constant_time_equal("abc", "abd")
        assert hsinstall.constant_time_equal(b"abc", "abc")


# ---------------------------------------------------------------------------- app config and lint


class TestAppConfig:
    def test_load_str_and_path(self, official):
        p = official / "oauth-marketplace-app-hsmeta.json"
        a = hsinstall.AppConfig.load(p)
        b = hsinstall.AppConfig.load(str(p))
        assert a == b and a.name == "Sample marketplace app" and a.format == "hsmeta"
        assert a.file_name == str(p)
        assert a.scopes.required == ("oauth", "crm.objects.contacts.read", "crm.objects.contacts.write")
        assert a.support.email == "support@example.com"
        assert a.permitted_urls.fetch == ("https://api.hubapi.com",)

    def test_from_json_str_and_bytes(self):
        a = hsinstall.AppConfig.from_json(APP_JSON, file_name="app-hsmeta.json")
        assert hsinstall.AppConfig.from_json(APP_JSON.encode(), file_name="app-hsmeta.json") == a
        assert a.distribution == "marketplace" and a.auth_type == "oauth"

    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            hsinstall.AppConfig.load(tmp_path / "nope-hsmeta.json")

    def test_config_error(self):
        with pytest.raises(hsinstall.ConfigError) as e:
            hsinstall.AppConfig.from_json('{"uid": "x", "type": "app", "config": {', file_name="app-hsmeta.json")
        assert e.value.code == "config.malformed_json"
        assert e.value.diagnostics[0].where.startswith("line ")

    def test_frozen_and_copyable(self, app):
        with pytest.raises(dataclasses.FrozenInstanceError):
            app.name = "x"  # type: ignore[misc]
        assert pickle.loads(pickle.dumps(app)) == app
        assert copy.deepcopy(app) == app
        assert hash(app) == hash(copy.deepcopy(app))
        json.dumps(app.to_dict())

    def test_constructed_by_hand(self):
        cfg = hsinstall.AppConfig(name="Hand made", redirect_urls=["https://acme.example/cb"],
                                  scopes=hsinstall.ScopeConfig(required=["oauth"], optional=["crm.objects.deals.read"]))
        assert cfg.redirect_urls == ("https://acme.example/cb",)
        url = hsinstall.install_url(config=cfg, client_id=CLIENT_ID, state=STATE)
        assert "optional_scope=crm.objects.deals.read" in url
        with pytest.raises(TypeError, match="letters"):
            hsinstall.ScopeConfig(required="oauth")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="distribution"):
            hsinstall.install_url(config=dataclasses.replace(cfg, distribution="public"), client_id=CLIENT_ID)

    def test_to_dict_is_the_json_shape(self, app):
        d = app.to_dict()
        assert set(d) == {"format", "uid", "name", "description", "distribution", "auth_type", "redirect_urls", "scopes",
                          "permitted_urls", "support"}
        assert d["scopes"] == {"required": ["oauth", "crm.objects.contacts.read"], "conditional": ["e-commerce"],
                               "optional": ["crm.objects.deals.read"]}


class TestLint:
    def test_every_official_template_is_clean(self, official):
        files = sorted(official.glob("*.json"))
        assert len(files) >= 10
        for f in files:
            r = hsinstall.lint(f)
            assert r.ok and r.errors == 0 and r.warnings == 0, str(r)
            assert r.format in ("hsmeta", "public_app") and r.config is not None

    def test_path_text_and_bytes(self, official, tmp_path):
        p = official / "getting-started-public-app.json"
        by_path, by_str = hsinstall.lint(p), hsinstall.lint(str(p))
        by_text = hsinstall.lint(p.read_text(), file_name="public-app.json")
        by_bytes = hsinstall.lint(p.read_bytes(), file_name="public-app.json")
        assert by_path.diagnostics == by_str.diagnostics == by_text.diagnostics == by_bytes.diagnostics
        assert by_path.file_name == str(p) and by_text.file_name == "public-app.json"
        with pytest.raises(FileNotFoundError):
            hsinstall.lint(tmp_path / "missing.json")
        with pytest.raises(TypeError):
            hsinstall.lint(42)  # type: ignore[arg-type]

    def test_bad_config(self):
        text = APP_JSON.replace('"redirectUrls": ["https://acme.example/oauth/callback"]',
                                '"redirectUrls": ["http://acme.example/cb"]').replace('"name"', '"nmae"', 1)
        r = hsinstall.lint(text, file_name="app-hsmeta.json")
        assert not r and not r.ok and r.config is None and r.format is None
        assert "redirect.insecure" in {d.code for d in r.diagnostics}
        assert r.to_dict() == {"file": "app-hsmeta.json", "ok": False, "format": None,
                               "diagnostics": [d.to_dict() for d in r.diagnostics]}
        assert "FAILED" in repr(r)


# ---------------------------------------------------------------------------- scopes


class TestScopes:
    def test_iteration_and_lookup(self):
        all_scopes = list(hsinstall.scopes)
        assert len(all_scopes) == len(hsinstall.scopes) > 100
        assert all(isinstance(s, hsinstall.ScopeInfo) for s in all_scopes)
        assert [s.name for s in all_scopes] == sorted(s.name for s in all_scopes)
        assert "crm.objects.contacts.read" in hsinstall.scopes
        assert "crm.objects.contact.read" not in hsinstall.scopes
        assert 42 not in hsinstall.scopes
        s = hsinstall.scopes["crm.objects.contacts.read"]
        assert s.status == "current" and s.description
        assert hsinstall.scopes.get("crm.objects.contacts.read") is s  # one cached object per scope
        assert hsinstall.scopes.get("nope") is None
        assert s in hsinstall.scopes

    def test_unknown_name_suggests(self):
        with pytest.raises(KeyError, match="crm.objects.contacts.read"):
            hsinstall.scopes["crm.objects.contact.read"]

    def test_search_suggest_canonical(self):
        hits = hsinstall.scopes.search("deals write")
        assert "crm.objects.deals.write" in [h.name for h in hits]
        assert hsinstall.scopes.suggest("crm.objects.contact.read")[0] == "crm.objects.contacts.read"
        assert len(hsinstall.scopes.suggest("crm.objects.contact.read", max=1)) <= 1
        assert hsinstall.scopes.canonical("crm.objects.contacts.read") == "crm.objects.contacts.read"
        removed = hsinstall.scopes["contacts"]
        assert removed.status == "removed" and removed.replacements

    def test_validate_returns_a_list(self):
        ds = hsinstall.scopes.validate(required=["oauth", "oauth"], optional=["crm.objects.contact.read"])
        assert isinstance(ds, list)
        assert {"scope.duplicate", "scope.unknown"} <= {d.code for d in ds}
        assert hsinstall.scopes.validate(required=["oauth"]) == []
        assert [d.code for d in hsinstall.scopes.check("contacts")] == ["scope.removed"]
        with pytest.raises(TypeError, match="letters"):
            hsinstall.scopes.validate(required="oauth")

    def test_reprs(self):
        assert "scopes" in repr(hsinstall.scopes)
        assert "<table>" in hsinstall.scopes._repr_html_()
        assert "deals" in hsinstall.scopes.table("deals write")._repr_html_()


# ---------------------------------------------------------------------------- redirect


def test_validate_redirect_uri():
    assert hsinstall.validate_redirect_uri("https://acme.example/cb") == []
    assert [d.code for d in hsinstall.validate_redirect_uri("http://acme.example/cb")] == ["redirect.insecure"]
    ds = hsinstall.validate_redirect_uri("https://acme.example/cb", registered=["https://acme.example/cb/"])
    assert [d.code for d in ds] == ["redirect.unregistered"]


# ---------------------------------------------------------------------------- state


class TestState:
    def test_new_state(self):
        a, b = hsinstall.new_state(), hsinstall.new_state()
        assert a != b and len(a) == 22 and "." not in a
        assert len(hsinstall.new_state(nbytes=32)) == 43
        t = hsinstall.state.decode(a)
        assert len(t.nonce) == 16 and t.expires_at is None and not t.signed
        assert hsinstall.state.verify(a) == []

    def test_expiry(self):
        s = hsinstall.new_state(expires_in=600)
        t = hsinstall.state.decode(s)
        assert abs(t.expires_at - (time.time() + 600)) < 5
        assert hsinstall.state.verify(s) == []
        assert [d.code for d in hsinstall.state.verify(s, now=time.time() + 3600)] == ["state.expired"]
        assert hsinstall.new_state(expires_at=2000000000).endswith(".2000000000")
        with pytest.raises(TypeError):
            hsinstall.new_state(expires_in=1, expires_at=2)

    def test_signed_round_trip(self):
        key = b"k" * 32
        s = hsinstall.new_state(expires_in=600)
        mac = hmac.new(key, hsinstall.state.decode(s).signed_part.encode(), hashlib.sha256).digest()
        signed = hsinstall.state.sign(s, mac)
        token_ = hsinstall.state.decode(signed)
        assert token_.signed and token_.mac == mac
        good = hmac.new(key, token_.signed_part.encode(), hashlib.sha256).digest()
        assert hsinstall.state.verify(signed, expected_mac=good) == []
        bad = hsinstall.state.verify(signed, expected_mac=hmac.new(b"x" * 32, b"y", hashlib.sha256).digest())
        assert bad and bad[0].severity == "error"

    def test_signed_with_a_key(self):
        key = b"0123456789abcdef0123456789abcdef"
        s = hsinstall.new_state(nbytes=32, expires_in=600, key=key)
        t = hsinstall.state.decode(s)
        assert t.signed and t.mac == hmac.new(key, t.signed_part.encode(), hashlib.sha256).digest()
        assert hsinstall.state.verify(s, key=key) == []
        assert hsinstall.state.verify(t, key=key) == []
        assert [d.severity for d in hsinstall.state.verify(s, key=b"another key of 32 bytes........")] == ["error"]
        forged = s[:-3] + ("AAA" if not s.endswith("AAA") else "BBB")
        assert hsinstall.state.verify(forged, key=key)
        with pytest.raises(TypeError, match="expiry"):
            hsinstall.new_state(key=key)
        with pytest.raises(TypeError, match="bytes"):
            hsinstall.new_state(expires_in=60, key="text key")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hsinstall.state.verify(s, key=key, expected_mac=b"x" * 32)

    def test_errors(self):
        with pytest.raises(hsinstall.StateError) as e:
            hsinstall.state.encode(b"short")
        assert e.value.code == "state.too_short"
        with pytest.raises(hsinstall.StateError):
            hsinstall.new_state(nbytes=65)
        with pytest.raises(TypeError, match="bytes"):
            hsinstall.state.encode("x" * 16)  # type: ignore[arg-type]
        with pytest.raises(hsinstall.StateError):
            hsinstall.state.decode("not a state!")
        with pytest.raises(TypeError):
            hsinstall.state.encode(b"x" * 16, expires_at=True)  # type: ignore[arg-type]
        assert hsinstall.state.encode(bytearray(16)) == hsinstall.state.encode(memoryview(bytes(16)))


# ---------------------------------------------------------------------------- token


class TestToken:
    def test_code_request(self):
        r = token.code_request(client_id=CLIENT_ID, client_secret="s3cr3t-value", redirect_uri=REDIRECT, code="na1-abc")
        assert r.method == "POST" and r.url == "https://api.hubapi.com/oauth/v3/token"
        assert "client_secret=s3cr3t-value" in r.body and "s3cr3t" not in r.url
        assert "s3cr3t" not in repr(r)
        assert dict(r.headers)["Content-Type"].startswith("application/x-www-form-urlencoded")
        assert r.to_dict()["headers"] == dict(r.headers)
        v1 = token.code_request(client_id=CLIENT_ID, client_secret="s", redirect_uri=REDIRECT, code="c", api="v1")
        assert "/oauth/v1/token" in v1.url
        with pytest.raises(ValueError, match="'v3', '2026-03', 'v1'"):
            token.code_request(client_id=CLIENT_ID, client_secret="s", redirect_uri=REDIRECT, code="c", api="v2")
        with pytest.raises(TypeError):
            token.code_request(CLIENT_ID, "s", REDIRECT, "c")  # type: ignore[misc]

    def test_request_errors(self):
        with pytest.raises(hsinstall.TokenRequestError) as e:
            token.code_request(client_id=CLIENT_ID, client_secret="s", redirect_uri=REDIRECT, code="c",
                               api_base="http://api.example.com")
        assert isinstance(e.value, ValueError) and e.value.diagnostics

    def test_other_requests(self):
        assert "grant_type=refresh_token" in token.refresh_request(client_id="a", client_secret="b", refresh_token="r").body
        assert token.introspection_request(client_id="a", client_secret="b", token="t").method == "POST"
        assert token.revoke_request(client_id="a", client_secret="b", token="t").url

    def test_parse_response(self):
        body = json.dumps({"access_token": "CJSP5qf1KhICAQEYs", "refresh_token": "6f18f21e-a743-4d3a", "expires_in": 1800,
                           "token_type": "bearer", "hub_id": 123})
        ok = token.parse_response(http.HTTPStatus.OK, body.encode())
        assert ok.ok and ok.tokens.expires_in == 1800 and ok.tokens.hub_id == 123 and ok.error is None
        assert ok.raise_for_error() is ok.tokens
        assert "CJSP5qf1KhICAQEYs" not in repr(ok)
        bad = token.parse_response(429, '{"status":"error","message":"You have reached your secondly limit.","category":"RATE_LIMITS"}')
        assert not bad.ok and bad.error.code == "token.rate_limited" and bad.error.retryable
        with pytest.raises(hsinstall.TokenResponseError) as e:
            bad.raise_for_error()
        assert e.value.retryable and e.value.http_status == 429
        again = pickle.loads(pickle.dumps(e.value))
        assert again.error == bad.error and again.diagnostics == e.value.diagnostics
        with pytest.raises(TypeError):
            token.parse_response("200", body)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            token.parse_response(-1, body)

    def test_introspection_and_compare(self, app):
        r = token.parse_introspection(200, json.dumps({"active": True, "hub_id": 7, "scopes": ["oauth"], "client_id": "c"}))
        assert r.ok and r.introspection.active and r.introspection.hub_id == 7
        cmp_ = token.compare_scopes(["oauth", "crm.objects.contacts.read", "crm.objects.deals.read"], app,
                                    requested_conditional=["e-commerce"])
        assert cmp_.missing_conditional == ("e-commerce",) and not cmp_.ok
        assert cmp_.granted_optional == ("crm.objects.deals.read",)
        with pytest.raises(TypeError):
            token.compare_scopes(["oauth"], app, required=["oauth"])


# ---------------------------------------------------------------------------- Unicode and odd text


class TestUnicode:
    def test_non_ascii_state_is_percent_encoded_and_comes_back(self):
        url = build(state="état-🙂-" + "x" * 16)
        assert url.isascii()
        assert hsinstall.inspect_url(url).state == "état-🙂-" + "x" * 16

    def test_a_raw_non_ascii_redirect_is_the_cores_business(self):
        with pytest.raises(hsinstall.InstallUrlError) as e:
            build(redirect_uri="https://acme.example/回调")
        assert e.value.code == "url.invalid_character"

    def test_callback_decodes_utf8(self):
        cb = hsinstall.parse_callback("code=na1-abc&state=%C3%A9t%C3%A9%F0%9F%99%82", expected_state="été🙂")
        assert cb.state == "été🙂" and cb.state_verified
        with pytest.raises(hsinstall.CallbackError) as e:
            hsinstall.parse_callback("code=%E2%9C%93abc&state=s", expected_state="s")
        assert e.value.code == "callback.invalid_code"

    def test_bytes_that_are_not_utf8(self):
        with pytest.raises(hsinstall.CallbackError) as e:
            hsinstall.parse_callback("code=%FFabc&state=s", expected_state="s")
        assert "url.invalid_utf8" in e.value.codes
        r = hsinstall.inspect_url("https://app.hubspot.com/oauth/authorize?client_id=%FF&scope=oauth")
        assert "url.invalid_utf8" in {d.code for d in r.diagnostics}
        # A surrogate escape (how Python spells a byte that is not UTF-8) goes in as that byte,
        # which the core then reports, instead of failing to encode.
        with pytest.raises(hsinstall.InstallUrlError) as e:
            build(client_id="abc\udcffdef")
        assert e.value.diagnostics[0].where == "client_id"

    def test_lone_surrogates_are_a_value_error(self):
        with pytest.raises(ValueError):
            build(state="\ud800")

    def test_nul_and_controls_are_diagnosed_not_crashed(self):
        with pytest.raises(hsinstall.InstallUrlError):
            build(client_id="abc\x00def")
        with pytest.raises(hsinstall.CallbackError):
            hsinstall.parse_callback("code=a%00b&state=s", expected_state="s")

    def test_unicode_config(self):
        text = APP_JSON.replace("Acme CRM sync", "Äcme 同期 🙂")
        a = hsinstall.AppConfig.from_json(text, file_name="app-hsmeta.json")
        assert a.name == "Äcme 同期 🙂"
        assert hsinstall.AppConfig.from_json(text.encode("utf-8"), file_name="app-hsmeta.json") == a
        with pytest.raises(hsinstall.ConfigError):
            hsinstall.AppConfig.from_json(text.encode("utf-16"), file_name="app-hsmeta.json")


# ---------------------------------------------------------------------------- very long inputs


class TestLongInputs:
    def test_oversize_callback(self):
        url = "https://acme.example/cb?code=" + "a" * 20000 + "&state=s"
        with pytest.raises(hsinstall.CallbackError) as e:
            hsinstall.parse_callback(url, expected_state="s")
        assert "callback.oversize" in e.value.codes

    def test_oversize_config(self):
        text = APP_JSON.replace("Keeps Acme", "x" * (1 << 20))
        with pytest.raises(hsinstall.ConfigError) as e:
            hsinstall.AppConfig.from_json(text, file_name="app-hsmeta.json")
        assert e.value.code == "config.too_large"
        assert not hsinstall.lint(text, file_name="app-hsmeta.json").ok

    def test_long_url_warns(self):
        url = build(state="s" * 2500)
        assert "install_url.too_long" in {d.code for d in url.diagnostics}
        assert hsinstall.inspect_url(url).state == "s" * 2500

    def test_many_scopes(self):
        with pytest.raises(hsinstall.InstallUrlError):
            build(scopes=["oauth"] + ["nope.%d" % i for i in range(5000)])
        with pytest.raises(hsinstall.InstallUrlError) as e:  # past 500 names: scope.too_many, checked in linear time
            build(scopes=["crm.objects.contacts.read"] * 50000)
        assert "scope.too_many" in {d.code for d in e.value.diagnostics}
        url = build(scopes=["crm.objects.contacts.read"] * 400)  # duplicates warn
        assert "scope.duplicate" in {d.code for d in url.diagnostics}
        assert "scope.too_many" in {d.code for d in hsinstall.scopes.validate(required=["oauth"] * 50000)}

    def test_huge_inspect(self):
        r = hsinstall.inspect_url("https://app.hubspot.com/oauth/authorize?" + "&".join("p%d=%d" % (i, i) for i in range(20000)))
        assert r.diagnostics


# ---------------------------------------------------------------------------- values in general


def test_every_public_name_exists():
    for name in hsinstall.__all__:
        assert hasattr(hsinstall, name), name


def test_public_classes_pickle_by_public_name(app):
    assert type(app).__module__ == "hsinstall"
    assert hsinstall.CallbackError.__module__ == "hsinstall"
    assert b"hsinstall._types" not in pickle.dumps(app)


def test_diagnostic_str_is_the_cli_line():
    d = hsinstall.Diagnostic("scope.unknown", "error", "scopes[1]", "The scope is unknown.", "Did you mean x?")
    assert str(d) == "scopes[1]: error[scope.unknown]: The scope is unknown.\n    hint: Did you mean x?"
    assert d.is_error and d.to_dict()["where"] == "scopes[1]"


def test_version():
    assert hsinstall.__version__.count(".") == 2


# ---------------------------------------------------------------------------- notebook display


class TestDisplay:
    def test_app_config_table(self, app):
        html = app._repr_html_()
        assert "<table>" in html and "Acme CRM sync" in html
        for kind in ("required", "conditional", "optional"):
            assert ">%s<" % kind in html
        assert "View contact records" in html  # the catalogue's description
        text = repr(app)
        assert text.startswith("AppConfig('Acme CRM sync'") and "conditional scopes: e-commerce" in text

    def test_sensitivity_and_severity_colours(self):
        cfg = hsinstall.AppConfig(name="S", redirect_urls=["https://acme.example/cb"], distribution="marketplace",
                                  scopes=hsinstall.ScopeConfig(required=["oauth"], optional=["crm.objects.contacts.sensitive.read"]))
        assert "sensitive" in cfg._repr_html_()
        report = hsinstall.lint(APP_JSON.replace('["oauth",', '["oauth", "crm.objects.contact.read", "contacts",'),
                                file_name="app-hsmeta.json")
        html = report._repr_html_()
        assert "FAILED" in html and "#c62828" in html and "hint:" in html and "scope.unknown" in html

    def test_everything_is_escaped(self):
        evil = "<script>alert(1)</script>"
        cfg = hsinstall.AppConfig(name=evil, redirect_urls=["https://acme.example/cb"],
                                  scopes=hsinstall.ScopeConfig(required=["oauth", evil]),
                                  diagnostics=(hsinstall.Diagnostic("x.y", "warning", evil, evil, evil),))
        html = cfg._repr_html_()
        assert evil not in html and "&lt;script&gt;" in html
        r = hsinstall.inspect_url("https://app.hubspot.com/oauth/authorize?client_id=%3Cscript%3E&scope=oauth&x=%3Cscript%3E")
        assert "<script>" not in r._repr_html_()
        url = build(state=None)
        assert url._repr_html_().startswith('<div class="hsinstall">') and "install_url.missing_state" in url._repr_html_()

    def test_inspected_url_by_kind(self, app):
        r = hsinstall.inspect_url(build(scopes=["oauth", "crm.objects.deals.write"], optional_scopes=["crm.objects.deals.read"]), app)
        html = r._repr_html_()
        assert "not in config" in html and "optional_scope" in html and "install_url.missing_required_scope" in html
        assert "InspectedUrl(errors" in repr(r)
