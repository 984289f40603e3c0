"""An independent traffic generator: a synthetic subscriber population with known churners.

This module shares no code and no parameters with the product's own simulator (`sim/`) or its
detection logic (`streams/`, `config/`, `agents/`): it was written from the wire contract
(CONTRACT.md, "Conventions" and "Input topics") alone, so a test scoring the product on this
traffic is not grading the product against itself. It imports nothing from the project.

`generate()` returns the ground truth (one `Truth` per customer) and the input events as
`(topic, key, value_json_bytes)` tuples, ordered by event time (ties by `event_id`), keyed by
`customer_id`, on the contract's three input topics:

- `telecom.cdr`: `voice` (direction, duration_s, counterpart; roaming / dropped / forwarded and
  charge when they apply), `sms` (direction, counterpart), `data` (bytes, duration_s); every CDR
  carries `region`.
- `telecom.billing`: `invoice` (amount, period, plan_fee), `payment` (amount), `topup` (amount,
  balance), `overdue` (amount, days_overdue).
- `telecom.crm`: `activation` (years before the window: tenure), `profile`, `contract`,
  `complaint`, `complaint_resolved`, `care_contact`, `port_out_request`, and the churn itself,
  `port_out_completed` or `deactivation`.

The population is deliberately not uniform: light, medium, heavy, weekend-only and business
users, prepaid (irregular top-ups from a simulated balance) and postpaid (monthly invoices and
payments) billing, travellers with roaming weeks, CDR feeds that start late for some customers,
one holiday week with less usage for everybody, one day with no CDRs at all (a feed outage),
and ordinary life events (a care call, a resolved complaint, a late payment) for non-churners.
Churners (about 15%) each show one observable pattern before leaving: a usage fade, silence,
calls to competitors' hotlines, a port-out request, repeated complaints, or a bill shock.

Everything is drawn from `random.Random(seed)` and per-customer generators seeded from it: the
same arguments give the same bytes, whatever the hash seed or the wall clock.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

# --- the contract's names ---------------------------------------------------------------------

CDR_TOPIC = "telecom.cdr"
BILLING_TOPIC = "telecom.billing"
CRM_TOPIC = "telecom.crm"
COMPETITOR_NUMBERS = ("10010", "10000", "10099")  # the contract's `competitor_contact` default
OWN_HOTLINE = "10086"

_ID_PREFIX = {CDR_TOPIC: "cdr", BILLING_TOPIC: "bil", CRM_TOPIC: "crm"}


@dataclass(frozen=True)
class Truth:
    customer_id: str
    kind: str  # the archetype name, e.g. "steady_light", "weekend_only", "churner_fade"
    churner: bool
    churn_day: int | None  # day index of the port-out completion / deactivation
    expected_reason: str | None  # the pattern a churner shows, see CHURN_REASONS
    usage: str = ""  # the usage level behind the archetype: light|medium|heavy|weekend|business
    billing: str = ""  # prepaid | postpaid


@dataclass(frozen=True)
class Calendar:
    """Population-wide dates, as day indexes of the window."""

    holiday_start: int  # first day of the holiday week (7 days of lower usage)
    outage_day: int  # the day without any CDR
    billing_start: int  # the billing feed's first day


NON_CHURNER_KINDS = (
    "steady_light",
    "steady_medium",
    "steady_heavy",
    "weekend_only",
    "prepaid_topup",
    "postpaid_invoiced",
    "traveller",
    "business",
)
CHURN_REASONS = {
    "churner_fade": "usage_drop",
    "churner_silent": "zero_activity",
    "churner_competitor": "competitor_contact",
    "churner_port_out": "port_out_request",
    "churner_complaints": "complaint",
    "churner_bill_shock": "bill_shock",
}
DEFAULT_MIX: dict[str, float] = {
    "steady_light": 0.17,
    "steady_medium": 0.19,
    "steady_heavy": 0.08,
    "weekend_only": 0.07,
    "prepaid_topup": 0.12,
    "postpaid_invoiced": 0.12,
    "traveller": 0.07,
    "business": 0.03,
    "churner_fade": 0.03,
    "churner_silent": 0.025,
    "churner_competitor": 0.025,
    "churner_port_out": 0.025,
    "churner_complaints": 0.025,
    "churner_bill_shock": 0.02,
}
# The usage level a churner's archetype is drawn from, with weights.
CHURNER_BASE_USAGE = (("light", 0.32), ("medium", 0.36), ("heavy", 0.15), ("weekend", 0.12),
                      ("business", 0.05))  # fmt: skip

# --- usage levels -----------------------------------------------------------------------------

_HOURS = tuple(range(24))
_PERSONAL_HOURS = (0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5, 4.0, 5.0, 5.5, 5.5,
                   5.0, 5.0, 5.0, 5.0, 5.5, 6.0, 6.5, 7.0, 7.0, 6.0, 4.0, 1.5)  # fmt: skip
_OFFICE_HOURS = (0.05, 0.02, 0.02, 0.02, 0.05, 0.1, 0.4, 2.0, 6.0, 9.0, 9.5, 9.0,
                 6.0, 8.0, 9.0, 9.0, 8.5, 7.0, 4.0, 2.0, 1.2, 0.8, 0.4, 0.1)  # fmt: skip


def _cumulative(weights: tuple[float, ...]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


@dataclass(frozen=True)
class Usage:
    """Mean daily activity of one line on a weekday (Poisson means before any modulation)."""

    name: str
    calls_out: float
    calls_in: float
    sms_out: float
    sms_in: float
    data_prob: float  # chance of any data on a day
    data_sessions: float  # sessions on a day with data
    data_mb: float  # median session size
    call_s: float  # median call duration (log-normal: heavy tail)
    weekend_voice: float
    weekend_data: float
    weekend_only: bool
    office: bool  # office-hours clock instead of a personal one
    contacts: tuple[int, int]  # size range of the contact book


USAGE = {
    "light": Usage("light", 1.0, 0.7, 0.3, 0.4, 0.45, 1.6, 6, 150, 1.0, 1.1, False, False,
                   (5, 15)),
    "medium": Usage("medium", 3.5, 3.0, 1.2, 1.5, 0.95, 3.5, 25, 110, 0.75, 1.25, False, False,
                    (15, 40)),
    "heavy": Usage("heavy", 9.0, 7.0, 3.0, 3.0, 1.0, 7.0, 60, 100, 0.7, 1.3, False, False,
                   (30, 80)),
    "weekend": Usage("weekend", 3.0, 2.5, 1.0, 1.2, 0.9, 4.0, 20, 140, 1.0, 1.0, True, False,
                     (10, 30)),
    # Per line: a business account multiplies this by its 10-40 lines.
    "business": Usage("business", 1.8, 1.5, 0.4, 0.5, 1.0, 2.0, 10, 120, 0.25, 0.4, False, True,
                      (150, 400)),
}  # fmt: skip

_NON_CHURNER_USAGE: dict[str, tuple[tuple[str, float], ...]] = {
    "steady_light": (("light", 1.0),),
    "steady_medium": (("medium", 1.0),),
    "steady_heavy": (("heavy", 1.0),),
    "weekend_only": (("weekend", 1.0),),
    "prepaid_topup": (("light", 0.5), ("medium", 0.5)),
    "postpaid_invoiced": (("medium", 0.7), ("heavy", 0.3)),
    "traveller": (("medium", 0.7), ("heavy", 0.3)),
    "business": (("business", 1.0),),
}

_POSTPAID_PLANS = (
    ("P-BASIC-38", 38.0),
    ("P-PLUS-58", 58.0),
    ("P-MAX-88", 88.0),
    ("P-ULTRA-128", 128.0),
    ("P-FAMILY-158", 158.0),
)
_PREPAID_PLANS = (("PP-8", 8.0), ("PP-18", 18.0), ("PP-28", 28.0), ("PP-58", 58.0))
_PLAN_RANK = {"light": 0, "weekend": 1, "medium": 1, "heavy": 3, "business": 2}
_HOME_REGIONS = ("Beijing", "Shanghai", "Guangdong", "Zhejiang", "Jiangsu", "Sichuan", "Hubei")
_DESTINATIONS = (
    ("JP", "81"),
    ("TH", "66"),
    ("US", "1"),
    ("KR", "82"),
    ("SG", "65"),
    ("FR", "33"),
    ("GB", "44"),
    ("AU", "61"),
)
_SERVICE_SENDERS = (OWN_HOTLINE, "95588", "95555", "95533", "1069012345", "1065800001")
_CATEGORIES = ("network", "billing", "service", "price", "other")
_ROAM_VOICE_OUT, _ROAM_VOICE_IN, _ROAM_SMS, _ROAM_DATA_MB = 1.99, 0.99, 0.5, 0.3
_PAYMENT_DUE_DAYS = 20


# --- small random helpers ---------------------------------------------------------------------


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 40:  # normal approximation: business accounts
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _pick(rng: random.Random, items: list[str] | tuple[Any, ...], cum: list[float]) -> Any:
    """rng.choices(items, cum_weights=cum)[0], without its per-call overhead."""
    return items[bisect.bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in options]
    return rng.choices(names, weights=[weight for _, weight in options])[0]


def _is_competitor(number: str) -> bool:
    """The contract's match: stripped of +86 / 0086, equal to or starting with a hotline."""
    return number.removeprefix("+86").removeprefix("0086").startswith(COMPETITOR_NUMBERS)


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))


def _landline(rng: random.Random) -> str:
    area = rng.choice(("10", "21", "20", "755", "571", "28"))
    local = rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(7))
    return area + local  # national form without the trunk 0


def _as_dialled(rng: random.Random, national: str, landline: bool) -> str:
    """A number as a switch may report it: plain, with +86 or 0086, landlines with a 0."""
    roll = rng.random()
    if roll < 0.25:
        number = "+86" + national
    elif roll < 0.30:
        number = "0086" + national
    else:
        number = ("0" + national) if landline else national
    assert not _is_competitor(number), number
    return number


def _competitor_number(rng: random.Random) -> str:
    base = rng.choice(COMPETITOR_NUMBERS)
    roll = rng.random()
    if roll < 0.6:
        return base
    if roll < 0.8:
        return "+86" + base
    return base + rng.choice("123456789")  # an IVR menu choice: still starts with the hotline


# --- the population plan ----------------------------------------------------------------------


@dataclass
class _Churn:
    day: int
    end_kind: str  # port_out_completed | deactivation
    signal_start: int
    fade_start: int | None = None
    fade_floor: float = 1.0
    silent_from: int | None = None
    competitor_days: list[int] = field(default_factory=list)
    port_request_day: int | None = None
    complaint_days: list[int] = field(default_factory=list)
    shocked_invoices: list[int] = field(default_factory=list)
    shock_factor: float = 1.0


@dataclass
class _Life:
    """Ordinary events of a customer who stays."""

    care_day: int | None = None
    complaint_day: int | None = None
    resolve_after: int = 0
    late_invoice: int | None = None  # the invoice day paid late


@dataclass
class _Customer:
    customer_id: str
    kind: str
    msisdn: str
    usage: Usage
    prepaid: bool
    lines: int
    scale: float
    region: str
    plan_id: str
    plan_fee: float
    cycle_day: int
    activated: dt.datetime
    activation_channel: str
    cdr_start: int
    usage_end: int  # the first day without usage: the churn day, or the window's end
    holiday_factor: float
    contacts: list[str]
    contact_cum: list[float]
    voice_rate: float  # prepaid price of an outgoing minute
    autopay: bool
    contract_end: dt.date | None
    invoice_days: list[int]
    trips: list[tuple[int, int, str, str]]  # first day, last day + 1, country, dialling code
    churn: _Churn | None
    life: _Life


@dataclass(frozen=True)
class _Window:
    start: dt.date
    days: int
    calendar: Calendar
    labels: list[str]  # "YYYY-MM-DD" per day
    weekdays: list[int]
    month_days: list[int]


def _window(start: dt.date, days: int, calendar: Calendar) -> _Window:
    dates = [start + dt.timedelta(days=offset) for offset in range(days)]
    return _Window(
        start,
        days,
        calendar,
        [d.isoformat() for d in dates],
        [d.weekday() for d in dates],
        [d.day for d in dates],
    )


def _draw_calendar(rng: random.Random, days: int) -> Calendar:
    low = int(days * 0.25)
    holiday = rng.randint(low, max(low, min(days - 7, int(days * 0.45))))
    first, last = min(7, days - 1), max(min(7, days - 1), days - 8)
    candidates = [d for d in range(first, last + 1) if not holiday <= d < holiday + 7]
    outage = rng.choice(candidates or [days // 2])
    return Calendar(holiday, outage, rng.randint(0, min(6, days - 1)))


def population_calendar(days: int = 90, seed: int = 1) -> Calendar:
    """The holiday week, outage day and billing start that `generate(days=days, seed=seed)`
    uses (they are the first draws of its generator)."""
    return _draw_calendar(random.Random(seed), days)


def _allocate(customers: int, mix: Mapping[str, float], rng: random.Random) -> list[str]:
    """Exactly apportioned archetypes (largest remainder), in a shuffled order."""
    unknown = sorted(set(mix) - set(NON_CHURNER_KINDS) - set(CHURN_REASONS))
    if unknown or any(share < 0 for share in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(f"bad population mix (unknown kinds: {unknown})")
    total = sum(mix.values())
    names = [name for name in (*NON_CHURNER_KINDS, *CHURN_REASONS) if mix.get(name, 0) > 0]
    exact = {name: customers * mix[name] / total for name in names}
    counts = {name: int(exact[name]) for name in names}
    by_remainder = sorted(
        names, key=lambda name: (-(exact[name] - counts[name]), names.index(name))
    )
    for name in by_remainder[: customers - sum(counts.values())]:
        counts[name] += 1
    kinds = [name for name in names for _ in range(counts[name])]
    rng.shuffle(kinds)
    return kinds


def _pick_plan(rng: random.Random, usage: Usage, prepaid: bool, lines: int) -> tuple[str, float]:
    if usage.name == "business":
        per_line = rng.choice((58.0, 78.0, 98.0))
        return f"B-CORP-{int(per_line)}x{lines}", per_line * lines
    plans = _PREPAID_PLANS if prepaid else _POSTPAID_PLANS
    rank = min(len(plans) - 1, max(0, _PLAN_RANK[usage.name] + rng.choice((-1, 0, 0, 1))))
    return plans[rank]


def _invoice_days(window: _Window, cycle_day: int, end: int) -> list[int]:
    first = window.calendar.billing_start
    return [d for d in range(first, end) if window.month_days[d] == cycle_day]


def _contact_book(
    rng: random.Random, usage: Usage, own: str, msisdns: list[str]
) -> tuple[list[str], list[float]]:
    """Contacts with Zipf-like call shares; some are other customers of the population."""
    contacts: list[str] = []
    for _ in range(rng.randint(*usage.contacts)):
        if rng.random() < 0.15 and len(msisdns) > 1:
            national = rng.choice(msisdns)
            if national == own:
                continue
            contacts.append(_as_dialled(rng, national, landline=False))
        elif rng.random() < 0.2:
            contacts.append(_as_dialled(rng, _landline(rng), landline=True))
        else:
            contacts.append(_as_dialled(rng, _mobile(rng), landline=False))
    if not contacts:
        contacts.append(_as_dialled(rng, _mobile(rng), landline=False))
    weights = tuple(1.0 / (rank + 1) ** 1.1 for rank in range(len(contacts)))
    return contacts, _cumulative(weights)


def _trips(rng: random.Random, window: _Window, cdr_start: int) -> list[tuple[int, int, str, str]]:
    trips: list[tuple[int, int, str, str]] = []
    for _ in range(rng.choice((1, 1, 2))):
        length = rng.randint(6, 9)
        lo, hi = cdr_start + 5, window.days - length - 1
        if hi < lo:
            break
        for _attempt in range(20):
            first = rng.randint(lo, hi)
            if all(first + length + 3 < a or first > b + 3 for a, b, _, _ in trips):
                country, code = rng.choice(_DESTINATIONS)
                trips.append((first, first + length, country, code))
                break
    return sorted(trips)


def _churn_day_range(days: int) -> tuple[int, int]:
    low = 50 if days > 56 else days // 2
    return min(low, days - 1), days - 1


def _end_kind(rng: random.Random, kind: str, prepaid: bool) -> str:
    if kind == "churner_port_out":
        return "port_out_completed"
    port_share = {"churner_competitor": 0.75}.get(kind, 0.35 if prepaid else 0.5)
    return "port_out_completed" if rng.random() < port_share else "deactivation"


def _bill_shock_churn(
    rng: random.Random,
    invoices: list[int],
    low: int,
    high: int,
) -> tuple[int, list[int]]:
    """A churn day with at least one normal invoice before the 1-2 shocking ones, leaving
    3+ days after the last of them."""
    candidates = []
    for day in range(low, high + 1):
        before = [d for d in invoices if d < day]
        if len(before) >= 2 and day - before[-1] >= 3:
            candidates.append((day, before))
    if not candidates:
        day = rng.randint(low, high)
        before = [d for d in invoices if d < day]
        return day, before[-1:]
    day, before = rng.choice(candidates)
    shocked = 2 if len(before) >= 3 and rng.random() < 0.5 else 1
    return day, before[-shocked:]


def _schedule_churn(
    rng: random.Random, kind: str, usage: Usage, prepaid: bool, invoices: list[int], window: _Window
) -> _Churn:
    low, high = _churn_day_range(window.days)
    if kind == "churner_bill_shock":
        day, shocked = _bill_shock_churn(rng, invoices, low, high)
        churn = _Churn(day, _end_kind(rng, kind, prepaid), shocked[0] if shocked else day)
        churn.shocked_invoices, churn.shock_factor = shocked, rng.uniform(1.8, 3.0)
        return churn
    day = rng.randint(low, high)
    churn = _Churn(day, _end_kind(rng, kind, prepaid), day)
    if kind == "churner_fade":
        churn.fade_start = max(1, day - rng.randint(21, 35))
        churn.fade_floor = rng.uniform(0.10, 0.30)
        churn.signal_start = churn.fade_start
    elif kind == "churner_silent":
        quiet = rng.randint(14, 20) if usage.weekend_only else rng.randint(7, 20)
        churn.silent_from = churn.signal_start = max(1, day - quiet)
    elif kind == "churner_competitor":
        span = [
            d
            for d in range(max(1, day - 28), max(2, day - 13))
            if d != window.calendar.outage_day
            and (window.weekdays[d] >= 5 or not usage.weekend_only)
        ] or [max(1, day - 14)]
        churn.competitor_days = sorted(rng.sample(span, min(len(span), rng.randint(1, 3))))
        churn.signal_start = churn.competitor_days[0]
    elif kind == "churner_port_out":
        churn.port_request_day = churn.signal_start = max(1, day - rng.randint(3, 14))
    elif kind == "churner_complaints":
        span = list(range(max(1, day - 30), day))
        churn.complaint_days = sorted(rng.sample(span, min(len(span), rng.randint(2, 4))))
        churn.signal_start = churn.complaint_days[0]
    return churn


def _cdr_start(rng: random.Random, churn: _Churn | None) -> int:
    """Day 0 for most; a few days or weeks into the window for late feeds. A churner keeps
    three weeks of history before its pattern begins."""
    roll = rng.random()
    if churn is not None:
        room = min(10, churn.signal_start - 21)
        return rng.randint(1, room) if roll < 0.15 and room >= 1 else 0
    if roll < 0.75:
        return 0
    return rng.randint(2, 9) if roll < 0.9 else rng.randint(10, 35)


def _life_events(rng: random.Random, prepaid: bool, invoices: list[int], window: _Window) -> _Life:
    life = _Life()
    if rng.random() < 0.25:
        life.care_day = rng.randrange(window.days)
    if rng.random() < 0.08:
        life.complaint_day = rng.randrange(max(1, window.days - 8))
        life.resolve_after = rng.randint(1, 7)
    latest = window.days - _PAYMENT_DUE_DAYS - 22
    fitting = [d for d in invoices if d <= latest]
    if not prepaid and fitting and rng.random() < 0.12:
        life.late_invoice = rng.choice(fitting)
    return life


def _contract_end(
    rng: random.Random, prepaid: bool, churn: _Churn | None, window: _Window
) -> dt.date | None:
    if prepaid or rng.random() < 0.4:
        return None
    earliest = window.days + 30 if churn is not None else 1  # no expiry signal for churners
    return window.start + dt.timedelta(days=rng.randint(earliest, 730))


def _plan_customer(
    index: int, kind: str, rng: random.Random, msisdn: str, msisdns: list[str], window: _Window
) -> _Customer:
    churner = kind in CHURN_REASONS
    level = _weighted(rng, CHURNER_BASE_USAGE if churner else _NON_CHURNER_USAGE[kind])
    usage = USAGE[level]
    if level == "business" or kind in ("postpaid_invoiced", "churner_bill_shock"):
        prepaid = False
    elif kind == "prepaid_topup":
        prepaid = True
    else:
        prepaid = rng.random() < (0.25 if level == "heavy" else 0.4)
    lines = rng.randint(10, 40) if level == "business" else 1
    plan_id, plan_fee = _pick_plan(rng, usage, prepaid, lines)
    cycle_day = rng.randint(1, 28)
    invoices = [] if prepaid else _invoice_days(window, cycle_day, window.days)
    churn = _schedule_churn(rng, kind, usage, prepaid, invoices, window) if churner else None
    end = churn.day if churn else window.days
    cdr_start = _cdr_start(rng, churn)
    activated = dt.datetime.combine(window.start, dt.time(), dt.UTC) - dt.timedelta(
        days=rng.randint(365, 8 * 365), seconds=rng.randrange(8 * 3600, 20 * 3600)
    )
    contacts, cum = _contact_book(rng, usage, msisdn, msisdns)
    return _Customer(
        customer_id=f"cust-{index:05d}",
        kind=kind,
        msisdn=msisdn,
        usage=usage,
        prepaid=prepaid,
        lines=lines,
        scale=rng.lognormvariate(0.0, 0.25),
        region=rng.choice(_HOME_REGIONS),
        plan_id=plan_id,
        plan_fee=plan_fee,
        cycle_day=cycle_day,
        activated=activated,
        activation_channel=rng.choice(("store", "online", "agent")),
        cdr_start=cdr_start,
        usage_end=end,
        holiday_factor=rng.uniform(0.5, 0.7),
        contacts=contacts,
        contact_cum=cum,
        voice_rate=round(rng.uniform(0.10, 0.19), 2),
        autopay=rng.random() < 0.4,
        contract_end=_contract_end(rng, prepaid, churn, window),
        invoice_days=[d for d in invoices if d < end],
        trips=_trips(rng, window, cdr_start) if kind == "traveller" else [],
        churn=churn,
        life=_life_events(rng, prepaid, invoices, window) if not churner else _Life(),
    )


# --- events -----------------------------------------------------------------------------------

_Event = tuple[str, str, str, str, dict[str, Any]]  # ts, event_id, topic, key, value


class _Sink:
    """Collects one customer's events, numbering them per topic."""

    def __init__(self, customer_id: str, window: _Window) -> None:
        self.customer_id = customer_id
        self.window = window
        self.events: list[_Event] = []
        self._seq = dict.fromkeys(_ID_PREFIX, 0)

    def at(self, topic: str, day: int, second: int, kind: str, **fields: Any) -> None:
        self.stamped(topic, f"{self.window.labels[day]}T{_time_of_day(second)}Z", kind, **fields)

    def stamped(self, topic: str, ts: str, kind: str, **fields: Any) -> None:
        self._seq[topic] += 1
        event_id = f"{_ID_PREFIX[topic]}-{self.customer_id}-{self._seq[topic]:06d}"
        value = {
            "event_id": event_id,
            "customer_id": self.customer_id,
            "ts": ts,
            "kind": kind,
            **fields,
        }
        self.events.append((ts, event_id, topic, self.customer_id, value))


@functools.cache
def _time_of_day(second: int) -> str:
    hour, rest = divmod(second, 3600)
    return f"{hour:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _clock(rng: random.Random, office: bool) -> int:
    """A second of the day, from an hourly profile."""
    hour: int = _pick(rng, _HOURS, _OFFICE_CUM if office else _PERSONAL_CUM)
    return hour * 3600 + int(rng.random() * 3600)


_PERSONAL_CUM = _cumulative(_PERSONAL_HOURS)
_OFFICE_CUM = _cumulative(_OFFICE_HOURS)
_WORKING_HOURS = (9 * 3600, 19 * 3600)


def _office_clock(rng: random.Random) -> int:
    return rng.randrange(*_WORKING_HOURS)


# --- usage (telecom.cdr) ----------------------------------------------------------------------


def _trip_on(customer: _Customer, day: int) -> tuple[int, int, str, str] | None:
    for trip in customer.trips:
        if trip[0] <= day < trip[1]:
            return trip
    return None


def _activity(customer: _Customer, day: int, calendar: Calendar) -> float:
    """How much of the customer's normal usage happens on `day` (before weekday effects)."""
    factor = 1.0
    if calendar.holiday_start <= day < calendar.holiday_start + 7:
        factor *= customer.holiday_factor
    churn = customer.churn
    if churn is not None:
        if churn.silent_from is not None and day >= churn.silent_from:
            return 0.0
        if churn.fade_start is not None and day >= churn.fade_start:
            progress = (day - churn.fade_start + 1) / (churn.day - churn.fade_start)
            factor *= 1.0 - (1.0 - churn.fade_floor) * progress
    return factor


def _counterpart(
    rng: random.Random,
    customer: _Customer,
    trip: tuple[int, int, str, str] | None,
    unknown_share: float,
) -> str:
    if trip is not None and rng.random() < 0.3:
        return "+" + trip[3] + "".join(rng.choice("0123456789") for _ in range(9))
    if rng.random() < unknown_share:
        return _as_dialled(rng, _mobile(rng), landline=False)
    number: str = _pick(rng, customer.contacts, customer.contact_cum)
    if trip is not None and not number.startswith("+"):
        number = "+86" + number.removeprefix("0086").lstrip("0")
    return number


def _voice(
    rng: random.Random,
    customer: _Customer,
    sink: _Sink | None,
    day: int,
    direction: str,
    trip: tuple[int, int, str, str] | None,
) -> float:
    """One call; returns what it costs the customer."""
    median = customer.usage.call_s * (0.7 if trip else 1.0)
    duration = min(4 * 3600, max(3, int(rng.lognormvariate(math.log(median), 1.0))))
    fields: dict[str, Any] = {"direction": direction}
    missed = direction == "in" and rng.random() < 0.06
    if missed:
        duration = 0
    fields["duration_s"] = duration
    fields["counterpart"] = _counterpart(rng, customer, trip, 0.12 if direction == "in" else 0.05)
    fields["region"] = trip[2] if trip else customer.region
    minutes = math.ceil(duration / 60)
    charge = 0.0
    if trip:
        fields["roaming"] = True
        charge = minutes * (_ROAM_VOICE_OUT if direction == "out" else _ROAM_VOICE_IN)
    elif customer.prepaid and direction == "out":
        charge = minutes * customer.voice_rate
    if not missed and rng.random() < 0.015:
        fields["dropped"] = True
    if direction == "in" and rng.random() < 0.02:
        fields["forwarded"] = True
    if charge > 0:
        fields["charge"] = round(charge, 2)
    if sink is not None:
        sink.at(CDR_TOPIC, day, _clock(rng, customer.usage.office), "voice", **fields)
    return charge


def _sms(
    rng: random.Random,
    customer: _Customer,
    sink: _Sink | None,
    day: int,
    direction: str,
    trip: tuple[int, int, str, str] | None,
) -> float:
    if direction == "in" and rng.random() < 0.4:
        counterpart = rng.choice(_SERVICE_SENDERS)
    else:
        counterpart = _counterpart(rng, customer, trip, 0.05)
    fields: dict[str, Any] = {
        "direction": direction,
        "counterpart": counterpart,
        "region": trip[2] if trip else customer.region,
    }
    charge = 0.0
    if direction == "out":
        charge = _ROAM_SMS if trip else (0.1 if customer.prepaid else 0.0)
    if trip:
        fields["roaming"] = True
    if charge > 0:
        fields["charge"] = charge
    if sink is not None:
        sink.at(CDR_TOPIC, day, _clock(rng, customer.usage.office), "sms", **fields)
    return charge


def _data(
    rng: random.Random,
    customer: _Customer,
    sink: _Sink | None,
    day: int,
    trip: tuple[int, int, str, str] | None,
) -> float:
    median = customer.usage.data_mb * 1e6 * (0.5 if trip else 1.0)
    size = min(10**11, int(rng.lognormvariate(math.log(median), 1.2)))
    fields: dict[str, Any] = {
        "bytes": size,
        "duration_s": max(1, int(rng.lognormvariate(math.log(400), 1.0))),
        "region": trip[2] if trip else customer.region,
    }
    charge = 0.0
    if trip:
        fields["roaming"] = True
        charge = round(min(200.0, size / 1e6 * _ROAM_DATA_MB), 2)
        fields["charge"] = charge
    if sink is not None:
        sink.at(CDR_TOPIC, day, _clock(rng, customer.usage.office), "data", **fields)
    return charge


def _usage_day(
    rng: random.Random,
    customer: _Customer,
    sink: _Sink | None,
    day: int,
    factor: float,
    weekend: bool,
) -> float:
    """One day of calls, SMS and data sessions; returns the day's charges."""
    usage = customer.usage
    trip = _trip_on(customer, day)
    mood = rng.gammavariate(5.0, 0.2)  # a busy day is busy on every channel
    base = factor * mood * customer.scale * customer.lines
    voice = base * (usage.weekend_voice if weekend else 1.0) * (0.5 if trip else 1.0)
    data = base * (usage.weekend_data if weekend else 1.0) * (0.7 if trip else 1.0)
    charges = 0.0
    for direction, mean in (("out", usage.calls_out), ("in", usage.calls_in)):
        for _ in range(_poisson(rng, mean * voice)):
            charges += _voice(rng, customer, sink, day, direction, trip)
    for direction, mean in (("out", usage.sms_out), ("in", usage.sms_in)):
        for _ in range(_poisson(rng, mean * voice * (0.8 if trip else 1.0))):
            charges += _sms(rng, customer, sink, day, direction, trip)
    if customer.lines > 1 or rng.random() < usage.data_prob:
        for _ in range(_poisson(rng, usage.data_sessions * data)):
            charges += _data(rng, customer, sink, day, trip)
    return charges


def _simulate_usage(rng: random.Random, customer: _Customer, sink: _Sink) -> list[float]:
    """Usage of every day the line is in use; CDRs are emitted only from the customer's feed
    start and never on the outage day. Returns the charges per day (prepaid balance)."""
    window = sink.window
    charges = [0.0] * window.days
    for day in range(customer.usage_end):
        weekend = window.weekdays[day] >= 5
        factor = _activity(customer, day, window.calendar)
        if factor <= 0 or (customer.usage.weekend_only and not weekend):
            continue
        emitted = day >= customer.cdr_start and day != window.calendar.outage_day
        charges[day] = _usage_day(rng, customer, sink if emitted else None, day, factor, weekend)
    return charges


def _special_call_day(customer: _Customer, day: int, window: _Window) -> int | None:
    """`day`, or the next day the line is in use and CDRs flow (a weekend-only customer calls
    at the weekend); None when that call leaves no CDR (before the feed starts, after churn)."""
    while day < customer.usage_end and (
        day == window.calendar.outage_day
        or (customer.usage.weekend_only and window.weekdays[day] < 5)
    ):
        day += 1
    if day < customer.cdr_start or day >= customer.usage_end:
        return None
    return day


def _hotline_call(
    customer: _Customer, sink: _Sink, day: int, number: str, second: int, duration: int
) -> None:
    sink.at(
        CDR_TOPIC,
        day,
        second,
        "voice",
        direction="out",
        duration_s=duration,
        counterpart=number,
        region=customer.region,
    )


# --- billing (telecom.billing) ----------------------------------------------------------------


def _period(window: _Window, day: int) -> str:
    """The billing month an invoice on `day` covers: the calendar month before it."""
    first = (window.start + dt.timedelta(days=day)).replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def _roamed_in(customer: _Customer, window: _Window, period: str) -> bool:
    return any(
        window.labels[d][:7] == period
        for first, last, _, _ in customer.trips
        for d in range(first, last)
    )


def _invoice_amount(rng: random.Random, customer: _Customer, window: _Window, day: int) -> float:
    amount = customer.plan_fee * rng.uniform(0.96, 1.12)
    if _roamed_in(customer, window, _period(window, day)):
        amount *= rng.uniform(1.15, 1.45)
    churn = customer.churn
    if churn is not None and day in churn.shocked_invoices:
        amount *= churn.shock_factor * rng.uniform(0.95, 1.05)
    return round(amount, 2)


def _emit_postpaid(rng: random.Random, customer: _Customer, sink: _Sink) -> None:
    """Monthly invoices and their payments; at most one paid late, after an overdue notice."""
    window = sink.window
    for day in customer.invoice_days:
        amount = _invoice_amount(rng, customer, window, day)
        sink.at(
            BILLING_TOPIC,
            day,
            rng.randrange(3600, 5 * 3600),
            "invoice",
            amount=amount,
            period=_period(window, day),
            plan_fee=customer.plan_fee,
        )
        if day == customer.life.late_invoice:
            days_overdue = rng.randint(3, 12)
            notice = day + _PAYMENT_DUE_DAYS + days_overdue
            sink.at(
                BILLING_TOPIC,
                notice,
                rng.randrange(6 * 3600, 8 * 3600),
                "overdue",
                amount=amount,
                days_overdue=days_overdue,
            )
            paid = notice + rng.randint(1, 6)
        elif customer.autopay:
            paid = day + 1
        else:
            paid = day + rng.randint(2, 17)
        if paid < customer.usage_end:
            sink.at(BILLING_TOPIC, paid, _office_clock(rng), "payment", amount=amount)


_TOPUP_AMOUNTS = (10.0, 20.0, 30.0, 50.0, 100.0, 200.0)


def _emit_prepaid(
    rng: random.Random, customer: _Customer, sink: _Sink, charges: list[float]
) -> None:
    """Top-ups driven by a simulated balance: usage charges and the monthly package drain it,
    the customer tops up (a habitual amount, irregularly) when it runs low."""
    window = sink.window
    habit = rng.choice((20.0, 30.0, 50.0, 50.0, 100.0))
    threshold = rng.uniform(5.0, 15.0)
    balance = rng.uniform(5.0, 80.0)
    churn = customer.churn
    for day in range(customer.usage_end):
        balance -= charges[day]
        if window.month_days[day] == customer.cycle_day:
            balance -= customer.plan_fee
        if churn is not None and day >= churn.signal_start and churn.silent_from is not None:
            continue  # gone quiet: no more top-ups
        low = balance < threshold and rng.random() < 0.55
        if not (low or rng.random() < 0.012):
            continue
        amount = habit if rng.random() < 0.7 else rng.choice(_TOPUP_AMOUNTS)
        while balance + amount < 5.0:
            amount += habit
        balance += amount
        if day >= window.calendar.billing_start:
            sink.at(
                BILLING_TOPIC,
                day,
                _clock(rng, office=False),
                "topup",
                amount=amount,
                balance=round(balance, 2),
            )


# --- CRM (telecom.crm) ------------------------------------------------------------------------


def _profile_fields(customer: _Customer) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "msisdn": customer.msisdn,
        "plan_id": customer.plan_id,
        "plan_fee": customer.plan_fee,
        "segment": "business" if customer.usage.name == "business" else "consumer",
        "region": customer.region,
    }
    if customer.usage.name == "business":
        fields["account_manager"] = f"am-{int(customer.customer_id[-3:]) % 17 + 1:02d}"
    return fields


def _emit_crm_base(rng: random.Random, customer: _Customer, sink: _Sink) -> None:
    """Activation (tenure), the profile at the window's start, and contract renewals."""
    activated = customer.activated.strftime("%Y-%m-%dT%H:%M:%SZ")
    sink.stamped(
        CRM_TOPIC,
        activated,
        "activation",
        channel=customer.activation_channel,
        **_profile_fields(customer),
    )
    profile = _profile_fields(customer)
    if customer.contract_end is not None:
        profile["contract_end"] = customer.contract_end.isoformat()
    sink.at(CRM_TOPIC, 0, rng.randrange(60, 3 * 3600), "profile", **profile)
    end = customer.contract_end
    window = sink.window
    if end is not None and customer.churn is None:
        offset = (end - window.start).days
        if 0 < offset < window.days:
            renewed = max(0, offset - rng.randint(0, 20))
            later = end + dt.timedelta(days=rng.choice((365, 730)))
            sink.at(
                CRM_TOPIC,
                renewed,
                _office_clock(rng),
                "contract",
                contract_end=later.isoformat(),
                plan_id=customer.plan_id,
            )


def _complaint(
    rng: random.Random, sink: _Sink, day: int, number: int, category: str, severity: int
) -> str:
    complaint_id = f"{sink.customer_id}-c{number}"
    sink.at(
        CRM_TOPIC,
        day,
        _office_clock(rng),
        "complaint",
        complaint_id=complaint_id,
        category=category,
        severity=severity,
        channel=rng.choice(("hotline", "app", "store")),
    )
    return complaint_id


def _emit_life(rng: random.Random, customer: _Customer, sink: _Sink) -> None:
    """A non-churner's ordinary events: a care call, a complaint that gets resolved."""
    life = customer.life
    window = sink.window
    if life.care_day is not None:
        second, duration = _office_clock(rng), rng.randint(120, 900)
        call_day = _special_call_day(customer, life.care_day, window)
        sink.at(
            CRM_TOPIC,
            life.care_day if call_day is None else call_day,
            second,
            "care_contact",
            channel="hotline",
        )
        if call_day is not None:
            _hotline_call(customer, sink, call_day, OWN_HOTLINE, second - 60, duration)
    if life.complaint_day is not None:
        category = _weighted(
            rng,
            (
                ("network", 0.35),
                ("billing", 0.3),
                ("service", 0.2),
                ("price", 0.05),
                ("other", 0.1),
            ),
        )
        complaint_id = _complaint(rng, sink, life.complaint_day, 1, category, rng.choice((1, 2)))
        resolved = min(window.days - 1, life.complaint_day + life.resolve_after)
        sink.at(
            CRM_TOPIC,
            resolved,
            _office_clock(rng),
            "complaint_resolved",
            complaint_id=complaint_id,
            category=category,
            satisfied=rng.random() < 0.9,
        )


def _emit_churn(rng: random.Random, customer: _Customer, sink: _Sink) -> None:
    """A churner's pattern before leaving, then the churn event itself."""
    churn = customer.churn
    assert churn is not None
    for day in churn.competitor_days:
        number, second, duration = _competitor_number(rng), _office_clock(rng), rng.randint(90, 900)
        call_day = _special_call_day(customer, day, sink.window)
        if call_day is not None:
            _hotline_call(customer, sink, call_day, number, second, duration)
    if churn.port_request_day is not None:
        sink.at(
            CRM_TOPIC,
            churn.port_request_day,
            _office_clock(rng),
            "port_out_request",
            channel=rng.choice(("store", "online", "hotline")),
        )
    for sequence, day in enumerate(churn.complaint_days, start=1):
        category = rng.choice(("network", "billing", "service", "price"))
        complaint_id = _complaint(rng, sink, day, sequence, category, rng.choice((2, 3)))
        if sequence == 1 and rng.random() < 0.4 and day + 2 < churn.day:
            sink.at(
                CRM_TOPIC,
                day + rng.randint(1, 2),
                _office_clock(rng),
                "complaint_resolved",
                complaint_id=complaint_id,
                category=category,
                satisfied=False,
            )
    sink.at(CRM_TOPIC, churn.day, _office_clock(rng), churn.end_kind, msisdn=customer.msisdn)


# --- the population ---------------------------------------------------------------------------


def _msisdns(rng: random.Random, count: int) -> list[str]:
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen.setdefault(_mobile(rng), None)
    return list(seen)


def _customer_events(customer: _Customer, rng: random.Random, window: _Window) -> list[_Event]:
    sink = _Sink(customer.customer_id, window)
    _emit_crm_base(rng, customer, sink)
    charges = _simulate_usage(rng, customer, sink)
    if customer.prepaid:
        _emit_prepaid(rng, customer, sink, charges)
    else:
        _emit_postpaid(rng, customer, sink)
    if customer.churn is None:
        _emit_life(rng, customer, sink)
    else:
        _emit_churn(rng, customer, sink)
    return sink.events


def _truth(customer: _Customer) -> Truth:
    churn = customer.churn
    return Truth(
        customer.customer_id,
        customer.kind,
        churn is not None,
        churn.day if churn else None,
        CHURN_REASONS.get(customer.kind),
        customer.usage.name,
        "prepaid" if customer.prepaid else "postpaid",
    )


def generate(
    customers: int = 300,
    days: int = 90,
    seed: int = 1,
    start: dt.date = dt.date(2025, 9, 1),
    *,
    mix: Mapping[str, float] | None = None,
) -> tuple[list[Truth], list[tuple[str, str, bytes]]]:
    """Return ground truth and the events as (topic, key, value_json_bytes) tuples,
    sorted by event timestamp (ties broken by event_id), key = customer_id.

    `mix` maps archetype names (NON_CHURNER_KINDS and CHURN_REASONS' keys) to shares; the
    default is DEFAULT_MIX (about 85% non-churners). Shares are normalised and apportioned
    exactly (largest remainder), so small populations still get every archetype they can."""
    if customers < 0 or days < 14:
        raise ValueError("need customers >= 0 and a window of at least 14 days")
    master = random.Random(seed)
    calendar = _draw_calendar(master, days)
    window = _window(start, days, calendar)
    kinds = _allocate(customers, DEFAULT_MIX if mix is None else mix, master)
    msisdns = _msisdns(master, len(kinds))
    seeds = [master.getrandbits(64) for _ in kinds]
    truths: list[Truth] = []
    events: list[_Event] = []
    for index, (kind, msisdn, customer_seed) in enumerate(zip(kinds, msisdns, seeds, strict=True)):
        rng = random.Random(customer_seed)
        customer = _plan_customer(index, kind, rng, msisdn, msisdns, window)
        truths.append(_truth(customer))
        events.extend(_customer_events(customer, rng, window))
    events.sort(key=lambda event: (event[0], event[1]))
    return truths, [(topic, key, orjson.dumps(value)) for _, _, topic, key, value in events]
