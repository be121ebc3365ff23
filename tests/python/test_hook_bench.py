"""bench/hook/bench.py still runs (a few installs through the Python hook; the figures mean nothing here)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "hook" / "bench.py"


def test_hook_bench_runs(tmp_path):
    out = tmp_path / "hook.json"
    r = subprocess.run([sys.executable, str(BENCH), "--label", "python", "--installs", "20", "--concurrency", "4",
                        "--json", str(out)], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, HSINSTALL_TOKEN_KEY=os.urandom(32).hex()))  # every hook needs a token key
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"python: [\d.]+ installs/s, exchange median [\d.]+ ms, p99 [\d.]+ ms \(20 installs, 4 concurrent"
                        r", 1 process, sqlite\)\n", r.stdout), r.stdout
    doc = json.loads(out.read_text())
    n = doc["warmup_installs"] + 20  # the untimed warm-up installs go through the sandbox too
    assert doc["installs"] == n and doc["sandbox"]["code_grants"] == n and doc["sandbox"]["token_requests"] == n
