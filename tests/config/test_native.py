"""The compiled hot path: what is compiled, when a build counts as current, that a package
imports the build only then, and that both builds give the same outputs."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

import streams.engine
from config import native


def test_the_domain_and_the_contracts_are_compiled_but_not_package_inits_or_clis():
    compiled = native.sources()
    assert "streams/engine.py" in compiled
    assert "topics/inputs.py" in compiled
    assert not native.NOT_COMPILED & set(compiled)


def test_a_build_is_current_while_it_was_built_by_this_python_from_these_files(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(native, "MANIFEST", tmp_path / "MANIFEST.json")
    assert not native.is_built()  # none yet
    files = native.fingerprint()
    assert "config/policy.py" in files  # its types are checked by the compiled code
    built = {"python": sys.version, "mypy": "1", "files": files}
    native.MANIFEST.write_bytes(orjson.dumps(built))
    assert native.is_built()
    for stale in (
        {**built, "python": "3.12.1"},
        {**built, "files": {**files, "streams/engine.py": "0" * 64}},
        {**built, "files": {k: v for k, v in files.items() if k != "streams/view.py"}},
    ):
        native.MANIFEST.write_bytes(orjson.dumps(stale))
        assert not native.is_built()
    native.MANIFEST.write_bytes(b"{half a manif")
    assert not native.is_built()


def test_editor_lock_files_are_not_compiled(tmp_path, monkeypatch):
    (tmp_path / "streams").mkdir()
    for name in ("engine.py", ".#engine.py", "__init__.py"):
        (tmp_path / "streams" / name).write_text("")
    monkeypatch.setattr(native, "ROOT", tmp_path)
    assert native.sources() == ["streams/engine.py"]


def test_a_package_searches_the_build_first_only_when_it_is_used(monkeypatch):
    monkeypatch.setattr(native, "use_native", lambda: True)
    assert native.search_path("streams", ["/src/streams"]) == [
        str(native.BUILD / "streams"),
        "/src/streams",
    ]
    monkeypatch.setattr(native, "use_native", lambda: False)
    assert native.search_path("streams", ["/src/streams"]) == ["/src/streams"]


def test_the_suite_runs_the_compiled_build():
    # `make test` builds first: the tests check what the worker runs. CI insists on it
    # (CHURNWATCH_REQUIRE_NATIVE=1); elsewhere, a machine without a C compiler runs the source.
    if os.environ.get("CHURNWATCH_NATIVE") == "0":
        pytest.skip("CHURNWATCH_NATIVE=0 asks for the Python source")
    if not native.is_built():
        if os.environ.get("CHURNWATCH_REQUIRE_NATIVE"):
            pytest.fail("no current build of the hot path: `make native` failed or did not run")
        pytest.skip("no current build: `make native` makes one")
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
@pytest.mark.parametrize("policy", [[], ["--everything"]], ids=["default", "everything"])
def test_the_build_and_the_python_source_give_the_same_outputs_byte_for_byte(policy):
    def run(build: str) -> bytes:
        command = [sys.executable, "-m", "tests.support.offline_outputs", "120", *policy]
        env = {**os.environ, "CHURNWATCH_NATIVE": build}
        return subprocess.run(
            command, env=env, cwd=native.ROOT, capture_output=True, check=True
        ).stdout

    compiled, source = run("1"), run("0")
    assert compiled.count(b'"alert_id"') > 10  # alerts, tasks and states to compare
    assert compiled == source
