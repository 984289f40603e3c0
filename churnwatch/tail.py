"""Reading a topic from outside the consumer group: by partition assignment, no group join."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson

from config.settings import Settings


def tail_topic(
    settings: Settings,
    topic: str,
    from_beginning: bool = True,
    idle_s: float | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Any]:
    """Yield decoded JSON values of `topic` (raw text when not JSON) until idle for `idle_s`
    seconds or until `stop` is set."""
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, TopicPartition

    from agents.kafka import confluent_config

    consumer = Consumer(
        confluent_config(settings, **{"group.id": "churnwatch-tail", "enable.auto.commit": False})
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        start = OFFSET_BEGINNING if from_beginning else OFFSET_END
        consumer.assign([TopicPartition(topic, p, start) for p in partitions])
        last = time.monotonic()
        while (idle_s is None or time.monotonic() - last < idle_s) and not (stop and stop.is_set()):
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            last = time.monotonic()
            yield _decode(message.value())
    finally:
        consumer.close()


def _decode(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")
