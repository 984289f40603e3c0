"""The compiled hot path: what is compiled, when a build counts as current, and that a package
imports the build only then."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import streams.engine
from config import native


def test_the_domain_and_the_contracts_are_compiled_but_not_package_inits_or_clis():
    compiled = native.sources()
    assert "streams/engine.py" in compiled
    assert "topics/inputs.py" in compiled
    assert not native.NOT_COMPILED & set(compiled)


def test_a_build_is_current_until_a_source_changes_after_it_began():
    built = native.sources()
    newest = max((native.ROOT / s).stat().st_mtime for s in built)
    assert native.is_current(built, newest)
    assert not native.is_current(built, newest - 1)


def test_a_build_of_other_modules_is_not_current():
    built = native.sources()
    assert not native.is_current(built[:-1], float("inf"))
    assert not native.is_current([*built, "streams/gone.py"], float("inf"))


def test_a_package_searches_the_build_first_only_when_it_is_used(monkeypatch):
    monkeypatch.setattr(native, "use_native", lambda: True)
    assert native.search_path("streams", ["/src/streams"]) == [
        str(native.BUILD / "streams"),
        "/src/streams",
    ]
    monkeypatch.setattr(native, "use_native", lambda: False)
    assert native.search_path("streams", ["/src/streams"]) == ["/src/streams"]


@pytest.mark.skipif(not native.is_built(), reason="no current build: `make native` makes one")
def test_the_suite_runs_the_compiled_build_when_one_is_current():
    # `make test` builds first: the tests check what the worker runs.
    if os.environ.get("CHURNWATCH_NATIVE") == "0":
        pytest.skip("CHURNWATCH_NATIVE=0 asks for the Python source")
    assert streams.engine.__file__ is not None
    assert streams.engine.__file__.startswith(str(native.BUILD))


def test_churnwatch_native_0_runs_the_python_source():
    code = "import streams.engine as s, topics.inputs as t; print(s.__file__, t.__file__)"
    env = {**os.environ, "CHURNWATCH_NATIVE": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=native.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(native.ROOT / "streams/engine.py"), str(native.ROOT / "topics/inputs.py")]


@pytest.mark.skipif(not native.is_built(), reason="no current build: `make native` makes one")
def test_the_build_and_the_python_source_give_the_same_outputs_byte_for_byte():
    def run(build: str) -> bytes:
        command = [sys.executable, "-m", "tests.support.offline_outputs", "150"]
        env = {**os.environ, "CHURNWATCH_NATIVE": build}
        return subprocess.run(
            command, env=env, cwd=native.ROOT, capture_output=True, check=True
        ).stdout

    compiled, source = run("1"), run("0")
    assert compiled.count(b'"alert_id"') > 10  # alerts, tasks and states to compare
    assert compiled == source
