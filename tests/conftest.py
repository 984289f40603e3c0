"""Shared fixtures: one embedded broker and one redis-server per test session, started lazily.

Session-scoped on purpose: Tansu's memory grows with everything produced to it and a group join
costs seconds, so tests share one broker and isolate themselves with unique topic and group
names. The fixtures start only when a test asks for them, so unit-test runs never spawn a server.
When a test that used them fails, the tail of each server's log is attached to the report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

# Guard for other import modes and runners: were tests/ (no __init__.py) on sys.path without the
# repository root, tests/embedded/ would shadow the real `embedded` package as an empty
# namespace package. A regular package anywhere on sys.path beats a namespace portion.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

from embedded.process import ManagedProcess  # noqa: E402
from embedded.services import EmbeddedBroker, EmbeddedRedis, Services  # noqa: E402

# The suite's histories are dated early 2026 (the simulator's and the stories' calendars), so
# their care tasks have long expired: the workers tests start make them, as a live run did. The
# tests of the stale-task rule itself start workers without it.
os.environ.setdefault("CHURNWATCH_BACKFILL_TASKS", "1")


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """A running Tansu broker (memory storage) shared by the whole session."""
    with EmbeddedBroker() as started:
        yield started


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    """A running redis-server without persistence shared by the whole session."""
    with EmbeddedRedis() as started:
        yield started


@pytest.fixture(scope="session")
def services(broker: EmbeddedBroker, redis_server: EmbeddedRedis) -> Services:
    """The addresses of the session's broker and Redis."""
    return Services(bootstrap=broker.bootstrap, redis_url=redis_server.url)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        for name, value in funcargs.items():
            if isinstance(value, ManagedProcess):
                report.sections.append(
                    (f"{name} log ({value.log_path})", value.log_tail(60)),
                )
    return report
