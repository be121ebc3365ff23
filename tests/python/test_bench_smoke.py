"""bench/python/bench.py still runs (a few milliseconds per contender; the figures mean nothing here)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "python" / "bench.py"


def test_bench_runs(tmp_path):
    out = tmp_path / "python.json"
    r = subprocess.run([sys.executable, str(BENCH), "--min-time", "0.02", "--rounds", "2", "--json", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "| build_install_url |" in r.stdout and "| parse_callback |" in r.stdout and "| lint_config |" in r.stdout
    doc = json.loads(out.read_text())
    assert doc["outputs"]["urllib_url_identical"] is True
    assert doc["outputs"]["urllib_code_identical"] is True
    assert set(doc["results"]["build_install_url"]) == {"hsinstall", "urllib", "oauthlib"}
