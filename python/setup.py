"""Builds hsinstall._core with the repository's own CMake (pybind11's cmake_example pattern).

There is one build system for the core: the top-level CMakeLists.txt. This file runs it
with -DHSINSTALL_PYTHON=ON (tests and CLI off), builds the module target and copies the
module into the package. The CMake build folder is kept between runs as a cache:
<repository>/build-python/<interpreter tag>/ unless HSINSTALL_CMAKE_BUILD_DIR names another.

The hook's store schema (the repository's schema/<dialect>/NNN_*.sql, the one truth both
runtimes run) is copied into the package as hsinstall/schema/ at build time.
"""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    m = re.search(r"project\(\s*hsinstall\s+VERSION\s+([0-9.]+)", text)
    return m.group(1) if m else "0.0.0"


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        if not (ROOT / "core" / "CMakeLists.txt").exists():
            raise RuntimeError(
                "hsinstall's Python package is built from the repository (it needs ../core); "
                "run pip install on the python/ folder of a hsinstall checkout")
        ext_path = Path(self.get_ext_fullpath(ext.name)).resolve()
        tag = "%s-%s" % (sys.implementation.cache_tag, sysconfig.get_platform())
        build_dir = Path(os.environ.get("HSINSTALL_CMAKE_BUILD_DIR") or ROOT / "build-python" / tag).resolve()
        package_dir = build_dir / "python" / "hsinstall"
        build_type = os.environ.get("HSINSTALL_BUILD_TYPE", "Release")
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=" + build_type,
            "-DHSINSTALL_PYTHON=ON", "-DHSINSTALL_TESTS=OFF", "-DHSINSTALL_CLI=OFF",
            "-DHSINSTALL_BENCH=OFF", "-DHSINSTALL_SANITIZE=OFF",
            "-DPython_EXECUTABLE=" + sys.executable,
            "-DHSINSTALL_PYTHON_PACKAGE_DIR=" + str(package_dir),
        ]
        if not (build_dir / "CMakeCache.txt").exists() and shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 2)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "hsinstall_python", "-j", jobs], check=True)
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        built = package_dir / ("_core" + suffix)
        if not built.exists():
            candidates = sorted(package_dir.glob("_core*"))
            if not candidates:
                raise RuntimeError("the CMake build produced no _core module in %s" % package_dir)
            built = candidates[0]
        ext_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, ext_path)


class BuildPy(build_py):
    """The pure-Python package, plus a copy of the repository's schema/ folder as hsinstall/schema/."""

    def run(self):
        super().run()
        source = ROOT / "schema"
        if not (source / "sqlite").is_dir() or not (source / "postgresql").is_dir():
            raise RuntimeError("the hook's schema files (../schema/sqlite, ../schema/postgresql) are missing; "
                               "run pip install on the python/ folder of a hsinstall checkout")
        target = Path(self.build_lib) / "hsinstall" / "schema"
        if target.exists():
            shutil.rmtree(target)
        for dialect in ("sqlite", "postgresql"):
            (target / dialect).mkdir(parents=True)
            for sql in sorted((source / dialect).glob("*.sql")):
                shutil.copyfile(sql, target / dialect / sql.name)


setup(
    version=project_version(),
    ext_modules=[CMakeExtension("hsinstall._core")],
    cmdclass={"build_ext": CMakeBuild, "build_py": BuildPy},
)
