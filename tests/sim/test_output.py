"""Ground-truth CSV, replay JSONL, `python -m sim` and the Kafka producer (with a fake)."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from typing import ClassVar

import orjson
import pytest

import sim.produce as produce_module
from sim.__main__ import main
from sim.export import write_jsonl
from sim.model import SimConfig, SimRecord
from sim.population import simulate, write_truth_csv


def test_truth_csv_header_and_rows(tmp_path, default_run):
    path = tmp_path / "labels.csv"
    assert write_truth_csv(default_run.truths, path) == len(default_run.truths)
    lines = path.read_text().splitlines()
    assert lines[0] == "customer_id,churn_date,path,expected_signal,signal_start"
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    by_id = {row["customer_id"]: row for row in rows}
    for truth in default_run.truths:
        row = by_id[truth.customer_id]
        assert row["path"] == truth.path
        if truth.churn_date is None:
            assert row["churn_date"] == "" and row["expected_signal"] == ""
        else:
            assert row["churn_date"] == truth.churn_date.isoformat()
            assert row["signal_start"] == truth.signal_start.isoformat()


def test_jsonl_is_the_replay_format(tmp_path):
    _, records = simulate(SimConfig(customers=5, days=60))
    records = list(records)
    path = tmp_path / "events.jsonl"
    assert write_jsonl(records, path) == len(records)
    lines = path.read_bytes().splitlines()
    assert len(lines) == len(records)
    first = orjson.loads(lines[0])
    assert set(first) == {"topic", "key", "value"}
    assert first["value"] == records[0].value and first["key"] == records[0].key


def test_command_line_writes_events_and_labels(tmp_path, capsys):
    events, labels = tmp_path / "e.jsonl", tmp_path / "l.csv"
    args = ["--customers", "12", "--days", "60", "--events", str(events), "--labels", str(labels)]
    assert main([*args, "--stats"]) == 0
    assert "records" in capsys.readouterr().err
    assert len(labels.read_text().splitlines()) == 13
    assert events.stat().st_size > 0


class FakeProducer:
    """Stands in for confluent_kafka.Producer: records calls, acknowledges on poll/flush."""

    instances: ClassVar[list[FakeProducer]] = []
    fail_topic: ClassVar[str | None] = None

    def __init__(self, config):
        self.config = config
        self.sent = []
        self.unacked = []
        FakeProducer.instances.append(self)

    def produce(self, topic, value, key, on_delivery):
        self.sent.append((topic, key, value))
        self.unacked.append((topic, on_delivery))

    def poll(self, timeout=0):
        for topic, callback in self.unacked:
            error = "broker says no" if topic == FakeProducer.fail_topic else None
            callback(error, FakeMessage(topic))
        self.unacked = []
        return 0

    def flush(self, timeout=None):
        self.poll()
        return 0


class FakeMessage:
    def __init__(self, topic):
        self._topic = topic

    def topic(self):
        return self._topic


@pytest.fixture
def fake_producer(monkeypatch):
    FakeProducer.instances = []
    FakeProducer.fail_topic = None
    monkeypatch.setattr(produce_module, "Producer", FakeProducer)
    return FakeProducer


def _records(n):
    ts = datetime(2026, 1, 5, 8, tzinfo=UTC)
    return [
        SimRecord("telecom.cdr", f"C{i:06d}", {"event_id": f"C{i:06d}-1", "n": i}, ts)
        for i in range(n)
    ]


def test_produce_uses_murmur2_keys_and_orjson(fake_producer):
    records = _records(2500)
    delivered = produce_module.produce(records, "localhost:1", extra_config={"acks": "1"})
    assert delivered == 2500
    producer = fake_producer.instances[0]
    assert producer.config["partitioner"] == "murmur2_random"
    assert producer.config["bootstrap.servers"] == "localhost:1"
    assert producer.config["acks"] == "1"  # extra_config overrides
    assert 5 <= int(producer.config["linger.ms"]) <= 50
    topic, key, value = producer.sent[7]
    assert (topic, key) == ("telecom.cdr", b"C000007")
    assert orjson.loads(value) == records[7].value


def test_produce_raises_a_clear_error_when_delivery_fails(fake_producer):
    fake_producer.fail_topic = "telecom.cdr"
    with pytest.raises(produce_module.ProduceError, match=r"failed to deliver .* localhost:1"):
        produce_module.produce(_records(10), "localhost:1")


def test_produce_rate_limit_and_progress(fake_producer, capsys):
    started = datetime.now()
    produce_module.produce(_records(40), "localhost:1", rate=200.0, progress=True)
    elapsed = (datetime.now() - started).total_seconds()
    assert elapsed >= 0.18  # 40 events at 200/s
    err = capsys.readouterr().err
    assert err.startswith("\rproduced") and "ev/s" in err


def test_produce_is_silent_without_progress(fake_producer, capsys):
    produce_module.produce(_records(3), "localhost:1")
    assert capsys.readouterr().err == ""


@pytest.mark.integration
@pytest.mark.skipif(
    not os.environ.get("CHURNWATCH_KAFKA_BOOTSTRAP"),
    reason="needs a broker: set CHURNWATCH_KAFKA_BOOTSTRAP",
)
def test_produce_to_a_real_broker():
    _, records = simulate(SimConfig(customers=10, days=60))
    records = list(records)
    bootstrap = os.environ["CHURNWATCH_KAFKA_BOOTSTRAP"]
    assert produce_module.produce(records, bootstrap) == len(records)
