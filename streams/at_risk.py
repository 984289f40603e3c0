"""Who is at risk now, counted as states change rather than by scanning every state.

The at-risk gauges (by level, tier and stage; without an open care task; by reason category)
used to be a scan of every customer at each metrics scrape: ~0.6 us a customer, so ~0.6 s of
blocked event loop at a million customers, every scrape. A tally keeps each at-risk customer's
`standing` and the count of each standing; the wiring hands it every state an engine announced
before changing it (`before_change`, a new customer's included), and a scrape reads the counts.
Customers not at risk — nearly all — hold nothing here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from config.policy import ContactPolicy
from streams.playbook import in_holdout
from streams.state import CustomerState


class Standing(NamedTuple):
    """What the at-risk gauges know of one customer at risk."""

    level: str
    value_tier: str
    stage: str
    category: str  # of the alert that put them at risk (`fallback` when it had none)
    untasked: bool  # no open care task, and not in the control group


def standing(state: CustomerState, contact: ContactPolicy, fallback: str) -> Standing | None:
    """None when the customer is not at risk (no level, or churned)."""
    if state.level == "none" or state.churned_ts is not None:
        return None
    now = state.last_eval_ts or 0
    tasked = any(expiry > now for expiry, _ in state.open_tasks.values())
    return Standing(
        state.level,
        state.value_tier,
        state.stage,
        state.alert_category or fallback,
        not tasked and not in_holdout(state.customer_id, contact),
    )


@dataclass(slots=True)
class AtRiskTally:
    """The standings of one partition's customers at risk, and how many hold each."""

    contact: ContactPolicy
    fallback: str  # the reason category of an alert without one
    counts: Counter[Standing] = field(default_factory=Counter)
    _of: dict[str, Standing] = field(default_factory=dict)  # customer id -> standing
    # States announced (`before_change`) since the last `recount`, by customer: a batch that
    # closes several days announces every state each time.
    announced: dict[str, CustomerState] = field(default_factory=dict)

    def recount(self) -> None:
        """Count every state announced since the last recount, as it is now."""
        if self.announced:
            self.observe_all(self.announced.values())
            self.announced.clear()

    def observe(self, state: CustomerState) -> None:
        """Count `state` as it is now (any number of times: only a change moves a count)."""
        now = standing(state, self.contact, self.fallback)
        before = self._of.get(state.customer_id)
        if now == before:
            return
        if before is not None:
            self.counts[before] -= 1
            if not self.counts[before]:
                del self.counts[before]
        if now is None:
            del self._of[state.customer_id]
        else:
            self._of[state.customer_id] = now
            self.counts[now] += 1

    def observe_all(self, states: Iterable[CustomerState]) -> AtRiskTally:
        counted = self._of
        for state in states:
            # Most states, most of the time: not at risk, and not counted as at risk before.
            if state.level != "none" or state.customer_id in counted:
                self.observe(state)
        return self


def by_level(tallies: Iterable[AtRiskTally]) -> Counter[tuple[str, ...]]:
    """Customers at risk by (level, tier, stage)."""
    return _summed(tallies, lambda s: (s.level, s.value_tier, s.stage))


def untasked(tallies: Iterable[AtRiskTally]) -> Counter[tuple[str, ...]]:
    """Customers at risk with no open care task, outside the control group, by (level, tier)."""
    return _summed(tallies, lambda s: (s.level, s.value_tier) if s.untasked else None)


def by_category(tallies: Iterable[AtRiskTally]) -> Counter[tuple[str, ...]]:
    """Customers at risk by (reason category, tier)."""
    return _summed(tallies, lambda s: (s.category, s.value_tier))


def _summed(
    tallies: Iterable[AtRiskTally], group: Callable[[Standing], tuple[str, ...] | None]
) -> Counter[tuple[str, ...]]:
    """The tallies' counts added up by `group` of each standing (None: not counted)."""
    found: Counter[tuple[str, ...]] = Counter()
    for tally in tallies:
        for s, count in tally.counts.items():
            key = group(s)
            if key is not None:
                found[key] += count
    return found
