"""The compiled hot path: which modules mypyc compiles to C, how to build them, and when the
compiled build runs instead of the Python source.

The domain (`streams`) and the wire contracts (`topics`) are fully typed, pure Python; mypyc
compiles them unchanged and the worker spends about a third fewer instructions per event
(`make bench-pipeline-ir`). The build goes to `build/native/`, never beside the sources, and a
package imports it only while it is newer than every source it was built from: an edited
module runs as Python until `make native` builds again, so no one tests stale C by mistake.
`CHURNWATCH_NATIVE=0` runs the Python source regardless (a debugger, a coverage run).

Build: `python -m config.native` (`make native`; `make test` and `make run` do it first).
"""

from __future__ import annotations

import os
import shutil
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "native"
MANIFEST = BUILD / "SOURCES"  # written last: the sources of a finished build
PACKAGES = ("streams", "topics")
# Run as `python -m`, which an extension module cannot be; package inits choose the build.
NOT_COMPILED = frozenset({"topics/schemas.py", "streams/__init__.py", "topics/__init__.py"})
GROUP = "streams._native"  # one shared library: calls between the modules stay in C


def sources() -> list[str]:
    """The modules compiled, relative to the repository."""
    found = (p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).glob("*.py"))
    return sorted(s for s in found if s not in NOT_COMPILED)


def search_path(package: str, path: list[str]) -> list[str]:
    """A package's `__path__`, with the compiled build first when it is current."""
    return [str(BUILD / package), *path] if use_native() else path


@cache
def use_native() -> bool:
    return os.environ.get("CHURNWATCH_NATIVE", "1") != "0" and is_built()


def is_built() -> bool:
    """Whether `build/native` holds a finished build of the current sources."""
    if not MANIFEST.exists():
        return False
    return is_current(MANIFEST.read_text().split(), MANIFEST.stat().st_mtime)


def is_current(built: list[str], built_at: float) -> bool:
    """Whether a build of `built` begun at `built_at` still matches the sources: the same
    modules, none changed since (mtimes, as make judges; a checkout counts as a change)."""
    if built != sources():
        return False
    return all((ROOT / s).stat().st_mtime <= built_at for s in built)


def build() -> None:
    """Compile `sources()` into `BUILD`, then write the manifest that makes it current."""
    from mypyc.build import mypycify  # the dev tools: only a build needs mypy
    from setuptools import setup

    modules, started = sources(), time.time()
    if is_built():
        print(f"{BUILD.relative_to(ROOT)} is current")
        return
    shutil.rmtree(BUILD, ignore_errors=True)  # nor a module whose source is gone
    os.chdir(ROOT)  # mypyc names modules by their path from here
    setup(
        name="churnwatch-native",
        ext_modules=mypycify(
            modules, opt_level="3", separate=[(modules, GROUP)], target_dir="build/c"
        ),
        script_args=["build_ext", "--build-lib", str(BUILD), "--build-temp", "build/temp"],
    )
    MANIFEST.write_text("\n".join(modules) + "\n")
    os.utime(MANIFEST, (started, started))  # a source saved during the build is newer


if __name__ == "__main__":
    build()
