"""social_churn and the contact graph behind it: bounded top contacts in each state, the msisdn
directory, the internal records between partitions, and the signal — end to end through the
offline runner, deterministic whatever the interleaving or the number of partitions."""

from __future__ import annotations

import random

import orjson
import pytest

from config.policy import Policy, SignalPolicy, policy_from_dict
from streams.apply import phone_digest
from streams.engine import PartitionEngine
from streams.offline import run_offline
from streams.social import (
    CONTACT_CHURNED,
    Directory,
    contact_churn_records,
    hear_of_churn,
    social_churn,
)
from streams.state import CustomerState
from tests.streams.scenarios import (
    PARTITIONS,
    UTC,
    Life,
    clock_keeper,
    day_close,
    decoded,
    midnight,
    run,
    state_in,
    state_of,
)
from tests.support.story import Story, merged
from topics.catalog import CONTACT_CHURN, DIRECTORY, SOCIAL
from topics.partitioning import partition_for

P = SignalPolicy()
DAY = 86_400
END = 70
# Social churn alone reaches medium under this policy, so that alerts show the whole path.
LOUD = policy_from_dict({"score": {"weights": {"social_churn": 6.0}}})

X, A, B, Z = "C000100", "C000101", "C000102", "C000103"
NUMBERS = {X: "13800000100", A: "13800000101", B: "13800000102", Z: "13800000103"}


# --- top contacts -----------------------------------------------------------------------------


def test_top_contacts_are_bounded_and_keep_the_frequent_ones():
    state = CustomerState("C000001")
    for i in range(300):  # a stream of one-off numbers, and a friend called now and then
        state.count_contact(f"once-{i:03d}", 10)
        if i % 6 == 0:
            state.count_contact("friend", 10)
    assert len(state.contacts) == 10
    assert "friend" in state.contacts  # 50 of 350 interactions: above 350 / 10 slots


def test_a_newcomer_takes_the_least_counted_slot_ties_by_digest():
    state = CustomerState("C000001")
    state.contacts = {"b": 1, "a": 1, "c": 5}
    state.count_contact("d", 3)
    assert state.contacts == {"b": 1, "c": 5, "d": 2}  # "a" went: least count, smallest digest


def test_calls_and_sms_either_way_count_but_service_numbers_do_not():
    story = (
        Life("C000001")
        .call(0, to="13800000101")
        .sms(0, to="+8613800000101")
        .incoming(0, frm="13800000102")
        .call(0, to="10086")
        .call(0, to="10010")
        .data(0)
    )
    state = state_of(story)
    assert state.contacts == {phone_digest("13800000101"): 2, phone_digest("13800000102"): 1}


def test_the_state_keeps_digests_never_phone_numbers():
    raw = state_of(Life("C000001").call(0, to="13800000101")).to_json()
    assert b"13800000101" not in raw
    assert phone_digest("13800000101").encode() in raw


# --- the directory ----------------------------------------------------------------------------


def test_the_newest_claim_on_a_number_wins_whatever_the_arrival_order():
    claims = [("C1", 100), ("C2", 300), ("C3", 200)]
    for order in (claims, claims[::-1]):
        directory = Directory()
        for customer_id, ts in order:
            directory.link("d1", customer_id, ts)
        assert directory.owner("d1") == "C2"


def test_equal_claims_go_to_the_larger_id_and_repeats_change_nothing():
    directory = Directory()
    assert directory.link("d1", "C1", 100) is True
    assert directory.link("d1", "C2", 100) is True
    assert directory.link("d1", "C1", 100) is False
    assert directory.link("d1", "C2", 100) is False
    assert directory.owner("d1") == "C2"


def test_directory_changes_round_trip_through_the_changelog_form():
    directory = Directory()
    directory.link("d1", "C1", 100)
    directory.link("d2", "C2", 200)
    changes = directory.take_changes()
    assert [digest for digest, _ in changes] == ["d1", "d2"]
    assert directory.take_changes() == []
    recovered = Directory(changes)
    assert (recovered.owner("d1"), recovered.owner("d2"), recovered.owner("d3")) == (
        "C1",
        "C2",
        None,
    )


# --- hearing of a contact's churn -------------------------------------------------------------


def _friend_of(*numbers: str) -> CustomerState:
    story = Life(X)
    for number in numbers:
        story.call(0, to=number)
    return state_of(story)


def _news(contact: str, ts: int) -> dict:
    return {"contact": contact, "msisdn": phone_digest(NUMBERS[contact]), "ts": ts}


def test_a_top_contacts_churn_becomes_a_dated_fact_once():
    state = _friend_of(NUMBERS[A])
    assert hear_of_churn(state, _news(A, 5_000)) is True
    assert hear_of_churn(state, _news(A, 5_000)) is False  # at-least-once delivery
    assert state.facts == [(5_000, CONTACT_CHURNED, {"from": A})]


def test_the_churn_of_someone_who_is_not_a_top_contact_is_ignored():
    state = _friend_of(NUMBERS[A])
    assert hear_of_churn(state, _news(B, 5_000)) is False
    assert state.facts == []


def test_a_churned_customer_hears_nothing_more():
    state = _friend_of(NUMBERS[A])
    state.churned_ts = 1_000
    assert hear_of_churn(state, _news(A, 5_000)) is False


# --- the signal -------------------------------------------------------------------------------


def _heard(*churns: tuple[str, int]) -> CustomerState:
    state = CustomerState(X)
    state.bucket(0)
    for contact, ts in churns:
        state.add_fact(ts, CONTACT_CHURNED, {"from": contact})
    return state


def test_social_churn_fires_when_two_top_contacts_left_in_30_days():
    state = _heard((A, midnight(10)), (B, midnight(30)))
    signal = social_churn(day_close(state, 35), P.social_churn)
    assert signal is not None
    assert (signal.id, signal.value, signal.strength) == ("social_churn", 2, 0.5)
    assert signal.detail == "2 of the customer's top contacts left us in the last 30 days"


def test_social_churn_is_full_strength_at_four_contacts():
    state = _heard(*((c, midnight(20 + i)) for i, c in enumerate(("a", "b", "c", "d"))))
    signal = social_churn(day_close(state, 35), P.social_churn)
    assert signal is not None and (signal.value, signal.strength) == (4, 1.0)


def test_one_contact_gone_is_not_social_churn():
    assert social_churn(day_close(_heard((A, midnight(30))), 35), P.social_churn) is None


def test_the_same_contact_heard_twice_counts_once():
    state = _heard((A, midnight(20)), (A, midnight(30)))
    assert social_churn(day_close(state, 35), P.social_churn) is None


def test_a_contacts_churn_counts_only_once_settled():
    state = _heard((A, midnight(10)), (B, midnight(34) + 3600))  # 23 h before the day close
    assert social_churn(day_close(state, 35), P.social_churn) is None
    assert social_churn(day_close(state, 36), P.social_churn) is not None


def test_contacts_gone_more_than_30_days_ago_do_not_count():
    state = _heard((A, midnight(4)), (B, midnight(30)))  # 31 days before the day close
    assert social_churn(day_close(state, 35), P.social_churn) is None


# --- through the engine -----------------------------------------------------------------------


def _circle() -> list[Story]:
    """X talks daily with A, B and Z, who talk back; A and B leave on days 40 and 43."""
    stories = {c: Life(c).crm(0, "profile", msisdn=n, plan_id="P") for c, n in NUMBERS.items()}
    last = {X: END, A: 40, B: 43, Z: END}
    for customer, story in stories.items():
        for day in range(0, last[customer] + 1):
            story.steady(day, day)
            for other, number in NUMBERS.items():
                if other != customer and day <= last[other]:
                    story.call(day, 2, to=number, hour=13)
    stories[A].crm(40, "deactivation", hour=23)
    stories[B].crm(43, "port_out_completed", hour=15)
    keepers = [clock_keeper(c, END) for c in NUMBERS]
    return [*stories.values(), *keepers]


def test_friends_leaving_reach_their_contact_through_the_internal_topics():
    runner = run(merged(*_circle()))
    facts = [f for f in state_in(runner, X).facts if f[1] == CONTACT_CHURNED]
    assert [f[2]["from"] for f in facts] == [A, B]
    assert [f[2]["from"] for f in state_in(runner, Z).facts if f[1] == CONTACT_CHURNED] == [A, B]
    # B heard of A before leaving; A had already left when B did.
    assert [f[2]["from"] for f in state_in(runner, B).facts if f[1] == CONTACT_CHURNED] == [A]
    assert runner.result.internal > 0


def test_social_churn_is_the_reason_of_the_alert_after_the_second_friend_left():
    result = run_offline(merged(*_circle()), LOUD, UTC)
    (alert,) = [a for a in result.alerts if a.customer_id == X]
    churn_b = next(c for c in result.churns if c.customer_id == B)
    assert alert.reasons[0].signal == "social_churn"
    assert alert.ts == midnight(45)  # the first day close a full day after B left
    assert alert.ts >= churn_b.ts + 24 * 3600
    (task,) = [t for t in result.tasks if t.customer_id == X]
    assert (task.action, task.offer and task.offer.code) == ("retention_call", "family_bundle")


def test_social_churn_alone_does_not_alert_under_the_default_weights():
    result = run_offline(merged(*_circle()), Policy(), UTC)
    assert [a for a in result.alerts if a.customer_id in (X, Z)] == []


def test_no_phone_number_leaves_the_engine():
    runner = run(merged(*_circle()), LOUD)
    outputs = b"".join(
        [orjson.dumps([a.to_wire(emitted_at=0.0) for a in runner.result.alerts])]
        + [orjson.dumps([t.to_wire() for t in runner.result.tasks])]
        + [s.to_json() for e in runner.engines.values() for s in e.states.values()]
        + [v for e in runner.engines.values() for _, v in e.directory.take_changes()]
    )
    assert not any(number.encode() in outputs for number in NUMBERS.values())


def _ids(result) -> tuple[list[str], list[str]]:
    return sorted(a.alert_id for a in result.alerts), sorted(t.task_id for t in result.tasks)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_interleaving_of_customers_gives_the_same_social_alerts(seed):
    rng = random.Random(seed)
    rows = sorted(r for s in _circle() for r in s.records())
    rank = {(ts, r.key): rng.random() for ts, _, r in rows}
    shuffled = [r for _, _, r in sorted(rows, key=lambda row: (row[0], rank[(row[0], row[2].key)]))]
    reference = run_offline(merged(*_circle()), LOUD, UTC)
    assert any(a.reasons[0].signal == "social_churn" for a in reference.alerts)
    assert _ids(run_offline(shuffled, LOUD, UTC)) == _ids(reference)


@pytest.mark.parametrize("partitions", [1, 3, 5])
def test_any_partition_count_gives_the_same_social_alerts(partitions):
    records = merged(*_circle())
    reference = run_offline(records, LOUD, UTC)
    assert _ids(run_offline(records, LOUD, UTC, partitions=partitions)) == _ids(reference)


def test_a_crm_event_with_the_customers_number_announces_it_to_the_directory():
    engine = PartitionEngine(None, None, Policy(), UTC)
    (record,) = merged(Story(X).crm(0, "profile", msisdn=NUMBERS[X]))
    assert engine.handle(decoded(record)) is None
    (announced,) = engine.take_outbox().internal
    assert (announced.topic, announced.key) == (DIRECTORY, phone_digest(NUMBERS[X]))
    assert orjson.loads(announced.value) == {"customer_id": X, "ts": decoded(record).ts}


def test_the_directory_owner_passes_the_news_on_to_the_contacts_partition():
    engine = PartitionEngine(None, None, Policy(), UTC)
    digest = phone_digest(NUMBERS[X])
    engine.handle_internal(DIRECTORY, digest, orjson.dumps({"customer_id": X, "ts": 1}))
    assert engine.take_directory_changes() == [(digest, orjson.dumps([X, 1]))]
    news = {"customer_id": A, "msisdn": phone_digest(NUMBERS[A]), "ts": 9_000}
    assert engine.handle_internal(CONTACT_CHURN, digest, orjson.dumps(news)) is True
    (told,) = engine.take_outbox().internal
    assert (told.topic, told.key) == (SOCIAL, X)
    assert orjson.loads(told.value) == {"contact": A, "msisdn": news["msisdn"], "ts": 9_000}


def test_news_for_a_number_that_is_not_ours_goes_nowhere():
    engine = PartitionEngine(None, None, Policy(), UTC)
    news = orjson.dumps({"customer_id": A, "msisdn": "aa", "ts": 9_000})
    assert engine.handle_internal(CONTACT_CHURN, "0123456789ab", news) is False
    assert engine.take_outbox().internal == []


def test_a_recovered_directory_still_routes_the_news():
    digest = phone_digest(NUMBERS[X])
    engine = PartitionEngine(None, None, Policy(), UTC, directory=[(digest, orjson.dumps([X, 1]))])
    news = {"customer_id": A, "msisdn": phone_digest(NUMBERS[A]), "ts": 9_000}
    engine.handle_internal(CONTACT_CHURN, digest, orjson.dumps(news))
    assert [r.key for r in engine.take_outbox().internal] == [X]


def test_an_internal_record_for_another_partition_is_refused():
    home = partition_for(X, PARTITIONS)
    engine = PartitionEngine((home + 1) % PARTITIONS, PARTITIONS, Policy(), UTC)
    with pytest.raises(ValueError, match="another partition"):
        engine.handle_internal(SOCIAL, X, orjson.dumps(_news(A, 1)))


def test_a_churn_without_a_known_number_tells_nobody():
    state = state_of(Life(A).call(0, to=NUMBERS[X]))
    assert contact_churn_records(state, 10 * DAY) == []
    state.add_fact(0, "profile", {"msisdn": phone_digest(NUMBERS[A])})
    (record,) = contact_churn_records(state, 10 * DAY)
    assert (record.topic, record.key) == (CONTACT_CHURN, phone_digest(NUMBERS[X]))
