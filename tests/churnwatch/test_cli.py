"""The `churnwatch` command line: every command has --help; commands that need a broker say
so clearly; topics, replay and tail work against the embedded broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from churnwatch.cli import build_parser, main
from churnwatch.commands import native_note
from config import native
from embedded.services import EmbeddedBroker
from tests.support.live import read_topic
from topics.catalog import CDR, catalog

COMMANDS = ["worker", "demo", "simulate", "replay", "tail", "topics", "bench", "evaluate", "fit"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHURNWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "churnwatch", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert "usage: churnwatch" in capsys.readouterr().out


def test_the_parser_lists_every_contract_command() -> None:
    help_text = build_parser().format_help()
    for command in COMMANDS:
        assert command in help_text


def test_worker_without_a_bootstrap_fails_with_a_clear_message() -> None:
    done = run_cli("worker")
    assert done.returncode == 2
    assert "CHURNWATCH_KAFKA_BOOTSTRAP is not set" in done.stderr


def test_worker_with_an_invalid_policy_names_the_key(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"levels": {"mediun": 0.4}}')
    done = run_cli(
        "worker",
        env={"CHURNWATCH_KAFKA_BOOTSTRAP": "127.0.0.1:1", "CHURNWATCH_CONFIG": str(policy)},
    )
    assert done.returncode == 2
    assert "levels.mediun: unknown key" in done.stderr


@pytest.mark.integration
def test_topics_create_replay_and_tail(tmp_path: Path) -> None:
    with EmbeddedBroker() as broker:
        env = {"CHURNWATCH_KAFKA_BOOTSTRAP": broker.bootstrap}
        created = run_cli("topics", "create", env=env)
        assert created.returncode == 0, created.stderr
        for spec in catalog():
            assert spec.name in created.stdout

        value = {"event_id": "e1", "customer_id": "C000001", "ts": "2026-03-01T08:00:00Z",
                 "kind": "data", "bytes": 1024}  # fmt: skip
        good = tmp_path / "good.jsonl"
        good.write_bytes(orjson.dumps({"topic": CDR, "value": value}) + b"\n")
        assert run_cli("replay", str(good), env=env).returncode == 0
        assert read_topic(broker.bootstrap, CDR) == [value]

        bad = tmp_path / "bad.jsonl"
        bad.write_bytes(orjson.dumps({"topic": CDR, "value": value}) + b"\n{broken\n")
        failed = run_cli("replay", str(bad), env=env)
        assert failed.returncode == 1
        assert f"{bad}:2" in failed.stderr

        tailed = run_cli("tail", CDR, "--from-beginning", "--max", "1", env=env)
        assert orjson.loads(tailed.stdout.splitlines()[0]) == value


def test_the_worker_says_which_build_of_the_hot_path_it_runs(monkeypatch):
    monkeypatch.setattr(native, "use_native", lambda: True)
    assert "compiled by mypyc" in native_note()
    monkeypatch.setattr(native, "use_native", lambda: False)
    assert native_note() == "hot path running as Python source (`make native` compiles it)"
