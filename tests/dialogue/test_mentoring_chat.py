"""The engine hands sharing-session questions ("最近有什么分享会") to its mentoring skill, for the
verified caller, answered in the serving process when the engine runs in worker processes; a
failing skill is a polite "I don't know".  The skill itself: tests/training/test_mentoring_chat.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from assistant.content.loader import Corpus
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.errors import SkillError
from assistant.dialogue.nlu import Nlu
from assistant.dialogue.pool import _for_the_server
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller, CustomerProfile
from assistant.retrieval.retriever import HybridRetriever

CALLER = Caller(user_id="u-1", partner_id="P-001", display_name="小王")


@dataclass
class FakeMentoring:
    asked: list[Caller] = field(default_factory=list)
    fail: bool = False

    def sessions(self, *, caller: Caller) -> SkillResult:
        self.asked.append(caller)
        if self.fail:
            raise SkillError("mentoring down")
        return SkillResult(text="近期你可以报名的分享会（共 1 场）", task={"mentoring": "MS-1"})


@pytest.mark.parametrize("question", ["最近有什么分享会", "想找导师带带我", "下周有经验分享吗 我想报名"])
def test_the_engine_hands_sharing_session_questions_to_its_skill(
    corpus: Corpus, retriever: HybridRetriever, nlu: Nlu, question: str
) -> None:
    fake = FakeMentoring()
    engine = DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, mentoring=fake)
    reply = engine.handle(text=question, profile=CustomerProfile(), caller=CALLER)
    assert reply.text.startswith("近期你可以报名的分享会") and fake.asked == [CALLER]
    assert reply.state is not None and reply.state.task == "training"
    plan = engine.understand(text=question, profile=CustomerProfile(), caller=CALLER)
    assert _for_the_server(plan)  # the skill lives in the serving process
    fake.fail = True
    down = engine.handle(text=question, profile=CustomerProfile(), caller=CALLER)
    assert not down.grounded and down.handoff_offered  # a polite "I don't know", never a crash


@pytest.mark.parametrize(
    "question",
    [
        "有没有导师带教的课程",  # a course about mentoring: the course answer
        # an event the partner holds for its customers
        "下个月在成都搞个客户技术交流会 原厂能给报点市场费用不",
        "我们要办个客户交流会 有没有费用支持",
    ],
)
def test_a_course_or_a_customer_event_is_not_a_sharing_session(
    corpus: Corpus, retriever: HybridRetriever, nlu: Nlu, question: str
) -> None:
    fake = FakeMentoring()
    engine = DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, mentoring=fake)
    reply = engine.handle(text=question, profile=CustomerProfile(), caller=CALLER)
    assert fake.asked == [] and "分享会" not in reply.text
