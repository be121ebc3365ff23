"""demo/server.py: the site, the widget's files, the hook under /hook/ and /installs, over HTTP
against a real sandbox process; and scripts/demo's argument checks. (The click-through in
Chromium is demo/browser-check.mjs, run against a running scripts/demo.)"""
from __future__ import annotations

import html
import http.client
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

import hsinstall
from hsinstall import hook as H
from conftest import TOKEN_KEY

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "0f3e4c2a-1b2c-4d5e-8f90-123456789abc"
SECRET = "sandbox-secret-3b1f7d2e9c5a4e6f8a0b"

spec = importlib.util.spec_from_file_location("demo_server", ROOT / "demo" / "server.py")
demo_server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_server)


def fetch(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


class Site:
    def __init__(self, tmp: Path, sandbox: bool = True) -> None:
        self.server = H.serve(lambda env, sr: self.app(env, sr), "127.0.0.1", 0)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.redirect = "http://localhost:%d/oauth/callback" % self.port
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "demo" / "sandbox" / "sandbox.py"), "--port", "0",
                                      "--redirect-url", self.redirect], stdout=subprocess.PIPE, text=True)
        self.sandbox_port = int(re.search(r":(\d+)$", self.proc.stdout.readline().strip()).group(1))
        config = json.loads((ROOT / "demo" / "app" / "app-hsmeta.json").read_text())
        config["config"]["auth"]["redirectUrls"] = [self.redirect]
        self.config = tmp / "app-hsmeta.json"
        self.config.write_text(json.dumps(config))
        self.key = secrets.token_hex(32)
        env = {"HSINSTALL_CLIENT_ID": CLIENT_ID, "HSINSTALL_CLIENT_SECRET": SECRET, "HSINSTALL_STATE_KEY": self.key,
               "HSINSTALL_APP_CONFIG": str(self.config), "HSINSTALL_API_BASE": "http://127.0.0.1:%d" % self.sandbox_port,
               "HSINSTALL_RETURN_ORIGINS": "http://127.0.0.1:%d" % self.sandbox_port,
               "HSINSTALL_STORE": "sqlite:///%s" % (tmp / "demo.db"), "HSINSTALL_TOKEN_KEY": TOKEN_KEY}
        self.hook = H.Hook(H.Settings.from_env(env), log=None)
        self.sandbox = "http://localhost:%d" % self.sandbox_port if sandbox else None
        self.app, self.demo = demo_server.app(self.hook, str(self.config), self.sandbox)
        self.seen = []

    def get(self, path, method="GET", body=None, headers=None):
        status, h, data = fetch(self.port, method, path, body, headers)
        self.seen.append(data.decode("latin1") + json.dumps(h))
        return status, h, data

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.close()


def test_the_page_carries_links_built_by_the_core_and_no_secret(site):
    status, h, page = site.get("/")
    page = page.decode()
    assert status == 200 and "wasm-unsafe-eval" in h["content-security-policy"]
    app = hsinstall.AppConfig.load(site.config)
    basic = hsinstall.install_url(config=app, client_id=CLIENT_ID)
    tier = hsinstall.install_url(config=app, client_id=CLIENT_ID, with_scopes=["e-commerce"])
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="([^"]+)">Install (?:in|with)', page)]
    assert hrefs == [basic, basic, tier]
    assert page.count("<hubspot-install-button") == 3 and 'mode="popup"' in page and 'conditional-scopes="e-commerce"' in page
    assert 'state-url="/hook/state"' in page and 'hook="/hook/exchange"' in page
    assert '<script src="/sandbox-route.js" data-sandbox="%s">' % site.sandbox in page
    assert "{{" not in page
    for asset in ("/style.css", "/demo.js", "/callback.js", "/sandbox-route.js", "/favicon.svg", "/app-config/app-hsmeta.json",
                  "/hsinstall/index.js", "/hsinstall/widget/hubspot-install-button.js", "/hsinstall/widget/callback.js",
                  "/hsinstall/widget/hubspot-install-button.css"):
        status, h, _ = site.get(asset)
        assert status == 200, asset
    if (ROOT / "wasm" / "dist" / "hsinstall.wasm").exists():  # built by scripts/test-wasm
        status, h, _ = site.get("/hsinstall/dist/hsinstall.wasm")
        assert status == 200 and h["content-type"] == "application/wasm"
    for hidden in ("/hsinstall/package.json", "/hsinstall/src/bindings.cpp", "/hsinstall/hook/index.js",
                   "/hsinstall/widget/../../README.md", "/hsinstall/dist/../../CMakeLists.txt", "/server.py", "/index.html.bak",
                   "/tier.html", "/../README.md"):
        assert site.get(hidden)[0] == 404, hidden
    assert site.get("/hook/exchange", "POST", "{}", {"Content-Type": "application/json"})[0] == 400
    assert all(SECRET not in s and site.key not in s for s in site.seen)


def test_an_install_through_the_demo_server(site):
    status, _, body = site.get("/hook/state", "POST")
    state = json.loads(body)["state"]
    url = hsinstall.install_url(config=site.hook.settings.app, client_id=CLIENT_ID, state=state)
    status, _, page = fetch(site.sandbox_port, "GET", url[len("https://app.hubspot.com"):])
    rid = re.search(r'name="request_id" value="([^"]+)"', page.decode()).group(1)
    status, h, _ = fetch(site.sandbox_port, "POST", "/oauth/consent", urlencode({"request_id": rid, "account_id": 50001,
                         "action": "grant"}), {"Content-Type": "application/x-www-form-urlencoded"})
    back = urlsplit(h["location"])
    code = parse_qs(back.query)["code"][0]
    # HubSpot's redirect lands on the callback page (the widget's helper does the rest in the browser) ...
    status, h, page = site.get(back.path + "?" + back.query)
    assert status == 200 and b'src="/callback.js"' in page and "content-security-policy" in h
    # ... which POSTs the code to the hook.
    status, _, body = site.get("/hook/exchange", "POST", json.dumps({"code": code, "state": state, "redirect_uri": site.redirect}),
                               {"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["portal_id"] == 50001
    status, _, page = site.get("/installs")
    assert status == 200 and b"50001" in page and b"acme-corp.sandbox.hubspot.example" in page and b"sbx-" not in page
    doc = json.loads(site.get("/installs.json")[2])
    assert [i["portal_id"] for i in doc["installs"]] == [50001] and "access_token" not in json.dumps(doc)
    assert b"installed,installed,50001" in site.get("/hook/attempts.csv")[2]
    tokens = site.hook.store.get_install(50001)
    assert all(x not in s for s in site.seen for x in (SECRET, site.key, code, tokens.access_token, tokens.refresh_token))


def test_a_marketplace_callback_goes_to_the_hook(site):
    query = urlencode({"step": "authorize", "returnUrl": "http://127.0.0.1:%d/marketplace/%s/continue" % (site.sandbox_port, CLIENT_ID)})
    status, h, _ = site.get("/oauth/callback?" + query)
    assert status == 302 and h["location"].startswith("http://127.0.0.1:%d/marketplace/" % site.sandbox_port)
    status, h, _ = site.get("/oauth/callback?" + urlencode({"step": "authorize", "returnUrl": "https://evil.example/"}))
    assert status == 400 and "location" not in h


def test_real_hubspot_mode_has_no_sandbox_route(tmp_path):
    s = Site(tmp_path, sandbox=False)
    try:
        page = s.get("/")[2].decode()
        assert "sandbox-route.js" not in page and "Real HubSpot" in page
        assert s.get("/sandbox-route.js")[0] == 404
    finally:
        s.close()


def test_scripts_demo_wants_all_three_hubspot_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBSPOT_")}
    r = subprocess.run([str(ROOT / "scripts" / "demo")], env=dict(env, HUBSPOT_CLIENT_ID="x"), capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "HUBSPOT_CLIENT_SECRET is not set" in r.stderr
