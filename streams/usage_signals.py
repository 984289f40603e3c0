"""Churn signals read from the customer's usage (day buckets of CDRs): falling or stopped
usage, competitors' hotlines, forwarded calls, a bad network, paying for nothing.

Each is a small pure function of a customer view: `None` when it does not fire, else a
`Signal` with its strength in [0, 1], the observed value and one human sentence.
"""

from __future__ import annotations

from config.policy import (
    CallForwardingPolicy,
    CompetitorPolicy,
    NetworkPolicy,
    SpendBelowPlanPolicy,
    UsageDropPolicy,
    ZeroActivityPolicy,
)
from streams.chance import few_events_chance, idle_run_chance, irregular, low_total_chance
from streams.signal_base import Signal, money, plural, ramp
from streams.state import (
    CALLS_IN,
    CALLS_OUT,
    CHARGE_CENTS,
    COMPETITOR,
    DATA_KB,
    DATA_SESSIONS,
    DROPPED,
    FORWARDED,
    ROAMING,
    SMS_OUT,
    VOICE_OUT_S,
)
from streams.view import CustomerView

# (label, counter, divisor to human units, least baseline per day that makes a drop meaningful)
_USAGE_CHANNELS = (
    ("voice minutes", VOICE_OUT_S, 60.0, 1.0),
    ("SMS", SMS_OUT, 1.0, 0.3),
    ("data", DATA_KB, 1024.0, 1.0),
)
# The events behind each channel's volume: calls, messages, data sessions.
_CHANNEL_EVENTS = (CALLS_OUT, SMS_OUT, DATA_SESSIONS)


def usage_drop(view: CustomerView, p: UsageDropPolicy) -> Signal | None:
    """Last-week activity against the four weeks before it, voice, SMS and data each — and,
    when the whole population dipped too (a holiday), against the population's own dip."""
    base_last = view.last_day - p.recent_days
    base_first = base_last - p.baseline_days + 1
    if not view.known_since(base_first):
        return None  # no usage_drop from a missing baseline
    if view.active_days(base_first, base_last) < p.min_baseline_active_days:
        return None
    drops, dip, scales = _channel_drops(view, base_first, base_last, p)
    if not drops:
        return None
    overall = sum(drops.values()) / len(drops)
    if overall < p.min_drop:
        return None
    if not _beyond_chance(view, base_first, base_last, scales, p):
        return None
    if view.days_with(ROAMING, view.last_day - p.recent_days + 1, view.last_day) >= p.roaming_days:
        return None  # a week abroad: the trip explains the drop (roaming is dear)
    worst = max(drops, key=lambda name: drops[name])
    others = ", ".join(f"{n} {_change(d)}" for n, d in drops.items() if n != worst)
    detail = f"{worst} {_change(drops[worst])} vs {p.baseline_days // 7}-week baseline"
    if dip:
        detail += f" beyond the {dip:.0%} dip of all customers"
    return Signal(
        "usage_drop",
        ramp(overall, p.min_drop, 1.0),
        overall,
        f"{detail} ({others})" if others else detail,
    )


def _channel_drops(
    view: CustomerView, base_first: int, base_last: int, p: UsageDropPolicy
) -> tuple[dict[str, float], float, dict[str, float]]:
    """Each channel's drop, relative to the population's where it dipped too; the largest
    population dip that was taken into account (0 when none); and each channel's population
    scale (its recent share of the baseline, 1 when it did not dip)."""
    drops: dict[str, float] = {}
    scales: dict[str, float] = {}
    largest_dip = 0.0
    for label, counter, unit, least in _USAGE_CHANNELS:
        base = view.total(counter, base_first, base_last) / unit / p.baseline_days
        if base < least:
            continue
        recent = view.recent_total(counter, p.recent_days) / unit / p.recent_days
        moved = _population_moved(view, counter, base_first, base_last, p)
        if moved is None:
            drops[label], scales[label] = 1.0 - recent / base, 1.0
            continue
        largest_dip = max(largest_dip, 1.0 - moved)
        # Everyone fell silent (an outage, not a customer leaving): nothing left to explain.
        drops[label] = 1.0 - recent / base / moved if moved > 0 else 0.0
        scales[label] = moved
    return drops, largest_dip, scales


def _beyond_chance(
    view: CustomerView,
    base_first: int,
    base_last: int,
    scales: dict[str, float],
    p: UsageDropPolicy,
) -> bool:
    """Whether some channel `_channel_drops` measured has a last week further below its
    baseline than chance at the customer's own rate and day-to-day spread makes likely (below
    `significance`), after the population's dip (`scales`). Where the baseline expects fewer
    than `many_events` events in the week, arriving at random, the number of events must be
    improbably low too: a light user's week is mostly luck."""
    for (label, volume, _, _), events in zip(_USAGE_CHANNELS, _CHANNEL_EVENTS, strict=True):
        scale = scales.get(label)
        if scale is None:
            continue
        baseline = view.daily(volume, base_first, base_last)
        chance = low_total_chance(
            float(view.recent_total(volume, p.recent_days)), p.recent_days, baseline, scale
        )
        counts = view.daily(events, base_first, base_last)
        few = sum(counts) * p.recent_days * scale < p.many_events * p.baseline_days
        if few and irregular(counts):
            observed = view.recent_total(events, p.recent_days)
            chance = max(chance, few_events_chance(observed, p.recent_days, counts, scale))
        if chance < p.significance:
            return True
    return False


def _population_moved(
    view: CustomerView, counter: int, base_first: int, base_last: int, p: UsageDropPolicy
) -> float | None:
    """The population's recent usage as a share of its baseline, when it is large enough and
    clearly down; None otherwise (a population that grew never makes a customer look worse)."""
    if view.population is None:
        return None
    moved = view.population.ratio(
        counter,
        (base_first, base_last),
        (view.last_day - p.recent_days + 1, view.last_day),
        p.population_min_active,
    )
    if moved is None or 1.0 - moved < p.population_min_dip:
        return None
    return moved


def _change(drop: float) -> str:
    return f"down {drop:.0%}" if drop >= 0 else f"up {-drop:.0%}"


def zero_activity(view: CustomerView, p: ZeroActivityPolicy) -> Signal | None:
    """Consecutive days without any outgoing voice, SMS or data (roaming usage counts): from
    `min_days` on for anyone, from `unusual_min_days` on when the customer was never quiet that
    long in the `baseline_days` before the silence began — unless the partition's population
    fell quiet too (a CDR feed outage, a network failure: nobody's silence of their own)."""
    streak = view.idle_streak()
    if streak < min(p.min_days, p.unusual_min_days) or _shared_silence(view, streak, p):
        return None
    usual = _longest_quiet_spell(view, streak, p.baseline_days)
    unusual = usual is not None and streak > usual
    onset = min(p.min_days, p.unusual_min_days) if unusual else p.min_days
    if streak < onset:
        return None
    if not _silence_beyond_chance(view, streak, p):
        return None
    return Signal(
        "zero_activity",
        ramp(streak, onset, p.full_strength_days),
        streak,
        f"no outgoing calls, SMS or data for {streak} days",
    )


def _silence_beyond_chance(view: CustomerView, streak: int, p: ZeroActivityPolicy) -> bool:
    """Whether `streak` idle days in a row are less likely than `significance` at the share of
    the known days (up to `baseline_days`) before the silence the customer was active on. With
    fewer than `min_habit_days` of them the habit is unknown (a weekend-only user two days into
    the data looks like anyone), and only a silence of `full_strength_days` counts."""
    known = min(p.baseline_days, view.history_days() - streak)
    if known < p.min_habit_days:
        return streak >= p.full_strength_days
    last_active = view.last_day - streak
    share = view.active_days(last_active - known + 1, last_active) / known
    return idle_run_chance(streak, share) < p.significance


def _shared_silence(view: CustomerView, streak: int, p: ZeroActivityPolicy) -> bool:
    """Whether the partition's active customers a day, over the silent days, fell under
    `population_min_share` of the `baseline_days` before them. Below `population_min_active`
    active customers a day the population is too small to tell, and the silence is the
    customer's."""
    if view.population is None:
        return False
    first_silent = view.last_day - streak + 1
    # Active customers a day (the same for every counter) before and during the silence.
    _, before = view.population.per_active(
        VOICE_OUT_S, first_silent - p.baseline_days, first_silent - 1
    )
    if before < p.population_min_active:
        return False
    _, during = view.population.per_active(VOICE_OUT_S, first_silent, view.last_day)
    return during < before * p.population_min_share


def _longest_quiet_spell(view: CustomerView, streak: int, baseline_days: int) -> int | None:
    """The longest run of idle days in the `baseline_days` before the current silence began;
    None when the history does not reach back that far (no habit to compare with)."""
    last_active = view.last_day - streak
    first = last_active - baseline_days + 1
    if not view.known_since(first):
        return None
    return view.longest_idle_run(first, last_active)


def competitor_contact(view: CustomerView, p: CompetitorPolicy) -> Signal | None:
    """Calls or SMS to competitors' customer-service or porting numbers."""
    contacts = view.recent_total(COMPETITOR, p.window_days)
    if contacts < 1:
        return None
    plural_s = "s" if contacts > 1 else ""
    return Signal(
        "competitor_contact",
        ramp(contacts, 1, p.full_strength_contacts),
        contacts,
        f"{contacts} call{plural_s} or SMS to competitors' hotlines in the last {p.window_days} "
        "days",
    )


def call_forwarding(view: CustomerView, p: CallForwardingPolicy) -> Signal | None:
    """Most incoming calls forwarded elsewhere: the customer answers on a second SIM."""
    incoming = view.recent_total(CALLS_IN, p.window_days)
    if incoming < p.min_incoming_calls:
        return None
    forwarded = view.recent_total(FORWARDED, p.window_days)
    share = forwarded / incoming
    if share < p.min_share or forwarded < p.min_forwarded_calls:
        return None
    return Signal(
        "call_forwarding",
        ramp(share, p.min_share, p.full_share),
        round(share, 3),
        f"{share:.0%} of incoming calls forwarded elsewhere in the last {p.window_days} days "
        f"({forwarded} of {incoming})",
    )


_NETWORK_COMPLAINTS = frozenset({"complaint"})


def network_quality(view: CustomerView, p: NetworkPolicy) -> Signal | None:
    """Calls cut by the network, or a complaint about it."""
    calls = view.recent_total(CALLS_OUT, p.window_days) + view.recent_total(CALLS_IN, p.window_days)
    drops = view.recent_total(DROPPED, p.window_days)
    rate = drops / calls if calls else 0.0
    measured = drops >= p.min_drops and rate >= p.min_drop_rate
    complaints = [
        f
        for f in view.facts(_NETWORK_COMPLAINTS, p.complaint_days)
        if f[2].get("category") == "network"
    ]
    if not measured and not complaints:
        return None
    parts = []
    if measured:
        parts.append(
            f"{rate:.0%} of calls dropped in the last {p.window_days} days ({drops} of {calls})"
        )
    if complaints:
        parts.append(f"complained about the network on {view.date(complaints[-1][0])}")
    return Signal(
        "network_quality",
        ramp(rate, p.min_drop_rate, p.full_drop_rate) if measured else 0.5,
        round(rate, 3),
        "; ".join(parts),
    )


def plan_value_used(
    view: CustomerView, window_days: int, min_history_days: int
) -> tuple[float, float, float, int] | None:
    """(share, worth, paid, days): what the last `window_days` of usage is worth (charges on
    CDRs) against the package fee for those days; None without a fee, enough history, or
    priced usage."""
    fee = view.profile.get("plan_fee")
    history = view.history_days()
    if not fee or history < min_history_days:
        return None
    n_days = min(window_days, history)
    window = view.window(view.last_day - n_days + 1, view.last_day)
    worth = window[CHARGE_CENTS] / 100.0
    if not worth and (window[CALLS_OUT] or window[SMS_OUT] or window[DATA_SESSIONS]):
        return None  # usage without a single charge: the feed does not price usage
    paid = float(fee) * n_days / 30.0
    return worth / paid, worth, paid, n_days


def spend_below_plan(view: CustomerView, p: SpendBelowPlanPolicy) -> Signal | None:
    """What the customer's usage is worth (charges on CDRs) against the package fee paid for
    the same days: paying for nothing invites a cheaper rival."""
    used = plan_value_used(view, p.window_days, p.min_history_days)
    if used is None or used[0] >= p.max_share:
        return None
    share, worth, paid, n_days = used
    return Signal(
        "spend_below_plan",
        ramp(share, p.max_share, p.full_share),
        round(share, 3),
        f"usage worth {money(worth)} in the last {plural(n_days, 'day')}, {share:.0%} of the "
        f"{money(paid)} package fee",
    )
