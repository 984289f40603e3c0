"""The changelog writer against the real broker: what it acknowledges is there to recover, and
what the broker refuses is an error, never a silent loss."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from agents.changelog import ChangelogStore
from agents.changelog_writer import ChangelogError, ChangelogWriter
from agents.kafka import aiokafka_config
from config.settings import Settings
from embedded.services import EmbeddedBroker
from embedded.topics import create_topics
from streams.state import CustomerState

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _topic(broker: EmbeddedBroker) -> str:
    topic = f"test-changelog-{uuid.uuid4().hex[:8]}"
    create_topics(broker.bootstrap, [(topic, 2, {"cleanup.policy": "compact"})])
    return topic


def test_acknowledged_states_are_recovered(broker: EmbeddedBroker) -> None:
    topic = _topic(broker)
    writer = ChangelogWriter(topic, {"bootstrap.servers": broker.bootstrap})
    first, second = CustomerState("C000001", first_day=3), CustomerState("C000002", first_day=4)
    asyncio.run(writer.write([(0, b"C000001", first.to_bytes()), (1, b"C000002", b"{}")]))
    asyncio.run(writer.write([(1, b"C000002", second.to_bytes())]))  # the latest value wins
    store = ChangelogStore(topic, aiokafka_config(Settings(kafka_bootstrap=broker.bootstrap)))
    asyncio.run(store.recover([0, 1]))
    assert store.load(0)[0] == [first]
    assert store.load(1)[0] == [second]


def test_a_refused_record_is_an_error(broker: EmbeddedBroker) -> None:
    writer = ChangelogWriter(_topic(broker), {"bootstrap.servers": broker.bootstrap})
    with pytest.raises(ChangelogError, match="refused"):
        asyncio.run(writer.write([(7, b"C000001", b"{}")]))  # the topic has 2 partitions


def test_a_writer_that_never_writes_starts_no_producer() -> None:
    writer = ChangelogWriter("never-written", {"bootstrap.servers": "127.0.0.1:9"})
    writer.close()
    assert writer._made is None
