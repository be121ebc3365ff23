#!/usr/bin/env python3
"""The four hsinstall jobs done the way HubSpot's Python helper and urllib users do them.

  build_install_url  urlencode(..., quote_via=quote), as hubspot.utils.oauth.get_auth_url
                     does, after a minimal presence/scheme check
  parse_install_url  urlsplit + parse_qs, then the fields picked out
  parse_callback     urlsplit + parse_qs + hmac.compare_digest on the state
  lint_config        json.loads + a few dict lookups and type checks

Stdlib only; any python3. Reads the inputs shared with hsinstall_bench
(default: ../inputs.json next to this file) and prints JSON: ops/sec per job.

  urllib_peer.py [INPUTS_JSON] [--min-time SECONDS]
"""
import hmac
import json
import os
import platform
import sys
import time
from urllib.parse import parse_qs, quote, urlencode, urlsplit


def build_install_url(rq):
    # Minimal check: what a careful hand-written helper looks at. No scope
    # catalogue, no redirect rules beyond the scheme, no client id shape.
    if not rq["client_id"] or not rq["scopes"] or not rq["state"]:
        raise ValueError("missing field")
    redirect = urlsplit(rq["redirect_uri"])
    if redirect.scheme not in ("https", "http") or not redirect.netloc:
        raise ValueError("bad redirect_uri")
    params = {
        "client_id": rq["client_id"],
        "redirect_uri": rq["redirect_uri"],
        "scope": " ".join(rq["scopes"]),
    }
    if rq["optional_scopes"]:
        params["optional_scope"] = " ".join(rq["optional_scopes"])
    params["state"] = rq["state"]
    return "https://" + rq["host"] + "/oauth/authorize?" + urlencode(params, quote_via=quote)


def parse_install_url(url):
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname != "app.hubspot.com":
        raise ValueError("not a HubSpot install URL")
    q = parse_qs(parts.query)
    return {
        "client_id": q["client_id"][0],
        "redirect_uri": q["redirect_uri"][0],
        "scopes": q["scope"][0].split(),
        "optional_scopes": q["optional_scope"][0].split() if "optional_scope" in q else [],
        "state": q["state"][0] if "state" in q else None,
    }


def parse_callback(url, expected_state):
    q = parse_qs(urlsplit(url).query)
    state = q.get("state", [""])[0]
    if not hmac.compare_digest(state.encode(), expected_state.encode()):
        raise ValueError("state mismatch")
    if "error" in q:
        raise ValueError(q["error"][0])
    code = q.get("code", [""])[0]
    if not code:
        raise ValueError("no code")
    return code


def lint_config(text):
    doc = json.loads(text)
    config = doc["config"]
    auth = config["auth"]
    if doc.get("type") != "app" or not isinstance(doc.get("uid"), str):
        raise ValueError("not an app component")
    if not isinstance(config.get("name"), str):
        raise ValueError("no name")
    required = auth["requiredScopes"]
    redirects = auth["redirectUrls"]
    if not isinstance(required, list) or not required or not isinstance(redirects, list) or not redirects:
        raise ValueError("no scopes or redirect URLs")
    return config["name"]


def measure(fn, min_time):
    """Runs fn in batches, growing the batch until one takes min_time; ops/sec of that batch."""
    fn()  # warm-up (and a correctness check: raises on a bad input)
    n = 1
    clock = time.perf_counter
    while True:
        t0 = clock()
        for _ in range(n):
            fn()
        elapsed = clock() - t0
        if elapsed >= min_time:
            return {"ops_per_sec": n / elapsed, "iterations": n, "seconds": elapsed}
        # Aim a little past min_time, growing at most tenfold a step, as Google Benchmark does.
        n = min(n * 10, max(n * 2, int(n * min_time * 1.4 / elapsed))) if elapsed > 0 else n * 10


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    inputs_path = os.path.join(here, "..", "inputs.json")
    min_time = 0.5
    args = list(argv[1:])
    while args:
        a = args.pop(0)
        if a == "--min-time":
            min_time = float(args.pop(0))
        else:
            inputs_path = a
    with open(inputs_path, encoding="utf-8") as f:
        inputs = json.load(f)
    with open(os.path.join(os.path.dirname(os.path.abspath(inputs_path)), inputs["config"]["path"]), encoding="utf-8") as f:
        config_text = f.read()  # read once, outside the timed loop

    rq = inputs["build"]
    url = inputs["install_url"]
    cb_url = inputs["callback"]["url"]
    expected = inputs["callback"]["expected_state"]

    jobs = {
        "build_install_url": lambda: build_install_url(rq),
        "parse_install_url": lambda: parse_install_url(url),
        "parse_callback": lambda: parse_callback(cb_url, expected),
        "lint_config": lambda: lint_config(config_text),
    }
    parsed = parse_install_url(url)
    out = {
        "peer": "urllib",
        "runtime": "Python " + platform.python_version() + " (" + sys.executable + ")",
        "min_time": min_time,
        "outputs": {
            "built_url": build_install_url(rq),
            "parsed_scopes": "%d+%d" % (len(parsed["scopes"]), len(parsed["optional_scopes"])),
            "callback_code": parse_callback(cb_url, expected),
            "config_name": lint_config(config_text),
        },
        "jobs": {name: measure(fn, min_time) for name, fn in jobs.items()},
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
