"""The at-risk gauges come from tallies kept as the batch step changes states: over a replay
they must always equal a fresh count of every state, and follow partitions in and out."""

from __future__ import annotations

from dataclasses import replace

from agents.pipeline import Pipeline
from streams.at_risk import AtRiskTally, by_category, by_level, untasked
from streams.engine import PartitionClock
from streams.state import CustomerState
from tests.agents.test_cut import _all_clock_topics, _batches, _internal
from tests.agents.test_pipeline import Message, caught_up, messages_of, pipeline, sample
from tests.support.story import Story
from topics.partitioning import partition_for
from topics.records import ALERT_LEVELS, REASON_CATEGORIES, STAGES, VALUE_TIERS


def _recounted(p: Pipeline) -> AtRiskTally:
    fresh = AtRiskTally(p.policy.contact, p.policy.reason_category.fallback)
    return fresh.observe_all(p.all_states())


def _replay(p: Pipeline, seed: int) -> set[bool]:
    """Every batch of a population's replay; checks the tallies after each. Returns the
    `untasked` values seen among customers at risk."""
    internal: list[Message] = []
    seen: set[bool] = set()
    for batch in _batches(seed):
        em = p.process([*internal, *batch], dict.fromkeys(_all_clock_topics(), True))
        internal = _internal(em)
        fresh = [_recounted(p)]
        assert by_level(p.at_risk.values()) == by_level(fresh)
        assert untasked(p.at_risk.values()) == untasked(fresh)
        assert by_category(p.at_risk.values()) == by_category(fresh)
        seen |= {s.untasked for s in fresh[0].counts}
    return seen


def test_the_tallies_equal_a_fresh_count_after_every_batch_of_a_replay() -> None:
    assert _replay(pipeline(), seed=21) == {True, False}  # with and without a care task


def test_the_gauges_read_the_tallies() -> None:
    p = pipeline()
    for batch in _batches(seed=21):  # up to the first moment someone at risk has no task
        p.process(batch, dict.fromkeys(_all_clock_topics(), True))
        expected = untasked([_recounted(p)])
        if expected:
            break
    p.observe_population()
    p.observe_categories()
    assert expected
    fresh = [_recounted(p)]
    levels, categories = by_level(fresh), by_category(fresh)
    for tier in VALUE_TIERS:
        for level in ALERT_LEVELS:
            got = sample(p, "churnwatch_customers_at_risk_untasked", level=level, tier=tier)
            assert got == expected[(level, tier)]
            for stage in STAGES:
                got = sample(p, "churnwatch_customers_at_risk", level=level, tier=tier, stage=stage)
                assert got == levels[(level, tier, stage)]
        for category in REASON_CATEGORIES:
            got = sample(
                p, "churnwatch_customers_at_risk_by_category", category=category, tier=tier
            )
            assert got == categories[(category, tier)]


class _Recovered:
    def __init__(self, states: list[CustomerState]) -> None:
        self.states = states

    def load(self, partition: int) -> tuple[list[CustomerState], PartitionClock | None, list]:
        return [s for s in self.states if partition == 3], None, []


def test_recovered_states_are_counted_and_a_revoked_partition_is_not() -> None:
    at_risk = CustomerState("C1", level="high", last_eval_ts=1)
    p = pipeline()
    p.store = _Recovered([at_risk, CustomerState("C2")])
    p.engine(3)
    assert by_level(p.at_risk.values()) == {("high", "standard", "maturity"): 1}
    p.forget([3])
    assert not by_level(p.at_risk.values())


def test_a_customer_at_risk_in_the_batch_of_their_first_event_is_counted() -> None:
    """A new customer whose first events (a day of usage, then an urgent one already behind the
    clock) are evaluated within their batch: their new state must reach the tally too."""
    old = "C000001"
    new = next(
        f"C{n:06d}"
        for n in range(2, 1000)
        if partition_for(f"C{n:06d}", 8) == partition_for(old, 8)
    )
    p = pipeline()
    history = messages_of(Story(old).steady(0, 40))
    p.process(history, caught_up(history))
    first = [
        replace(m, offset=len(history) + m.offset)
        for m in messages_of(Story(new).steady(37, 37).crm(39, "port_out_request"))
    ]
    p.process(first, caught_up(first))
    assert by_level(p.at_risk.values()) == by_level([_recounted(p)])
    assert by_level(p.at_risk.values())  # the new customer is at risk
