"""Alerts and care tasks in Simplified Chinese: every detail sentence the signals write, and
every default playbook rule, has a Chinese rendering."""

from __future__ import annotations

import re

import orjson
import pytest

from config.policy import Policy, policy_from_dict
from sim.model import ALL_PATHS
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.locale import RULE_TEXTS_ZH, knows, localise_detail
from streams.offline import OfflineResult, ReplayRecord, run_offline

ZH = policy_from_dict({"locale": "zh"})
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def history() -> list[ReplayRecord]:
    _, records = simulate(SimConfig(customers=300, days=90, seed=12, paths=ALL_PATHS))
    return [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records]


@pytest.fixture(scope="module")
def english(history: list[ReplayRecord]) -> OfflineResult:
    return run_offline(history, Policy(), Calendar())


@pytest.fixture(scope="module")
def chinese(history: list[ReplayRecord]) -> OfflineResult:
    return run_offline(history, ZH, Calendar())


def test_every_detail_the_simulation_produces_has_a_chinese_rendering(english) -> None:
    unknown = {r.detail for a in english.alerts for r in a.reasons if not knows(r.detail)}
    assert not unknown


def test_chinese_alerts_are_the_same_alerts_in_other_words(english, chinese) -> None:
    assert [a.alert_id for a in chinese.alerts] == [a.alert_id for a in english.alerts]
    for alert in chinese.alerts:
        for reason in alert.reasons:
            assert not LATIN.search(reason.detail), reason.detail


def test_chinese_tasks_talk_chinese(chinese) -> None:
    assert chinese.tasks
    for task in chinese.tasks:
        for point in task.talking_points:
            assert not LATIN.search(point), point
        if task.offer:
            assert not LATIN.search(task.offer.description)


def test_every_default_rule_has_chinese_words() -> None:
    for rule in Policy().playbook:
        assert (rule.action, rule.offer_code) in RULE_TEXTS_ZH, rule.action


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("voice minutes down 72% vs 4-week baseline (SMS down 40%, data down 65%)",
         "通话分钟数较4周基线下降72%（短信下降40%，流量下降65%）"),
        ("contract ends on 2026-03-12 (in 1 day), no renewal seen",
         "合约将于2026-03-12到期（还有1天），尚未续约"),
        ("2 complaints (billing, network): 1 still open; 1 billing dispute",
         "2次投诉（账单、网络）：1次仍未解决；1次账单争议"),
        ("asked to port the number out on 2026-02-26", "已于2026-02-26申请携号转网"),
    ],
)  # fmt: skip
def test_known_sentences(english: str, chinese: str) -> None:
    assert localise_detail(english, "zh") == chinese
    assert localise_detail(english, "en") == english


def test_an_unknown_sentence_stays_english_rather_than_mangled() -> None:
    assert localise_detail("something new", "zh") == "something new"
