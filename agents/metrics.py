"""churnwatch's Prometheus metrics, grouped in one object built from an injected registry.

No label carries a customer: label values come from small closed sets (topics, error codes,
levels, statuses, actions, channels, reason categories), so series stay bounded whatever the
customer base.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Event latency (produce -> outputs on the broker): sub-10 ms is the goal on a healthy worker,
# seconds mean a backlog, and the 500 ms target sits between two buckets on purpose.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Batch processing time: batches are 1..2000 events, so 1 ms .. 2 s covers them.
BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)
# Garbage-collection pauses: young collections take well under a millisecond; a full one walks
# every customer state (390 ms measured at 10k customers before agents.heap froze them).
GC_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Lead time from first alert to churn: days matter, so buckets are 1 h .. 60 days.
LEAD_BUCKETS = tuple(h * 3600.0 for h in (1, 6, 24, 72, 7 * 24, 14 * 24, 30 * 24, 60 * 24))


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events = Counter(
            "churnwatch_events_total", "Input events read, by topic.", ["topic"], registry=registry
        )
        self.deadletters = Counter(
            "churnwatch_deadletters_total",
            "Input events refused and dead-lettered, by contract error code.",
            ["code"],
            registry=registry,
        )
        self.duplicates = Counter(
            "churnwatch_duplicate_events_total",
            "Re-delivered events ignored by event_id dedupe, by topic.",
            ["topic"],
            registry=registry,
        )
        self.bookkeeping_shed = Counter(
            "churnwatch_bookkeeping_shed_total",
            "Event ids (dedupe) and facts let go because one customer reached its cap, by kind.",
            ["kind"],
            registry=registry,
        )
        for kind in ("event_ids", "facts"):
            self.bookkeeping_shed.labels(kind)
        self.stale_tasks = Counter(
            "churnwatch_stale_tasks_skipped_total",
            "Alerts made without their care task because it would already have expired at "
            "wall clock (a backfill of old history).",
            registry=registry,
        )
        self.alerts = Counter(
            "churnwatch_alerts_total",
            "Churn alerts emitted, by level and status.",
            ["level", "status"],
            registry=registry,
        )
        self.tasks = Counter(
            "churnwatch_tasks_total",
            "Care tasks emitted, by action, channel and priority.",
            ["action", "channel", "priority"],
            registry=registry,
        )
        self.alert_reasons = Counter(
            "churnwatch_alert_reasons_total",
            "Alerts raised or escalated, by the signal of their top reason.",
            ["signal", "level"],
            registry=registry,
        )
        self.outcomes = Counter(
            "churnwatch_care_outcomes_total",
            "Outcomes read from care.outcomes, by action, outcome and holdout group.",
            ["action", "outcome", "control"],
            registry=registry,
        )
        self.task_results = Counter(
            "churnwatch_task_results_total",
            "Tasks whose follow-up window closed: retained or churned, treated or control.",
            ["action", "group", "result"],
            registry=registry,
        )
        self.scores = Histogram(
            "churnwatch_risk_score_ratio",
            "Score of every evaluation (the day-close sweep evaluates every customer).",
            buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
            registry=registry,
        )
        self.competitor_onsets = Counter(
            "churnwatch_competitor_contact_onsets_total",
            "Customers whose first competitor call or SMS in the 14-day window was just read.",
            ["region"],
            registry=registry,
        )
        self.at_risk = Gauge(
            "churnwatch_customers_at_risk",
            "Customers this worker holds at medium, high or critical.",
            ["level", "tier", "stage"],
            registry=registry,
        )
        self.at_risk_untasked = Gauge(
            "churnwatch_customers_at_risk_untasked",
            "At-risk customers with no open care task (holdout excluded).",
            ["level", "tier"],
            registry=registry,
        )
        self.internal_events = Counter(
            "churnwatch_internal_events_total",
            "Records read from the internal contact-graph topics, by topic.",
            ["topic"],
            registry=registry,
        )
        # Churn-reason categories (issue #10): the playbook's churn causes, by value tier.
        self.alerts_by_category = Counter(
            "churnwatch_alerts_by_category_total",
            "Alerts emitted, by reason category, value tier and status.",
            ["category", "tier", "status"],
            registry=registry,
        )
        self.churns_by_category = Counter(
            "churnwatch_churns_by_category_total",
            "Customers who churned, by the reason category of their last alert (none: never "
            "alerted) and value tier.",
            ["category", "tier"],
            registry=registry,
        )
        self.at_risk_by_category = Gauge(
            "churnwatch_customers_at_risk_by_category",
            "Customers this worker holds at medium or above, by the reason category of the alert "
            "that put them there and value tier.",
            ["category", "tier"],
            registry=registry,
        )
        self.evaluations = Counter(
            "churnwatch_evaluations_total", "Customer evaluations run.", registry=registry
        )
        self.churns = Counter(
            "churnwatch_churns_total",
            "Customers who churned, by whether an alert came at least 7 days before.",
            ["caught"],
            registry=registry,
        )
        self.churn_lead = Histogram(
            "churnwatch_churn_lead_seconds",
            "Event time from the first alert of an episode to the churn.",
            buckets=LEAD_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "churnwatch_event_latency_seconds",
            "Wall time from an event's broker timestamp to its outputs being published.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch = Histogram(
            "churnwatch_batch_seconds",
            "Wall time to process one batch of events (decode, apply, evaluate).",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.watermark_lag = Gauge(
            "churnwatch_watermark_lag_seconds",
            "Wall clock minus the slowest partition's event-time clock.",
            registry=registry,
        )
        self.customers = Gauge(
            "churnwatch_customers", "Customers held in state by this worker.", registry=registry
        )
        self.redis_failures = Counter(
            "churnwatch_redis_failures_total",
            "Failed writes to the Redis serving store.",
            registry=registry,
        )
        self.rebalances = Counter(
            "churnwatch_rebalances_total",
            "Consumer-group rebalances this worker took part in.",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "churnwatch_consumer_lag_messages",
            "Messages written to the input topics and not yet processed, by topic.",
            ["topic"],
            registry=registry,
        )
        self.commit_latency = Histogram(
            "churnwatch_commit_seconds",
            "Wall time to commit a batch's source offsets.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.gc_pause = Histogram(
            "churnwatch_gc_pause_seconds",
            "Wall time the worker stood still in a garbage collection, by generation.",
            ["generation"],
            buckets=GC_BUCKETS,
            registry=registry,
        )
        self.last_event = Gauge(
            "churnwatch_last_event_timestamp_seconds",
            "Wall time at which the worker last processed an event.",
            registry=registry,
        )
