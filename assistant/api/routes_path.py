"""REST routes of the learning path and the advice (translation only; decisions in
:class:`assistant.training.path.PathService` and :class:`assistant.training.advice.AdviceService`).

Identity and scope come from the token only (:data:`CallerDep`).  Errors are the services'
codes: ``forbidden`` (403: the team's path is for managers and admins), ``partner_not_found``
(404: a node outside the caller's subtree, exactly like a missing one),
``training_data_invalid`` (503: the lesson or path data files are broken); a malformed
query is ``validation_error`` (422).  Texts come in zh-CN and English both, so a page
switches language without asking again.

Example::

    GET /api/training/path
    -> 200 {"minutes": 55, "modes": [{"mode": "practice", "minutes": 25, "share": 0.4545, "target": 0.7, ...}, ...],
            "next_steps": [{"kind": "lesson", "lesson_id": "L-001", "href": "/learn#lesson/L-001",
                            "reason": "你最近 14 天有 2 个关于 EG-3200 安装接线 的问题没有得到满意的解答", ...}]}
    GET /api/training/path/team?node=A-HZ      (managers and admins)
    GET /api/training/advice
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError
from assistant.settings import PROJECT_ROOT
from assistant.training.advice import Advice
from assistant.training.lessons_model import LessonLibrary, load_library, training_root
from assistant.training.path import Balance, PathNode, PathService
from assistant.training.path_data import load_path_data, path_root

router = APIRouter(tags=["training"])


def service(runtime: RuntimeDep) -> PathService:
    """A path service over the database, the lesson and path data and the current channel
    tree (cheap: the data files are read again only when they change)."""
    if runtime.db is None:
        raise NotReadyError("database not started")
    fallback = PROJECT_ROOT / "corpus"
    root = training_root(runtime.settings.corpus_dir, fallback)
    return PathService(
        db=runtime.db,
        library=load_library(root),
        data=load_path_data(path_root(root, fallback)),
        rebates=runtime.current_rebates(),
    )


# --------------------------------------------------------------------------- responses


class ModeOut(BaseModel):
    mode: str  # practice | mentoring | theory
    label: str
    label_en: str
    minutes: int
    share: float  # 0..1 of all the minutes
    target: float  # 0..1
    activities: int


class BalanceOut(BaseModel):
    minutes: int
    modes: list[ModeOut]


class PrefillOut(BaseModel):
    product: str
    persona: str
    industry: str


class AdviceOut(BaseModel):
    kind: str  # lesson | practice
    signal: str  # unanswered | practice | lines
    lesson_id: str | None
    title: str
    title_en: str
    practice: PrefillOut | None
    href: str  # /learn#lesson/L-001 or /practice?product=...
    reason: str
    reason_en: str


class PathOut(BaseModel):
    balance: BalanceOut
    practice_sessions: int
    mentoring_sessions: int
    lessons_completed: int
    next_steps: list[AdviceOut]


class AdviceListOut(BaseModel):
    next_steps: list[AdviceOut]


class PersonOut(BaseModel):
    username: str
    display_name: str
    role: str
    balance: BalanceOut
    next_steps: int


class PathNodeOut(BaseModel):
    node_id: str
    name: str
    level: str  # national | regional | alliance | partner
    active: bool
    people: int
    balance: BalanceOut
    members: list[PersonOut]
    children: list[PathNodeOut]


class TeamAdviceOut(BaseModel):
    key: str
    kind: str
    title: str
    people: int


class TeamPathOut(BaseModel):
    tree: PathNodeOut
    advice: list[TeamAdviceOut]


def balance_out(b: Balance, library: LessonLibrary) -> BalanceOut:
    def label(mode: str) -> tuple[str, str]:
        found = library.modes.get(mode)
        return (found.label, found.label_en) if found is not None else (mode, mode)

    return BalanceOut(
        minutes=b.minutes,
        modes=[
            ModeOut(
                mode=m.mode.value,
                label=label(m.mode.value)[0],
                label_en=label(m.mode.value)[1],
                minutes=m.minutes,
                share=m.share,
                target=m.target,
                activities=m.activities,
            )
            for m in b.modes
        ],
    )


def advice_out(a: Advice) -> AdviceOut:
    return AdviceOut(
        kind=a.kind,
        signal=a.signal,
        lesson_id=a.lesson_id,
        title=a.title,
        title_en=a.title_en,
        practice=PrefillOut(product=a.practice.product, persona=a.practice.persona, industry=a.practice.industry)
        if a.practice is not None
        else None,
        href=a.href,
        reason=a.reason,
        reason_en=a.reason_en,
    )


def node_out(n: PathNode, library: LessonLibrary) -> PathNodeOut:
    return PathNodeOut(
        node_id=n.node_id,
        name=n.name,
        level=n.level,
        active=n.active,
        people=n.people,
        balance=balance_out(n.balance, library),
        members=[
            PersonOut(
                username=m.username,
                display_name=m.display_name,
                role=m.role,
                balance=balance_out(m.balance, library),
                next_steps=m.next_steps,
            )
            for m in n.members
        ],
        children=[node_out(c, library) for c in n.children],
    )


# --------------------------------------------------------------------------- routes


@router.get("/api/training/path", response_model=PathOut)
def my_path(caller: CallerDep, runtime: RuntimeDep) -> PathOut:
    """The caller's 70/20/10 balance of what was done, in minutes and shares against the
    targets, and the next steps with their reasons."""
    paths = service(runtime)
    path = paths.path(caller)
    return PathOut(
        balance=balance_out(path.balance, paths.library),
        practice_sessions=path.practice_sessions,
        mentoring_sessions=path.mentoring_sessions,
        lessons_completed=path.lessons_completed,
        next_steps=[advice_out(a) for a in path.next_steps],
    )


@router.get("/api/training/path/team", response_model=TeamPathOut)
def team_path(
    caller: CallerDep,
    runtime: RuntimeDep,
    node: Annotated[str | None, Query(max_length=32, description="a node below the caller's; default: its own")] = None,
) -> TeamPathOut:
    """Managers and admins: the balance of their node (or ``node`` below it), per child node
    and person, and the next steps recommended to most of its people."""
    paths = service(runtime)
    team = paths.team(caller, node)
    return TeamPathOut(
        tree=node_out(team.tree, paths.library),
        advice=[TeamAdviceOut(key=a.key, kind=a.kind, title=a.title, people=a.people) for a in team.advice],
    )


@router.get("/api/training/advice", response_model=AdviceListOut)
def my_advice(caller: CallerDep, runtime: RuntimeDep) -> AdviceListOut:
    """The caller's next steps (help before it is asked), each with the signal it comes from."""
    return AdviceListOut(next_steps=[advice_out(a) for a in service(runtime).advice.advise(caller)])
