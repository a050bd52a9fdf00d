# ruff: noqa: E501  (message templates read best one per line)
"""The chat side of channel operations: the dialogue engine's :class:`OpsSkill`.

================================  ==================================================
"我这周有什么任务"                  the caller's tasks: own share, progress, pace flags
"给任务记上今天拜访了3家客户"        a progress report on the caller's own share
"华东区这个任务进度怎么样"            a node's progress (the task talked about, or the only one)
"有哪些风险预警"                    the unresolved alerts of the caller's subtree
"我们在联盟里哪项最弱"              the channel profile against the alliance
================================  ==================================================

Everything is read for the verified caller through the same services and access rules as
REST (an id outside the caller's subtree is never named).  A report made in chat is
idempotent at the chat layer (a resent message is answered from its stored reply), so its
client id is new per call.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Literal

from assistant.dialogue.lexicon import squash
from assistant.dialogue.numbers import find_numbers
from assistant.dialogue.ops_asks import task_kind_words
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller
from assistant.ops.alert_service import AlertForbiddenError, AlertService, StoredAlert
from assistant.ops.profile import ProfileService
from assistant.rebates.network import ChannelNode
from assistant.rebates.service import RebateService
from assistant.tasks.model import NodeProgress, TaskStatus, TaskView
from assistant.tasks.service import MAX_NOTE, TaskService

log = logging.getLogger(__name__)

MAX_LISTED = 5  # tasks or alerts named in one reply (the dashboard shows them all)

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "no_tasks": "你现在没有进行中的任务。",
        "tasks_intro": "你有 {n} 个任务：",
        "task_line": "{i}.《{title}》截止 {due}：目标 {quantity}{unit}，已完成 {progress}{unit}（按进度应完成 {expected}{unit}），{status}。",
        "task_line_watch": "{i}.《{title}》截止 {due}：{scope}共 {quantity}{unit}，已完成 {progress}{unit}，{status}。",
        "more": "另外还有 {n} 条，在看板上可以看到全部。",
        "status_on_track": "进度正常",
        "status_at_risk": "落后于进度",
        "status_overdue": "已逾期",
        "status_done": "已完成",
        "status_not_started": "还没开始",
        "report_which": "你有几个任务都可以记这条进度，请说一下是哪个：{titles}。",
        "report_none": "你现在没有可以上报进度的任务。",
        "report_no_amount": "请说一下完成了多少，比如“给任务记上今天拜访了3家客户”。",
        "reported": "已记上：《{title}》+{amount}{unit}。你的累计 {progress}/{quantity}{unit}，{status}。",
        "reported_again": "这条进度之前已经记过了，没有重复计数。你的累计 {progress}/{quantity}{unit}。",
        "progress_which": "你指的是哪个任务？{titles}",
        "progress_line": "《{title}》{node}：目标 {quantity}{unit}，已完成 {progress}{unit}（按进度应完成 {expected}{unit}），{status}。",
        "progress_behind": "落后的：{names}。",
        "no_alerts": "你负责的范围内现在没有未处理的风险预警。",
        "alerts_forbidden": "风险预警由伙伴、联盟和区域的管理者查看和处理；你的账号看不到预警，有疑问可以找你们的负责人。",
        "alerts_intro": "你负责的范围内有 {n} 条未处理的风险预警：",
        "alert_line": "{i}. {partner}（{period}）：{rule}，{severity}。",
        "severity_high": "高",
        "severity_medium": "中",
        "severity_low": "低",
        "profile_unavailable": "渠道画像按伙伴计算，你的账号不属于某个伙伴或画像暂时查不到；可以在看板上查看下属伙伴的画像。",
        "profile_weakest": "{quarter} 和{alliance}的平均水平比，{partner}相对最弱的是{dimension}（{score} 分，联盟平均 {avg} 分）。",
        "profile_scores": "各项得分：{scores}。",
    },
    "en": {
        "no_tasks": "You have no open tasks.",
        "tasks_intro": "You have {n} tasks:",
        "task_line": "{i}. “{title}”, due {due}: goal {quantity} {unit}, done {progress} {unit} (expected by now {expected}), {status}.",
        "task_line_watch": "{i}. “{title}”, due {due}: {scope} {quantity} {unit} in all, done {progress} {unit}, {status}.",
        "more": "{n} more on the dashboard.",
        "status_on_track": "on track",
        "status_at_risk": "behind the pace",
        "status_overdue": "overdue",
        "status_done": "done",
        "status_not_started": "not started yet",
        "report_which": "Several of your tasks could take this; which one: {titles}?",
        "report_none": "You have no task to report progress on.",
        "report_no_amount": "How many did you do? For example “log 3 customer visits today”.",
        "reported": "Logged: “{title}” +{amount} {unit}. Your total {progress}/{quantity} {unit}, {status}.",
        "reported_again": "That report was logged before and was not counted twice. Your total {progress}/{quantity} {unit}.",
        "progress_which": "Which task do you mean? {titles}",
        "progress_line": "“{title}” {node}: goal {quantity} {unit}, done {progress} {unit} (expected by now {expected}), {status}.",
        "progress_behind": "Behind: {names}.",
        "no_alerts": "No open risk alerts in your area.",
        "alerts_forbidden": "Risk alerts are for the managers of partners, alliances and regions; your account does not see them.",
        "alerts_intro": "{n} open risk alerts in your area:",
        "alert_line": "{i}. {partner} ({period}): {rule}, {severity}.",
        "severity_high": "high",
        "severity_medium": "medium",
        "severity_low": "low",
        "profile_unavailable": "Channel profiles are per partner; your account belongs to no partner or the profile cannot be looked up now. The dashboard shows the profiles of the partners below you.",
        "profile_weakest": "In {quarter}, against {alliance}'s average, {partner} is relatively weakest in {dimension} ({score}, alliance {avg}).",
        "profile_scores": "Scores: {scores}.",
    },
}
RULE_LABELS: dict[str, tuple[str, str]] = {
    "return_spike": ("退货率异常偏高", "return rate far above normal"),
    "quarter_end_stuffing": ("季末集中压货", "quarter-end stuffing"),
    "tier_edge_no_new": ("刚过返利档位线且没有新客户", "just over a tier edge without new customers"),
    "overstock": ("库存周转天数过高", "days of inventory too high"),
    "complaint_rate": ("客诉率明显高于区域水平", "complaint rate well above the region"),
    "satisfaction_falling": ("客户满意度连续两季下降", "satisfaction falling two quarters running"),
    "overdue_task": ("任务逾期", "overdue task"),
}


class OpsChatSkill:
    """:class:`assistant.dialogue.skills.OpsSkill` over the task, alert and profile services."""

    def __init__(
        self,
        *,
        rebates: Callable[[], RebateService],
        tasks: Callable[[], TaskService],
        alerts: Callable[[], AlertService | None],
        profiles: Callable[[], ProfileService | None] = lambda: None,
    ) -> None:
        # Getters, not services: the serving process swaps its rebate snapshot when another
        # instance changes the data, and a task service is cheap to make per question.
        self._rebates = rebates
        self.tasks = tasks
        self._alert_service = alerts
        self._profiles = profiles

    @property
    def rebates(self) -> RebateService:
        return self._rebates()

    def answer(self, *, caller: Caller, text: str, ask: str, last: Mapping[str, str]) -> SkillResult:
        lang = caller.language
        if ask == "report":
            return self._report(caller, text)
        if ask == "progress":
            return self._progress(caller, text, last)
        if ask == "alerts":
            return self._alerts(caller)
        if ask == "profile":
            return self._profile(caller)
        return self._tasks(caller, lang)

    # ----------------------------------------------------------------- tasks

    def _tasks(self, caller: Caller, lang: str) -> SkillResult:
        views = [v for v in self.tasks().tasks_for(caller) if _status(v) is not TaskStatus.DONE]
        if not views:
            return SkillResult(text=_t(lang, "no_tasks"))
        lines = [_t(lang, "tasks_intro", n=len(views))]
        for i, v in enumerate(views[:MAX_LISTED], start=1):
            lines.append(_task_line(lang, i, v))
        if len(views) > MAX_LISTED:
            lines.append(_t(lang, "more", n=len(views) - MAX_LISTED))
        only = {"task": views[0].task.id} if len(views) == 1 else {}
        return SkillResult(text="\n".join(lines), task={"ask": "tasks", **only})

    def _report(self, caller: Caller, text: str) -> SkillResult:
        lang = caller.language
        numbers = [n for n in find_numbers(text) if n.value == n.value.to_integral_value() and n.value > 0]
        if not numbers:
            return SkillResult(text=_t(lang, "report_no_amount"))
        service = self.tasks()
        open_views = [
            v
            for v in service.tasks_for(caller)
            if v.mine is not None and v.mine.status in (TaskStatus.ON_TRACK, TaskStatus.AT_RISK, TaskStatus.OVERDUE)
        ]
        if not open_views:
            return SkillResult(text=_t(lang, "report_none"))
        sq = squash(text)
        kinds = {kind for kind, words in task_kind_words().items() if any(w in sq for w in words)}
        fitting = [v for v in open_views if v.task.kind.value in kinds] or (open_views if len(open_views) == 1 else [])
        if len(fitting) != 1:
            titles = "、".join(f"《{v.task.title}》" for v in (fitting or open_views)[:MAX_LISTED])
            return SkillResult(text=_t(lang, "report_which", titles=titles), task={"ask": "report"})
        view = fitting[0]
        amount = int(numbers[0].value)
        result = service.report_progress(caller, view.task.id, amount, note=text[:MAX_NOTE], client_id=uuid.uuid4().hex)
        mine = result.mine
        key = "reported_again" if result.duplicate else "reported"
        body = _t(
            lang,
            key,
            title=view.task.title,
            amount=amount,
            unit=_unit(lang, view),
            progress=mine.progress,
            quantity=mine.quantity,
            status=_t(lang, f"status_{mine.status.value}"),
        )
        return SkillResult(text=body, task={"ask": "report", "task": view.task.id})

    def _progress(self, caller: Caller, text: str, last: Mapping[str, str]) -> SkillResult:
        lang = caller.language
        service = self.tasks()
        views = list(service.tasks_for(caller))
        view = next((v for v in views if v.task.id == last.get("task")), None)
        if view is None:
            named = [v for v in views if v.task.title and squash(v.task.title) in squash(text)]
            active = [v for v in views if _status(v) is not TaskStatus.DONE]
            candidates = named or active
            if len(candidates) != 1:
                if not views:
                    return SkillResult(text=_t(lang, "no_tasks"))
                titles = "、".join(f"《{v.task.title}》" for v in (candidates or views)[:MAX_LISTED])
                return SkillResult(text=_t(lang, "progress_which", titles=titles), task={"ask": "progress"})
            view = candidates[0]
        node = self._node_named(caller, text, view)
        progress = view.scope if node is None else node
        lines = [
            _t(
                lang,
                "progress_line",
                title=view.task.title,
                node=progress.name,
                quantity=progress.quantity,
                unit=_unit(lang, view),
                progress=progress.progress,
                expected=_whole(progress.expected),
                status=_t(lang, f"status_{progress.status.value}"),
            )
        ]
        behind = [c.name for c in progress.children if c.status in (TaskStatus.AT_RISK, TaskStatus.OVERDUE)]
        if behind:
            lines.append(_t(lang, "progress_behind", names="、".join(behind[:MAX_LISTED])))
        return SkillResult(text="\n".join(lines), task={"ask": "progress", "task": view.task.id})

    def _node_named(self, caller: Caller, text: str, view: TaskView) -> NodeProgress | None:
        """The node of the caller's view the text names ("华东区", "杭州蜂窝联盟", a partner's name)."""
        sq = squash(text)
        best: tuple[int, NodeProgress] | None = None
        for node in view.scope.walk():
            channel = self.rebates.state.network.find(node.node_id)
            names = [node.name]
            if channel is not None:
                names += _short_names(channel)
            hit = max((len(n) for n in names if n and squash(n) in sq), default=0)
            if hit and (best is None or hit > best[0]):
                best = (hit, node)
        return best[1] if best is not None else None

    # ---------------------------------------------------------------- alerts

    def _alerts(self, caller: Caller) -> SkillResult:
        lang = caller.language
        service = self._alert_service()
        if service is None:
            return SkillResult(text=_t(lang, "no_alerts"))
        try:
            alerts = [a for a in service.alerts_for(caller) if a.status.value != "resolved"]
        except AlertForbiddenError:
            return SkillResult(text=_t(lang, "alerts_forbidden"))
        if not alerts:
            return SkillResult(text=_t(lang, "no_alerts"))
        lines = [_t(lang, "alerts_intro", n=len(alerts))]
        for i, a in enumerate(alerts[:MAX_LISTED], start=1):
            lines.append(self._alert_line(lang, i, a))
        if len(alerts) > MAX_LISTED:
            lines.append(_t(lang, "more", n=len(alerts) - MAX_LISTED))
        return SkillResult(text="\n".join(lines), task={"ask": "alerts"})

    def _alert_line(self, lang: str, i: int, alert: StoredAlert) -> str:
        node = self.rebates.state.network.find(alert.partner_id)
        zh, en = RULE_LABELS.get(alert.rule, (alert.rule, alert.rule))
        return _t(
            lang,
            "alert_line",
            i=i,
            partner=node.name if node is not None else alert.partner_id,
            period=alert.period,
            rule=en if lang == "en" else zh,
            severity=_t(lang, f"severity_{alert.severity}"),
        )

    # --------------------------------------------------------------- profile

    def _profile(self, caller: Caller) -> SkillResult:
        lang = caller.language
        service = self._profiles()
        node = self.rebates.state.network.find(caller.partner_id)
        if service is None or node is None or node.level.value != "partner":
            return SkillResult(text=_t(lang, "profile_unavailable"))
        profile = service.profile(caller, caller.partner_id)
        scores = "、".join(f"{d.label(_lang(lang))} {_score(d.score)}" for d in profile.dimensions)
        weakest = profile.weakest_vs_alliance
        if weakest is None:
            return SkillResult(text=_t(lang, "profile_scores", scores=scores), task={"ask": "profile"})
        dim = profile.dimension(weakest)
        alliance = self.rebates.state.network.find(profile.alliance_id or "")
        lines = [
            _t(
                lang,
                "profile_weakest",
                quarter=str(profile.quarter),
                alliance=alliance.name if alliance is not None else "",
                partner=profile.partner_name,
                dimension=dim.label(_lang(lang)),
                score=_score(dim.score),
                avg=_score(profile.alliance_avg.get(weakest)),
            ),
            _t(lang, "profile_scores", scores=scores),
        ]
        return SkillResult(text="\n".join(lines), task={"ask": "profile"})


def _t(lang: str, key: str, **values: object) -> str:
    return TEXTS["en" if lang == "en" else "zh"][key].format(**values)


def _lang(lang: str) -> Literal["zh", "en"]:
    return "en" if lang == "en" else "zh"


def _score(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _status(view: TaskView) -> TaskStatus:
    return (view.mine or view.scope).status


def _unit(lang: str, view: TaskView) -> str:
    return view.unit.unit_en if lang == "en" else view.unit.unit


def _whole(value: object) -> str:
    try:
        return str(round(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _task_line(lang: str, i: int, view: TaskView) -> str:
    status = _t(lang, f"status_{_status(view).value}")
    if view.mine is None:  # watching a task below: the scope's figures
        return _t(
            lang,
            "task_line_watch",
            i=i,
            title=view.task.title,
            due=view.task.due.isoformat(),
            scope=view.scope.name,
            quantity=view.scope.quantity,
            unit=_unit(lang, view),
            progress=view.scope.progress,
            status=status,
        )
    return _t(
        lang,
        "task_line",
        i=i,
        title=view.task.title,
        due=view.task.due.isoformat(),
        quantity=view.mine.quantity,
        unit=_unit(lang, view),
        progress=view.mine.progress,
        expected=_whole(view.mine.expected),
        status=status,
    )


def _short_names(node: ChannelNode) -> list[str]:
    """What staff call a node besides its full name: its region ("华东", "华东区") for a
    regional node, its city for an alliance."""
    names: list[str] = []
    if node.level.value == "regional" and node.region:
        names += [node.region, f"{node.region}区"]
    if node.level.value == "alliance" and node.city:
        names += [f"{node.city}联盟", node.city]
    return names
