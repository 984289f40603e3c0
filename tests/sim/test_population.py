"""Determinism, ordering, contract validity, volume and identities of the simulated population."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import orjson
import pytest

from sim.model import DEFAULT_PATHS, SimConfig
from sim.numbers import is_competitor_number, subscriber_msisdn
from sim.population import draw_population, simulate


def _as_tuples(records):
    return [(r.topic, r.key, r.value, r.ts) for r in records]


def test_same_config_gives_identical_records():
    cfg = SimConfig(customers=60, days=60)
    truths_a, records_a = simulate(cfg)
    truths_b, records_b = simulate(cfg)
    assert truths_a == truths_b
    assert _as_tuples(records_a) == _as_tuples(records_b)


def test_other_seed_gives_other_records():
    _, records_a = simulate(SimConfig(customers=20, days=60, seed=1))
    _, records_b = simulate(SimConfig(customers=20, days=60, seed=2))
    assert _as_tuples(itertools.islice(records_a, 200)) != _as_tuples(
        itertools.islice(records_b, 200)
    )


def test_customer_output_does_not_depend_on_population_size(default_run):
    small_truths, small_records = simulate(SimConfig(customers=37, seed=default_run.cfg.seed))
    small = defaultdict(list)
    for record in small_records:
        small[record.key].append(record)
    assert len(small) == 37
    for truth in small_truths:
        assert default_run.truth[truth.customer_id] == truth
        assert _as_tuples(small[truth.customer_id]) == _as_tuples(
            default_run.by_customer[truth.customer_id]
        )


def test_records_are_in_event_time_order(default_run):
    stamps = [r.ts for r in default_run.records]
    assert stamps == sorted(stamps)
    first, last = (
        default_run.cfg.start,
        default_run.cfg.start.fromordinal(
            default_run.cfg.start.toordinal() + default_run.cfg.days - 1
        ),
    )
    assert first <= stamps[0].date() and stamps[-1].date() <= last


def test_ties_are_broken_by_customer_then_sequence(default_run):
    for before, after in itertools.pairwise(default_run.records):
        if before.ts == after.ts and before.key == after.key:
            seq = [int(str(r.value["event_id"]).rsplit("-", 1)[1]) for r in (before, after)]
            assert seq[0] < seq[1]
        elif before.ts == after.ts:
            assert before.key < after.key


def test_event_ids_are_unique_and_per_customer_sequential(default_run):
    ids = [r.value["event_id"] for r in default_run.records]
    assert len(ids) == len(set(ids))
    for customer, records in default_run.by_customer.items():
        expected = [f"{customer}-{n}" for n in range(1, len(records) + 1)]
        assert [r.value["event_id"] for r in records] == expected


@pytest.mark.parametrize("run_name", ["default_run", "all_paths_run"])
def test_every_record_is_valid_per_contract(run_name, request, check_contract):
    run = request.getfixturevalue(run_name)
    problems = Counter()
    for record in run.records:
        for error in check_contract(record):
            problems[(record.topic, record.value.get("kind"), error)] += 1
        assert orjson.loads(orjson.dumps(record.value)) == record.value
    assert not problems, problems.most_common(10)


def test_topics_and_kinds_cover_the_input_feeds(default_run):
    kinds = Counter((r.topic, r.value["kind"]) for r in default_run.records)
    for pair in [
        ("telecom.cdr", "voice"),
        ("telecom.cdr", "sms"),
        ("telecom.cdr", "data"),
        ("telecom.billing", "invoice"),
        ("telecom.billing", "payment"),
        ("telecom.billing", "topup"),
        ("telecom.crm", "profile"),
        ("telecom.crm", "activation"),
        ("telecom.crm", "contract"),
        ("telecom.crm", "cancel_inquiry"),
        ("telecom.crm", "port_out_request"),
        ("telecom.crm", "port_out_completed"),
        ("telecom.crm", "deactivation"),
    ]:
        assert kinds[pair] > 0, pair


def _active_days(run, customer):
    records = run.by_customer[customer]
    return run.day(records[-1]) - run.day(records[0]) + 1


def test_volume_per_customer_day(default_run):
    run = default_run
    total_days = sum(_active_days(run, c) for c in run.by_customer)
    average = len(run.records) / total_days
    assert 2.0 <= average <= 4.0, average
    for customer, records in run.by_customer.items():
        days = _active_days(run, customer)
        if days >= 14:
            assert 1.5 <= len(records) / days <= 5.0, (customer, len(records) / days)


def test_usage_intensity_is_in_duration_and_bytes(default_run):
    plans = {p.customer_id: p for p in draw_population(default_run.cfg)}
    data = defaultdict(list)
    for record in default_run.records:
        if record.value["kind"] == "data":
            data[plans[record.key].heavy].append(record.value["bytes"])
    heavy, light = (sorted(data[flag])[len(data[flag]) // 2] for flag in (True, False))
    assert heavy > 4 * light


def test_weekday_rhythm_by_segment(default_run):
    segment = {}
    calls = defaultdict(Counter)
    for record in default_run.records:
        value = record.value
        if "segment" in value:
            segment[record.key] = value["segment"]
        if value["kind"] == "voice" and value["direction"] == "out":
            weekend = record.ts.weekday() >= 5
            calls[segment[record.key]][weekend] += 1
    # per-day rates: 5 weekdays, 2 weekend days per week
    consumer = calls["consumer"][True] / 2 / (calls["consumer"][False] / 5)
    business = calls["business"][True] / 2 / (calls["business"][False] / 5)
    assert consumer > 1.1
    assert business < 0.6


def test_hours_of_day_are_realistic(default_run):
    hours = Counter(r.ts.hour for r in default_run.records if r.value["kind"] in ("voice", "sms"))
    night = sum(hours[h] for h in range(1, 6))
    evening = sum(hours[h] for h in range(18, 22))
    assert night < 0.03 * sum(hours.values())
    assert evening > 4 * night


def test_each_customer_opens_with_profile_or_activation(default_run):
    activations = 0
    msisdns = set()
    for customer, records in default_run.by_customer.items():
        first = records[0].value
        assert first["kind"] in ("profile", "activation")
        msisdn = first["msisdn"]
        assert isinstance(msisdn, str) and msisdn.startswith("138") and len(msisdn) == 11
        assert msisdn == subscriber_msisdn(default_run.cfg.seed, int(customer[1:]))
        msisdns.add(msisdn)
        for name in ("plan_id", "plan_fee", "segment", "region"):
            assert name in first
        if first["kind"] == "profile":
            assert default_run.day(records[0]) == 0
        else:
            activations += 1
        postpaid = any(r.value["kind"] == "invoice" for r in records)
        prepaid = any(r.value["kind"] == "topup" for r in records)
        assert not (postpaid and prepaid)
        if postpaid:
            assert records[1].value["kind"] == "contract"
    assert len(msisdns) == len(default_run.by_customer)
    assert 0.02 <= activations / len(default_run.by_customer) <= 0.09


def test_counterparts_are_mostly_fellow_customers(default_run):
    # compare against the numbers of a population large enough to hold every neighbour
    ours = {subscriber_msisdn(default_run.cfg.seed, i) for i in range(500)}
    counterparts = [
        r.value["counterpart"]
        for r in default_run.records
        if r.value["kind"] == "voice" and r.value["direction"] == "out"
    ]
    inside = sum(c in ours for c in counterparts) / len(counterparts)
    hotline = sum(c == "10086" for c in counterparts) / len(counterparts)
    assert 0.6 <= inside <= 0.95
    assert 0.002 <= hotline <= 0.05
    assert any(c.startswith("+86") for c in counterparts)


def test_competitor_numbers_come_only_from_competitor_churners(default_run):
    for record in default_run.records:
        counterpart = record.value.get("counterpart")
        if isinstance(counterpart, str) and is_competitor_number(counterpart):
            assert default_run.truth[record.key].path == "competitor"


def test_prepaid_balance_reconciles_with_charges(default_run):
    for records in default_run.by_customer.values():
        balance = None
        for record in records:
            value = record.value
            if value["kind"] == "topup":
                if balance is not None:
                    assert value["balance"] == pytest.approx(balance + value["amount"], abs=0.05)
                assert value["balance"] >= value["amount"]  # never ran dry before topping up
                balance = value["balance"]
            elif balance is not None and record.topic == "telecom.cdr":
                balance -= value.get("charge", 0.0)


def test_default_churn_share_is_exact_per_block_of_100():
    truths, _ = simulate(SimConfig(customers=1000))
    paths = Counter(t.path for t in truths)
    assert paths["steady"] == 850
    assert {paths[p] for p in DEFAULT_PATHS} == {30}


@pytest.mark.parametrize(
    "kwargs",
    [{"days": 20}, {"churn_share": 1.5}, {"paths": ("nope",)}, {"customers": -1}],
)
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ValueError):
        SimConfig(**kwargs)
