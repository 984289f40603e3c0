"""The topic catalog: every topic named by the wire contract, plus churnwatch's internal ones."""

from __future__ import annotations

from dataclasses import dataclass, field

CDR = "telecom.cdr"
BILLING = "telecom.billing"
CRM = "telecom.crm"
OUTCOMES = "care.outcomes"
ALERTS = "churn.alerts"
TASKS = "care.tasks"
DEADLETTER = "churnwatch.deadletter"

# Internal topics of the contact graph (social_churn): partitions talk to each other through
# these, never by reading another partition's state.
DIRECTORY = "churnwatch.directory"  # key: msisdn digest; value: the customer owning it
CONTACT_CHURN = "churnwatch.contact-churn"  # key: a churned customer's contact's msisdn digest
SOCIAL = "churnwatch.social"  # key: that contact's customer_id; value: who churned, when
INTERNAL_TOPICS = (DIRECTORY, CONTACT_CHURN, SOCIAL)

INPUT_TOPICS = (CDR, BILLING, CRM, OUTCOMES)
# Topics whose events feed the per-customer event-time clock (care outcomes are human replies
# on their own schedule and never hold back evaluations).
CLOCK_TOPICS = (CDR, BILLING, CRM)
OUTPUT_TOPICS = (ALERTS, TASKS, DEADLETTER)

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 8
    retention_ms: int = 7 * DAY_MS
    config: dict[str, str] = field(default_factory=dict)

    def kafka_config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), **self.config}


def changelog_topic(app_id: str) -> str:
    """The worker's own state changelog (internal: not part of the contract)."""
    return f"{app_id}-customer-state-changelog"


def changelog_spec(app_id: str, partitions: int = 8) -> TopicSpec:
    # Compacted and kept forever: it is the state, not a history of it.
    return TopicSpec(
        changelog_topic(app_id), partitions, retention_ms=-1, config={"cleanup.policy": "compact"}
    )


def catalog(partitions: int = 8) -> tuple[TopicSpec, ...]:
    """Every topic churnwatch reads or writes, with our defaults.

    Input retention covers the allowed lateness plus a replay margin; dead letters are kept
    longest because someone has to read them.
    """
    return (
        TopicSpec(CDR, partitions, 7 * DAY_MS),
        TopicSpec(BILLING, partitions, 30 * DAY_MS),
        TopicSpec(CRM, partitions, 30 * DAY_MS),
        TopicSpec(OUTCOMES, partitions, 30 * DAY_MS),
        TopicSpec(ALERTS, partitions, 30 * DAY_MS),
        TopicSpec(TASKS, partitions, 30 * DAY_MS),
        TopicSpec(DEADLETTER, partitions, 30 * DAY_MS),
    )


def internal_catalog(partitions: int = 8) -> tuple[TopicSpec, ...]:
    """The contact-graph topics, partitioned like the inputs. Short retention: what they carry
    is applied to the state (the directory to the changelog) as soon as it is read."""
    return tuple(TopicSpec(name, partitions, 7 * DAY_MS) for name in INTERNAL_TOPICS)
