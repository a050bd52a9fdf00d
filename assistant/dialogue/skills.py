"""Pluggable skills the engine routes to but does not implement.

The rebate and handoff services live in other packages; the application wires
adapters that satisfy these Protocols into :class:`DialogueEngine`.  A skill
returns a :class:`SkillResult`; it may raise any
:class:`assistant.errors.AssistantError`, which the engine turns into a polite
reply (the error is logged with its ``code``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from assistant.dialogue.types import Caller, Card, Citation, CustomerProfile


@dataclass(frozen=True, slots=True)
class SkillResult:
    text: str
    cards: tuple[Card, ...] = ()
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[str, ...] = ()
    handoff_offered: bool = False  # True when a remote expert was requested or offered
    task: Mapping[str, str] | None = None  # what was answered, for follow-ups (dialogue/state.py)


class RebateSkill(Protocol):
    """Answers the caller's own rebate questions (statement, tier progress, what-if)."""

    def answer(
        self,
        *,
        caller: Caller,
        text: str,
        quarter: str | None,
        amount: Decimal | None,
        new_customer: bool | None = None,
        follows: Mapping[str, str] | None = None,
    ) -> SkillResult: ...


class HandoffSkill(Protocol):
    """Starts a handoff to a remote expert with the conversation's context."""

    def request(
        self,
        *,
        caller: Caller,
        text: str,
        profile: CustomerProfile,
        history: Sequence[str],
    ) -> SkillResult: ...


class OpsSkill(Protocol):
    """Answers the caller's channel-operations questions: its tasks, reporting task progress,
    a node's progress, risk alerts and its channel profile (``ask``: see dialogue/ops_asks.py).
    ``last`` is what the previous operations answer was about (e.g. the task discussed)."""

    def answer(self, *, caller: Caller, text: str, ask: str, last: Mapping[str, str]) -> SkillResult: ...


class MentoringSkill(Protocol):
    """The sharing sessions the caller may sign up to, soonest first, and their own attendance
    (assistant/training/mentoring_chat.py)."""

    def sessions(self, *, caller: Caller) -> SkillResult: ...


class AdviceSkill(Protocol):
    """The caller's own next lessons and practices (help before it is asked), each with the
    reason that names its signal (assistant/training/advice_chat.py)."""

    def advise(self, *, caller: Caller) -> SkillResult: ...
