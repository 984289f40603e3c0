"""One customer's life, day by day: usage, billing and CRM events in event-time order.

`CustomerLife.records()` is a lazy generator over the customer's days. Each day's events
are drawn as (second of day, topic, fields), sorted (stable, so ties keep their drawing
order), then stamped with `event_id`, `customer_id` and `ts`. Events due on a later day
(payments, complaint resolutions) wait in `pending`. Nothing is emitted after churn.
"""

from __future__ import annotations

from collections.abc import Iterator
from math import ceil
from operator import itemgetter
from random import Random
from typing import NamedTuple

from sim.clock import (
    BUSINESS_WORKDAY_HOURS,
    CONSUMER_HOURS,
    OFFICE_HOURS,
    Calendar,
    HourProfile,
    between,
)
from sim.model import SimRecord
from sim.numbers import OWN_HOTLINE, competitor_hotline, external_number
from sim.paths import PORT_OUT_COMPLETED
from sim.profiles import PRICE_PER_MB, PRICE_PER_MINUTE, PRICE_PER_SMS, CustomerPlan

CDR = "telecom.cdr"
BILLING = "telecom.billing"
CRM = "telecom.crm"

Event = tuple[int, str, dict[str, object]]  # (second of day, topic, fields)

# (segment, weekend) -> (voice/SMS factor, data factor); each averages 1.0 over a week.
WEEKDAY_FACTORS = {
    ("consumer", False): (0.93, 0.92),
    ("consumer", True): (1.18, 1.20),
    ("business", False): (1.22, 1.10),
    ("business", True): (0.45, 0.75),
}
TOPUP_AMOUNTS = (20.0, 30.0, 50.0, 100.0, 200.0)
CHANNELS = ("hotline", "app", "store", "online")
HOTLINE_SHARE = 0.012  # outgoing calls to our own hotline 10086
DATA_SKIP = 0.03  # days without a data session: at most one a week, never 3 idle days running
DROP_RATE = 0.004  # dropped outgoing calls on a healthy network
BAD_NETWORK_DROP_RATE = 0.12  # after a network complaint

_by_second = itemgetter(0)


class DayShape(NamedTuple):
    """One customer's behaviour on one day."""

    level: float  # activity as a share of baseline (churn story)
    silent: bool  # no outgoing activity at all
    forwarding: bool  # incoming calls forwarded to another SIM
    voice_factor: float  # weekday rhythm of calls and SMS
    data_factor: float  # weekday rhythm of data
    hours: HourProfile  # when calls and SMS happen
    roaming: bool


class CustomerLife:
    """Generates one customer's records from their plan and their own random stream."""

    def __init__(self, plan: CustomerPlan, cal: Calendar, rng: Random) -> None:
        self.plan = plan
        self.cal = cal
        self.rng = rng
        self.seq = 0
        self.carry = {key: rng.random() for key in ("vo", "vi", "so", "si")}
        self.levels: dict[str, float] = {}
        self.pending: dict[int, list[Event]] = {}
        self.idle_streak = 0
        self.last_data_skip = -7
        self.roaming_until = -1
        self.drop_rate = DROP_RATE
        self.complaints = 0
        self.last_day = plan.story.churn_day if plan.story else cal.days - 1
        habits = plan.habits
        self.daily_spend = habits.list_value_per_day() * habits.worth_scale
        self.topup_amount = next(
            (a for a in TOPUP_AMOUNTS if a >= 12 * self.daily_spend), TOPUP_AMOUNTS[-1]
        )
        self.topup_threshold = 4 * self.daily_spend + 3
        self.balance = round(self.topup_threshold + rng.uniform(0.2, 1.0) * self.topup_amount, 2)

    # ------------------------------------------------------------------ the day loop

    def records(self) -> Iterator[SimRecord]:
        """All of this customer's records, in event-time order."""
        for day in range(self.plan.first_day, self.last_day + 1):
            yield from self.stamp(day, self.day_events(day))

    def day_events(self, day: int) -> list[Event]:
        events = self.pending.pop(day, [])
        events += self.usage(day)
        events += self.billing(day)
        events += self.crm(day)
        events.sort(key=_by_second)
        if day == self.plan.first_day:
            opening = self.opening(day)
            events = opening + [e for e in events if e[0] > opening[-1][0]]
        story = self.plan.story
        if story and day == story.churn_day:
            final = self.final_event(story.final_kind)
            events = [e for e in events if e[0] < final[0]] + [final]
        return events

    def stamp(self, day: int, events: list[Event]) -> Iterator[SimRecord]:
        """Give each event its id and timestamp; keep the prepaid balance."""
        cid = self.plan.customer_id
        for second, topic, fields in events:
            if self.plan.prepaid:
                self.settle_balance(topic, fields)
            self.seq += 1
            when, ts = self.cal.timestamp(day, second)
            value: dict[str, object] = {"event_id": f"{cid}-{self.seq}", "customer_id": cid}
            value["ts"] = ts
            value.update(fields)
            yield SimRecord(topic, cid, value, when)

    def settle_balance(self, topic: str, fields: dict[str, object]) -> None:
        """Charges lower the prepaid balance; a top-up raises it and reports it."""
        charge = fields.get("charge")
        if topic == CDR and isinstance(charge, float):
            self.balance -= charge
        elif fields["kind"] == "topup" and isinstance(amount := fields["amount"], float):
            self.balance += amount
            fields["balance"] = round(self.balance, 2)

    def later(self, day: int, event: Event) -> None:
        """Schedule an event for a later day (dropped if the customer has churned by then)."""
        self.pending.setdefault(day, []).append(event)

    # ------------------------------------------------------------------ CRM

    def profile_fields(self) -> dict[str, object]:
        plan = self.plan
        fields: dict[str, object] = {
            "msisdn": plan.msisdn,
            "plan_id": plan.plan_id,
            "plan_fee": plan.plan_fee,
            "segment": plan.segment,
            "region": plan.region,
        }
        if plan.account_manager:
            fields["account_manager"] = plan.account_manager
        return fields

    def opening(self, day: int) -> list[Event]:
        """`activation` for customers who join in the window, else a day-1 `profile`;
        postpaid customers also get their `contract`."""
        plan, rng = self.plan, self.rng
        if plan.activated_in_window:
            second = between(rng, 9, 19)
            fields = {
                "kind": "activation",
                **self.profile_fields(),
                "channel": rng.choice(CHANNELS),
            }
        else:
            second = rng.randrange(0, 300)
            fields = {"kind": "profile", **self.profile_fields()}
        events: list[Event] = [(second, CRM, fields)]
        if plan.contract_end is not None:
            events.append((second + 1, CRM, self.contract_fields(plan.contract_end.isoformat())))
        return events

    def contract_fields(self, contract_end: str) -> dict[str, object]:
        return {
            "kind": "contract",
            "contract_end": contract_end,
            "plan_id": self.plan.plan_id,
            "plan_fee": self.plan.plan_fee,
        }

    def crm(self, day: int) -> list[Event]:
        plan, rng = self.plan, self.rng
        events: list[Event] = []
        if day == plan.renewal_day and plan.renewed_end is not None:
            fields = self.contract_fields(plan.renewed_end.isoformat())
            fields["channel"] = rng.choice(CHANNELS)
            events.append((OFFICE_HOURS.second_of_day(rng), CRM, fields))
        story = plan.story
        if story is None:
            return events
        if day in story.event_days:
            if story.path == "competitor":
                events.append(self.competitor_contact())
            elif story.path == "complaints":
                events += self.complaint(day)
        if day == story.inquiry_day:
            events.append(self.crm_contact("cancel_inquiry", between(rng, 9, 14)))
        if day == story.request_day:
            events.append(self.crm_contact("port_out_request", between(rng, 15, 20)))
        return events

    def crm_contact(self, kind: str, second: int) -> Event:
        return (second, CRM, {"kind": kind, "channel": self.rng.choice(CHANNELS)})

    def final_event(self, kind: str) -> Event:
        """`port_out_completed` in office hours, or a night-batch `deactivation`."""
        rng = self.rng
        second = between(rng, 10, 17) if kind == PORT_OUT_COMPLETED else between(rng, 1, 4)
        return (second, CRM, {"kind": kind})

    def competitor_contact(self) -> Event:
        rng = self.rng
        second = between(self.rng, 9, 21)
        fields: dict[str, object]
        if rng.random() < 0.65:
            duration = rng.randint(90, 900)
            fields = {"kind": "voice", "direction": "out", "duration_s": duration}
            fields["counterpart"] = competitor_hotline(rng)
            fields["charge"] = self.worth(ceil(duration / 60) * PRICE_PER_MINUTE)
        else:
            fields = {"kind": "sms", "direction": "out", "counterpart": competitor_hotline(rng)}
            fields["charge"] = self.worth(PRICE_PER_SMS)
        fields["cell_id"] = rng.choice(self.plan.cells)
        return (second, CDR, fields)

    def complaint(self, day: int) -> list[Event]:
        """A network or billing complaint; some are resolved to the customer's dissatisfaction."""
        rng, plan = self.rng, self.plan
        self.complaints += 1
        complaint_id = f"{plan.customer_id}-K{self.complaints}"
        category = rng.choice(("network", "billing"))
        second = between(rng, 9, 20)
        fields: dict[str, object] = {
            "kind": "complaint",
            "complaint_id": complaint_id,
            "category": category,
            "severity": rng.randint(2, 3),
            "channel": rng.choice(CHANNELS),
        }
        events: list[Event] = [(second, CRM, fields)]
        if category == "network":
            self.drop_rate = BAD_NETWORK_DROP_RATE
        else:
            amount = round(plan.plan_fee * rng.uniform(0.2, 0.6), 2)
            dispute = {"kind": "dispute", "amount": amount, "reason": "charges not recognised"}
            events.append((second + rng.randint(60, 1800), BILLING, dispute))
        if rng.random() < 0.6:
            resolved: dict[str, object] = {"kind": "complaint_resolved"}
            resolved.update(complaint_id=complaint_id, category=category, satisfied=False)
            self.later(day + rng.randint(1, 5), (OFFICE_HOURS.second_of_day(rng), CRM, resolved))
        return events

    # ------------------------------------------------------------------ billing

    def billing(self, day: int) -> list[Event]:
        if self.plan.prepaid:
            return self.topup(day)
        return self.invoice(day)

    def topup(self, day: int) -> list[Event]:
        """Prepaid customers top up their usual amount when the balance runs low."""
        story = self.plan.story
        if self.balance >= self.topup_threshold or (story and story.is_silent(day)):
            return []
        second = between(self.rng, 8, 21)
        notice: dict[str, object] = {"kind": "sms", "direction": "in", "counterpart": OWN_HOTLINE}
        return [
            (second, BILLING, {"kind": "topup", "amount": self.topup_amount}),
            (second + self.rng.randint(3, 90), CDR, notice),
        ]

    def invoice(self, day: int) -> list[Event]:
        """Postpaid: an invoice for last month on the 1st, paid a few days later."""
        plan, rng = self.plan, self.rng
        today = self.cal.dates[day]
        if today.day != 1 or (plan.activated_in_window and day == plan.first_day):
            return []
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        amount = round(plan.plan_fee * (1 + rng.uniform(0.0, 0.08)), 2)
        invoice = {"kind": "invoice", "amount": amount, "period": f"{year:04d}-{month:02d}"}
        invoice["plan_fee"] = plan.plan_fee
        pay_day = min(day + rng.randint(2, 12), self.last_day)
        payment: Event = (between(rng, 8, 21), BILLING, {"kind": "payment", "amount": amount})
        events: list[Event] = [(between(rng, 2, 4), BILLING, invoice)]
        if pay_day == day:
            events.append(payment)
        else:
            self.later(pay_day, payment)
        return events

    # ------------------------------------------------------------------ usage

    def worth(self, list_price: float) -> float:
        """What usage at list price is charged / worth for this customer's tariff."""
        return round(list_price * self.plan.habits.worth_scale, 2)

    def count(self, key: str, mean: float, level: float = 1.0) -> int:
        """Events today for a channel averaging `mean` a day: jittered but regular.

        `level` is the customer's activity as a share of baseline: when it falls, the
        fraction carried over from earlier days shrinks with it, so that a fading
        customer's counts fade too instead of living on the remainder."""
        previous = self.levels.get(key, 1.0)
        self.levels[key] = level
        shrink = level / previous if level < previous else 1.0
        carried = self.carry[key] * shrink + mean * self.rng.uniform(0.75, 1.25)
        whole = int(carried)
        self.carry[key] = carried - whole
        return whole

    def is_roaming(self, day: int) -> bool:
        if day > self.roaming_until:
            chance = 0.012 if self.plan.segment == "business" else 0.004
            if self.rng.random() < chance:
                self.roaming_until = day + self.rng.randint(1, 4)
        return day <= self.roaming_until

    def shape(self, day: int) -> DayShape:
        """How this customer behaves today: weekday rhythm, churn story, travel."""
        plan, story = self.plan, self.plan.story
        weekend = self.cal.weekends[day]
        voice_factor, data_factor = WEEKDAY_FACTORS[(plan.segment, weekend)]
        business_day = plan.segment == "business" and not weekend
        return DayShape(
            level=story.activity_level(day) if story else 1.0,
            silent=bool(story and story.is_silent(day)),
            forwarding=bool(story and story.forwards_calls(day)),
            voice_factor=voice_factor,
            data_factor=data_factor,
            hours=BUSINESS_WORKDAY_HOURS if business_day else CONSUMER_HOURS,
            roaming=self.is_roaming(day),
        )

    def usage(self, day: int) -> list[Event]:
        """Today's calls, SMS and data session."""
        shape = self.shape(day)
        events = [] if shape.silent else self.outgoing(shape)
        active = bool(events)
        events += self.incoming(shape)
        if not shape.silent:
            if self.skips_data(day, active):
                self.last_data_skip = day
            else:
                events.append(self.data(shape.data_factor * shape.level))
                active = True
        self.idle_streak = 0 if active else self.idle_streak + 1
        return events

    def outgoing(self, shape: DayShape) -> list[Event]:
        habits, level = self.plan.habits, shape.level
        calls = self.count("vo", habits.voice_out * shape.voice_factor * level, level)
        events = [self.voice_out(shape) for _ in range(calls)]
        sms_level = level * level  # texting through this SIM dies out faster
        texts = self.count("so", habits.sms_out * shape.voice_factor * sms_level, sms_level)
        events += [self.sms(shape.hours, "out") for _ in range(texts)]
        return events

    def incoming(self, shape: DayShape) -> list[Event]:
        """Calls keep coming to a silent customer (unanswered); SMS only when the phone is on."""
        habits = self.plan.habits
        level = 0.5 if shape.silent else shape.level
        calls = self.count("vi", habits.voice_in * shape.voice_factor * level, level)
        events = [self.voice_in(shape) for _ in range(calls)]
        if not shape.silent:
            texts = self.count("si", habits.sms_in * shape.voice_factor * level, level)
            events += [self.sms(shape.hours, "in") for _ in range(texts)]
        return events

    def skips_data(self, day: int, active: bool) -> bool:
        """Rarely no data session: at most once a week, and never a third idle day in a row."""
        if day - self.last_data_skip < 7 or not (active or self.idle_streak < 2):
            return False
        return self.rng.random() < DATA_SKIP

    def call_seconds(self, level: float) -> int:
        """A call's duration; a fading customer's calls get shorter as well as rarer."""
        mean = self.plan.habits.call_seconds * (0.4 + 0.6 * level)
        return max(3, int(mean * self.rng.lognormvariate(-0.06, 0.35)))

    def voice_out(self, shape: DayShape) -> Event:
        rng, plan = self.rng, self.plan
        pick = rng.random()
        duration = self.call_seconds(shape.level)
        if pick < HOTLINE_SHARE:
            counterpart = OWN_HOTLINE
        elif pick < 0.88:
            counterpart = plan.circle.pick(rng)
        else:
            counterpart = external_number(rng)
        fields: dict[str, object] = {"kind": "voice", "direction": "out", "duration_s": duration}
        fields["counterpart"] = counterpart
        if rng.random() < self.drop_rate:
            fields["dropped"] = True
            fields["duration_s"] = duration = rng.randint(3, max(3, duration // 2))
        if shape.roaming:
            fields["roaming"] = True
        free = counterpart == OWN_HOTLINE
        fields["charge"] = 0.0 if free else self.worth(ceil(duration / 60) * PRICE_PER_MINUTE)
        fields["cell_id"] = rng.choice(plan.cells)
        return (shape.hours.second_of_day(rng), CDR, fields)

    def voice_in(self, shape: DayShape) -> Event:
        rng, plan = self.rng, self.plan
        counterpart = plan.circle.pick(rng) if rng.random() < 0.85 else external_number(rng)
        duration = self.call_seconds(shape.level)
        fields: dict[str, object] = {"kind": "voice", "direction": "in"}
        fields["duration_s"] = 0 if shape.silent else duration  # silent: unanswered
        fields["counterpart"] = counterpart
        if rng.random() < (0.95 if shape.forwarding else 0.005):
            fields["forwarded"] = True
        if shape.roaming:
            fields["roaming"] = True
        fields["cell_id"] = rng.choice(plan.cells)
        return (shape.hours.second_of_day(rng), CDR, fields)

    def sms(self, hours: HourProfile, direction: str) -> Event:
        rng, plan = self.rng, self.plan
        counterpart = plan.circle.pick(rng) if rng.random() < 0.9 else external_number(rng)
        fields: dict[str, object] = {"kind": "sms", "direction": direction}
        fields["counterpart"] = counterpart
        if direction == "out":
            fields["charge"] = self.worth(PRICE_PER_SMS)
        fields["cell_id"] = rng.choice(plan.cells)
        return (hours.second_of_day(rng), CDR, fields)

    def data(self, factor: float) -> Event:
        """One aggregated data record per active day, late in the evening."""
        rng, plan = self.rng, self.plan
        megabytes = plan.habits.data_mb * factor * rng.lognormvariate(-0.045, 0.3)
        volume = int(megabytes * 1_000_000)
        fields: dict[str, object] = {"kind": "data", "bytes": volume}
        fields["duration_s"] = min(20 * 3600, 60 + int(volume / rng.uniform(2e5, 8e5)))
        fields["charge"] = self.worth(megabytes * PRICE_PER_MB)
        fields["cell_id"] = rng.choice(plan.cells)
        return (between(rng, 22, 23), CDR, fields)
