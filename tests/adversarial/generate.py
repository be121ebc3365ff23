"""Generates the adversarial corpus (tests/adversarial/*.json) in the shared-vector format.
Each case names the diagnostic codes the hostile input must produce; every face runs them.
Deterministic: python3 generate.py writes the same files every time (they are committed)."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
GOOD = "https://good.example/oauth/callback"
GOOD_Q = "https%3A%2F%2Fgood.example%2Foauth%2Fcallback"
STATE = "q8Yc3VnR0dGsm1Xy6fLk2A"
CODE = "na1-1a2b-3c4d-5e6f-7a8b-9c0d1e2f3a4b"


def case(name, op, inp, codes, value=None, diagnostics=None):
    expect = {"codes": sorted(codes)}
    if value is not None or (value is None and "no_value" in name):
        expect["value"] = value
    if diagnostics:
        expect["diagnostics"] = diagnostics
    return {"name": name, "op": op, "input": inp, "expect": expect}


def states():
    out = []
    forged = ["AAAAAAAAAAAAAAAAAAAAAA", "q8Yc3VnR0dGsm1Xy6fLk2B", "x" * 22, STATE + "A", "0", "null", "undefined", "%20", " " + STATE]
    for i, f in enumerate(forged):
        out.append(case(f"forged state #{i}", "callback.parse",
                        {"url": f"https://good.example/oauth/callback?code={CODE}&state={f}", "expected_state": STATE},
                        ["callback.state_mismatch"] if not f.startswith(" ") else ["url.invalid_character"]))
    for n in (1, 5, 10, 21):
        out.append(case(f"truncated state ({n} chars)", "callback.parse",
                        {"url": f"?code={CODE}&state={STATE[:n]}", "expected_state": STATE}, ["callback.state_mismatch"]))
    for variant in (STATE.upper(), STATE.lower(), STATE.swapcase(), STATE[0].lower() + STATE[1:]):
        if variant != STATE:
            out.append(case(f"case-changed state {variant}", "callback.parse",
                            {"url": f"?code={CODE}&state={variant}", "expected_state": STATE}, ["callback.state_mismatch"]))
    # a state replayed into another install: the expected state is the new one
    out.append(case("replayed state from an earlier install", "callback.parse",
                    {"url": f"?code={CODE}&state={STATE}", "expected_state": "Zk3q9yJ0p2mV7sXcWb1RgA"}, ["callback.state_mismatch"]))
    out.append(case("state dropped", "callback.parse", {"url": f"?code={CODE}", "expected_state": STATE}, ["callback.missing_state"]))
    out.append(case("state dropped, error= added", "callback.parse",
                    {"url": "?error=access_denied", "expected_state": STATE}, ["callback.missing_state"]))
    out.append(case("forged state hides HubSpot's error", "callback.parse",
                    {"url": "?error=invalid_scope&error_description=x&state=FORGED", "expected_state": STATE}, ["callback.state_mismatch"]))
    # signed states: truncated, re-cased, re-signed, tampered expiry
    signed = "AQIDBAUGBwgJCgsMDQ4PEA.1800000000.ERERERERERERERERERERERERERERERERERERERERERE"
    mac = "11" * 32
    out.append(case("signed state verifies", "state.verify", {"state": signed, "now": 1700000000, "expected_mac_hex": mac}, []))
    out.append(case("signed state with another key", "state.verify",
                    {"state": signed, "now": 1700000000, "expected_mac_hex": "22" * 32}, ["state.bad_signature"]))
    out.append(case("signed state after expiry", "state.verify",
                    {"state": signed, "now": 1800000000, "expected_mac_hex": mac}, ["state.expired"]))
    out.append(case("unsigned state where a signed one is expected", "state.verify",
                    {"state": "AQIDBAUGBwgJCgsMDQ4PEA.1800000000", "now": 1700000000, "expected_mac_hex": mac}, ["state.unsigned"]))
    truncations = [(10, "state.malformed"),        # nonce shorter than 16 bytes
                   (22, "state.unsigned"),         # the nonce alone
                   (23, "state.malformed"),        # "nonce." with an empty expiry
                   (30, "state.unsigned"),         # nonce and a shortened expiry, no MAC
                   (len(signed) - 2, "state.malformed"),  # MAC of 41 characters: not base64url
                   (len(signed) - 1, "state.malformed")]  # MAC with non-zero padding bits
    for cut, code in truncations:
        out.append(case(f"signed state truncated to {cut} chars", "state.verify",
                        {"state": signed[:cut], "now": 1700000000, "expected_mac_hex": mac}, [code]))
    out.append(case("signed state re-cased", "state.verify",
                    {"state": signed.swapcase(), "now": 1700000000, "expected_mac_hex": mac}, ["state.malformed"]))  # padding bits
    # The host recomputes its MAC over "<nonce>.<exp>"; a moved expiry gives another MAC.
    out.append(case("signed state with its expiry moved later", "state.verify",
                    {"state": signed.replace("1800000000", "1900000000"), "now": 1700000000, "expected_mac_hex": "33" * 32},
                    ["state.bad_signature"]))
    for bad in ("", ".", "..", "a.b.c.d", "!!!!", "AQIDBAUGBwgJCgsMDQ4PEA.-5", "AQIDBAUGBwgJCgsMDQ4PEA.1e9",
                "AQIDBAUGBwgJCgsMDQ4PEA==", "AQIDBAUGBwgJCgsMDQ4PEB", "AQIDBAUGBwgJCgsMDQ4P", "A" * 600):
        out.append(case(f"malformed state {bad[:30]!r}", "state.verify", {"state": bad, "now": 0}, ["state.malformed"]))
    return out


def pollution():
    out = []
    base = "https://good.example/oauth/callback"
    rows = [
        ("code twice", f"?code={CODE}&code=na1-evil&state={STATE}", ["callback.duplicate_code"]),
        ("code twice, same value", f"?code={CODE}&code={CODE}&state={STATE}", ["callback.duplicate_code"]),
        ("state twice", f"?code={CODE}&state={STATE}&state=evil", ["callback.duplicate_state"]),
        ("state twice, forged first", f"?code={CODE}&state=evil&state={STATE}", ["callback.duplicate_state"]),
        ("error twice", f"?error=a&error=b&state={STATE}", ["url.duplicate_param"]),
        ("step twice", f"?step=authorize&step=finalize&returnUrl=https%3A%2F%2Fapp.hubspot.com%2Fx", ["url.duplicate_param"]),
        ("semicolon separators", f"?code={CODE};state={STATE}", ["callback.missing_state"]),
        ("semicolon inside the state", f"?code={CODE}&state={STATE};x=1", ["callback.state_mismatch"]),
        ("empty code", f"?code=&state={STATE}", ["callback.missing_code"]),
        ("code with a space", f"?code=na1%20x&state={STATE}", ["callback.invalid_code"]),
        ("code with a plus", f"?code=na1+x&state={STATE}", ["callback.invalid_code"]),
        ("code with a slash", f"?code=na1%2Fx&state={STATE}", ["callback.invalid_code"]),
        ("code with quotes", f"?code=%22na1%22&state={STATE}", ["callback.invalid_code"]),
        ("code as HTML", f"?code=%3Cscript%3E&state={STATE}", ["callback.invalid_code"]),
        ("percent at the end", f"?code={CODE}%&state={STATE}", ["url.bad_percent_encoding"]),
        ("percent with one digit", f"?code={CODE}%4&state={STATE}", ["url.bad_percent_encoding"]),
        ("percent with non-hex", f"?code={CODE}%zz&state={STATE}", ["url.bad_percent_encoding"]),
        ("percent in a key", f"?co%de={CODE}&state={STATE}", ["url.invalid_utf8"]),
        ("malformed escape in a key", f"?co%d={CODE}&state={STATE}", ["url.bad_percent_encoding"]),
        ("NUL in the code", f"?code={CODE}%00&state={STATE}", ["url.control_character"]),
        ("NUL in the state", f"?code={CODE}&state={STATE}%00", ["url.control_character"]),
        ("NUL in a key", f"?code%00={CODE}&state={STATE}", ["url.control_character"]),
        ("line feed in the state", f"?code={CODE}&state={STATE}%0A", ["url.control_character"]),
        ("carriage return in a value", f"?code={CODE}&state={STATE}&x=%0D", ["url.control_character"]),
        ("DEL in a value", f"?code={CODE}%7F&state={STATE}", ["url.control_character"]),
        ("invalid UTF-8 byte", f"?code={CODE}&state={STATE}&x=%FF", ["url.invalid_utf8"]),
        ("overlong slash", f"?code={CODE}&state={STATE}&x=%C0%AF", ["url.invalid_utf8"]),
        ("overlong NUL", f"?code={CODE}&state={STATE}&x=%C0%80", ["url.invalid_utf8"]),
        ("three-byte overlong", f"?code={CODE}&state={STATE}&x=%E0%80%AF", ["url.invalid_utf8"]),
        ("UTF-16 surrogate", f"?code={CODE}&state={STATE}&x=%ED%A0%80", ["url.invalid_utf8"]),
        ("above U+10FFFF", f"?code={CODE}&state={STATE}&x=%F4%90%80%80", ["url.invalid_utf8"]),
        ("truncated sequence", f"?code={CODE}&state={STATE}&x=%E2%82", ["url.invalid_utf8"]),
        ("lone continuation byte", f"?code={CODE}&state={STATE}&x=%80", ["url.invalid_utf8"]),
        ("raw space", f"?code={CODE}&state={STATE} x", ["url.invalid_character"]),
        ("raw backslash", f"?code={CODE}&state={STATE}\\x", ["url.invalid_character"]),
        ("raw non-ASCII", f"?code={CODE}&state={STATE}é", ["url.invalid_character"]),
        ("oversized code", f"?code={'a' * 2049}&state={STATE}", ["callback.oversize"]),
        ("oversized state", f"?code={CODE}&state={'b' * 4096}", ["callback.oversize"]),
        ("oversized unknown parameter", f"?code={CODE}&state={STATE}&junk={'c' * 3000}", ["callback.oversize"]),
        ("oversized whole callback", f"?code={CODE}&state={STATE}" + "&x=1" * 5000, ["callback.oversize"]),
        ("oversized after decoding", f"?code={CODE}&state={STATE}&x={'%41' * 2100}", ["callback.oversize"]),
        ("unknown step", f"?step=install&code={CODE}&state={STATE}", ["callback.bad_step"]),
        ("authorize without returnUrl", "?step=authorize", ["callback.missing_return_url"]),
    ]
    for name, q, codes in rows:
        out.append(case("callback: " + name, "callback.parse", {"url": base + q, "expected_state": STATE}, codes, value=None))
        out.append(case("callback (query only): " + name, "callback.parse", {"url": q, "expected_state": STATE}, codes, value=None))
    return out


def redirects():
    out = []
    tricks = [
        ("user-info before the real host", "https://good.example@evil.example/oauth/callback", ["redirect.userinfo"]),
        ("user-info with password", "https://good.example:443@evil.example/oauth/callback", ["redirect.userinfo"]),
        ("encoded at-sign in user-info", "https://good.example%40x@evil.example/", ["redirect.userinfo"]),
        ("backslash host confusion", "https://good.example\\@evil.example/", ["url.invalid_character"]),
        ("backslash path", "https://good.example\\oauth\\callback", ["url.invalid_character"]),
        ("encoded dot segments", "https://good.example/oauth/%2e%2e/evil", ["redirect.dot_segment"]),
        ("upper-case encoded dot segments", "https://good.example/oauth/%2E%2E/evil", ["redirect.dot_segment"]),
        ("mixed dot segment", "https://good.example/oauth/.%2e/evil", ["redirect.dot_segment"]),
        ("plain dot segments", "https://good.example/oauth/../evil", ["redirect.dot_segment"]),
        ("single dot segment", "https://good.example/./oauth/callback", ["redirect.dot_segment"]),
        ("upper-case scheme", "HTTPS://good.example/oauth/callback", ["redirect.not_canonical"]),
        ("mixed-case scheme", "hTTps://good.example/oauth/callback", ["redirect.not_canonical"]),
        ("upper-case host", "https://GOOD.example/oauth/callback", ["redirect.not_canonical"]),
        ("raw IDN look-alike (Cyrillic o)", "https://gоod.example/oauth/callback", ["url.invalid_character"]),
        ("raw IDN look-alike (Greek omicron)", "https://goοd.example/oauth/callback", ["url.invalid_character"]),
        ("percent-encoded host", "https://g%6Fod.example/oauth/callback", ["redirect.bad_host"]),
        ("trailing dot", "https://good.example./oauth/callback", ["redirect.bad_host"]),
        ("two trailing dots", "https://good.example../oauth/callback", ["redirect.bad_host"]),
        ("leading dot", "https://.good.example/oauth/callback", ["redirect.bad_host"]),
        ("empty label", "https://good..example/oauth/callback", ["redirect.bad_host"]),
        ("fragment", "https://good.example/oauth/callback#x", ["redirect.fragment"]),
        ("empty fragment", "https://good.example/oauth/callback#", ["redirect.fragment"]),
        ("javascript scheme", "javascript:alert(1)", ["redirect.bad_scheme"]),
        ("javascript scheme with slashes", "javascript://good.example/%0Aalert(1)", ["redirect.bad_scheme"]),
        ("data scheme", "data:text/html,hi", ["redirect.bad_scheme"]),
        ("file scheme", "file:///etc/passwd", ["redirect.bad_scheme"]),
        ("ftp scheme", "ftp://good.example/cb", ["redirect.bad_scheme"]),
        ("scheme-relative", "//good.example/oauth/callback", ["redirect.relative"]),
        ("path only", "/oauth/callback", ["redirect.relative"]),
        ("no scheme", "good.example/oauth/callback", ["redirect.relative"]),
        ("http to a public host", "http://good.example/oauth/callback", ["redirect.insecure"]),
        ("http to a localhost look-alike", "http://localhost.evil.example/cb", ["redirect.insecure"]),
        ("http to localhost with a trailing dot", "http://localhost./cb", ["redirect.bad_host", "redirect.insecure"]),
        ("public IPv4", "https://203.0.113.7/cb", ["redirect.ip_address"]),
        ("short IPv4", "https://127.1/cb", ["redirect.ip_address"]),
        ("decimal IPv4", "https://2130706433/cb", ["redirect.ip_address"]),
        ("hex IPv4", "https://0x7f000001/cb", ["redirect.ip_address"]),
        ("IPv4 in a trailing label", "https://good.example.0x7f/cb", ["redirect.ip_address"]),
        ("public IPv6", "https://[2001:db8::1]/cb", ["redirect.ip_address"]),
        ("IPv4-mapped IPv6 loopback", "https://[::ffff:127.0.0.1]/cb", ["redirect.ip_address"]),
        ("loopback IPv4 over http", "http://127.0.0.1:3000/cb", ["redirect.loopback_ip"]),
        ("loopback IPv6 over http", "http://[::1]:3000/cb", ["redirect.loopback_ip"]),
        ("wildcard host", "https://*.good.example/cb", ["redirect.wildcard"]),
        ("wildcard path", "https://good.example/*", ["redirect.wildcard"]),
        ("port out of range", "https://good.example:65536/cb", ["url.bad_port"]),
        ("port with letters", "https://good.example:80a/cb", ["url.bad_port"]),
        ("empty port", "https://good.example:/cb", ["url.bad_port"]),
        ("unclosed IPv6", "https://[::1/cb", ["url.bad_host"]),
        ("space inside", "https://good.example/oauth callback", ["url.invalid_character"]),
        ("tab inside", "https://good.example/oauth\tcallback", ["url.invalid_character"]),
        ("NUL inside", "https://good.example/oauth\u0000callback", ["url.invalid_character"]),
        ("empty", "", ["url.empty"]),
        ("no host", "https:///oauth/callback", ["redirect.no_host"]),
        ("opaque https", "https:good.example/cb", ["redirect.no_host"]),
    ]
    for name, uri, codes in tricks:
        out.append(case("redirect: " + name, "redirect_uri.validate", {"uri": uri}, codes))
    registered = [GOOD]
    near = [
        ("suffix look-alike host", "https://good.example.evil.example/oauth/callback"),
        ("prefix look-alike host", "https://evilgood.example/oauth/callback"),
        ("hyphen look-alike host", "https://good-example.com/oauth/callback"),
        ("punycode look-alike", "https://xn--gd-nia.example/oauth/callback"),
        ("another port", "https://good.example:8443/oauth/callback"),
        ("explicit default port", "https://good.example:443/oauth/callback"),
        ("trailing slash added", "https://good.example/oauth/callback/"),
        ("path case changed", "https://good.example/OAuth/callback"),
        ("extra query", "https://good.example/oauth/callback?next=/admin"),
        ("sub-path", "https://good.example/oauth/callback/extra"),
        ("parent path", "https://good.example/oauth"),
        ("percent-encoded path", "https://good.example/oauth%2Fcallback"),
        ("encoded letter in path", "https://good.example/oauth/c%61llback"),
        ("http instead of https", "http://good.example/oauth/callback"),
    ]
    for name, uri in near:
        extra = {"http instead of https": ["redirect.insecure"]}.get(name, [])
        out.append(case("unregistered redirect: " + name, "redirect_uri.validate", {"uri": uri, "registered": registered},
                        ["redirect.unregistered"] + extra))
    return out


def hosts():
    out = []
    q = f"/oauth/authorize?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth&state={STATE}"
    bad_hosts = [
        "app.hubspot.com.evil.example", "app-hubspot.com", "app.hubspot.co", "app.hubspot.com.", "app.hubspot.comm",
        "app.hubspot.org", "apps.hubspot.com", "api.hubspot.com", "app.hubspot.com.evil", "evil.example",
        "app-eu1.hubspot.com.evil.example", "app-eu1-hubspot.com", "app-eu1.hubspot.co", "app-e1.hubspot.com", "app-eu.hubspot.com",
        "app-eu1x.hubspot.com", "app--eu1.hubspot.com", "app-eu1.evil.hubspot.com.example", "xn--app-hubspot-xyz.com",
        "app.hubspotcom", "hubspot.com", "www.hubspot.com", "app.hubspot.com.evil.example:443", "127.0.0.1", "[::1]",
        "app.hubspot.com%2eevil.example", "app%2ehubspot.com",
    ]
    for h in bad_hosts:
        codes = ["install_url.not_hubspot"]
        if h.endswith(":443"):
            codes.append("install_url.port")
        out.append(case(f"install URL on look-alike host {h}", "install_url.inspect", {"url": "https://" + h + q}, codes))
    out.append(case("install URL with user-info", "install_url.inspect", {"url": "https://app.hubspot.com@evil.example" + q},
                    ["install_url.userinfo", "install_url.not_hubspot"]))
    out.append(case("install URL with user-info naming HubSpot", "install_url.inspect", {"url": "https://evil.example@app.hubspot.com" + q},
                    ["install_url.userinfo"]))
    out.append(case("install URL over http", "install_url.inspect", {"url": "http://app.hubspot.com" + q}, ["install_url.insecure"]))
    out.append(case("install URL with a port", "install_url.inspect", {"url": "https://app.hubspot.com:8443" + q}, ["install_url.port"]))
    out.append(case("install URL host in capitals is the same host", "install_url.inspect", {"url": "https://APP.HUBSPOT.COM" + q}, [],
                    value={"host": "app.hubspot.com"}))
    out.append(case("install URL with a backslash", "install_url.inspect", {"url": "https://app.hubspot.com\\@evil.example" + q},
                    ["url.invalid_character"]))
    for path in ["/oauth/authorize/", "/oauth/../oauth/authorize", "/OAUTH/authorize", "/oauth/authorise", "/oauth//authorize",
                 "/oauth/12x/authorize", "/oauth/v1/authorize", "/static-token/123/authorize", "/oauth/%61uthorize"]:
        url = "https://app.hubspot.com" + path + q[len("/oauth/authorize"):]
        out.append(case(f"install URL with path {path}", "install_url.inspect", {"url": url}, ["install_url.bad_path"]))
    params = [
        ("scope twice", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth&scope=tickets&state={STATE}", ["url.duplicate_param"]),
        ("client_id twice", f"?client_id={CLIENT}&client_id=evil&redirect_uri={GOOD_Q}&scope=oauth&state={STATE}", ["url.duplicate_param"]),
        ("redirect_uri twice", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&redirect_uri=https%3A%2F%2Fevil.example&scope=oauth&state={STATE}",
         ["url.duplicate_param"]),
        ("state twice", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth&state={STATE}&state=x", ["url.duplicate_param"]),
        ("mixed + and %20", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth+tickets%20crm.objects.contacts.read&state={STATE}",
         ["install_url.plus_encoding"]),
        ("commas between scopes", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth,tickets&state={STATE}",
         ["install_url.comma_separated", "scope.malformed"]),
        ("client secret in the URL", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth&state={STATE}&client_secret=s3cr3t",
         ["install_url.secret_leak"]),
        ("API key in the URL", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth&state={STATE}&hapikey=abc", ["install_url.secret_leak"]),
        ("redirect with user-info", f"?client_id={CLIENT}&redirect_uri=https%3A%2F%2Fgood.example%40evil.example%2F&scope=oauth&state={STATE}",
         ["redirect.userinfo"]),
        ("javascript redirect", f"?client_id={CLIENT}&redirect_uri=javascript%3Aalert(1)&scope=oauth&state={STATE}", ["redirect.bad_scheme"]),
        ("NUL in scope", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth%00&state={STATE}",
         ["url.control_character"]),
        ("invalid UTF-8 in scope", f"?client_id={CLIENT}&redirect_uri={GOOD_Q}&scope=oauth%FF&state={STATE}",
         ["url.invalid_utf8"]),
    ]
    for name, query, codes in params:
        out.append(case("install URL: " + name, "install_url.inspect", {"url": "https://app.hubspot.com/oauth/authorize" + query}, codes))
    # marketplace returnUrl look-alikes
    for h in ["app.hubspot.com.evil.example", "app-hubspot.com", "app.hubspot.co", "evil.example", "app.hubspot.com.", "APP.hubspot.com",
              "app-eu1.hubspot.com.evil.example", "app.hubspot.com:8443", "user@app.hubspot.com"]:
        ret = "https%3A%2F%2F" + h.replace("@", "%40").replace(":", "%3A") + "%2Fecosystem%2F1%2Finstall"
        out.append(case(f"marketplace returnUrl on {h}", "callback.parse", {"url": f"?step=authorize&returnUrl={ret}"},
                        ["callback.bad_return_url"], value=None))
    for ret in ["http%3A%2F%2Fapp.hubspot.com%2Fx", "javascript%3Aalert(1)", "%2F%2Fevil.example", "%2Fecosystem", ""]:
        out.append(case(f"marketplace returnUrl {ret or '(empty)'}", "callback.parse", {"url": f"?step=authorize&returnUrl={ret}"},
                        ["callback.bad_return_url"], value=None))
    return out


def json_bodies():
    out = []
    cfg_ok = ('{"uid":"a","type":"app","config":{"name":"A","description":"d","distribution":"private",'
              '"auth":{"type":"static","requiredScopes":["oauth"]}}}')
    for depth in (65, 100, 1000, 20000):
        out.append(case(f"config nested {depth} arrays deep", "app_config.parse", {"text": "[" * depth + "]" * depth}, ["config.too_deep"], value=None))
        out.append(case(f"config nested {depth} objects deep", "app_config.parse", {"text": '{"a":' * depth + "1" + "}" * depth},
                        ["config.too_deep"], value=None))
    out.append(case("config unclosed deep nesting", "app_config.parse", {"text": "[" * 5000}, ["config.too_deep"], value=None))
    for text, name in [('{"uid":"\\ud800"}', "lone surrogate escape"), ('{"uid":"\\u00"}', "short unicode escape"),
                       ('{"uid":"a\u0001"}', "raw control character in a string"), ('{"uid":"a"}{"uid":"b"}', "two documents"),
                       ("\ufeff" + cfg_ok, "byte-order mark"), ('{"uid":NaN}', "NaN"), ('{"uid":1e999999}', "huge exponent"),
                       ('{"uid":"a",,}', "double comma"), ('{"uid":"a" /* c */}', "comment"), ("", "empty input"), (" ", "blank input"),
                       ('{"uid":"a"', "unterminated"), ('"just a string"', "a string at the top")]:
        codes = ["config.malformed_json"]
        if name in ("a string at the top",):
            codes = ["config.type_mismatch"]
        if name == "byte-order mark":
            codes = ["config.byte_order_mark"]
        out.append(case(f"config JSON: {name}", "app_config.parse", {"text": text, "file_name": "app-hsmeta.json"}, codes,
                        value=None if codes != ["config.byte_order_mark"] else {"name": "A"}))
    odd = [
        ("error is a number", 400, '{"error":5,"status":"BAD_AUTH_CODE"}', "token.bad_auth_code", ["token.unexpected_type"]),
        ("status is a list", 400, '{"error":"invalid_grant","status":["BAD_AUTH_CODE"]}', "token.invalid_grant", ["token.unexpected_type"]),
        ("message is an object", 400, '{"status":"EXPIRED_AUTH_CODE","message":{"x":1}}', "token.expired_auth_code", ["token.unexpected_type"]),
        ("everything null", 400, '{"error":null,"status":null,"message":null}', "token.http_error", []),
        ("body is an array", 400, '[{"status":"BAD_AUTH_CODE"}]', "token.http_error", ["token.non_json_body"]),
        ("body is a string", 500, '"oops"', "token.server_error", ["token.non_json_body"]),
        ("body is HTML", 502, "<html><body>Bad gateway</body></html>", "token.server_error", ["token.non_json_body"]),
        ("body is empty", 503, "", "token.server_error", ["token.non_json_body"]),
        ("body is truncated JSON", 429, '{"status":"RATE_LIM', "token.rate_limited", ["token.non_json_body"]),
        ("unknown error on 401", 401, '{"status":"error","message":"Authentication credentials not found","category":"INVALID_AUTHENTICATION"}',
         "token.http_error", []),
        ("unknown status on 400", 400, '{"status":"SOMETHING_NEW","message":"x"}', "token.http_error", []),
        ("grant error on 500", 500, '{"error":"invalid_grant","status":"BAD_REFRESH_TOKEN"}', "token.bad_refresh_token", []),
        ("bad client secret", 400, '{"error":"invalid_client","status":"BAD_CLIENT_SECRET"}', "token.bad_client_secret", []),
        ("deeply nested error body", 400, '{"error":' + "[" * 3000 + "]" * 3000 + "}", "token.http_error", ["token.unexpected_type"]),
    ]
    for name, status, body, code, more in odd:
        out.append(case(f"token error body: {name}", "token.parse_response", {"status": status, "body": body}, [code] + more,
                        value={"tokens": None, "error": {"code": code}}))
    success_odd = [
        ("access_token is a number", '{"access_token":5,"refresh_token":"r","expires_in":1800}', ["token.malformed_response", "token.unexpected_type"]),
        ("expires_in is a string of letters", '{"access_token":"a","refresh_token":"r","expires_in":"soon"}',
         ["token.malformed_response", "token.unexpected_type"]),
        ("expires_in is negative", '{"access_token":"a","refresh_token":"r","expires_in":-1}', ["token.malformed_response"]),
        ("expires_in is zero", '{"access_token":"a","refresh_token":"r","expires_in":0}', ["token.malformed_response"]),
        ("success body is an array", '[]', ["token.malformed_response"]),
        ("success body is not JSON", 'access_token=a&expires_in=1800', ["token.malformed_response"]),
        ("hub_id overflows 64 bits", '{"access_token":"a","refresh_token":"r","expires_in":1800,"hub_id":18446744073709551616}', ["token.unexpected_type"]),
        ("hub_id is fractional", '{"access_token":"a","refresh_token":"r","expires_in":1800,"hub_id":1.5}', ["token.unexpected_type"]),
        ("scopes is an object", '{"access_token":"a","refresh_token":"r","expires_in":1800,"scopes":{"a":1}}', ["token.unexpected_type"]),
    ]
    for name, body, codes in success_odd:
        out.append(case(f"token success body: {name}", "token.parse_response", {"status": 200, "body": body}, codes))
    return out


def main():
    groups = {"states.json": states(), "pollution.json": pollution(), "redirects.json": redirects(), "hosts.json": hosts(),
              "json_bodies.json": json_bodies()}
    total = 0
    for name, cases in groups.items():
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            json.dump({"cases": cases}, f, indent=1, ensure_ascii=False)
            f.write("\n")
        total += len(cases)
        print(f"{name}: {len(cases)}")
    print(f"total: {total}")


if __name__ == "__main__":
    main()
