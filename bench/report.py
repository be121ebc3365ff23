#!/usr/bin/env python3
"""Assembles bench/run's table from the three result files of one run.

  report.py HSINSTALL_JSON URLLIB_JSON URLSEARCHPARAMS_JSON OUT_MD

Prints the table (Markdown) and writes it to OUT_MD. Stdlib only.
"""
import json
import sys

JOBS = [
    # (job, Google Benchmark name, short note for the table, what hsinstall does, what the peers leave out)
    ("build_install_url", "BM_build_install_url", "peers validate almost nothing",
     "build + validate an install URL (6 scopes, 2 optional)",
     "peers validate almost nothing: presence of fields and the redirect's scheme only; "
     "no scope catalogue, duplicate/conflict check, redirect-URI rules or client-id shape"),
    ("parse_install_url", "BM_parse_install_url", "peers validate nothing (split + decode only)",
     "parse + check an install URL",
     "peers only split and decode: host/scheme compared, fields picked out; "
     "no duplicate-parameter, scope-name, redirect-URI or encoding checks"),
    ("parse_callback", "BM_parse_callback", "comparable work (peers skip duplicate/oversize checks)",
     "parse a callback + verify its state (constant time)",
     "peers do comparable work: state compared in constant time, code presence checked; "
     "no duplicate/oversize checks, code charset or marketplace steps"),
    ("lint_config", "BM_lint_config", "peers validate nothing (json parse + lookups only)",
     "lint an app config (oauth-marketplace-app-hsmeta.json)",
     "peers validate nothing beyond a few key lookups and type checks; "
     "no scope catalogue, redirect rules, unknown-key warnings or JSON-pointer diagnostics"),
]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def fmt_ops(x):
    if x is None:
        return "n/a"
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 1e3:
        return "%.1fk" % (x / 1e3)
    return "%.0f" % x


def fmt_ratio(a, b):
    if not a or not b:
        return "n/a"
    r = a / b
    return ("%.2f×" % r) if r < 10 else ("%.1f×" % r)


def main(argv):
    if len(argv) != 5:
        sys.exit(__doc__)
    hs, py, node, out_path = load(argv[1]), load(argv[2]), load(argv[3]), argv[4]

    hs_ops = {}
    for b in hs.get("benchmarks", []):
        name = b["name"].split("/")[0]
        if b.get("run_type", "iteration") != "iteration":
            continue
        ops = b.get("items_per_second")
        if ops is None and b.get("real_time"):
            unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
            ops = 1.0 / (b["real_time"] * unit)
        hs_ops[name] = ops
    ctx = hs.get("context", {})

    lines = []
    lines.append("# hsinstall throughput against urllib and URLSearchParams (one run)")
    lines.append("")
    lines.append("- hsinstall: %s, %s CPU(s) at %s MHz, Release build, Google Benchmark, wall-clock time%s" % (
        ctx.get("date", "?"), ctx.get("num_cpus", "?"), ctx.get("mhz_per_cpu", "?"),
        " (the Debian libbenchmark reports itself as a DEBUG build; that concerns the harness, not the measured code)"
        if ctx.get("library_build_type") == "debug" else ""))
    lines.append("- urllib: %s" % py.get("runtime", "?"))
    lines.append("- URLSearchParams: %s" % node.get("runtime", "?"))
    lines.append("- inputs: bench/inputs.json, identical for all three; ratio = hsinstall ops/s ÷ peer ops/s (above 1: hsinstall is faster)")
    lines.append("")
    lines.append("| job | hsinstall ops/s | urllib ops/s | URLSearchParams ops/s | ratio vs urllib | ratio vs URLSearchParams | note |")
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    for job, bm, note, _, _ in JOBS:
        a = hs_ops.get(bm)
        p = py.get("jobs", {}).get(job, {}).get("ops_per_sec")
        n = node.get("jobs", {}).get(job, {}).get("ops_per_sec")
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (job, fmt_ops(a), fmt_ops(p), fmt_ops(n), fmt_ratio(a, p), fmt_ratio(a, n), note))
    lines.append("")
    lines.append("Not the same work: the peers do less than hsinstall.")
    lines.append("")
    for job, _, _, does, peers in JOBS:
        lines.append("- %s (hsinstall: %s): %s." % (job, does, peers))
    lines.append("")

    # Do the three agree on what they produced?
    built = ctx.get("hsinstall_built_url")
    checks = []
    for label, peer in (("urllib", py), ("URLSearchParams", node)):
        o = peer.get("outputs", {})
        if built is not None:
            same = o.get("built_url") == built
            note = "identical to hsinstall's" if same else "differs from hsinstall's"
            if not same and "+" in (o.get("built_url") or "") and built.replace("%20", "+") == o.get("built_url"):
                note += " (spaces written '+', not HubSpot's %20)"
            checks.append("- %s built URL: %s" % (label, note))
        for key, ckey in (("parsed_scopes", "hsinstall_parsed_scopes"), ("callback_code", "hsinstall_callback_code"),
                          ("config_name", "hsinstall_config_name")):
            if ctx.get(ckey) is not None and o.get(key) != ctx.get(ckey):
                checks.append("- %s %s: %r, hsinstall: %r" % (label, key, o.get(key), ctx.get(ckey)))
    if checks:
        lines.append("Outputs (checked once, untimed):")
        lines.append("")
        lines.extend(checks)
        lines.append("")

    text = "\n".join(lines).rstrip("\n") + "\n"
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
