"""Churn paths: how each scripted churner's last weeks unfold.

A `ChurnStory` fixes, per churner, the churn day, the first day the pattern is visible,
the CRM milestones (cancel inquiry, port-out request) and the days of path-specific
events (competitor contacts, complaints). The day-by-day generator asks the story how
active the customer is, whether they have gone silent and whether calls are forwarded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

PORT_OUT_COMPLETED = "port_out_completed"
DEACTIVATION = "deactivation"

FADED_LEVEL = 0.1  # activity in the last week of a fade, as a share of the baseline
FADE_FLOOR_DAYS = 7  # the fade reaches FADED_LEVEL this many days before churn


@dataclass(frozen=True)
class ChurnStory:
    """The scripted end of one churner (all fields are day numbers of the run)."""

    path: str
    churn_day: int
    signal_start: int
    final_kind: str = PORT_OUT_COMPLETED
    request_day: int | None = None  # port_out_request
    inquiry_day: int | None = None  # cancel_inquiry
    contract_end_day: int | None = None  # contract_end path: the contract's last day
    event_days: tuple[int, ...] = ()  # competitor contacts or complaints

    def activity_level(self, day: int) -> float:
        """Usage as a share of the customer's baseline on `day`."""
        if self.path != "fading_usage" or day < self.signal_start:
            return 1.0
        fade_days = max(1, self.churn_day - FADE_FLOOR_DAYS - self.signal_start)
        progress = min(1.0, (day - self.signal_start + 1) / fade_days)
        return 1.0 - (1.0 - FADED_LEVEL) * progress

    def is_silent(self, day: int) -> bool:
        """No outgoing voice, SMS or data at all on `day`."""
        return self.path == "silent" and day >= self.signal_start

    def forwards_calls(self, day: int) -> bool:
        """Most incoming calls are forwarded to a second SIM elsewhere."""
        return self.path == "call_forwarding" and day >= self.signal_start


def _request_before(rng: Random, churn_day: int) -> int:
    return churn_day - rng.randint(1, 3)


def _fading_usage(rng: Random, churn_day: int) -> ChurnStory:
    return ChurnStory(
        "fading_usage",
        churn_day,
        signal_start=churn_day - rng.randint(21, 28),
        request_day=_request_before(rng, churn_day),
    )


def _silent(rng: Random, churn_day: int) -> ChurnStory:
    return ChurnStory(
        "silent", churn_day, signal_start=churn_day - rng.randint(10, 18), final_kind=DEACTIVATION
    )


def _competitor(rng: Random, churn_day: int) -> ChurnStory:
    start = churn_day - rng.randint(14, 21)
    request = _request_before(rng, churn_day)
    later = rng.sample(range(start + 1, request + 1), rng.randint(2, 5))
    return ChurnStory(
        "competitor",
        churn_day,
        signal_start=start,
        request_day=request,
        event_days=(start, *sorted(later)),
    )


def _contract_end(rng: Random, churn_day: int) -> ChurnStory:
    end = churn_day - rng.randint(3, 7)
    return ChurnStory(
        "contract_end",
        churn_day,
        signal_start=max(0, end - 45),
        request_day=_request_before(rng, churn_day),
        contract_end_day=end,
    )


def _port_out(rng: Random, churn_day: int) -> ChurnStory:
    request = churn_day - rng.randint(5, 10)
    inquiry = request - rng.randint(0, 2)
    return ChurnStory(
        "port_out", churn_day, signal_start=inquiry, request_day=request, inquiry_day=inquiry
    )


def _call_forwarding(rng: Random, churn_day: int) -> ChurnStory:
    return ChurnStory(
        "call_forwarding",
        churn_day,
        signal_start=churn_day - rng.randint(14, 21),
        request_day=_request_before(rng, churn_day),
    )


def _complaints(rng: Random, churn_day: int) -> ChurnStory:
    start = churn_day - rng.randint(21, 35)
    request = _request_before(rng, churn_day)
    later = rng.sample(range(start + 3, request + 1), rng.randint(1, 2))
    return ChurnStory(
        "complaints",
        churn_day,
        signal_start=start,
        request_day=request,
        event_days=(start, *sorted(later)),
    )


def _price(rng: Random, churn_day: int) -> ChurnStory:
    # Paying far above usage from the first day: the pattern is visible from day 0.
    return ChurnStory(
        "price", churn_day, signal_start=0, request_day=_request_before(rng, churn_day)
    )


_STORIES: dict[str, Callable[[Random, int], ChurnStory]] = {
    "fading_usage": _fading_usage,
    "silent": _silent,
    "competitor": _competitor,
    "contract_end": _contract_end,
    "port_out": _port_out,
    "call_forwarding": _call_forwarding,
    "complaints": _complaints,
    "price": _price,
}

#: Paths whose customers must be on a postpaid contract.
POSTPAID_PATHS = frozenset({"contract_end", "price"})


def draw_story(path: str, rng: Random, days: int) -> ChurnStory:
    """A churn story for `path`, churning somewhere in the second half of the run."""
    churn_day = rng.randrange(days // 2, days)
    return _STORIES[path](rng, churn_day)
