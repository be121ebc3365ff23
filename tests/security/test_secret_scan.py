"""Nothing a browser can load carries a secret or a token: scans the npm package's
browser-facing files (wasm/index.js, wasm/dist/, wasm/widget/) and the demo's site for the
sandbox's client secret, the state key the demo uses, token shapes and secret-looking
assignments. Usage: test_secret_scan.py SOURCE_DIR (exit 1 on any hit)."""
import json
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
with open(os.path.join(root, "demo", "sandbox", "world.json"), encoding="utf-8") as f:
    secrets = {app["client_secret"] for app in json.load(f)["apps"]}
patterns = [re.escape(s) for s in secrets] + [
    r"sbx-(?:at|rt)-[A-Za-z0-9_-]{8,}",          # the sandbox's access and refresh tokens
    r"pat-(?:na|eu)\d-[0-9a-f-]{20,}",            # HubSpot private-app tokens
    r"client_secret\s*[:=]\s*['\"][^'\"$<{]{6,}",  # a literal secret assigned in code or markup
    r"HSINSTALL_(?:CLIENT_SECRET|STATE_KEY)\s*=",
]
scan = re.compile("|".join(patterns))
browser_roots = [os.path.join(root, "wasm", "index.js"), os.path.join(root, "wasm", "dist"),
                 os.path.join(root, "wasm", "widget"), os.path.join(root, "demo", "site")]
files = []
for base in browser_roots:
    if os.path.isfile(base):
        files.append(base)
    for dirpath, _, names in os.walk(base):
        files += [os.path.join(dirpath, n) for n in names]
if not any(f.endswith(".wasm") for f in files) or not any("widget" in f for f in files):
    print("the wasm build and the widget must exist before the scan (run scripts/test-wasm first)")
    sys.exit(1)
# The scan must be able to fail: each pattern is checked against a planted sample first.
planted = [next(iter(secrets)), "sbx-at-AbCdEf123456", "pat-na1-0123456789abcdef0123456789", 'client_secret: "hunter2-xyz"',
           "HSINSTALL_STATE_KEY="]
missed = [p for p in planted if not scan.search(p)]
if missed:
    print("the scanner misses planted secrets: " + ", ".join(missed))
    sys.exit(1)
hits = []
for path in files:
    with open(path, "rb") as f:
        text = f.read().decode("latin-1")
    for m in scan.finditer(text):
        hits.append(f"{os.path.relpath(path, root)}: {m.group(0)[:60]!r}")
if hits:
    print("secrets or tokens in files a browser loads:\n" + "\n".join(hits))
    sys.exit(1)
print(f"{len(files)} browser-loadable files scanned: no secret, no token")
