"""No output record can exceed what the producer sends: one that would becomes a dead letter."""

from __future__ import annotations

import orjson
from prometheus_client import CollectorRegistry

from agents.ingest import MAX_RECORD_BYTES, bounded
from agents.metrics import Metrics
from topics.catalog import ALERTS, DEADLETTER, TASKS
from topics.records import NO_SOURCE, RAW_KEPT_BYTES, DeadLetter


def test_an_oversized_output_is_replaced_by_a_dead_letter_that_says_why() -> None:
    metrics = Metrics(CollectorRegistry())
    small = (ALERTS, b"C1", b'{"alert_id": "a"}')
    large = (TASKS, b"C2" * 4000, b"x" * (MAX_RECORD_BYTES + 1))
    kept = bounded([small, large], 0.0, "masked", metrics)
    assert kept[0] == small
    topic, key, value = kept[1]
    letter = orjson.loads(value)
    assert topic == DEADLETTER and key is not None and len(key) == 1024
    assert letter["topic"] == TASKS and letter["error"]["code"] == "too_large"
    assert letter["partition"] == letter["offset"] == NO_SOURCE
    assert letter["raw_size"] == MAX_RECORD_BYTES + 1 and letter["raw_truncated"] is True
    assert len(value) < MAX_RECORD_BYTES
    assert metrics.deadletters.labels("too_large")._value.get() == 1


def _letter(raw: bytes, mode: str = "masked") -> dict:
    return DeadLetter(CDR_TOPIC, 0, 7, b"C1", "invalid_json", "x", raw, 0.0, mode).to_wire()


CDR_TOPIC = "telecom.cdr"


def test_a_dead_letter_keeps_the_head_of_the_value_masked_and_says_how_much_there_was() -> None:
    raw = b'{"counterpart": "13800138000", "n": 12345}' + b" " * RAW_KEPT_BYTES
    masked = _letter(raw)
    assert masked["raw"].startswith('{"counterpart": "###########", "n": 12345}')
    assert masked["raw_truncated"] is True and masked["raw_size"] == len(raw)
    assert len(masked["raw"]) == RAW_KEPT_BYTES
    assert _letter(raw, "full")["raw"].startswith('{"counterpart": "13800138000"')
    assert _letter(raw, "none")["raw"] is None
    assert _letter(raw, "none")["raw_sha256"] == masked["raw_sha256"]


def test_a_cut_through_a_character_keeps_the_text_as_text() -> None:
    raw = b"a" * (RAW_KEPT_BYTES - 1) + "é".encode() * 10
    kept = _letter(raw, "full")["raw"]
    assert kept == "a" * (RAW_KEPT_BYTES - 1)


def test_bytes_that_are_not_utf8_are_kept_as_base64_of_at_most_64_kib() -> None:
    raw = bytes(range(256)) * 1024
    letter = _letter(raw, "full")
    assert len(letter["raw"]) == 4 * RAW_KEPT_BYTES // 3 + 4 - (4 * RAW_KEPT_BYTES // 3) % 4
    assert letter["raw_truncated"] is True
