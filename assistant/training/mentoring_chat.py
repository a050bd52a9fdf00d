"""The chat side of mentoring: the dialogue engine's :class:`~assistant.dialogue.skills.MentoringSkill`.

"最近有什么分享会 / 有没有导师" is answered with the sharing sessions the caller may see and sign
up to (:meth:`~assistant.training.mentoring.MentoringService.sessions`, the channel tree's rule),
soonest first, each with its time, host and seats left, whether the caller holds a seat, and the
caller's own attendance so far; signing up is on the /mentoring page (one tap there, with the
refusals it explains).  The caller is the verified one of the turn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller
from assistant.training.mentoring import MentoringService, SessionView

SHOWN = 5  # sessions listed in one reply; the page lists them all

_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "intro": "近期你可以报名的分享会（共 {total} 场）：",
        "line": "{n}. 《{topic}》{when}，{minutes} 分钟，主讲 {host}（{partner}），{seats}",
        "seats": "剩余 {left} 席",
        "full": "已满",
        "mine": "你已报名",
        "more": "另有 {more} 场，见分享会页面。",
        "none": "近期没有你能报名的分享会。有新的场次时会出现在分享会页面（/mentoring）。",
        "attended": "你已参加 {sessions} 场分享会，共 {minutes} 分钟（计入 70/20/10 中的 20%）。",
        "go": "在分享会页面报名或取消：/mentoring",
    },
    "en": {
        "intro": "Sharing sessions you can sign up to ({total} in all):",
        "line": '{n}. "{topic}" {when}, {minutes} min, by {host} ({partner}), {seats}',
        "seats": "{left} seats left",
        "full": "full",
        "mine": "you are signed up",
        "more": "{more} more on the sessions page.",
        "none": "No sharing session is open to you soon. New ones appear on the sessions page (/mentoring).",
        "attended": "You attended {sessions} sessions, {minutes} minutes in all (the 20% of 70/20/10).",
        "go": "Sign up or cancel on the sessions page: /mentoring",
    },
}


def _t(lang: str, key: str, **values: object) -> str:
    return _TEXTS["en" if lang == "en" else "zh"][key].format(**values)


def _when(starts_at: datetime, zone: ZoneInfo) -> str:
    return starts_at.replace(tzinfo=UTC).astimezone(zone).strftime("%m-%d %H:%M")


class MentoringChatSkill:
    """Built once per engine; ``service`` builds a mentoring service over today's data;
    session times are written in ``timezone`` (the setting ``ASSISTANT_TIMEZONE``)."""

    def __init__(self, service: Callable[[], MentoringService], *, timezone: str = "Asia/Shanghai") -> None:
        self._service = service
        self._zone = ZoneInfo(timezone)

    def sessions(self, *, caller: Caller) -> SkillResult:
        service = self._service()
        lang = caller.language
        page = service.sessions(caller, when="upcoming", limit=SHOWN)
        me = service.me(caller)
        lines = [_t(lang, "intro", total=page.total)] if page.sessions else [_t(lang, "none")]
        for n, s in enumerate(page.sessions, 1):
            lines.append(_t(lang, "line", n=n, when=_when(s.starts_at, self._zone), **_fields(s, lang)))
        if page.total > len(page.sessions):
            lines.append(_t(lang, "more", more=page.total - len(page.sessions)))
        if me.attendance.sessions:
            lines.append(_t(lang, "attended", sessions=me.attendance.sessions, minutes=me.attendance.minutes))
        if page.sessions:
            lines.append(_t(lang, "go"))
        return SkillResult(
            text="\n".join(lines),
            suggestions=("我该学点什么",) if lang != "en" else (),
            task={"mentoring": ",".join(s.id for s in page.sessions)[:200]},
        )


def _fields(s: SessionView, lang: str) -> dict[str, object]:
    if s.mine:
        seats = _t(lang, "mine")
    elif s.seats_left:
        seats = _t(lang, "seats", left=s.seats_left)
    else:
        seats = _t(lang, "full")
    return {
        "topic": s.topic,
        "minutes": s.duration_minutes,
        "host": s.host_name,
        "partner": s.host_partner_name,
        "seats": seats,
    }
