"""Who the customers are: segment, region, tariff, usage habits, social circle, fate.

Everything about customer `index` is drawn from its own `random.Random` derived from
(seed, index), plus the churn assignment of its block of 100 customers (also derived from
the seed only), so a customer is the same person whatever the population size.
"""

from __future__ import annotations

from bisect import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from random import Random

from sim.clock import Calendar
from sim.model import STEADY, SimConfig
from sim.numbers import external_number, stable_int, subscriber_msisdn
from sim.paths import POSTPAID_PATHS, ChurnStory, draw_story

BLOCK = 100  # churners are assigned exactly per block of this many customer indices
NEIGHBOURHOOD = 40  # social circles are drawn from indices within this distance
NEW_CUSTOMER_SHARE = 0.06  # of steady customers (~5% of all): tenure starts in the window

REGIONS = {
    "Guangdong": "GD",
    "Zhejiang": "ZJ",
    "Jiangsu": "JS",
    "Sichuan": "SC",
    "Shandong": "SD",
    "Henan": "HA",
    "Hubei": "HB",
}
_REGION_WEIGHTS = (0.24, 0.16, 0.16, 0.12, 0.12, 0.1, 0.1)

# (segment, prepaid) -> tariffs from cheapest to dearest: (plan_id, monthly fee)
TARIFFS: dict[tuple[str, bool], tuple[tuple[str, float], ...]] = {
    ("consumer", True): (("PRE-19", 19.0), ("PRE-29", 29.0), ("PRE-39", 39.0), ("PRE-59", 59.0)),
    ("consumer", False): (
        ("POST-58", 58.0),
        ("POST-88", 88.0),
        ("POST-128", 128.0),
        ("POST-188", 188.0),
    ),
    ("business", True): (("BIZPRE-49", 49.0), ("BIZPRE-79", 79.0)),
    ("business", False): (("BIZ-98", 98.0), ("BIZ-158", 158.0), ("BIZ-238", 238.0)),
}

# List prices that give usage its "worth" before the customer's tariff scaling.
PRICE_PER_MINUTE = 0.15
PRICE_PER_SMS = 0.10
PRICE_PER_MB = 0.003


@dataclass(frozen=True)
class Habits:
    """Average daily usage of one customer at baseline, and what a unit of it is worth."""

    voice_out: float  # calls per day
    voice_in: float
    sms_out: float
    sms_in: float
    call_seconds: float  # mean call duration
    data_mb: float  # MB per day
    worth_scale: float  # multiplies list prices so that monthly worth ~ target share of fee

    def list_value_per_day(self) -> float:
        minutes = self.voice_out * (self.call_seconds / 60 + 0.5)
        return (
            minutes * PRICE_PER_MINUTE + self.sms_out * PRICE_PER_SMS + self.data_mb * PRICE_PER_MB
        )


@dataclass(frozen=True)
class Contact:
    """The customer's social circle: numbers and cumulative call weights (top contacts first)."""

    numbers: tuple[str, ...]
    cumulative: tuple[float, ...]

    def pick(self, rng: Random) -> str:
        return self.numbers[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass(frozen=True)
class CustomerPlan:
    """Everything fixed about one customer for the whole run."""

    index: int
    customer_id: str
    msisdn: str
    segment: str
    region: str
    prepaid: bool
    heavy: bool
    plan_id: str
    plan_fee: float
    habits: Habits
    circle: Contact
    cells: tuple[str, ...]
    account_manager: str | None
    first_day: int  # activation day, or 0 for customers who were already with us
    activated_in_window: bool
    contract_end: date | None  # postpaid only
    renewal_day: int | None  # day a renewal contract event is sent (steady postpaid)
    renewed_end: date | None
    story: ChurnStory | None  # None: steady

    @property
    def path(self) -> str:
        return self.story.path if self.story else STEADY


def customer_id(index: int) -> str:
    return f"C{index:06d}"


def customer_rng(seed: int, index: int, stream: str) -> Random:
    """One of the customer's own random streams: depends on (seed, index, stream) only."""
    return Random(stable_int("customer", stream, seed, index))


@lru_cache(maxsize=1024)
def _block_paths(
    seed: int, block: int, churn_share: float, paths: tuple[str, ...]
) -> tuple[str, ...]:
    churners = round(churn_share * BLOCK) if paths else 0
    slots = list(range(BLOCK))
    Random(stable_int("churn-block", seed, block)).shuffle(slots)
    fate = [STEADY] * BLOCK
    for rank, slot in enumerate(slots[:churners]):
        fate[slot] = paths[(rank + block) % len(paths)]
    return tuple(fate)


def churn_path(cfg: SimConfig, index: int) -> str:
    """The churn path of customer `index`, or "steady" (exact share per block of 100)."""
    return _block_paths(cfg.seed, index // BLOCK, cfg.churn_share, cfg.paths)[index % BLOCK]


def _draw_circle(rng: Random, cfg: SimConfig, index: int, steady: bool) -> Contact:
    """5-15 contacts, mostly fellow subscribers nearby in index, some external numbers.

    Steady customers only know other steady customers, so that nobody steady sees their
    friends churn (`social_churn`) by construction."""
    size = rng.randint(5, 15)
    low = max(0, index - NEIGHBOURHOOD)
    candidates = [j for j in range(low, low + 2 * NEIGHBOURHOOD + 1) if j != index]
    if steady:
        candidates = [j for j in candidates if churn_path(cfg, j) == STEADY]
    insiders = rng.sample(candidates, min(len(candidates), round(size * rng.uniform(0.7, 0.9))))
    numbers = [subscriber_msisdn(cfg.seed, j) for j in insiders]
    numbers += [external_number(rng) for _ in range(size - len(numbers))]
    rng.shuffle(numbers)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(numbers))]
    return Contact(tuple(numbers), tuple(accumulate(weights)))


def _draw_habits(rng: Random, segment: str, heavy: bool, fee: float, worth_share: float) -> Habits:
    if heavy:
        voice_out, sms_out = rng.uniform(1.1, 1.8), rng.uniform(0.25, 0.45)
        call_seconds, data_mb = rng.uniform(150, 330), rng.uniform(400, 2500)
    else:
        voice_out, sms_out = rng.uniform(0.7, 1.1), rng.uniform(0.2, 0.35)
        call_seconds, data_mb = rng.uniform(60, 150), rng.uniform(30, 150)
    if segment == "business":
        call_seconds *= 1.3
    draft = Habits(
        voice_out=voice_out,
        voice_in=voice_out * rng.uniform(0.5, 0.7),
        sms_out=sms_out,
        sms_in=sms_out * rng.uniform(0.5, 0.7),
        call_seconds=call_seconds,
        data_mb=data_mb,
        worth_scale=1.0,
    )
    scale = worth_share * fee / 30 / draft.list_value_per_day()
    return Habits(**{**draft.__dict__, "worth_scale": scale})


def _draw_tariff(
    rng: Random, segment: str, prepaid: bool, heavy: bool, top: bool
) -> tuple[str, float]:
    tariffs = TARIFFS[(segment, prepaid)]
    if top:
        return tariffs[-1]
    half = max(1, len(tariffs) // 2)
    return rng.choice(tariffs[half:] if heavy else tariffs[:half])


def _draw_contract(
    rng: Random, cal: Calendar, first_day: int, new: bool, steady: bool
) -> tuple[date, int | None, date | None]:
    """(contract_end, renewal_day, renewed_end) for a postpaid customer.

    Steady customers either end well past the horizon, or renew at least 60 days ahead."""
    last = cal.days - 1
    far_away = cal.start + timedelta(days=last + 75)  # beyond every day's 60-day horizon
    if new:  # a contract signed at activation inside the window
        signed = cal.dates[first_day] + timedelta(days=rng.choice((365, 730)))
        return max(signed, far_away), None, None
    if steady and rng.random() < 0.25:
        end_day = rng.randint(65, last + 60)
        renewal_day = rng.randint(max(0, end_day - 120), end_day - 60)
        end = cal.start + timedelta(days=end_day)
        renewed = max(end + timedelta(days=rng.choice((365, 730))), far_away)
        return end, renewal_day, renewed
    return cal.start + timedelta(days=rng.randint(last + 75, last + 700)), None, None


def draw_customer(cfg: SimConfig, cal: Calendar, index: int, rng: Random) -> CustomerPlan:
    """Draw everything fixed about customer `index` from its own random stream."""
    path = churn_path(cfg, index)
    steady = path == STEADY
    segment = "business" if rng.random() < 0.18 else "consumer"
    region = rng.choices(tuple(REGIONS), _REGION_WEIGHTS)[0]
    prepaid = rng.random() < (0.1 if segment == "business" else 0.5)
    if path in POSTPAID_PATHS:
        prepaid = False
    heavy = rng.random() < (0.5 if segment == "business" else 0.3)
    if path == "price":
        heavy = False
    plan_id, fee = _draw_tariff(rng, segment, prepaid, heavy, top=path == "price")
    worth_share = rng.uniform(0.06, 0.15) if path == "price" else rng.uniform(0.55, 1.1)
    habits = _draw_habits(rng, segment, heavy, fee, worth_share)
    new = steady and rng.random() < NEW_CUSTOMER_SHARE
    first_day = rng.randrange(0, cfg.days - 7) if new else 0
    story = None if steady else draw_story(path, rng, cfg.days)
    contract_end: date | None = None
    renewal_day: int | None = None
    renewed_end: date | None = None
    if not prepaid:
        contract_end, renewal_day, renewed_end = _draw_contract(rng, cal, first_day, new, steady)
    if story and story.contract_end_day is not None:
        contract_end = cal.start + timedelta(days=story.contract_end_day)
    code = REGIONS[region]
    return CustomerPlan(
        index=index,
        customer_id=customer_id(index),
        msisdn=subscriber_msisdn(cfg.seed, index),
        segment=segment,
        region=region,
        prepaid=prepaid,
        heavy=heavy,
        plan_id=plan_id,
        plan_fee=fee,
        habits=habits,
        circle=_draw_circle(rng, cfg, index, steady),
        cells=tuple(f"{code}-{rng.randrange(10_000):04d}" for _ in range(rng.randint(2, 4))),
        account_manager=f"AM-{code}-{rng.randint(1, 40):02d}" if segment == "business" else None,
        first_day=first_day,
        activated_in_window=new,
        contract_end=contract_end,
        renewal_day=renewal_day,
        renewed_end=renewed_end,
        story=story,
    )
