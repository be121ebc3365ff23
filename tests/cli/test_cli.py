"""The hsinstall CLI: exit statuses, --json shapes and real files. Run by CTest:
python3 test_cli.py <path to hsinstall> <source dir>."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

CLI = sys.argv.pop(1) if len(sys.argv) > 2 else "build/cli/hsinstall"
SRC = sys.argv.pop(1) if len(sys.argv) > 1 else "."
OFFICIAL = os.path.join(SRC, "tests", "fixtures", "configs", "official")
MARKETPLACE = os.path.join(OFFICIAL, "oauth-marketplace-app-hsmeta.json")
CLIENT = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
DIAG_KEYS = {"code", "severity", "where", "message", "hint"}


def run(*args):
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def run_json(*args):
    code, out, err = run(*args, "--json")
    return code, json.loads(out)


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class Usage(unittest.TestCase):
    def test_no_command_is_usage(self):
        self.assertEqual(run()[0], 2)

    def test_unknown_command_and_option(self):
        self.assertEqual(run("frobnicate")[0], 2)
        self.assertEqual(run("lint", "--nope", MARKETPLACE)[0], 2)

    def test_missing_required_options(self):
        self.assertEqual(run("url", "--client-id", CLIENT)[0], 2)
        self.assertEqual(run("url", "--config", MARKETPLACE)[0], 2)
        self.assertEqual(run("url", "--config", MARKETPLACE, "--client-id", CLIENT, "--state", "x", "--random-state")[0], 2)
        self.assertEqual(run("inspect")[0], 2)
        self.assertEqual(run("callback")[0], 2)
        self.assertEqual(run("lint")[0], 2)

    def test_help(self):
        code, out, _ = run("--help")
        self.assertEqual(code, 0)
        self.assertIn("hsinstall", out)


class Scopes(unittest.TestCase):
    def test_list_all(self):
        code, doc = run_json("scopes")
        self.assertEqual(code, 0)
        self.assertEqual(len(doc["scopes"]), 292)
        self.assertEqual(set(doc["scopes"][0]), {"name", "status", "replacements", "sensitivity", "tier", "description"})

    def test_search(self):
        code, doc = run_json("scopes", "contacts")
        self.assertEqual(code, 0)
        self.assertIn("crm.objects.contacts.read", [s["name"] for s in doc["scopes"]])
        code, out, _ = run("scopes", "crm.objects.contact.read")
        self.assertIn("did you mean crm.objects.contacts.read", out)


class Lint(unittest.TestCase):
    def test_official_templates_pass(self):
        files = [os.path.join(OFFICIAL, f) for f in sorted(os.listdir(OFFICIAL)) if f.endswith(".json")]
        code, doc = run_json("lint", *files)
        self.assertEqual(code, 0, json.dumps(doc, indent=1))
        self.assertEqual(doc["errors"], 0)
        self.assertEqual(doc["warnings"], 0)
        self.assertTrue(all(f["ok"] for f in doc["files"]))

    def test_errors_exit_1_with_pointer(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = write(tmp, "app-hsmeta.json", json.dumps({
                "uid": "x", "type": "app", "config": {
                    "name": "X", "description": "d", "distribution": "marketplace",
                    "auth": {"type": "oauth", "redirectUrls": ["http://example.com/cb"],
                             "requiredScopes": ["oauth", "crm.objects.contact.read"]}}}))
            code, doc = run_json("lint", bad)
            self.assertEqual(code, 1)
            diags = doc["files"][0]["diagnostics"]
            self.assertTrue(all(set(d) == DIAG_KEYS for d in diags))
            by_code = {d["code"]: d for d in diags}
            self.assertEqual(by_code["redirect.insecure"]["where"], "/config/auth/redirectUrls/0")
            self.assertEqual(by_code["scope.unknown"]["where"], "/config/auth/requiredScopes/1")
            self.assertIn("crm.objects.contacts.read", by_code["scope.unknown"]["hint"])

    def test_malformed_and_missing_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = write(tmp, "public-app.json", '{"name": "x",\n "auth": {]}')
            code, out, _ = run("lint", bad)
            self.assertEqual(code, 1)
            self.assertIn("config.malformed_json", out)
            self.assertIn("line 2", out)
        code, doc = run_json("lint", "/no/such/file.json")
        self.assertEqual(code, 1)
        self.assertEqual(doc["files"][0]["diagnostics"][0]["code"], "cli.unreadable_file")


class Url(unittest.TestCase):
    def test_build_and_inspect_round_trip(self):
        code, doc = run_json("url", "--config", MARKETPLACE, "--client-id", CLIENT, "--state", "st-1", "--host", "eu1")
        self.assertEqual(code, 0, doc)
        url = doc["url"]
        self.assertTrue(url.startswith("https://app-eu1.hubspot.com/oauth/authorize?client_id=" + CLIENT))
        code, got = run_json("inspect", url, "--config", MARKETPLACE)
        self.assertEqual(code, 0, got)
        self.assertEqual(set(got), {"host", "hublet", "account_id", "client_id", "redirect_uri", "scopes", "optional_scopes", "state",
                                    "extra_params", "diagnostics"})
        self.assertEqual(got["host"], "app-eu1.hubspot.com")
        self.assertEqual(got["client_id"], CLIENT)
        self.assertEqual(got["state"], "st-1")
        self.assertEqual(got["account_id"], None)
        self.assertIn("oauth", got["scopes"])

    def test_random_state_is_fresh(self):
        a = run_json("url", "--config", MARKETPLACE, "--client-id", CLIENT, "--random-state")[1]["url"]
        b = run_json("url", "--config", MARKETPLACE, "--client-id", CLIENT, "--random-state")[1]["url"]
        self.assertNotEqual(a, b)
        state = run_json("inspect", a)[1]["state"]
        self.assertGreaterEqual(len(state), 43)  # 32 bytes, base64url

    def test_with_unknown_conditional_scope_fails(self):
        code, doc = run_json("url", "--config", MARKETPLACE, "--client-id", CLIENT, "--with", "crm.objects.deals.read")
        self.assertEqual(code, 1)
        self.assertIsNone(doc["url"])
        self.assertIn("install_url.not_conditional", [d["code"] for d in doc["diagnostics"]])

    def test_account_path(self):
        code, doc = run_json("url", "--config", MARKETPLACE, "--client-id", CLIENT, "--state", "s", "--account", "123456")
        self.assertEqual(code, 0)
        self.assertIn("/oauth/123456/authorize?", doc["url"])
        self.assertEqual(run_json("inspect", doc["url"])[1]["account_id"], "123456")

    def test_inspect_look_alike_host(self):
        code, doc = run_json("inspect", "https://app.hubspot.com.evil.example/oauth/authorize?client_id=" + CLIENT +
                             "&redirect_uri=https%3A%2F%2Fx.example%2Fcb&scope=oauth&state=s")
        self.assertEqual(code, 1)
        self.assertIn("install_url.not_hubspot", [d["code"] for d in doc["diagnostics"]])


class Callback(unittest.TestCase):
    def test_ok_and_mismatch(self):
        code, doc = run_json("callback", "https://app.example.com/cb?code=na1-abc&state=s1", "--state", "s1")
        self.assertEqual(code, 0)
        self.assertEqual(doc["callback"]["code"], "na1-abc")
        self.assertTrue(doc["callback"]["state_verified"])
        code, doc = run_json("callback", "https://app.example.com/cb?code=na1-abc&state=s2", "--state", "s1")
        self.assertEqual(code, 1)
        self.assertIsNone(doc["callback"])
        self.assertEqual([d["code"] for d in doc["diagnostics"]], ["callback.state_mismatch"])

    def test_unchecked_state_warns(self):
        code, doc = run_json("callback", "?code=na1-abc&state=s1")
        self.assertEqual(code, 0)
        self.assertEqual([d["code"] for d in doc["diagnostics"]], ["callback.state_unchecked"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
