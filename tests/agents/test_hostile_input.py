"""Input the simulator never sends, through the real worker, broker and Redis: values of
several MiB, junk that JSON-escapes to many times its size, customer ids shaped like our own
bookkeeping, and a host that has none of the worker's data directory yet."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer

from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.settings import Settings
from embedded.services import EmbeddedBroker, EmbeddedRedis
from tests.support.live import as_record, wait_for_metric, wait_for_records
from topics.catalog import CDR, DEADLETTER
from topics.records import RAW_KEPT_BYTES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

GOOD = {
    "event_id": "e-1", "customer_id": "C000001", "ts": "2026-03-01T08:15:00+08:00",
    "kind": "voice", "direction": "out", "duration_s": 60, "counterpart": "13800000000",
}  # fmt: skip


@pytest.fixture
def fresh_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as started:
        ensure_topics(Settings(kafka_bootstrap=started.bootstrap))
        yield started


def _produce_large(bootstrap: str, records: list) -> None:
    """A producer that allows values of several MiB, as a careless upstream may configure."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "partitioner": "murmur2_random",
            "message.max.bytes": 8 * 1024 * 1024,
        }
    )
    for record in records:
        producer.produce(record.topic, key=record.key.encode(), value=record.value)
        producer.poll(0)
    assert producer.flush(60) == 0


def test_huge_and_hostile_values_cost_one_bounded_dead_letter_each(
    fresh_broker: EmbeddedBroker, redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    # A data directory none of whose parents exist: a new host's.
    data_dir = tmp_path / "var" / "lib" / "churnwatch"
    junk = b"\x01" * (900 * 1024)  # JSON-escaped, six times its size
    huge = b'{"event_id": "' + b"9" * (2 * 1024 * 1024) + b'"}'  # 2 MiB, digits to mask
    binary = bytes(range(256)) * 8192  # 2 MiB, not UTF-8
    hostile = [
        as_record(CDR, huge, "C000001"),
        as_record(CDR, junk, "C000001"),
        as_record(CDR, binary, "C000001"),
        as_record(CDR, {**GOOD, "event_id": "e-ctl", "customer_id": "\x00clock:0"}, "C000001"),
    ]
    after = [as_record(CDR, {**GOOD, "event_id": f"ok-{i}"}, "C000001") for i in range(5)]
    env = {"CHURNWATCH_DATA_DIR": str(data_dir)}
    with WorkerProcess(fresh_broker.bootstrap, redis_server.url, env=env) as worker:
        _produce_large(fresh_broker.bootstrap, [as_record(CDR, GOOD, "C000001"), *hostile])
        _produce_large(fresh_broker.bootstrap, after)
        wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= 10, timeout=90)
        letters = wait_for_records(
            fresh_broker.bootstrap, DEADLETTER, lambda r: len(r) >= len(hostile), timeout=30
        )
        assert worker.running
        assert data_dir.joinpath("churnwatch").is_dir()

    by_size = {letter["raw_size"]: letter for letter in letters}
    assert sorted(letter["error"]["code"] for letter in letters) == [
        "bad_type", "invalid_json", "too_large", "too_large",
    ]  # fmt: skip
    for original in (huge, binary, junk):
        letter = by_size[len(original)]
        assert len(orjson.dumps(letter)) < 1024 * 1024
        assert letter["raw_truncated"] is (len(original) > RAW_KEPT_BYTES)
        assert letter["raw_sha256"] == hashlib.sha256(original).hexdigest()
    # Masked by default: the digits of the first are gone, what is left still says what it was.
    assert by_size[len(huge)]["raw"].startswith('{"event_id": "######')
    assert len(by_size[len(junk)]["raw"]) == RAW_KEPT_BYTES
    control = next(letter for letter in letters if letter["error"]["code"] == "bad_type")
    assert "control character" in control["error"]["detail"]
