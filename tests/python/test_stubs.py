"""Typing: py.typed and _core.pyi ship with the package, and the stub matches the module."""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import hsinstall
from hsinstall import _core

PACKAGE = Path(hsinstall.__file__).resolve().parent


def stub_functions():
    tree = ast.parse((PACKAGE / "_core.pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            out[node.name] = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    return out


def runtime_params(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        # pybind11 functions: "name(a: handle, *, b: handle = None) -> object" on the doc's first line
        first = fn.__doc__.splitlines()[0]
        inner = first[first.index("(") + 1:first.rindex(")")]
        return [m.group(1) for m in re.finditer(r"(?:^|,\s*)(\w+)\s*:", inner)]


def test_typing_files_ship_with_the_package():
    assert (PACKAGE / "py.typed").exists()
    assert (PACKAGE / "_core.pyi").exists()


def test_the_stub_matches_the_module():
    stubs = stub_functions()
    public = {n for n in dir(_core) if not n.startswith("__") and callable(getattr(_core, n))
              and not isinstance(getattr(_core, n), type)}
    assert set(stubs) == public, (set(stubs) ^ public)
    for name, params in stubs.items():
        assert runtime_params(getattr(_core, name)) == params, name


def test_every_public_function_has_a_signature():
    for name in hsinstall.__all__:
        obj = getattr(hsinstall, name)
        if callable(obj) and not isinstance(obj, type):
            sig = inspect.signature(obj)
            assert sig.parameters or name in ("new_state",), name
    assert str(inspect.signature(hsinstall.install_url)).startswith("(*, client_id, redirect_uri=None")
