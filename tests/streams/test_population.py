"""The partition's day-by-day population and the holiday dip: when most customers are down at
once, nobody is alerted for it — while a customer who falls far below everybody still is."""

from __future__ import annotations

import pytest

from config.policy import Policy
from streams.engine import PartitionClock, PartitionEngine
from streams.population import ACTIVE, Population, usage_of
from streams.state import CALLS_OUT, DATA_KB, DATA_SESSIONS, N_COUNTERS, SMS_OUT, VOICE_OUT_S
from tests.streams.scenarios import BASE_DAY, UTC, Life, run
from tests.support.story import Story, merged

END = 63
HOLIDAY = range(49, 56)  # story days 49..55: a week when everybody uses a third of the usual


def _bucket(voice_s: int = 0, sms: int = 0, data_kb: int = 0, calls: int = 0) -> list[int]:
    bucket = [0] * N_COUNTERS
    bucket[VOICE_OUT_S], bucket[SMS_OUT], bucket[DATA_KB], bucket[CALLS_OUT] = (
        voice_s,
        sms,
        data_kb,
        calls,
    )
    bucket[DATA_SESSIONS] = 1 if data_kb else 0
    return bucket


def test_usage_of_a_day_is_its_tracked_counters_and_whether_it_was_active():
    assert usage_of(None) == (0, 0, 0, 0)
    assert usage_of(_bucket(voice_s=60, calls=1)) == (60, 0, 0, 1)
    assert usage_of(_bucket()) == (0, 0, 0, 0)  # incoming only: not active


def test_counting_adds_the_change_of_one_customers_day():
    population = Population()
    population.count(7, usage_of(None), usage_of(_bucket(voice_s=60, calls=1)))
    population.count(7, usage_of(_bucket(voice_s=60, calls=1)), usage_of(_bucket(120, 1, 0, 2)))
    population.count(7, usage_of(None), usage_of(_bucket(data_kb=500)))
    assert population.days[7] == [120, 1, 500, 2]


def test_per_active_customer_usage_and_the_ratio_between_windows():
    population = Population({d: [600 * 100, 100, 0, 100] for d in range(28)})
    for day in range(28, 35):
        population.days[day] = [300 * 80, 80, 0, 80]
    assert population.per_active(VOICE_OUT_S, 0, 27) == (600.0, 100.0)
    assert population.ratio(VOICE_OUT_S, (0, 27), (28, 34), min_active=50) == pytest.approx(0.5)
    assert population.ratio(VOICE_OUT_S, (0, 27), (28, 34), min_active=101) is None
    assert population.ratio(DATA_KB, (0, 27), (28, 34), min_active=50) is None  # no baseline


def test_the_cache_never_serves_a_stale_window():
    population = Population({1: [10, 0, 0, 1]})
    assert population.window(1, 1)[0] == 10
    population.count(1, (0, 0, 0, 0), (5, 0, 0, 1))
    assert population.window(1, 1) == [15, 0, 0, 2]
    population.prune(2)
    assert population.window(1, 1) == [0, 0, 0, 0]


def test_a_clock_that_an_earlier_release_wrote_with_a_population_still_loads():
    restored = PartitionClock.from_bytes(b'[{"telecom.cdr":5},5,3,[[3,1,2,3,4]]]')
    assert (restored.event_clock, restored.closed_day) == (5, 3)
    assert restored.to_bytes() == b'[{"telecom.cdr":5},5,3]'


def test_the_population_sums_customers_buckets_from_the_first_day_kept():
    customers = [{1: _bucket(voice_s=60, calls=1), 2: _bucket(sms=2)}, {2: _bucket(data_kb=9)}]
    assert Population.of(customers, keep_from=2).days == {2: [0, 2, 9, 2]}


def test_a_recovered_engine_sums_the_population_its_states_were_counted_into():
    stories = [Story(f"C{i:06d}").steady(0, 80) for i in range(3)]
    engine = run(merged(*stories), partitions=1).engines[0]
    recovered = PartitionEngine(0, 1, Policy(), UTC, engine.states.values(), engine.clock)
    assert recovered.population.days == engine.population.days


def test_the_engine_counts_the_population_and_prunes_it_to_the_usage_horizon():
    stories = [Story(f"C{i:06d}").steady(0, 80) for i in range(3)]
    runner = run(merged(*stories), partitions=1)
    days = runner.engines[0].population.days
    assert days[BASE_DAY + 70][ACTIVE] == 3
    assert days[BASE_DAY + 70][0] == 3 * 600  # 10 voice minutes a day each
    assert min(days) >= BASE_DAY + 80 - 63 - 1


# --- the holiday week, end to end -----------------------------------------------------------


def _usual_day(story: Life, day: int) -> None:
    story.usage(day, day, minutes=10, mb=300).sms(day)


def _holiday_population(n: int) -> list[Story]:
    """`n` customers whose calls and data fall to 30% and whose SMS stop in the holiday week:
    down 80% on average, far past the 50% a usage drop needs."""
    stories = []
    for i in range(n):
        story = Life(f"C{i:06d}")
        for day in range(END + 1):
            if day in HOLIDAY:
                story.usage(day, day, minutes=3, mb=90)
            else:
                _usual_day(story, day)
        stories.append(story)
    return stories


def test_a_holiday_week_alerts_nobody():
    result = run(merged(*_holiday_population(60)), partitions=1).result
    assert result.alerts == []


def test_without_enough_customers_to_compare_with_the_holiday_would_alert():
    # The same week, but only 20 customers: too few to trust the population, drops count as is.
    result = run(merged(*_holiday_population(20)), partitions=1).result
    assert {a.customer_id for a in result.alerts} == {f"C{i:06d}" for i in range(20)}
    raised = [a for a in result.alerts if a.status == "raised"]
    assert {a.reasons[0].signal for a in raised} == {"usage_drop"}


def test_a_customer_far_below_everybody_on_the_holiday_is_still_alerted():
    fading = Life("C900000")
    for day in range(49):
        _usual_day(fading, day)
    fading.usage(49, END, minutes=0.3, mb=9)  # a tenth of what everybody else kept
    result = run(merged(*_holiday_population(60), fading), Policy(), partitions=1).result
    assert {a.customer_id for a in result.alerts} == {"C900000"}
    assert "dip of all customers" in result.alerts[0].reasons[0].detail


def test_a_redelivery_does_not_count_twice_in_the_population():
    records = merged(Story("C000001").steady(0, 5))
    once = run(records, partitions=1).engines[0].population.days
    twice = run(records + records[-8:], partitions=1).engines[0].population.days
    assert twice == once
