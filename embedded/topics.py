"""Idempotent topic creation that returns only once the topics are usable.

A successful CreateTopics response does not mean every client sees the topic yet, so after
creating we poll metadata until each topic lists all its partitions with a leader. Running it
again against existing topics is fine — as long as they have the partition count asked for:
Tansu cannot add partitions (CreatePartitions is unsupported), so a mismatch is an error rather
than something to wait out.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Mapping, Sequence

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from embedded.process import wait_until

__all__ = ["create_topics"]

_log = logging.getLogger("churnwatch.embedded.kafka")


def create_topics(
    bootstrap: str,
    specs: Sequence[tuple[str, int, dict[str, str]]],
    timeout: float = 30,
    *,
    replication_factor: int = 1,
    client_config: Mapping[str, str] | None = None,
) -> None:
    """Create `(name, partitions, config)` topics unless they exist, then wait for metadata.

    `client_config` is merged into the AdminClient configuration (security settings for a real
    cluster). Raises `TimeoutError` when the broker does not confirm within `timeout` seconds and
    `RuntimeError` when it refuses a topic or an existing one has another partition count.
    """
    wanted: dict[str, int] = {}
    for name, partitions, _config in specs:
        if wanted.setdefault(name, partitions) != partitions:
            raise ValueError(f"topic {name!r} is listed twice with different partition counts")
    if not wanted:
        return
    deadline = time.monotonic() + timeout
    admin = AdminClient({"bootstrap.servers": bootstrap, **dict(client_config or {})}, logger=_log)
    new_topics = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            config=dict(config),
        )
        for name, partitions, config in {s[0]: s for s in specs}.values()
    ]
    futures = admin.create_topics(
        new_topics, operation_timeout=min(timeout, 30.0), request_timeout=timeout
    )
    existing: set[str] = set()
    for name, future in futures.items():
        try:
            future.result(timeout=max(deadline - time.monotonic(), 0.1))
        except concurrent.futures.TimeoutError as exc:
            raise TimeoutError(f"broker {bootstrap} did not confirm topic {name!r}") from exc
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                existing.add(name)
                continue
            raise RuntimeError(f"creating topic {name!r} on {bootstrap} failed: {exc}") from exc

    def all_visible() -> bool:
        remaining = deadline - time.monotonic()
        try:
            metadata = admin.list_topics(timeout=max(min(remaining, 2.0), 0.1))
        except KafkaException:
            return False
        for name, partitions in wanted.items():
            topic = metadata.topics.get(name)
            if topic is None or topic.error is not None:
                return False
            seen = len(topic.partitions)
            if name in existing and seen and seen != partitions:
                raise RuntimeError(
                    f"topic {name!r} already exists with {seen} partitions, not {partitions}"
                )
            if seen != partitions:
                return False
            if any(p.error is not None or p.leader < 0 for p in topic.partitions.values()):
                return False
        return True

    wait_until(
        all_visible,
        max(deadline - time.monotonic(), 0.0),
        f"topics {sorted(wanted)} to appear in metadata of {bootstrap}",
        interval=0.1,
    )
