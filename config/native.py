"""The compiled hot path: which modules mypyc compiles to C, how to build them, and when the
compiled build runs instead of the Python source.

The domain (`streams`) and the wire contracts (`topics`) are fully typed, pure Python; mypyc
compiles them unchanged and the worker spends about a third less CPU per event (see the
README). The build goes to `build/native/`, never beside the sources, and a package imports it
only while it is *current*: built by this Python from exactly the sources on disk (and the
policy types it checks at run time), compared by content. An edited module runs as Python
until `make native` builds again, so no one tests stale C by mistake. `CHURNWATCH_NATIVE=0`
runs the Python source regardless (a debugger, a coverage run).

Build: `python -m config.native` (`make native`; `make test` and `make run` do it first).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "native"
MANIFEST = BUILD / "MANIFEST.json"  # written last: what a finished build was built from
PACKAGES = ("streams", "topics")
# Run as `python -m`, which an extension module cannot be; package inits choose the build.
NOT_COMPILED = frozenset({"topics/schemas.py", "streams/__init__.py", "topics/__init__.py"})
# Not compiled, but the compiled code checks its types at run time: an edit must rebuild.
DEPENDS = ("config/policy.py",)
GROUP = "streams._native"  # one shared library: calls between the modules stay in C


def sources() -> list[str]:
    """The modules compiled, relative to the repository (no editor lock or backup files)."""
    found = (p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).glob("*.py"))
    return sorted(s for s in found if s not in NOT_COMPILED and not Path(s).name.startswith("."))


def search_path(package: str, path: list[str]) -> list[str]:
    """A package's `__path__`, with the compiled build first when it is current."""
    return [str(BUILD / package), *path] if use_native() else path


@cache
def use_native() -> bool:
    return os.environ.get("CHURNWATCH_NATIVE", "1") != "0" and is_built()


def is_built() -> bool:
    """Whether `build/native` holds a finished build of the sources as they are now."""
    built = built_from()
    try:
        return bool(built["python"] == sys.version and built["files"] == fingerprint())
    except (OSError, KeyError, TypeError):
        return False  # no build, one being replaced, a source gone while we looked


def built_from() -> dict[str, Any]:
    """The manifest of the build in `BUILD` (empty: none there, or not readable)."""
    try:
        found = orjson.loads(MANIFEST.read_bytes())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def fingerprint() -> dict[str, str]:
    """Each compiled module and dependency by the hash of its content (~1 ms for all)."""
    return {name: _digest(ROOT / name) for name in [*sources(), *DEPENDS]}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> dict[str, Any]:
    from importlib.metadata import version

    return {"python": sys.version, "mypy": version("mypy"), "files": fingerprint()}


def build() -> None:
    """Compile `sources()` into `BUILD`, then write the manifest that makes it current. Built
    in a scratch folder and moved in whole: a failed build leaves the last one as it was."""
    from mypyc.build import mypycify  # the dev tools: only a build needs mypy
    from setuptools import setup

    wanted = manifest()  # before mypyc reads anything: a source saved meanwhile differs
    if built_from() == wanted:
        print(f"{BUILD.relative_to(ROOT)} is current")
        return
    modules, scratch = sources(), BUILD.with_name("native-next")
    shutil.rmtree(scratch, ignore_errors=True)
    os.chdir(ROOT)  # mypyc names modules by their path from here
    setup(
        name="churnwatch-native",
        ext_modules=mypycify(
            modules, opt_level="3", separate=[(modules, GROUP)], target_dir="build/c"
        ),
        script_args=["build_ext", "--build-lib", str(scratch), "--build-temp", "build/temp"],
    )
    (scratch / MANIFEST.name).write_bytes(orjson.dumps(wanted, option=orjson.OPT_INDENT_2))
    shutil.rmtree(BUILD, ignore_errors=True)
    scratch.rename(BUILD)


if __name__ == "__main__":
    build()
