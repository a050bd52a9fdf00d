# ruff: noqa: E501  (a message catalogue: one message per line reads best)
"""What the requester and the expert read, in zh-CN (default) and English."""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "intro": "好的，我来帮你转接远程专家。先确认几项信息，专家接手后就不用再问一遍。",
        "intro_no_context": "好的，可以为你转接远程专家：请在会话中点击“转接远程专家”，并说明设备型号和现场现象。",
        "ask_product_model": "设备是哪个型号？（例如 {example}；不确定的话说产品线也可以）",
        "ask_symptom": "现场具体是什么现象？比如指示灯状态、报错信息、卡在哪一步。",
        "ask_site": "设备在哪个现场？请说一下客户名称和所在城市。",
        "ask_serial_firmware": "如果方便，请告诉我设备序列号或固件版本（例如 SN: LT2100A0123 或 v3.2.1）；不知道可以回复“不知道”。",
        "ask_urgency": "有多紧急？",
        "urgency_high": "紧急：现场停工等待",
        "urgency_normal": "一般：今天内处理",
        "urgency_low": "不急：可以预约",
        "dont_know": "不知道",
        "queued": "已为你提交远程专家请求（{line}，{model}）。当前排第 {position} 位，预计 {estimate}内接入。排队期间你发的消息专家接入后都能看到。",
        "queued_no_estimate": "已为你提交远程专家请求（{line}，{model}）。当前排第 {position} 位。",
        "queue_update": "排队更新：当前排第 {position} 位，预计 {estimate}内接入。",
        "queue_update_no_estimate": "排队更新：当前排第 {position} 位。",
        "estimate_soon": "1 分钟",
        "estimate_minutes": "{minutes} 分钟",
        "still_queued": "你的请求正在排队（第 {position} 位），专家接入后会看到你的消息。",
        "already_assigned": "专家 {expert} 正在为你服务，直接在这里发消息即可。",
        "ticket_no_expert": "现在没有在线的{line}专家，已为你生成工单 {ticket}。专家会在 {callback} 前回电，请保持电话畅通。在此期间我继续为你服务。",
        "ticket_timeout": "专家暂时都在忙，已为你生成工单 {ticket}。专家会在 {callback} 前回电，请保持电话畅通。在此期间我继续为你服务。",
        "ticket_open": "你已有工单 {ticket}，专家会在 {callback} 前回电。",
        "callback_two_zones": "{zone} {time}（客户当地时间 {customer_time}，{customer_zone}）",
        "expert_joined": "专家 {expert} 已加入会话。",
        "expert_left": "专家 {expert} 已离开会话。",
        "transferred": "已为你转接给专家 {expert}。",
        "resolved": "专家 {expert} 已结束本次协助。总结：{summary}\n接下来由我（智能助手）继续为你服务。",
        "closed_unresolved": "专家 {expert} 已结束本次协助，问题还需要进一步处理。说明：{summary}\n接下来由我（智能助手）继续为你服务。",
        "cancelled": "好的，已取消转接。有问题随时问我。",
        "cancelled_stale": "转接请求因长时间未补充信息已取消。需要时可以再次申请。",
        "join_code": "专家发来 AR 远程协助加入码：{code}（{minutes} 分钟内有效，仅可使用一次）。在 AR 终端或手机 AR-LINK 中输入，或打开链接：{link}",
        "line_unknown": "待确认产品线",
        "model_unknown": "型号待确认",
        "summary_head": "{requester}（{partner}）为客户现场“{site}”申请远程协助：{model}，{symptom}。紧急程度：{urgency}。",
        "urgency_label_high": "紧急",
        "urgency_label_normal": "一般",
        "urgency_label_low": "不急",
        "urgency_label_": "未说明",
        "unknown": "未提供",
        "call_started": "视频协助开始",
        "call_ended": "视频协助结束（{duration}）",
        "duration_seconds": "{seconds} 秒",
        "duration_minutes": "{minutes} 分 {seconds} 秒",
        "still_sent": "专家发来一张截图标注{note}",
    },
    "en": {
        "intro": "Sure, I will hand you over to a remote expert. A few questions first, so the expert does not ask again.",
        "intro_no_context": "I can hand you over to a remote expert: use “Talk to a remote expert” in a conversation and give the model and what happens on site.",
        "ask_product_model": "Which device model is it? (e.g. {example}; the product line is fine if unsure)",
        "ask_symptom": "What exactly happens on site? LED states, error messages, the step where it stops.",
        "ask_site": "Which site is the device at? Customer name and city, please.",
        "ask_serial_firmware": "If you know them, the serial number or firmware version (e.g. SN: LT2100A0123 or v3.2.1); otherwise reply “don't know”.",
        "ask_urgency": "How urgent is it?",
        "urgency_high": "Urgent: the site is waiting",
        "urgency_normal": "Normal: today",
        "urgency_low": "Not urgent: can be scheduled",
        "dont_know": "don't know",
        "queued": "Your request for a remote expert is in ({line}, {model}). You are number {position} in the queue; expected within {estimate}. The expert will see what you write while you wait.",
        "queued_no_estimate": "Your request for a remote expert is in ({line}, {model}). You are number {position} in the queue.",
        "queue_update": "Queue update: you are number {position}; expected within {estimate}.",
        "queue_update_no_estimate": "Queue update: you are number {position}.",
        "estimate_soon": "1 minute",
        "estimate_minutes": "{minutes} minutes",
        "still_queued": "Your request is queued (number {position}); the expert will see your messages.",
        "already_assigned": "Expert {expert} is with you; just write here.",
        "ticket_no_expert": "No {line} expert is online now. Ticket {ticket} was opened; an expert will call you back before {callback}. Meanwhile I am here to help.",
        "ticket_timeout": "All experts are busy. Ticket {ticket} was opened; an expert will call you back before {callback}. Meanwhile I am here to help.",
        "ticket_open": "You already have ticket {ticket}; an expert will call you back before {callback}.",
        "callback_two_zones": "{time} {zone} ({customer_time} the customer's local time, {customer_zone})",
        "expert_joined": "Expert {expert} joined the conversation.",
        "expert_left": "Expert {expert} left the conversation.",
        "transferred": "You were transferred to expert {expert}.",
        "resolved": "Expert {expert} closed the session. Summary: {summary}\nI (the assistant) am back to help.",
        "closed_unresolved": "Expert {expert} closed the session; the problem needs follow-up. Note: {summary}\nI (the assistant) am back to help.",
        "cancelled": "OK, the handoff is cancelled. Ask me anything.",
        "cancelled_stale": "The handoff request was cancelled after a long wait for details. Ask again any time.",
        "join_code": "AR remote-assist join code from the expert: {code} (valid {minutes} minutes, single use). Enter it in AR-LINK or open: {link}",
        "line_unknown": "product line to be confirmed",
        "model_unknown": "model to be confirmed",
        "summary_head": "{requester} ({partner}) asks for remote assistance at “{site}”: {model}, {symptom}. Urgency: {urgency}.",
        "urgency_label_high": "urgent",
        "urgency_label_normal": "normal",
        "urgency_label_low": "not urgent",
        "urgency_label_": "not stated",
        "unknown": "not given",
        "call_started": "Video assist started",
        "call_ended": "Video assist ended ({duration})",
        "duration_seconds": "{seconds} s",
        "duration_minutes": "{minutes} min {seconds} s",
        "still_sent": "The expert sent an annotated still{note}",
    },
}


# The experts' zone by the name people use for it; any other zone is named by its IANA name.
_ZONE_NAMES: dict[str, dict[str, str]] = {
    "Asia/Shanghai": {"zh": "北京时间", "en": "China time"},
}


def zone_name(zone: str, language: str) -> str:
    names = _ZONE_NAMES.get(zone, {})
    return names.get(language, names.get("zh", zone))


def text(language: str, key: str, **values: Any) -> str:
    table = _TEXTS.get(language, _TEXTS["zh"])
    return table.get(key, _TEXTS["zh"][key]).format(**values)
