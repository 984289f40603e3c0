"""The reasons behind a score, read two ways: warning signals (positive contributions, what
the playbook acts on) and protective factors (negative contributions, switching costs); and
the churn-reason category of an alert.

**Category rule.** An alert's `reason_category` is the category of its *top warning reason* —
the reason with the highest positive contribution — by the policy's table
(`reason_category.by_signal`: signal -> one of the playbook's churn causes). A signal the
table does not name gives `reason_category.fallback`. A *cleared* alert keeps the category of
the alert it clears (the customer's standing category, kept in state); a customer with none
on record (state from before categories existed) takes its current top warning reason's, else
the fallback. Protective factors never decide a category: they explain why a risk is lower,
not why a customer leaves.
"""

from __future__ import annotations

from collections.abc import Iterable

from config.policy import REASON_CATEGORIES as POLICY_CATEGORIES
from config.policy import ReasonCategoryPolicy
from topics.records import REASON_CATEGORIES, Reason

__all__ = [
    "REASON_CATEGORIES",
    "alert_category",
    "category_of",
    "protective",
    "warnings",
]

assert POLICY_CATEGORIES == REASON_CATEGORIES, "config.policy and topics.records must agree"

# Label value for "no category": a churn without an alert on record, in metrics only.
NO_CATEGORY = "none"


def warnings(reasons: Iterable[Reason]) -> list[Reason]:
    """The warning signals among reasons (positive contributions), in their order."""
    return [r for r in reasons if r.contribution > 0]


def protective(reasons: Iterable[Reason]) -> list[Reason]:
    """The protective factors among reasons (negative contributions), in their order."""
    return [r for r in reasons if r.contribution < 0]


def category_of(reasons: Iterable[Reason], table: ReasonCategoryPolicy) -> str | None:
    """The category of the top warning reason (reasons are highest contribution first), or
    None when no warning signal is among them."""
    for reason in reasons:
        if reason.contribution > 0:
            return table.by_signal.get(reason.signal, table.fallback)
    return None


def alert_category(
    status: str, reasons: Iterable[Reason], standing: str | None, table: ReasonCategoryPolicy
) -> str:
    """The `reason_category` of an alert of `status` with these reasons; `standing` is the
    category of the customer's last alert (None when there is none on record)."""
    if status == "cleared" and standing is not None:
        return standing
    return category_of(reasons, table) or table.fallback
