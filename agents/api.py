"""The query API for systems that do not read Kafka, and for the console: the customers at risk
with what the retention desk needs to act (reasons as sentences, tier, stage, category, the
open task), one customer with its alert history and tasks, and one channel's queue of open
tasks. Reads the Redis serving store, so any worker answers for every customer; pure
request -> (status, body) functions, wired into Faust's web server in app.py and into the
console (`agents.console`).

Every request reads a bounded number of keys: a filtered listing looks at no more than
`SCAN_MAX` entries of the at-risk set and hands back a cursor for the rest."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.history import alerts_key, desk_key, outcome_key, task_key, tasks_key
from agents.redis_sink import at_risk_key
from config.policy import CHANNELS, LEVELS, LOCALES, SIGNAL_IDS, Policy
from streams.locale import localise_detail, rule_texts
from streams.playbook import in_holdout

Response = tuple[int, dict[str, Any]]
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
SCAN_MAX = 2000  # at-risk entries one listing request may look at
DESK_MAX = 200
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_LEVEL_FLOOR = {"medium": 0.0, "high": 1.0, "critical": 2.0}  # ranks among at-risk levels
FILTERS = ("tier", "stage", "region", "category", "channel")
ACTION_ZH = {
    "bill_explanation": "账单解释", "billing_care": "账务关怀", "bundling": "融合业务办理",
    "complaint_callback": "投诉回访", "cross_sell": "升档推荐", "exclusive_gift": "专属礼品",
    "exclusive_service": "专属服务", "loyalty_points": "积分关怀", "minimum_spend_plan": "保底套餐",
    "network_care": "网络关怀", "plan_migration": "套餐迁移", "plan_rightsizing": "套餐优化",
    "reactivation": "唤醒激活", "renewal_bundle": "续约礼包", "retention_call": "挽留回访",
    "special_tariff": "挽留资费", "tenure_reward": "在网回馈", "usage_incentive": "用量激励",
}  # fmt: skip


def authorised(token: str | None, header: str | None, cookie: str | None = None) -> bool:
    """No token configured: open. Otherwise `Authorization: Bearer <token>` (or the console's
    cookie holding it), compared in constant time so the comparison leaks nothing."""
    if token is None:
        return True
    if header and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    if cookie:
        return hmac.compare_digest(cookie.encode(), token.encode())
    return False


def action_label(action: str, lang: str) -> str:
    if lang == "zh":
        return ACTION_ZH.get(action, action)
    return action.replace("_", " ")


class RiskApi:
    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        policy: Policy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.policy = policy or Policy()
        self.clock = clock

    # --- one customer --------------------------------------------------------------------
    async def customer_risk(self, customer_id: str, lang: str | None = None) -> Response:
        if not _CUSTOMER_ID.fullmatch(customer_id):
            return 400, {"error": "malformed customer id"}
        language = self._lang(lang)
        if language is None:
            return 400, {"error": f"lang must be one of {', '.join(LOCALES)}"}
        p = self.prefix
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hgetall(f"{p}risk:{customer_id}")
            pipe.zrange(alerts_key(p, customer_id), 0, -1)
            pipe.zrevrange(tasks_key(p, customer_id), 0, -1)
            raw, alerts, task_ids = await pipe.execute()
            if not raw:
                return 404, {"error": "unknown customer"}
            tasks = await self._tasks([_text(t) for t in task_ids])
        except (RedisError, OSError):
            return 503, {"error": "risk store unavailable"}
        view = risk_view(customer_id, {_text(k): _text(v) for k, v in raw.items()}, language)
        view["alerts"] = [orjson.loads(a) for a in alerts]
        view["tasks"] = [self._task_view(task, language) for task in tasks]
        view["holdout"] = in_holdout(customer_id, self.policy.contact)
        return 200, view

    # --- the at-risk list ----------------------------------------------------------------
    async def at_risk(
        self,
        level: str | None,
        limit: str | None,
        query: Mapping[str, str] | None = None,
        lang: str | None = None,
    ) -> Response:
        query = query or {}
        wanted = level or "medium"
        if wanted not in _LEVEL_FLOOR:
            return 400, {"error": f"level must be one of {', '.join(LEVELS[1:])}"}
        language = self._lang(lang)
        if language is None:
            return 400, {"error": f"lang must be one of {', '.join(LOCALES)}"}
        try:
            count = int(limit) if limit is not None else DEFAULT_LIMIT
            start = int(query.get("cursor") or 0)
        except ValueError:
            return 400, {"error": "limit and cursor must be integers"}
        if not 1 <= count <= MAX_LIMIT or start < 0:
            return 400, {"error": f"limit must be within 1..{MAX_LIMIT}, cursor >= 0"}
        filters = {name: query[name] for name in FILTERS if query.get(name)}
        if filters.get("channel") not in (None, *CHANNELS):
            return 400, {"error": f"channel must be one of {', '.join(CHANNELS)}"}
        try:
            customers, cursor = await self._listing(wanted, count, start, filters, language)
        except (RedisError, OSError):
            return 503, {"error": "risk store unavailable"}
        return 200, {
            "level": wanted, "count": len(customers), "customers": customers,
            "next_cursor": None if cursor is None else str(cursor),
        }  # fmt: skip

    async def _listing(
        self, level: str, count: int, start: int, filters: dict[str, str], lang: str
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Highest scores first, those at `level` or above that pass `filters`; the cursor
        is where the next page starts in the at-risk set (None: the set is done)."""
        floor = _LEVEL_FLOOR[level]
        found: list[dict[str, Any]] = []
        position, looked = start, 0
        page_size = min(max(count * 2, 50), SCAN_MAX)
        while len(found) < count and looked < SCAN_MAX:
            page: list[Any] = list(
                await self.client.zrevrange(
                    at_risk_key(self.prefix), position, position + page_size - 1, withscores=True
                )
            )
            if not page:
                return found, None
            members = [_text(member) for member, _ in page]
            rows = await self._rows(members, lang)
            for index, row in enumerate(rows):
                if row is None or _LEVEL_FLOOR.get(row["level"], -1.0) < floor:
                    continue
                if not _passes(row, filters):
                    continue
                found.append(row)
                if len(found) == count:
                    return found, position + index + 1
            position += len(page)
            looked += len(page)
        return found, position

    async def _rows(self, members: list[str], lang: str) -> list[dict[str, Any] | None]:
        p = self.prefix
        pipe = self.client.pipeline(transaction=False)
        for customer in members:
            pipe.hgetall(f"{p}risk:{customer}")
            pipe.zrevrange(tasks_key(p, customer), 0, 0)
        replies = await pipe.execute()
        latest = [_text(ids[0]) if ids else None for ids in replies[1::2]]
        tasks = {t["task_id"]: t for t in await self._tasks([t for t in latest if t])}
        rows: list[dict[str, Any] | None] = []
        for customer, raw, task_id in zip(members, replies[0::2], latest, strict=True):
            fields = {_text(k): _text(v) for k, v in raw.items()}
            if "level" not in fields:
                rows.append(None)  # the store is mid-write or the customer is gone
                continue
            view = risk_view(customer, fields, lang)
            task = tasks.get(task_id) if task_id else None
            shown = self._task_view(task, lang) if task is not None else None
            rows.append(
                {
                    "customer_id": customer, "score": view["score"], "level": view["level"],
                    "stage": view["stage"], "value_tier": view["value_tier"],
                    "category": view["category"], "region": view["region"],
                    "reasons": [r for r in view["reasons"] if r["contribution"] > 0][:3],
                    "open_task": shown if shown is not None and shown["open"] else None,
                    "holdout": in_holdout(customer, self.policy.contact),
                    "alert_id": view["alert_id"], "updated": view["updated"],
                }
            )  # fmt: skip
        return rows

    # --- a channel's desk ----------------------------------------------------------------
    async def desk(self, channel: str, lang: str | None = None) -> Response:
        if channel not in CHANNELS:
            return 404, {"error": f"channel must be one of {', '.join(CHANNELS)}"}
        language = self._lang(lang)
        if language is None:
            return 400, {"error": f"lang must be one of {', '.join(LOCALES)}"}
        try:
            ids = await self.client.zrange(desk_key(self.prefix, channel), 0, DESK_MAX - 1)
            tasks = await self._tasks([_text(i) for i in ids])
            pipe = self.client.pipeline(transaction=False)
            for task in tasks:
                pipe.hget(f"{self.prefix}risk:{task['customer_id']}", "level")
            levels = await pipe.execute()
        except (RedisError, OSError):
            return 503, {"error": "risk store unavailable"}
        queue = []
        for task, current in zip(tasks, levels, strict=True):
            shown = self._task_view(task, language)
            if shown["open"]:  # due time order: the overdue ones come first
                shown["level"] = _text(current) if current is not None else None
                queue.append(shown)
        return 200, {"channel": channel, "count": len(queue), "tasks": queue}

    # --- shared --------------------------------------------------------------------------
    async def _tasks(self, task_ids: list[str]) -> list[dict[str, Any]]:
        """The tasks of these ids (those still kept), each with its outcome or None."""
        if not task_ids:
            return []
        pipe = self.client.pipeline(transaction=False)
        for task_id in task_ids:
            pipe.get(task_key(self.prefix, task_id))
            pipe.get(outcome_key(self.prefix, task_id))
        replies = await pipe.execute()
        found = []
        for raw, outcome in zip(replies[0::2], replies[1::2], strict=True):
            if raw is None:
                continue
            task = orjson.loads(raw)
            task["outcome"] = orjson.loads(outcome) if outcome is not None else None
            found.append(task)
        return found

    def _task_view(self, task: dict[str, Any], lang: str) -> dict[str, Any]:
        now = self.clock()
        due = _epoch(task["due_at"])
        expired = _epoch(task["expires_at"]) <= now
        points, offer = self._texts(task, lang)
        return {
            "task_id": task["task_id"], "customer_id": task["customer_id"],
            "action": task["action"], "action_label": action_label(task["action"], lang),
            "channel": task["channel"], "priority": task["priority"],
            "created_at": task["created_at"], "due_at": task["due_at"],
            "expires_at": task["expires_at"], "control": task["control"],
            "sla_left_s": int(due - now), "outcome": task["outcome"],
            "open": task["outcome"] is None and not expired and not task["control"],
            "reasons": task["reasons"], "talking_points": points, "offer": offer,
        }  # fmt: skip

    def _texts(self, task: dict[str, Any], lang: str) -> tuple[list[str], str | None]:
        """The task's talking points and offer in `lang`: as written when that is the
        policy's locale, else the playbook rule's own texts in `lang`."""
        offer = task.get("offer") or {}
        if lang == self.policy.locale:
            return list(task["talking_points"]), offer.get("description")
        rule = next(
            (
                r
                for r in self.policy.playbook
                if r.action == task["action"] and r.offer_code == offer.get("code")
            ),
            None,
        )
        if rule is None:
            return list(task["talking_points"]), offer.get("description")
        points, description = rule_texts(rule, lang)
        return list(points), description

    def _lang(self, lang: str | None) -> str | None:
        chosen = lang or self.policy.locale
        return chosen if chosen in LOCALES else None


def _passes(row: dict[str, Any], filters: dict[str, str]) -> bool:
    for name, wanted in filters.items():
        if name == "tier" and row["value_tier"] != wanted:
            return False
        if name in ("stage", "category", "region") and row[name] != wanted:
            return False
        if name == "channel" and (row["open_task"] or {}).get("channel") != wanted:
            return False
    return True


def _epoch(rfc3339_text: str) -> float:
    return datetime.fromisoformat(rfc3339_text).timestamp()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def risk_view(customer_id: str, fields: dict[str, str], lang: str = "en") -> dict[str, Any]:
    """The risk hash as the API shows it, reason sentences in `lang` (from the English ones
    the store keeps beside the policy's locale, when it is not English)."""
    reasons = orjson.loads(fields.get("reasons_en") or fields.get("reasons", "[]"))
    if "reasons_en" in fields or lang == "zh":
        reasons = [{**r, "detail": localise_detail(r["detail"], lang)} for r in reasons]
    fired = {r["signal"]: r["contribution"] for r in reasons}
    return {
        "customer_id": customer_id,
        "score": float(fields.get("score", 0.0)),
        "level": fields.get("level", "none"),
        "stage": fields.get("stage"),
        "value_tier": fields.get("value_tier"),
        "category": fields.get("category") or None,
        "region": fields.get("region") or None,
        "reasons": reasons,
        "contributions": {signal: fired.get(signal, 0.0) for signal in SIGNAL_IDS},
        "alert_id": fields.get("alert_id") or None,
        "updated": fields.get("updated"),
    }
