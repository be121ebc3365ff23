"""The local HubSpot sandbox behaves the way HubSpot documents (REFERENCE.md §§1-5, 7).
Standard library only: python3 test_sandbox.py [SOURCE_DIR]"""
import http.client
import json
import os
import re
import subprocess
import sys
import time
import unittest
from urllib.parse import parse_qs, quote, urlencode, urlsplit

SRC = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SANDBOX = os.path.join(SRC, "demo", "sandbox", "sandbox.py")
CLIENT = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
SECRET = "sandbox-secret-3b1f7d2e9c5a4e6f8a0b"
REDIRECT = "http://localhost:8930/oauth/callback"
REQUIRED = "oauth crm.objects.contacts.read crm.objects.deals.write"
ENTERPRISE, STARTER, DEVELOPER = 50001, 50002, 50003


def start(*extra):
    p = subprocess.Popen([sys.executable, SANDBOX, "--port", "0", "--redirect-url", REDIRECT, *extra],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    port = int(re.search(r":(\d+)$", line.strip()).group(1))
    return p, port


class Sandbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port = start("--code-ttl", "2")

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait()
        cls.proc.stdout.close()

    def setUp(self):
        self.request("POST", "/__sandbox/reset")

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data.decode("utf-8", "replace")

    def authorize(self, scope=REQUIRED, optional="", state="S1", redirect=REDIRECT, client=CLIENT, account_path=""):
        q = {"client_id": client, "redirect_uri": redirect, "scope": scope}
        if optional:
            q["optional_scope"] = optional
        if state is not None:
            q["state"] = state
        return self.request("GET", f"/oauth{account_path}/authorize?" + urlencode(q, quote_via=quote))

    def consent(self, page, account, action="grant"):
        rid = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
        return self.request("POST", "/oauth/consent", urlencode({"request_id": rid, "account_id": account, "action": action}),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def install(self, account=ENTERPRISE, **kw):
        status, _, page = self.authorize(**kw)
        self.assertEqual(status, 200, page)
        return self.consent(page, account)

    def code_of(self, location):
        return parse_qs(urlsplit(location).query)["code"][0]

    def token(self, **fields):
        base = {"client_id": CLIENT, "client_secret": SECRET}
        base.update(fields)
        status, _, body = self.request("POST", "/oauth/v3/token", urlencode(base), {"Content-Type": "application/x-www-form-urlencoded"})
        return status, json.loads(body)

    def test_consent_page_lists_scopes_by_kind_and_banner(self):
        status, _, page = self.authorize(scope=REQUIRED + " e-commerce", optional="tickets")
        self.assertEqual(status, 200)
        self.assertIn('data-kind="required"', page)
        self.assertIn('data-kind="conditional"><code>e-commerce', page)
        self.assertIn('data-kind="optional"><code>tickets', page)
        self.assertIn("not verified", page)

    def test_banner_follows_verification(self):
        for state, text in (("verified", "not been reviewed"), ("listed", None)):
            p, port = start("--verification", state)
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request("GET", "/oauth/authorize?" + urlencode({"client_id": CLIENT, "redirect_uri": REDIRECT, "scope": REQUIRED}, quote_via=quote))
                page = c.getresponse().read().decode()
                if text:
                    self.assertIn(text, page)
                else:
                    self.assertNotIn('id="banner"', page)
            finally:
                p.terminate()
                p.wait()
                p.stdout.close()

    def test_success_redirects_with_code_and_state(self):
        status, headers, _ = self.install(state="abc+/=")
        self.assertEqual(status, 302)
        loc = headers["Location"]
        self.assertTrue(loc.startswith(REDIRECT + "?code=na1-"))
        self.assertEqual(parse_qs(urlsplit(loc).query)["state"], ["abc+/="])

    def test_developer_account_cannot_install(self):
        status, headers, page = self.install(account=DEVELOPER)
        self.assertEqual(status, 403)
        self.assertNotIn("Location", headers)
        self.assertIn("developer accounts", page)

    def test_missing_feature_fails_conditional_scope_without_redirect(self):
        status, headers, page = self.install(account=STARTER, scope=REQUIRED + " e-commerce")
        self.assertEqual(status, 403)
        self.assertNotIn("Location", headers)
        self.assertIn("e-commerce", page)

    def test_optional_scope_the_account_lacks_is_dropped(self):
        status, headers, _ = self.install(account=STARTER, optional="crm.objects.deals.read tickets")
        self.assertEqual(status, 302)
        status, tok = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=self.code_of(headers["Location"]))
        self.assertEqual(status, 200)
        self.assertIn("crm.objects.deals.read", tok["scopes"])
        self.assertNotIn("tickets", tok["scopes"])

    def test_unregistered_redirect_gets_an_error_page(self):
        status, headers, page = self.authorize(redirect="http://localhost:8930/other")
        self.assertEqual(status, 400)
        self.assertIn("doesn't match the app's registered redirect URL", page)

    def test_scopes_that_do_not_fit_are_refused(self):
        for scope, optional in (("oauth crm.objects.contacts.read", ""), (REQUIRED + " tickets", ""), (REQUIRED, "e-commerce"),
                                (REQUIRED + " crm.objects.companies.read", "")):
            status, _, page = self.authorize(scope=scope, optional=optional)
            self.assertEqual(status, 400, scope)
            self.assertIn("don't match the app's scope settings", page)

    def test_duplicated_parameters_are_refused(self):
        status, _, _ = self.request("GET", f"/oauth/authorize?client_id={CLIENT}&client_id={CLIENT}&redirect_uri={quote(REDIRECT, safe='')}&scope=oauth")
        self.assertEqual(status, 400)

    def test_decline_sends_no_redirect(self):
        _, _, page = self.authorize()
        status, headers, body = self.consent(page, ENTERPRISE, action="decline")
        self.assertEqual(status, 200)
        self.assertNotIn("Location", headers)
        self.assertIn("Install cancelled", body)

    def test_account_specific_path(self):
        status, _, page = self.authorize(account_path=f"/{STARTER}")
        self.assertEqual(status, 200)
        self.assertIn(f'value="{STARTER}"', page)
        self.assertNotIn(f'value="{ENTERPRISE}"', page)

    def test_codes_are_single_use_and_expire(self):
        _, headers, _ = self.install()
        code = self.code_of(headers["Location"])
        self.assertEqual(self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=code)[0], 200)
        status, err = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=code)
        self.assertEqual((status, err["error"], err["status"]), (400, "invalid_grant", "BAD_AUTH_CODE"))
        _, headers, _ = self.install()
        time.sleep(2.2)
        status, err = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=self.code_of(headers["Location"]))
        self.assertEqual(err["status"], "EXPIRED_AUTH_CODE")

    def test_token_errors_are_hubspot_shaped(self):
        _, headers, _ = self.install()
        code = self.code_of(headers["Location"])
        status, err = self.token(grant_type="authorization_code", redirect_uri=REDIRECT + "x", code=code)
        self.assertEqual(err["status"], "MISMATCH_REDIRECT_URI_AUTH_CODE")
        status, err = self.token(grant_type="authorization_code", client_secret="wrong", redirect_uri=REDIRECT, code=code)
        self.assertEqual((err["error"], err["status"]), ("invalid_client", "BAD_CLIENT_SECRET"))
        status, err = self.token(grant_type="authorization_code", client_id="nope", redirect_uri=REDIRECT, code=code)
        self.assertEqual(err["status"], "BAD_CLIENT_ID")
        status, err = self.token(grant_type="password")
        self.assertEqual(err["status"], "BAD_GRANT_TYPE")
        status, err = self.token(grant_type="refresh_token", refresh_token="nope")
        self.assertEqual((status, err["status"]), (400, "BAD_REFRESH_TOKEN"))

    def test_refresh_rotates_and_the_newest_wins(self):
        _, headers, _ = self.install()
        _, tok = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=self.code_of(headers["Location"]))
        status, new = self.token(grant_type="refresh_token", refresh_token=tok["refresh_token"])
        self.assertEqual(status, 200)
        self.assertNotEqual(new["refresh_token"], tok["refresh_token"])
        self.assertEqual(self.token(grant_type="refresh_token", refresh_token=tok["refresh_token"])[1]["status"], "BAD_REFRESH_TOKEN")
        self.assertEqual(self.token(grant_type="refresh_token", refresh_token=new["refresh_token"])[0], 200)

    def test_introspection_v3_and_v1_and_revoke(self):
        _, headers, _ = self.install()
        _, tok = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=self.code_of(headers["Location"]))
        form = urlencode({"client_id": CLIENT, "client_secret": SECRET, "token": tok["access_token"]})
        status, _, body = self.request("POST", "/oauth/v3/token/introspect", form, {"Content-Type": "application/x-www-form-urlencoded"})
        info = json.loads(body)
        self.assertTrue(info["active"])
        self.assertEqual((info["hub_id"], info["client_id"]), (ENTERPRISE, CLIENT))
        status, _, body = self.request("GET", "/oauth/v1/access-tokens/" + tok["access_token"])
        self.assertEqual(json.loads(body)["hub_domain"], "acme-corp.sandbox.hubspot.example")
        status, _, _ = self.request("DELETE", "/oauth/v1/refresh-tokens/" + tok["refresh_token"])
        self.assertEqual(status, 204)
        self.assertEqual(self.token(grant_type="refresh_token", refresh_token=tok["refresh_token"])[1]["status"], "BAD_REFRESH_TOKEN")
        form = urlencode({"client_id": CLIENT, "client_secret": SECRET, "token": "unknown"})
        _, _, body = self.request("POST", "/oauth/v3/token/introspect", form, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(json.loads(body), {"active": False})

    def test_marketplace_initiated_install(self):
        status, headers, _ = self.request("GET", f"/marketplace/{CLIENT}/install")
        self.assertEqual(status, 302)
        q = parse_qs(urlsplit(headers["Location"]).query)
        self.assertEqual(q["step"], ["authorize"])
        ret = urlsplit(q["returnUrl"][0])
        status, _, page = self.request("GET", ret.path)
        self.assertEqual(status, 200)
        status, headers, _ = self.consent(page, ENTERPRISE)
        q = parse_qs(urlsplit(headers["Location"]).query)
        self.assertEqual(q["step"], ["finalize"])
        self.assertIn("code", q)
        self.assertNotIn("state", q)

    def test_faults(self):
        self.request("POST", "/__sandbox/faults", json.dumps({"token": {"status": 503, "count": 1}}))
        status, _, _ = self.request("POST", "/oauth/v3/token", "grant_type=refresh_token")
        self.assertEqual(status, 503)
        self.request("POST", "/__sandbox/faults", json.dumps({"token": {"status": 429, "count": 1}}))
        self.assertEqual(self.request("POST", "/oauth/v3/token", "")[0], 429)
        self.request("POST", "/__sandbox/faults", json.dumps({"token": {"malformed": True, "count": 1}}))
        status, _, body = self.request("POST", "/oauth/v3/token", "")
        self.assertEqual(status, 200)
        self.assertRaises(ValueError, json.loads, body)
        self.request("POST", "/__sandbox/faults", json.dumps({"token": {"drop": True, "count": 1}}))
        self.assertRaises((http.client.RemoteDisconnected, ConnectionError), self.request, "POST", "/oauth/v3/token", "")
        self.request("POST", "/__sandbox/faults", json.dumps({"token": {"delay_ms": 300, "count": 1}}))
        t = time.time()
        self.assertEqual(self.request("POST", "/oauth/v3/token", "grant_type=x")[0], 400)
        self.assertGreaterEqual(time.time() - t, 0.3)
        _, _, stats = self.request("GET", "/__sandbox/stats")
        self.assertEqual(json.loads(stats)["faults_served"], 5)

    def test_per_run_token_lifetimes_and_per_account_counts(self):
        status, _, body = self.request("POST", "/__sandbox/config", json.dumps({"token_ttl": -1}))
        self.assertEqual(status, 400, body)
        self.assertEqual(self.request("POST", "/__sandbox/config", json.dumps({"token_ttl": 60, "account_token_ttl": {str(STARTER): 7}}))[0], 200)
        _, headers, _ = self.install()
        status, tok = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=self.code_of(headers["Location"]))
        self.assertEqual((status, tok["expires_in"]), (200, 60))
        _, headers, _ = self.install(account=STARTER)
        _, tok = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=self.code_of(headers["Location"]))
        self.assertEqual(tok["expires_in"], 7)
        self.request("POST", "/__sandbox/config", json.dumps({"account_token_ttl": {str(STARTER): None}}))
        _, new = self.token(grant_type="refresh_token", refresh_token=tok["refresh_token"])
        self.assertEqual(new["expires_in"], 60)
        _, new = self.token(grant_type="refresh_token", refresh_token=new["refresh_token"])
        self.token(grant_type="refresh_token", refresh_token="unknown")
        _, _, stats = self.request("GET", "/__sandbox/stats")
        stats = json.loads(stats)
        self.assertEqual(stats["code_grants_by_account"], {str(ENTERPRISE): 1, str(STARTER): 1})
        self.assertEqual(stats["refresh_grants_by_account"], {str(STARTER): 2})
        self.assertEqual(stats["refresh_grants"], 3)
        self.assertEqual(self.request("GET", "/__sandbox/issued")[0], 404)  # only with --expose-issued
        self.request("POST", "/__sandbox/reset")
        _, headers, _ = self.install(account=STARTER)
        _, tok = self.token(grant_type="authorization_code", redirect_uri=REDIRECT, code=self.code_of(headers["Location"]))
        self.assertEqual(tok["expires_in"], 1800)  # reset restores the command line's lifetime

    def test_issued_codes_and_tokens_for_tests(self):
        p, port = start("--expose-issued")
        try:
            def call(method, path, body=None):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request(method, path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
                r = c.getresponse()
                data = r.read()
                c.close()
                return r.status, r.getheader("Location"), data.decode()

            _, _, page = call("GET", "/oauth/authorize?" + urlencode({"client_id": CLIENT, "redirect_uri": REDIRECT, "scope": REQUIRED}, quote_via=quote))
            rid = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
            _, loc, _ = call("POST", "/oauth/consent", urlencode({"request_id": rid, "account_id": ENTERPRISE, "action": "grant"}))
            code = self.code_of(loc)
            form = {"client_id": CLIENT, "client_secret": SECRET, "grant_type": "authorization_code", "redirect_uri": REDIRECT, "code": code}
            tok = json.loads(call("POST", "/oauth/v3/token", urlencode(form))[2])
            self.assertEqual(call("POST", "/oauth/v3/token", urlencode(form))[0], 400)  # spent
            new = json.loads(call("POST", "/oauth/v3/token", urlencode({"client_id": CLIENT, "client_secret": SECRET, "grant_type": "refresh_token",
                                                                        "refresh_token": tok["refresh_token"]}))[2])
            issued = json.loads(call("GET", "/__sandbox/issued")[2])
            self.assertEqual(issued["codes"], [{"code": code, "account": ENTERPRISE, "grant_requests": 2, "used": True}])
            self.assertEqual([(t["account"], t["grant_type"], t["access_token"], t["refresh_token"], t["expires_in"]) for t in issued["tokens"]],
                             [(ENTERPRISE, "authorization_code", tok["access_token"], tok["refresh_token"], 1800),
                              (ENTERPRISE, "refresh_token", new["access_token"], new["refresh_token"], 1800)])
        finally:
            p.terminate()
            p.wait()
            p.stdout.close()


if __name__ == "__main__":
    unittest.main(verbosity=1)
