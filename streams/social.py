"""The contact graph behind `social_churn`: when a customer leaves, the customers they talked
to most are told, and a customer who sees several top contacts leave is at risk too.

A customer's top contacts are phone digests in its own state (`CustomerState.contacts`). Who
owns a digest is known only to the partition the digest hashes to, so partitions talk through
three internal topics and never read each other's state:
1. `churnwatch.directory` (key: msisdn digest, value: customer id, ts) — sent when a CRM event
   carries the customer's own `msisdn`; its partition keeps the digest's owner (`Directory`).
2. `churnwatch.contact-churn` (key: a top contact's digest, value: the churned customer, its
   digest, the churn time) — sent for each top contact when a customer churns; the directory's
   partition looks the owner up and, when the digest is our customer's, sends
3. `churnwatch.social` (key: that customer's id, value: the churned contact, its digest, the
   churn time) — the owner's partition adds a dated `contact_churned` fact, if the churned
   customer is among the owner's own top contacts (a one-sided caller is nobody's friend).
Every message keeps the churn time as its event time, so evaluations stay "as of": and a
contact's churn counts only `settle_hours` after it, so that however late the news arrives from
another partition, every replay counts it at the same evaluations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from config.policy import SocialPolicy
from streams.signal_base import Signal, ramp
from streams.state import CustomerState
from streams.view import CustomerView
from topics.catalog import CONTACT_CHURN, DIRECTORY, SOCIAL

CONTACT_CHURNED = "contact_churned"  # the fact a `churnwatch.social` message adds
_CONTACT_CHURNED = frozenset({CONTACT_CHURNED})


@dataclass(frozen=True, slots=True)
class InternalRecord:
    """A message for one of the internal topics: to be produced keyed by `key` (partitioned
    like the inputs, by Kafka's default partitioner) and handed to the engine of the
    partition it lands on (`PartitionEngine.handle_internal`)."""

    topic: str
    key: str
    value: bytes


def directory_record(msisdn_digest: str, customer_id: str, ts: int) -> InternalRecord:
    return InternalRecord(
        DIRECTORY, msisdn_digest, orjson.dumps({"customer_id": customer_id, "ts": ts})
    )


def contact_churn_records(state: CustomerState, churn_ts: int) -> list[InternalRecord]:
    """A churned customer's news for each of its top contacts (none without a known msisdn:
    nobody could tell it was their contact)."""
    msisdn = state.profile_as_of(churn_ts).get("msisdn")
    if not msisdn:
        return []
    value = orjson.dumps({"customer_id": state.customer_id, "msisdn": msisdn, "ts": churn_ts})
    return [InternalRecord(CONTACT_CHURN, digest, value) for digest in sorted(state.contacts)]


def social_record(owner: str, churned: dict[str, Any]) -> InternalRecord:
    value = {"contact": churned["customer_id"], "msisdn": churned["msisdn"], "ts": churned["ts"]}
    return InternalRecord(SOCIAL, owner, orjson.dumps(value))


class Directory:
    """Which customer owns each msisdn digest that hashes to this partition. The newest claim
    wins (a recycled number changes hands), whatever order the claims arrive in."""

    def __init__(self, entries: Iterable[tuple[str, bytes]] = ()) -> None:
        self.owners: dict[str, tuple[str, int]] = {}
        for digest, raw in entries:
            customer_id, ts = orjson.loads(raw)
            self.owners[digest] = (customer_id, ts)
        self.changed: set[str] = set()

    def link(self, digest: str, customer_id: str, ts: int) -> bool:
        """Record a claim; False when an equal or newer one is known (ties at the same time go
        to the larger customer id, so the outcome does not depend on arrival order)."""
        known = self.owners.get(digest)
        if known is not None and (known[1], known[0]) >= (ts, customer_id):
            return False
        self.owners[digest] = (customer_id, ts)
        self.changed.add(digest)
        return True

    def owner(self, digest: str) -> str | None:
        known = self.owners.get(digest)
        return known[0] if known else None

    def take_changes(self) -> list[tuple[str, bytes]]:
        """Entries changed since the last call, as (digest, value) for the changelog; the value
        is what `Directory(entries)` reads back."""
        changed = [(d, orjson.dumps(list(self.owners[d]))) for d in sorted(self.changed)]
        self.changed = set()
        return changed


def hear_of_churn(state: CustomerState, news: dict[str, Any]) -> bool:
    """Record that one of the customer's top contacts churned; False when the churned customer
    is not among them, or the news was heard already (internal topics are at-least-once)."""
    if news["msisdn"] not in state.contacts or state.churned_ts is not None:
        return False
    fact = (int(news["ts"]), CONTACT_CHURNED, {"from": str(news["contact"])})
    if fact in state.facts:
        return False
    state.add_fact(*fact)
    return True


def social_churn(view: CustomerView, p: SocialPolicy) -> Signal | None:
    """Several of the customer's top contacts left us in the last weeks."""
    settled = view.as_of - int(p.settle_hours * 3600)
    gone = {f[2]["from"] for f in view.facts(_CONTACT_CHURNED, p.window_days) if f[0] <= settled}
    if len(gone) < p.min_contacts:
        return None
    return Signal(
        "social_churn",
        ramp(len(gone), p.min_contacts, p.full_strength_contacts),
        len(gone),
        f"{len(gone)} of the customer's top contacts left us in the last {p.window_days} days",
    )
