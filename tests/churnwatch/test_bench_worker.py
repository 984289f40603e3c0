"""The bench's worker figures that need a broker: how far a group has committed."""

from __future__ import annotations

from confluent_kafka import Consumer, TopicPartition

from churnwatch.bench_worker import _wait_committed
from churnwatch.commands import ensure_topics
from config.settings import Settings
from embedded.services import EmbeddedBroker
from topics.catalog import CDR, CRM


def test_a_groups_committed_input_offsets_are_summed_without_joining_it(
    broker: EmbeddedBroker,
) -> None:
    ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
    group = "bench-committed-test"
    assert not _wait_committed(broker.bootstrap, group, 1, timeout_s=0.3)
    committer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        committer.commit(
            offsets=[TopicPartition(CDR, 0, 5), TopicPartition(CRM, 1, 2)], asynchronous=False
        )
    finally:
        committer.close()
    assert _wait_committed(broker.bootstrap, group, 7, timeout_s=10.0)
    assert not _wait_committed(broker.bootstrap, group, 8, timeout_s=0.3)
