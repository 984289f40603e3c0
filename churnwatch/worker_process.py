"""A `churnwatch worker` child process, for the demo, the benchmark and the fault tests."""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence

from embedded.process import ManagedProcess, answers_ok


class WorkerProcess(ManagedProcess):
    """A worker on its own web port; ready once `/healthz` answers."""

    name = "churnwatch worker"

    def __init__(
        self,
        bootstrap: str,
        redis_url: str,
        *,
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
        keep_logs: bool = True,
    ) -> None:
        super().__init__(startup_timeout=startup_timeout, keep_logs=keep_logs)
        self.bootstrap = bootstrap
        self.redis_url = redis_url
        self.extra_env = dict(env or {})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> Sequence[str]:
        return [sys.executable, "-m", "churnwatch", "worker"]

    def _environment(self) -> Mapping[str, str]:
        data_dir = str(self.workdir) if self.workdir else "/tmp/churnwatch"
        return {
            **os.environ,
            "CHURNWATCH_KAFKA_BOOTSTRAP": self.bootstrap,
            "CHURNWATCH_REDIS_URL": self.redis_url,
            "CHURNWATCH_WEB_PORT": str(self.port),
            "CHURNWATCH_SESSION_TIMEOUT_S": "6",
            "CHURNWATCH_DATA_DIR": data_dir,
            **self.extra_env,
        }

    def _is_ready(self) -> bool:
        return answers_ok(f"{self.url}/healthz")

    def is_ready(self) -> bool:
        """`/readyz` answers 200: partitions assigned and their state recovered."""
        return answers_ok(f"{self.url}/readyz")

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5.0) as response:
            return str(response.read().decode())


def metric_sum(text: str, name: str) -> float:
    """The sum of every sample of metric `name` in Prometheus text (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
            total += float(line.rsplit(" ", 1)[1])
    return total
