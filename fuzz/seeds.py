"""Writes a libFuzzer seed corpus per target from the shared vectors (and the adversarial
corpus, when present): python3 seeds.py SOURCE_DIR OUT_DIR"""
import glob
import json
import os
import sys

src, out = sys.argv[1], sys.argv[2]
targets = {
    "install_url": ("install_url.inspect", "url", lambda v: v.encode()),
    "callback": ("callback.parse", "url", lambda v: b"\x01" + v.encode()),
    "redirect_uri": ("redirect_uri.validate", "uri", lambda v: v.encode()),
}
seeds = {t: set() for t in ["install_url", "callback", "app_config", "redirect_uri", "token"]}
files = glob.glob(os.path.join(src, "tests", "vectors", "*.json")) + glob.glob(os.path.join(src, "tests", "adversarial", "*.json"))
for path in files:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for case in doc.get("cases", []):
        op, inp = case.get("op"), case.get("input", {})
        for target, (want, key, enc) in targets.items():
            if op == want and isinstance(inp.get(key), str):
                seeds[target].add(enc(inp[key]))
        if op == "app_config.parse":
            text = inp["text"] if "text" in inp else json.dumps(inp.get("json"))
            seeds["app_config"].add(text.encode("utf-8", "surrogateescape"))
        if op in ("token.parse_response", "token.parse_introspection") and isinstance(inp.get("body"), str):
            seeds["token"].add(bytes([3, 0]) + inp["body"].encode())
            seeds["token"].add(bytes([0, 0]) + inp["body"].encode())
# Inputs that once crashed a target stay in its seeds: fuzz/regressions/<target>-<what>.
for path in glob.glob(os.path.join(src, "fuzz", "regressions", "*")):
    target = os.path.basename(path).split("-")[0]
    if target in seeds:
        with open(path, "rb") as f:
            seeds[target].add(f.read())
for target, items in seeds.items():
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(sorted(items)):
        with open(os.path.join(d, f"seed-{i:04d}"), "wb") as f:
            f.write(data)
    print(f"{target}: {len(items)} seeds")
