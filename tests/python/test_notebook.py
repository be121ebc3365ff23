"""Executes demo/hsinstall-notebook.ipynb with nbclient + ipykernel (Debian's python3-nbclient,
python3-ipykernel) and checks its rich outputs.

The kernel is this interpreter (the one that imports hsinstall: .venv's python under
scripts/test-python), through a kernelspec written to a temporary JUPYTER_PATH folder.
The notebook's own "python3" kernelspec would otherwise resolve to Debian's system
kernel, /usr/bin/python3, which has no hsinstall.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import ipykernel  # noqa: F401  (required: scripts/setup installs python3-ipykernel)
import nbclient
import nbformat

NOTEBOOK = Path(__file__).resolve().parents[2] / "demo" / "hsinstall-notebook.ipynb"
KERNEL = "hsinstall-test-python"


def execute(path: Path, jupyter_dir: Path):
    spec = jupyter_dir / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    env = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    if os.environ.get("HSINSTALL_PYTHONPATH"):
        env["PYTHONPATH"] = os.path.abspath(os.environ["HSINSTALL_PYTHONPATH"])
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hsinstall test kernel", "language": "python", "env": env,
    }))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(jupyter_dir) + (os.pathsep + old if old else "")
    try:
        nb = nbformat.read(str(path), as_version=4)
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name=KERNEL,
                                         resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        return nb
    finally:
        if old is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = old


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    return execute(NOTEBOOK, tmp_path_factory.mktemp("jupyter"))


def outputs(nb, kind):
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type in ("execute_result", "display_data") and kind in out.get("data", {}):
                yield out["data"][kind]
            elif out.output_type == "stream" and kind == "stream":
                yield out["text"]


def test_notebook_runs_without_errors(executed):
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_notebook_shows_tables(executed):
    html = "\n".join(outputs(executed, "text/html"))
    # the lint report: coloured severities, codes, hints
    assert "FAILED" in html and "scope.unknown" in html and "redirect.insecure" in html and "hint:" in html
    assert "#c62828" in html and "#a15c00" in html  # error and warning colours
    # the app config: scopes by kind, with descriptions and sensitivity
    assert "conditional" in html and "View contact records" in html and "sensitive" in html
    # the inspected URL: what does not fit the app
    assert "install_url.missing_required_scope" in html or "install_url.undeclared_scope" in html
    # the built URL is a link
    assert '<a href="https://app.hubspot.com/oauth/authorize?' in html


def test_notebook_prints(executed):
    text = "\n".join(outputs(executed, "stream"))
    assert "ConfigError -> " in text
    assert "crm.objects.contacts.read" in text  # the suggestion for the typo
    assert "TypeError: scopes takes a list of str" in text
    assert "callback.state_mismatch" in text and "callback.access_denied" in text
    assert "token.rate_limited retryable: True" in text
    assert "not-a-real-secret" not in text


if __name__ == "__main__":  # python tests/python/test_notebook.py: re-run the notebook and save its outputs
    import tempfile

    done = execute(NOTEBOOK, Path(tempfile.mkdtemp()))
    done.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(done, str(NOTEBOOK))
    print("wrote", NOTEBOOK)
