"""Protective factors: the switching costs (转网成本) that keep a customer with us.

A customer who would lose something by leaving churns less: a long tenure, a contract still
running, services bundled with the line, a subsidised device not yet paid off, a family or
group plan, a premium number, loyalty points to redeem, a complaint resolved to their
satisfaction, an assigned account manager. Each factor is a small pure function of a customer
view, exactly like a churn signal (`streams.signals`): `None` when it does not hold, else a
`Signal` with its strength in [0, 1], the observed value and one human sentence ("customer for
6 years", "contract runs to 2027-05").

The scorecard takes them with negative weights (`protective.weights`, policy), so each appears
among an alert's reasons with a negative contribution, after every warning signal. Their total
is capped (`protective.max_total`) so that no stack of switching costs hides a customer on the
way out. Missing data never protects: an unknown tenure, no contract end, a profile field the
feed does not send — the factor stays quiet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from config.policy import (
    PROTECTIVE_IDS,
    SIGNAL_IDS,
    BundleFactorPolicy,
    ContractRunningPolicy,
    DeviceSubsidyPolicy,
    LoyaltyPointsPolicy,
    ProtectivePolicy,
    ResolvedSatisfiedPolicy,
    TenureFactorPolicy,
)
from streams.calendar import DAY_S
from streams.crm_signals import open_flags
from streams.signal_base import Signal, plural, ramp
from streams.view import CustomerView
from topics.records import Reason

YEAR_DAYS = 365.25


def tenure_start(view: CustomerView) -> int | None:
    """When the customer joined (epoch seconds): the CRM activation, else the profile's
    `customer_since` date (a feed's answer for customers older than our history); None when
    neither is known."""
    activated = view.profile.get("activated_ts")
    if activated is not None:
        return int(activated)
    since = view.profile.get("customer_since")
    if not since:
        return None
    return view.cal.day_start(view.cal.day_of_date(date.fromisoformat(since)))


def tenure(view: CustomerView, p: TenureFactorPolicy) -> Signal | None:
    """A long-standing customer: years of habits, contacts and history to give up."""
    start = tenure_start(view)
    if start is None or start > view.as_of:
        return None
    years = (view.as_of - start) / DAY_S / YEAR_DAYS
    if years < p.min_years:
        return None
    return Signal(
        "tenure",
        ramp(years, p.min_years, p.full_strength_years),
        round(years, 1),
        f"customer for {plural(int(years), 'year')}",
    )


def _days_until(view: CustomerView, iso_date: str) -> int:
    return view.cal.day_of_date(date.fromisoformat(iso_date)) - view.cal.day(view.as_of)


def _date_ahead(view: CustomerView, field: str, min_days_left: int) -> tuple[str, int] | None:
    """The profile's date `field` and the days left to it, when at least `min_days_left`."""
    end = view.profile.get(field)
    if not end:
        return None
    days_left = _days_until(view, end)
    return (end, days_left) if days_left >= min_days_left else None


def contract_running(view: CustomerView, p: ContractRunningPolicy) -> Signal | None:
    """A contract with a long way to run: leaving now costs an early-termination fee. Stays
    clear of `contract_expiring` (policy validation keeps the two windows apart)."""
    ahead = _date_ahead(view, "contract_end", p.min_days_left)
    if ahead is None:
        return None
    end, days_left = ahead
    return Signal(
        "contract_running",
        ramp(days_left, p.min_days_left, p.full_strength_days_left),
        days_left,
        f"contract runs to {end[:7]}",
    )


def bundle(view: CustomerView, p: BundleFactorPolicy) -> Signal | None:
    """Other services (home broadband, TV...) bundled with the line: leaving unpicks them all."""
    services = view.profile.get("bundle")
    if not services:
        return None
    return Signal(
        "bundle",
        ramp(services, 1, p.full_strength_services),
        services,
        f"{plural(services, 'other service')} bundled with the line",
    )


def device_subsidy(view: CustomerView, p: DeviceSubsidyPolicy) -> Signal | None:
    """A subsidised device not yet paid off: leaving repays the rest of the subsidy."""
    ahead = _date_ahead(view, "device_subsidy_end", p.min_days_left)
    if ahead is None:
        return None
    end, days_left = ahead
    return Signal(
        "device_subsidy",
        ramp(days_left, p.min_days_left, p.full_strength_days_left),
        days_left,
        f"subsidised device until {end}",
    )


def group_plan(view: CustomerView, p: ProtectivePolicy) -> Signal | None:
    """On a family or group plan: leaving breaks it up for the others too."""
    if view.profile.get("group_plan") is not True:
        return None
    return Signal("group_plan", 1.0, 1, "on a family or group plan")


def premium_number(view: CustomerView, p: ProtectivePolicy) -> Signal | None:
    """A premium (golden) number the customer would not want to lose."""
    if view.profile.get("premium_number") is not True:
        return None
    return Signal("premium_number", 1.0, 1, "has a premium number")


def loyalty_points(view: CustomerView, p: LoyaltyPointsPolicy) -> Signal | None:
    """Loyalty points waiting to be redeemed: forfeited on leaving."""
    points = view.profile.get("points_balance")
    if points is None or points < p.min_points:
        return None
    return Signal(
        "loyalty_points",
        ramp(points, p.min_points, p.full_strength_points),
        points,
        f"{points:,.0f} loyalty points to redeem",
    )


_CARE_FACTS = frozenset({"complaint", "complaint_resolved", "care_contact"})
_RATED = frozenset({"complaint_resolved", "care_contact"})


def resolved_satisfied(view: CustomerView, p: ResolvedSatisfiedPolicy) -> Signal | None:
    """A complaint resolved (or a care contact) to the customer's satisfaction, recently, and
    nothing still open: a recovered customer is a loyal one. Full strength on the day, half at
    the end of the window. The latest rating counts: a later unsatisfied one ends it."""
    facts = view.facts(_CARE_FACTS, p.window_days)
    rated = [f for f in facts if f[1] in _RATED and isinstance(f[2].get("satisfied"), bool)]
    if not rated or rated[-1][2]["satisfied"] is not True:
        return None
    complaints = [f for f in facts if f[1] == "complaint"]
    resolutions = [f for f in facts if f[1] == "complaint_resolved"]
    if any(open_flags(complaints, resolutions)):
        return None
    ts, kind, _ = rated[-1]
    age_days = (view.as_of - ts) / DAY_S
    what = "complaint resolved to the customer's satisfaction"
    if kind == "care_contact":
        what = "satisfied after a care contact"
    return Signal(
        "resolved_satisfied",
        max(0.5, 1.0 - 0.5 * age_days / p.window_days),
        round(age_days, 1),
        f"{what} on {view.date(ts)}",
    )


def account_manager(view: CustomerView, p: ProtectivePolicy) -> Signal | None:
    """An assigned account manager: a person who knows the customer (not named in outputs)."""
    if not view.profile.get("account_manager"):
        return None
    return Signal("account_manager", 1.0, 1, "has an assigned account manager")


FactorFn = Callable[[CustomerView, ProtectivePolicy], Signal | None]

CATALOGUE: tuple[tuple[str, FactorFn], ...] = (
    ("tenure", lambda v, p: tenure(v, p.tenure)),
    ("contract_running", lambda v, p: contract_running(v, p.contract_running)),
    ("bundle", lambda v, p: bundle(v, p.bundle)),
    ("device_subsidy", lambda v, p: device_subsidy(v, p.device_subsidy)),
    ("group_plan", group_plan),
    ("premium_number", premium_number),
    ("loyalty_points", lambda v, p: loyalty_points(v, p.loyalty_points)),
    ("resolved_satisfied", lambda v, p: resolved_satisfied(v, p.resolved_satisfied)),
    ("account_manager", account_manager),
)
FACTOR_IDS = tuple(name for name, _ in CATALOGUE)
assert FACTOR_IDS == PROTECTIVE_IDS, "config.policy.PROTECTIVE_IDS must list the catalogue"
assert not set(FACTOR_IDS) & set(SIGNAL_IDS), "a protective factor is not a churn signal"


def protective_factors(view: CustomerView, policy: ProtectivePolicy) -> list[Signal]:
    """Every factor that holds for this view, in catalogue order (weights not applied)."""
    found = []
    for name, fn in CATALOGUE:
        if policy.weights.get(name, 0.0) == 0.0:
            continue  # a factor weighted 0 is switched off: not even computed
        factor = fn(view, policy)
        if factor is not None:
            found.append(factor)
    return found


def protective_reasons(view: CustomerView, policy: ProtectivePolicy) -> list[Reason]:
    """The factors as scorecard reasons: weight x strength, negative, their total capped at
    `max_total` (scaled down in proportion, so the reasons still add up to the score)."""
    return weigh(protective_factors(view, policy), policy)


def weigh(factors: list[Signal], policy: ProtectivePolicy) -> list[Reason]:
    weighted = [(f, policy.weights.get(f.id, 0.0) * f.strength) for f in factors]
    weighted = [(f, c) for f, c in weighted if c < 0.0]
    total = -sum(c for _, c in weighted)
    if not weighted or policy.max_total <= 0.0:
        return []
    scale = policy.max_total / total if total > policy.max_total else 1.0
    return [Reason(f.id, c * scale, f.value, f.detail) for f, c in weighted]
