"""Alert details and care-task talking points in the policy's `locale`: English (the signals'
own sentences) or Simplified Chinese (简体中文), for the care staff of the operators this
playbook comes from.

The signals write English; this module renders each known sentence shape in Chinese, part by
part ("; " separates parts). A sentence it does not know stays English rather than being
mangled, and the locale tests fail until its shape is added here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from config.policy import PlaybookRule

Render = Callable[[re.Match[str]], str]

_CHANNELS = {"voice minutes": "通话分钟数", "SMS": "短信", "data": "流量"}
_CATEGORIES = {"network": "网络", "billing": "账单", "service": "服务", "price": "资费",
               "other": "其他"}  # fmt: skip
_N = r"(\d+)"
_PCT = r"(\d+%)"
_DATE = r"(\d{4}-\d{2}-\d{2})"
_MONEY = r"([\d.]+)"


def _days(text: str) -> str:
    """`1 day` / `12 days` -> `1天` / `12天`."""
    return re.sub(r"(\d+) days?", r"\1天", text)


def _change(text: str) -> str:
    match = re.fullmatch(r"(down|up) (\d+%)", text)
    if not match:
        return text
    return ("下降" if match.group(1) == "down" else "上升") + match.group(2)


def _usage_drop(m: re.Match[str]) -> str:
    head = f"{_CHANNELS.get(m['worst'], m['worst'])}较{m['weeks']}周基线{_change(m['change'])}"
    if m["dip"]:
        head += f"（已扣除全体客户{m['dip']}的整体下滑）"
    if m["others"]:
        others = []
        for part in m["others"].split(", "):
            name, _, change = part.rpartition(" ")
            name, _, direction = name.rpartition(" ")
            others.append(f"{_CHANNELS.get(name, name)}{_change(direction + ' ' + change)}")
        head += "（" + "，".join(others) + "）"
    return head


def _complaints(m: re.Match[str]) -> str:
    cats = "、".join(_CATEGORIES.get(c, c) for c in m["cats"].split(", "))
    text = f"{m['n']}次投诉（{cats}）"
    notes = []
    for note in (m["notes"] or "").split(", "):
        if note.endswith("still open"):
            notes.append(f"{note.split()[0]}次仍未解决")
        elif note.endswith("resolved unsatisfied"):
            notes.append(f"{note.split()[0]}次解决后仍不满意")
    return text + ("：" + "，".join(notes) if notes else "")


_PATTERNS: list[tuple[re.Pattern[str], Render]] = [
    (re.compile(r"(?P<worst>voice minutes|SMS|data) (?P<change>(?:down|up) \d+%) vs "
                r"(?P<weeks>\d+)-week baseline(?: beyond the (?P<dip>\d+%) dip of all customers)?"
                r"(?: \((?P<others>[^)]*)\))?"), _usage_drop),
    (re.compile(rf"no outgoing calls, SMS or data for {_N} days"),
     lambda m: f"连续{m[1]}天无主叫通话、短信或流量"),
    (re.compile(rf"{_N} calls? or SMS to competitors' hotlines in the last {_N} days"),
     lambda m: f"近{m[2]}天内{m[1]}次致电或短信竞争对手的客服或携号转网热线"),
    (re.compile(rf"{_PCT} of incoming calls forwarded elsewhere in the last {_N} days "
                rf"\({_N} of {_N}\)"),
     lambda m: f"近{m[2]}天{m[1]}的来电被转接到其他号码（{m[4]}次中{m[3]}次）"),
    (re.compile(rf"{_PCT} of calls dropped in the last {_N} days \({_N} of {_N}\)"),
     lambda m: f"近{m[2]}天掉话率{m[1]}（{m[4]}次通话中{m[3]}次掉话）"),
    (re.compile(rf"complained about the network on {_DATE}"),
     lambda m: f"{m[1]}投诉过网络质量"),
    (re.compile(rf"usage worth {_MONEY} in the last (\d+ days?), {_PCT} of the {_MONEY} "
                r"package fee"),
     lambda m: f"近{_days(m[2])}实际使用价值{m[1]}元，仅为套餐费{m[4]}元的{m[3]}"),
    (re.compile(rf"contract ends on {_DATE} \(in (\d+ days?)\), no renewal seen"),
     lambda m: f"合约将于{m[1]}到期（还有{_days(m[2])}），尚未续约"),
    (re.compile(rf"contract ends on {_DATE} \((\d+ days?) ago\), no renewal seen"),
     lambda m: f"合约已于{m[1]}到期（{_days(m[2])}前），尚未续约"),
    (re.compile(rf"asked to port the number out on {_DATE}"),
     lambda m: f"已于{m[1]}申请携号转网"),
    (re.compile(rf"asked how to cancel on {_DATE}(?: \({_N} times? in {_N} days\))?"),
     lambda m: f"已于{m[1]}咨询如何销户" + (f"（{m[3]}天内{m[2]}次）" if m[2] else "")),
    (re.compile(r"(?P<n>\d+) complaints? \((?P<cats>[^)]*)\)(?:: (?P<notes>.*))?"),
     _complaints),
    (re.compile(rf"{_N} complaints? resolved unsatisfied"),
     lambda m: f"{m[1]}次投诉解决后仍不满意"),
    (re.compile(rf"{_N} billing disputes?"), lambda m: f"{m[1]}次账单争议"),
    (re.compile(rf"plan fee lowered from {_MONEY} to {_MONEY} on {_DATE} \(-{_PCT}\)"),
     lambda m: f"已于{m[3]}将套餐费从{m[1]}元降至{m[2]}元（-{m[4]}）"),
    (re.compile(rf"invoice of {_MONEY} on {_DATE} is ([\d.]+)x the average of the "
                rf"{_N} invoices? before \({_MONEY}\)"),
     lambda m: f"{m[2]}的账单{m[1]}元，是此前{m[4]}张账单平均值（{m[5]}元）的{m[3]}倍"),
    (re.compile(rf"payment overdue(?: by (\d+ days?))? \(notice on {_DATE}\), not paid since"),
     lambda m: "欠费" + (_days(m[1]) if m[1] else "") + f"（{m[2]}催缴），至今未缴"),
    (re.compile(rf"prepaid balance used up \(about {_MONEY}\) and no top-up for (\d+ days?), "
                r"usually every (\d+ days?)"),
     lambda m: f"预付费余额已用尽（约{m[1]}元），已{_days(m[2])}未充值，平时每{_days(m[3])}充值"),
    (re.compile(rf"{_N} of the customer's top contacts left us in the last {_N} days"),
     lambda m: f"近{m[2]}天内客户的{m[1]}位主要联系人已离网"),
    # protective factors (streams.protective): switching costs, negative contributions
    (re.compile(rf"customer for {_N} years?"), lambda m: f"在网{m[1]}年"),
    (re.compile(r"contract runs to (\d{4}-\d{2})"), lambda m: f"合约期至{m[1]}"),
    (re.compile(rf"{_N} other services? bundled with the line"),
     lambda m: f"已融合办理{m[1]}项其他业务"),
    (re.compile(rf"subsidised device until {_DATE}"), lambda m: f"购机补贴期至{m[1]}"),
    (re.compile(r"on a family or group plan"), lambda m: "已加入家庭或集团套餐"),
    (re.compile(r"has a premium number"), lambda m: "使用靓号"),
    (re.compile(r"([\d,]+) loyalty points to redeem"), lambda m: f"尚有{m[1]}积分可兑换"),
    (re.compile(rf"complaint resolved to the customer's satisfaction on {_DATE}"),
     lambda m: f"{m[1]}投诉已解决，客户表示满意"),
    (re.compile(rf"satisfied after a care contact on {_DATE}"),
     lambda m: f"{m[1]}客服联系后客户表示满意"),
    (re.compile(r"has an assigned account manager"), lambda m: "有专属客户经理"),
]  # fmt: skip


def localise_detail(detail: str, locale: str) -> str:
    """The detail sentence in `locale` ("en" leaves it as the signal wrote it)."""
    if locale != "zh":
        return detail
    return "；".join(_part(part) for part in detail.split("; "))


def _part(text: str) -> str:
    for pattern, render in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return render(match)
    return text


def knows(detail: str) -> bool:
    """Whether every part of an English detail has a Chinese rendering."""
    return all(any(p.fullmatch(part) for p, _ in _PATTERNS) for part in detail.split("; "))


# The playbook's own words in Chinese, by (action, offer code), for rules that do not carry
# `talking_points_zh` themselves: (talking point, offer description).
RULE_TEXTS_ZH: dict[tuple[str, str | None], tuple[str, str | None]] = {
    ("retention_call", "special_tariff"): ("了解对方运营商给出的条件；在客户价值允许时予以匹配。", "专属挽留资费"),
    ("complaint_callback", "goodwill_credit"): ("致歉，确认投诉已有专人负责，并告知解决时间。", "下期账单补偿金"),
    ("billing_care", None): ("在停机前提供分期缴费或充值提醒。", None),
    ("network_care", "network_credit"): ("客户所在区域已有网络工单，说明正在采取的措施。", "网络修复期间赠送流量"),
    ("bill_explanation", None): ("逐项解释账单；推荐可封顶额外费用的套餐。", None),
    ("retention_call", "family_bundle"): ("亲友已离网：介绍家庭及群组优惠。", "亲情融合套餐"),
    ("renewal_bundle", "renewal_bundle"): ("在合约到期前推荐续约套餐。", "续约赠流量套餐"),
    ("plan_rightsizing", "rightsized_plan"): ("在更便宜的竞争对手出手前，推荐与用量相符的套餐。", "按用量定制的套餐"),
    ("reactivation", "reactivation_bonus"): ("确认线路是否正常；提供复机奖励。", "下次充值赠送流量"),
    ("usage_incentive", "points_promotion"): ("提醒客户尚有未用完的套餐额度；使用即赠积分。", "本月积分翻倍"),
    ("exclusive_gift", "loyalty_gift"): ("感谢客户多年的陪伴；送上礼品，而不是推销。", "忠诚客户礼品"),
    ("special_tariff", "special_tariff"): ("在客户做出决定前提供挽留资费。", "专属挽留资费"),
    ("plan_migration", "plan_migration"): ("迁移到更符合当前使用习惯的套餐。", "更合适的套餐"),
    ("minimum_spend_plan", "minimum_spend"): ("推荐低保底消费套餐，保留号码。", "保底消费套餐"),
    ("exclusive_service", "exclusive_service"): ("提供专属服务通道和优先服务。", "专属服务"),
    ("tenure_reward", "tenure_reward"): ("以赠送流量和通话时长回馈在网年限。", "在网年限回馈"),
    ("loyalty_points", "loyalty_points"): ("提醒客户可兑换的积分；本月积分翻倍。", "积分翻倍"),
    ("bundling", "bundle"): ("优惠办理宽带、电视或副卡融合业务。", "家庭融合优惠"),
    ("cross_sell", "upgrade_trial"): ("用量逐月上升：推荐更高档套餐，首月免费。", "升档套餐首月免费"),
    ("usage_incentive", "welcome_bonus"): ("欢迎礼：介绍套餐内容及使用方法。", "新用户流量礼包"),
    ("retention_call", None): ("常规挽留回访：了解客户满意度。", None),
}  # fmt: skip


def rule_texts(rule: PlaybookRule, locale: str) -> tuple[tuple[str, ...], str | None]:
    """A rule's talking points and offer description in `locale`."""
    if locale != "zh":
        return rule.talking_points, rule.offer_description
    known = RULE_TEXTS_ZH.get((rule.action, rule.offer_code))
    points = rule.talking_points_zh or ((known[0],) if known else rule.talking_points)
    offer = rule.offer_description_zh or (known[1] if known else rule.offer_description)
    return points, offer
