"""Process settings from the environment: where the broker and Redis are, how to reach them.

Everything here is deployment, not domain policy (that lives in `config.policy`). Each field has a
documented default; the names of the environment variables are part of the wire contract.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RAW_MODES = ("full", "masked", "none")  # CHURNWATCH_DEADLETTER_RAW (see topics.records)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class KafkaSecurity:
    """Client security, passed identically to Faust (aiokafka) and confluent-kafka clients."""

    protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    sasl_mechanism: str | None = None  # PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)  # never logged
    ssl_cafile: str | None = None


@dataclass(frozen=True)
class Settings:
    """Deployment settings; `Settings.from_env()` reads them from `CHURNWATCH_*` variables."""

    kafka_bootstrap: str | None = None  # CHURNWATCH_KAFKA_BOOTSTRAP, host:port list
    redis_url: str = "redis://127.0.0.1:6379/0"  # CHURNWATCH_REDIS_URL (redis:// or rediss://)
    web_port: int = 6066  # CHURNWATCH_WEB_PORT
    # Loopback unless configured: the API exposes customer risk, not for the open network.
    web_host: str = "127.0.0.1"  # CHURNWATCH_WEB_HOST
    timezone: str = "UTC"  # CHURNWATCH_TIMEZONE, the operator's zone for days and windows
    config_path: str | None = None  # CHURNWATCH_CONFIG, policy file overriding the defaults
    api_token: str | None = field(default=None, repr=False)  # CHURNWATCH_API_TOKEN
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    app_id: str = "churnwatch"  # CHURNWATCH_APP_ID, the consumer group and changelog prefix
    partitions: int = 8  # CHURNWATCH_PARTITIONS, for topics we create
    redis_prefix: str = "churnwatch:"  # CHURNWATCH_REDIS_PREFIX
    # Short by default: the embedded broker holds group joins for about half the session timeout.
    session_timeout_s: float = 10.0  # CHURNWATCH_SESSION_TIMEOUT_S
    data_dir: str = "/tmp/churnwatch"  # CHURNWATCH_DATA_DIR, worker scratch files
    # How often changed customer state goes to the changelog, the serving store is updated and
    # input offsets are committed. Alerts and tasks never wait for it: they go out with every
    # batch. Longer: fewer state writes for customers active in many batches, a staler serving
    # store and more input to re-read after a crash (Quix Streams' commit interval is 5 s).
    commit_interval_s: float = 5.0  # CHURNWATCH_COMMIT_INTERVAL_S
    # How much of a refused message a dead letter keeps: full, masked (runs of six or more
    # digits, phone numbers, replaced by #) or none.
    deadletter_raw: str = "masked"  # CHURNWATCH_DEADLETTER_RAW
    # How long a partition's clock waits for an input topic that has nothing new before it
    # moves on without it (Kafka Streams' max.task.idle.ms): a feed that pauses for less than
    # this between files, or a history still being produced, never looks finished.
    idle_timeout_s: float = 5.0  # CHURNWATCH_IDLE_TIMEOUT_S
    # The retention desk's console pages on the web port too (`churnwatch console` serves
    # them on their own): 1 to enable.
    console: bool = False  # CHURNWATCH_CONSOLE
    # Care tasks for moments whose task would already have expired at wall clock (a backfill
    # of old history): off, such alerts are made without a task (counted in
    # churnwatch_stale_tasks_skipped_total); 1 to make them anyway (a replay for analysis).
    backfill_tasks: bool = False  # CHURNWATCH_BACKFILL_TASKS

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            kafka_bootstrap=env.get("CHURNWATCH_KAFKA_BOOTSTRAP") or None,
            redis_url=env.get("CHURNWATCH_REDIS_URL", cls.redis_url),
            web_port=_int(env, "CHURNWATCH_WEB_PORT", cls.web_port),
            web_host=env.get("CHURNWATCH_WEB_HOST", cls.web_host),
            timezone=env.get("CHURNWATCH_TIMEZONE", cls.timezone),
            config_path=env.get("CHURNWATCH_CONFIG") or None,
            api_token=env.get("CHURNWATCH_API_TOKEN") or None,
            security=KafkaSecurity(
                protocol=env.get("CHURNWATCH_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper(),
                sasl_mechanism=env.get("CHURNWATCH_KAFKA_SASL_MECHANISM") or None,
                sasl_username=env.get("CHURNWATCH_KAFKA_SASL_USERNAME") or None,
                sasl_password=env.get("CHURNWATCH_KAFKA_SASL_PASSWORD") or None,
                ssl_cafile=env.get("CHURNWATCH_KAFKA_SSL_CAFILE") or None,
            ),
            app_id=env.get("CHURNWATCH_APP_ID", cls.app_id),
            partitions=_int(env, "CHURNWATCH_PARTITIONS", cls.partitions),
            redis_prefix=env.get("CHURNWATCH_REDIS_PREFIX", cls.redis_prefix),
            session_timeout_s=_float(env, "CHURNWATCH_SESSION_TIMEOUT_S", cls.session_timeout_s),
            data_dir=env.get("CHURNWATCH_DATA_DIR", cls.data_dir),
            commit_interval_s=_float(env, "CHURNWATCH_COMMIT_INTERVAL_S", cls.commit_interval_s),
            deadletter_raw=env.get("CHURNWATCH_DEADLETTER_RAW", cls.deadletter_raw).lower(),
            idle_timeout_s=_float(env, "CHURNWATCH_IDLE_TIMEOUT_S", cls.idle_timeout_s),
            console=_flag(env, "CHURNWATCH_CONSOLE"),
            backfill_tasks=_flag(env, "CHURNWATCH_BACKFILL_TASKS"),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        try:
            self.tz  # noqa: B018 - resolving the zone is the check
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(
                f"CHURNWATCH_TIMEZONE: unknown time zone {self.timezone!r}"
            ) from exc
        if self.security.protocol not in {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}:
            raise SettingsError(
                f"CHURNWATCH_KAFKA_SECURITY_PROTOCOL: {self.security.protocol!r} is not one of "
                "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
            )
        _in_range("CHURNWATCH_WEB_PORT", self.web_port, 1, 65535)
        _in_range("CHURNWATCH_PARTITIONS", self.partitions, 1, 10_000)
        _in_range("CHURNWATCH_SESSION_TIMEOUT_S", self.session_timeout_s, 1, 3600)
        _in_range("CHURNWATCH_COMMIT_INTERVAL_S", self.commit_interval_s, 0.05, 60)
        _in_range("CHURNWATCH_IDLE_TIMEOUT_S", self.idle_timeout_s, 0, 3600)
        if self.deadletter_raw not in RAW_MODES:
            raise SettingsError(
                f"CHURNWATCH_DEADLETTER_RAW: {self.deadletter_raw!r} is not one of "
                + ", ".join(RAW_MODES)
            )
        if not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(
                "CHURNWATCH_REDIS_URL: must start with redis://, rediss:// or unix://"
            )

    def require_bootstrap(self) -> str:
        if not self.kafka_bootstrap:
            raise SettingsError(
                "CHURNWATCH_KAFKA_BOOTSTRAP is not set: point it at your Kafka brokers "
                "(host:port[,host:port]), or run `churnwatch demo` to use the embedded broker."
            )
        return self.kafka_bootstrap


def _in_range(name: str, value: float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        raise SettingsError(f"{name}: {value} is outside {lo}..{hi}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: expected an integer, got {raw!r}") from exc


def _flag(env: Mapping[str, str], name: str) -> bool:
    """A switch that is off unless set to 1, true or yes."""
    return env.get(name, "") in ("1", "true", "yes")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: expected a number, got {raw!r}") from exc
