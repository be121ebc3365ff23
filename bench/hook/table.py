"""Installs per second and exchange latency through one and four hook processes, on SQLite and
on PostgreSQL, measured in one run and printed side by side.

    .venv/bin/python bench/hook/table.py [--installs 1000] [--concurrency 16] [--pg URL]

Rows: one Python process, one Node process, four processes (two Python, two Node) on one store;
columns: SQLite (a file on this machine), PostgreSQL (a fresh database in the cluster of --pg or
HSINSTALL_TEST_PG; bench/hook/run starts a throwaway one). Every run is bench.py's: a fresh
sandbox, fresh hooks, a fresh store, and the check that every install succeeded exactly once.
Writes bench/out/hook-<store>-<rows>.json per run and bench/out/hook-table.json, .md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

ROWS = [("1 × Python", "python", ["python"]), ("1 × Node", "node", ["node"]),
        ("4 (2 Python + 2 Node)", "mixed4", ["python", "node", "python", "node"])]
STORES = [("SQLite", "sqlite"), ("PostgreSQL", "postgresql")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--installs", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=20, help="untimed installs per process first")
    ap.add_argument("--pg", default=os.environ.get("HSINSTALL_TEST_PG"))
    args = ap.parse_args()
    if not args.pg:
        print("bench: the PostgreSQL column needs --pg URL or HSINSTALL_TEST_PG (bench/hook/run starts a throwaway one)", file=sys.stderr)
        return 1
    out = bench.ROOT / "bench" / "out"
    results = {}
    try:
        for _, store in STORES:
            for _, key, runtimes in ROWS:
                label = "%s-%s" % (store, key)
                results[label] = bench.run(label, [bench.runtime_command(r) for r in runtimes], store=store, pg=args.pg,
                                           installs=args.installs, concurrency=args.concurrency,
                                           json_path=out / ("hook-%s.json" % label), runtimes=runtimes,
                                           warmup=args.warmup)
    except bench.BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1

    head = "| hook processes | " + " | ".join("%s installs/s | p50 ms | p99 ms" % s for s, _ in STORES) + " | PostgreSQL ÷ SQLite |"
    rule = "|---|" + "|".join("---:|---:|---:" for _ in STORES) + "|---:|"
    lines = [head, rule]
    for name, key, _ in ROWS:
        cells = []
        for _, store in STORES:
            r = results["%s-%s" % (store, key)]
            cells += ["%.0f" % r["installs_per_s"], "%.1f" % r["median_ms"], "%.1f" % r["p99_ms"]]
        # The peer is the SQLite store, measured in the same run: installs/s on PostgreSQL over SQLite.
        cells.append("%.2f×" % (results["postgresql-%s" % key]["installs_per_s"] / results["sqlite-%s" % key]["installs_per_s"]))
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    about = ("%d timed installs per run (after %d untimed per process), %d exchanges in flight, every client, sandbox, hook "
             "and database on %d cores over loopback; both stores durable (SQLite WAL with "
             "synchronous=FULL, the hooks' setting; PostgreSQL with fsync on, its default); one run each, %s" % (args.installs, args.warmup, args.concurrency, os.cpu_count() or 0,
                                   datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")))
    table = "\n".join(lines)
    print("\n" + table + "\n\n" + about, flush=True)
    (out / "hook-table.md").write_text("# Hook installs through 1 and 4 processes, SQLite and PostgreSQL\n\n%s\n\n%s (%s, Python %s).\n"
                                       % (table, about, platform.platform(), platform.python_version()))
    (out / "hook-table.json").write_text(json.dumps({"about": about, "rows": [name for name, _, _ in ROWS],
                                                     "stores": [s for s, _ in STORES], "runs": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
