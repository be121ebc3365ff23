"""Every diagnostic code the sources emit is documented in docs/diagnostics.md, once,
and the doc lists no code the sources do not emit. Usage: check_diagnostic_codes.py SOURCE_DIR"""
import glob
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
code_re = re.compile(r'"((?:scope|config|redirect|install_url|url|callback|state|token|grant|cli)\.[a-z_0-9]+)"')
widget_re = re.compile(r"""['"]((?:widget|hook)\.[a-z_0-9]+)['"]""")
emitted = set()
for path in glob.glob(os.path.join(root, "core", "src", "*.cpp")) + [os.path.join(root, "cli", "main.cpp")]:
    with open(path, encoding="utf-8") as f:
        emitted |= set(code_re.findall(f.read()))
for path in (glob.glob(os.path.join(root, "wasm", "widget", "*.js")) + glob.glob(os.path.join(root, "wasm", "hook", "*.js"))
             + glob.glob(os.path.join(root, "python", "hsinstall", "*.py"))):
    with open(path, encoding="utf-8") as f:
        emitted |= set(widget_re.findall(f.read()))

with open(os.path.join(root, "docs", "diagnostics.md"), encoding="utf-8") as f:
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)` \|", f.read(), flags=re.M)
documented = set(rows)
problems = []
if len(rows) != len(documented):
    problems.append("documented twice: " + ", ".join(sorted({r for r in rows if rows.count(r) > 1})))
if emitted - documented:
    problems.append("emitted but not documented: " + ", ".join(sorted(emitted - documented)))
if documented - emitted:
    problems.append("documented but never emitted: " + ", ".join(sorted(documented - emitted)))
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(emitted)} diagnostic codes, all documented once")
