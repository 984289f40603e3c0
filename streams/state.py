"""The per-customer state record: profile, daily usage buckets, dated facts, alert and contact
history — everything the signals need, compact enough to keep millions in memory.

Usage is bucketed by local event-time day; facts (complaints, inquiries, invoices, profile
changes...) keep their event time so that an evaluation "as of" a moment sees exactly the
history up to that moment, whatever order the events arrived in.
"""

from __future__ import annotations

import threading
from bisect import insort
from collections import Counter
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

import orjson
import zstandard

# Daily usage counters, one slot each in a day's bucket.
VOICE_OUT_S = 0
VOICE_IN_S = 1
CALLS_OUT = 2
CALLS_IN = 3
SMS_OUT = 4
SMS_IN = 5
DATA_KB = 6
DATA_SESSIONS = 7
COMPETITOR = 8  # calls / SMS to competitors' service or porting numbers
FORWARDED = 9  # incoming calls forwarded elsewhere
DROPPED = 10  # calls cut by the network
CHARGE_CENTS = 11
ROAMING = 12
HOTLINE = 13  # calls to our own hotline
N_COUNTERS = 14

# Fact kinds that describe the customer rather than something that happened: folded into
# `profile` once no evaluation can ask about a time before them.
PROFILE_KINDS = frozenset({"activation", "profile", "contract", "plan_change"})

Fact = tuple[int, str, Any]  # (event time, kind, payload)


def event_key(event_id: str) -> int:
    """A stable 64-bit digest of an event id, for dedupe (Python's `hash` is per-process)."""
    digest = _KEY_START.copy()  # half the constructor's cost, which sets the parameters up again
    digest.update(event_id.encode())
    return int.from_bytes(digest.digest(), "big")


_KEY_START = blake2b(digest_size=8)  # never updated itself: only copied


@dataclass(slots=True)
class CustomerState:
    customer_id: str
    first_day: int | None = None  # first local day with any event but an activation
    # First local day with usage (a CDR): the usage history starts here, whatever CRM or billing
    # facts reach further back (a backfill's activation years ago, bills before the CDR window).
    usage_from: int | None = None
    days: dict[int, list[int]] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    seen: dict[int, list[int]] = field(default_factory=dict)  # day -> event id digests
    ids_from: int | None = None  # the first day whose ids `seen` still holds
    level: str = "none"
    score: float = 0.0
    stage: str = "maturity"
    value_tier: str = "standard"
    reasons: list[dict[str, Any]] = field(default_factory=list)
    last_alert_id: str | None = None
    last_alert_ts: int | None = None
    first_alert_ts: int | None = None  # start of the current at-risk episode
    # reason_category of the last alert (a clear keeps the category it clears; metrics).
    alert_category: str | None = None
    last_eval_ts: int | None = None
    risk_ts: int | None = None  # event time the risk view (level, score, stage, tier) last changed
    due: list[int] = field(default_factory=list)  # urgent evaluations waiting for the clock
    churned_ts: int | None = None
    open_tasks: dict[str, tuple[int, str]] = field(default_factory=dict)  # action -> expiry, id
    task_times: list[int] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)  # action -> until
    # Tasks still inside their follow-up window: (action, created at, control group?).
    followups: list[tuple[str, int, bool]] = field(default_factory=list)
    # Outcomes read before their task was made here (a replay reads topics at its own pace):
    # task id -> (outcome, time), applied when the task appears.
    early_outcomes: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Top contacts by interaction count (phone digests only, never numbers), bounded by policy.
    contacts: dict[str, int] = field(default_factory=dict)
    # Every id in `seen`, for a lookup that does not grow with traffic (a busy customer holds
    # hundreds of ids). Not serialised: built at the first lookup after a load or a day's
    # forgetting, so a customer with no traffic that day holds none.
    _seen_index: set[int] | None = field(default=None, repr=False, compare=False)
    # How many facts there were when `cap_facts` last looked (not kept: 0 after a restart).
    _facts_checked: int = field(default=0, repr=False, compare=False)

    # --- usage -------------------------------------------------------------------------
    def bucket(self, day: int) -> list[int]:
        found = self.days.get(day)
        if found is None:
            found = self.days[day] = [0] * N_COUNTERS
            if self.first_day is None or day < self.first_day:
                self.first_day = day
            if self.usage_from is None or day < self.usage_from:
                self.usage_from = day
        return found

    def prune_days(self, keep_from: int) -> None:
        for day in [d for d in self.days if d < keep_from]:
            del self.days[day]

    # --- dedupe ------------------------------------------------------------------------
    def remember(self, key: int, day: int) -> bool:
        """Record an event id; False when it was seen already (a re-delivery)."""
        if self.has_seen(key):
            return False
        self.note_seen(key, day)
        return True

    def has_seen(self, key: int) -> bool:
        index = self._seen_index
        if index is None:
            index = self._seen_index = {k for keys in self.seen.values() for k in keys}
        return key in index

    def note_seen(self, key: int, day: int, cap: int | None = None) -> int:
        """Record an id known to be new (`has_seen` asked already); past `cap` ids the oldest
        are let go, a tenth of the cap at a time. Returns how many were."""
        self.seen.setdefault(day, []).append(key)
        index = self._seen_index
        if index is None:
            return 0
        index.add(key)
        if cap is None or len(index) <= cap:
            return 0
        return self._shed_ids(len(index) - cap + cap // 10)

    def _shed_ids(self, count: int) -> int:
        index, shed = self._seen_index, 0
        for day in sorted(self.seen):
            keys = self.seen[day]
            gone, self.seen[day] = keys[: count - shed], keys[count - shed :]
            if index is not None:
                index.difference_update(gone)
            shed += len(gone)
            if not self.seen[day]:
                del self.seen[day]
            if shed >= count:
                break
        return shed

    def forget_before(self, day: int) -> None:
        old = [d for d in self.seen if d < day]
        for gone in old:
            del self.seen[gone]
        if old:
            self._seen_index = None
        if self.ids_from is None or day > self.ids_from:
            self.ids_from = day

    def forgot(self, day: int) -> bool:
        """Whether the ids of events on `day` are forgotten: whether one was seen is unknown."""
        return self.ids_from is not None and day < self.ids_from

    # --- facts -------------------------------------------------------------------------
    def add_fact(self, ts: int, kind: str, payload: Any) -> None:
        insort(self.facts, (ts, kind, payload), key=lambda f: (f[0], f[1]))

    def cap_facts(self, cap: int) -> int:
        """At most `cap` facts of any one kind: past it, the oldest of that kind go, down to
        nine tenths of it (a profile fact folded into the profile first, as the day close
        would). Looked at once every tenth of `cap` new facts. Returns how many went."""
        facts = self.facts
        if len(facts) <= cap or len(facts) < self._facts_checked + cap // 10:
            return 0
        counts = Counter(kind for _, kind, _ in facts)
        excess = {kind: n - (cap - cap // 10) for kind, n in counts.items() if n > cap}
        kept: list[Fact] = []
        for fact in facts:  # oldest first
            ts, kind, payload = fact
            if excess.get(kind, 0) > 0:
                excess[kind] -= 1
                if kind in PROFILE_KINDS:
                    apply_profile_fact(self.profile, kind, payload, ts)
                continue
            kept.append(fact)
        gone = len(facts) - len(kept)
        self.facts = kept
        self._facts_checked = len(kept)
        return gone

    def fold_facts(self, until: int, keep_from: int) -> None:
        """Fold profile facts up to `until` into the profile; drop other facts older than
        `keep_from` (beyond every signal's window)."""
        kept: list[Fact] = []
        for fact in self.facts:
            ts, kind, payload = fact
            if kind in PROFILE_KINDS and ts <= until:
                apply_profile_fact(self.profile, kind, payload, ts)
            elif ts >= keep_from:
                kept.append(fact)
        self.facts = kept

    def profile_as_of(self, ts: int) -> dict[str, Any]:
        profile = dict(self.profile)
        profile["_at"] = dict(self.profile.get("_at", {}))  # its own copy: folding writes it
        for fact_ts, kind, payload in self.facts:
            if fact_ts > ts:
                break
            if kind in PROFILE_KINDS:
                apply_profile_fact(profile, kind, payload, fact_ts)
        return profile

    def facts_between(self, start: int, end: int, kinds: frozenset[str]) -> list[Fact]:
        return [f for f in self.facts if start <= f[0] <= end and f[1] in kinds]

    # --- contacts ----------------------------------------------------------------------
    def count_contact(self, digest: str, cap: int) -> None:
        """One more interaction with `digest`, keeping at most `cap` contacts (Space-Saving:
        a newcomer takes the least-counted slot and its count + 1, so a frequent contact is
        never lost to a stream of one-off numbers; ties go to the smallest digest)."""
        contacts = self.contacts
        if digest in contacts:
            contacts[digest] += 1
        elif len(contacts) < cap:
            contacts[digest] = 1
        else:
            least = min(contacts, key=lambda d: (contacts[d], d))
            contacts[digest] = contacts.pop(least) + 1

    # --- serialisation -----------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The changelog value: the JSON document, zstd-compressed (two months of day buckets
        are mostly digits and zeros: a 4 KB document becomes about 1.6 KB)."""
        return _codec().compress(self.to_json())

    def to_bytes_within(self, limit: int) -> tuple[bytes, int, int]:
        """`to_bytes`, made to fit in `limit` bytes: while it does not, the older half of the
        event ids goes, then the older half of the facts (profile facts folded in first).
        Returns the bytes and how many ids and facts went."""
        raw, ids_shed, facts_shed = self.to_bytes(), 0, 0
        while len(raw) > limit:
            ids = sum(len(keys) for keys in self.seen.values())
            if ids:
                ids_shed += self._shed_ids((ids + 1) // 2)
            elif self.facts:
                half = (len(self.facts) + 1) // 2
                for ts, kind, payload in self.facts[:half]:
                    if kind in PROFILE_KINDS:
                        apply_profile_fact(self.profile, kind, payload, ts)
                self.facts, facts_shed = self.facts[half:], facts_shed + half
            else:
                break  # what is left is bounded by the policy's caps and the contract's limits
            raw = self.to_bytes()
        return raw, ids_shed, facts_shed

    @classmethod
    def from_bytes(cls, raw: bytes) -> CustomerState:
        """Reads what `to_bytes` wrote, and the uncompressed JSON written before it did."""
        if raw.startswith(_ZSTD_MAGIC):
            raw = _codec().decompress(raw)
        return cls.from_json(raw)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "c": self.customer_id,
                "f": self.first_day,
                "uf": self.usage_from,
                # Full width, untrimmed: trailing zeros cost nothing once compressed.
                "d": [[day, *bucket] for day, bucket in sorted(self.days.items())],
                "x": self.facts,
                "p": self.profile,
                "s": self.seen,
                "i": self.ids_from,
                "a": [
                    self.level,
                    self.score,
                    self.stage,
                    self.value_tier,
                    self.last_alert_id,
                    self.last_alert_ts,
                    self.first_alert_ts,
                    self.last_eval_ts,
                    self.churned_ts,
                    self.risk_ts,
                ],
                "r": self.reasons,
                "u": self.due,
                "t": [
                    self.open_tasks,
                    self.task_times,
                    self.suppressed,
                    self.followups,
                    self.early_outcomes,
                ],
                "k": self.contacts,
                "g": self.alert_category,
            },
            option=orjson.OPT_NON_STR_KEYS,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> CustomerState:
        obj = orjson.loads(raw)
        state = cls(obj["c"], first_day=obj["f"])
        state.days = {row[0]: _pad(row[1:]) for row in obj["d"]}
        state.facts = [(f[0], f[1], f[2]) for f in obj["x"]]
        state.profile = obj["p"]
        state.seen = {int(day): keys for day, keys in obj["s"].items()}
        state.ids_from = obj.get("i")  # absent in records written before 2026-11-23
        # Absent in older records: a customer with usage kept its first day as its baseline.
        state.usage_from = obj.get("uf", state.first_day if state.days else None)
        (
            state.level,
            state.score,
            state.stage,
            state.value_tier,
            state.last_alert_id,
            state.last_alert_ts,
            state.first_alert_ts,
            state.last_eval_ts,
            state.churned_ts,
            state.risk_ts,
        ) = obj["a"]
        state.reasons = obj["r"]
        state.due = obj["u"]
        tasks, times, suppressed, *rest = obj["t"]  # follow-ups absent in older records
        state.open_tasks = {a: (t[0], t[1]) for a, t in tasks.items()}
        state.task_times, state.suppressed = times, suppressed
        state.followups = [(f[0], f[1], f[2]) for f in (rest[0] if rest else [])]
        early = rest[1] if len(rest) > 1 else {}
        state.early_outcomes = {t: (o[0], o[1]) for t, o in early.items()}
        state.contacts = obj.get("k", {})  # absent in records written before contacts were kept
        state.alert_category = obj.get("g")  # absent in records written before categories
        return state


def apply_profile_fact(profile: dict[str, Any], kind: str, payload: Any, ts: int) -> None:
    """What a profile-changing CRM event means for the customer's profile. Each field keeps
    the time it was set (`_at`): a late event never overwrites a newer value."""
    if kind == "activation":
        payload = {**payload, "activated_ts": ts}
    elif kind == "plan_change":
        payload = {**payload, "plan_changed_ts": ts}
        if "previous_plan_fee" not in payload and "plan_fee" in profile:
            payload["previous_plan_fee"] = profile["plan_fee"]
    elif kind == "contract":
        payload = {**payload, "contract_ts": ts}
    set_at: dict[str, int] = profile.setdefault("_at", {})
    for name, value in payload.items():
        if ts >= set_at.get(name, ts):
            profile[name] = value
            set_at[name] = ts


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # every zstd frame starts so; JSON starts with "{"
_local = threading.local()


class _Codec:
    """One compressor and decompressor per thread (zstandard's are not thread-safe)."""

    def __init__(self) -> None:
        # Level 1: the fastest; level 3 saves under 1% on these documents.
        self.compress = zstandard.ZstdCompressor(level=1).compress
        self.decompress = zstandard.ZstdDecompressor().decompress


def _codec() -> _Codec:
    codec: _Codec | None = getattr(_local, "codec", None)
    if codec is None:
        codec = _local.codec = _Codec()
    return codec


def _pad(values: list[int]) -> list[int]:
    return values + [0] * (N_COUNTERS - len(values))
