"""The chat's answer to "我该学点什么 / 给我推荐点培训 / 有什么要补的" (issue 15, item 5): the
caller's own next steps with their reasons, through the engine's advice skill; other training
questions keep the course answer; without the skill the course answer stands.  Once with a
fake skill (routing), once with the real one over a database (the reasons, the lesson cited,
the practice card, only the caller's own data)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest

from assistant.content.loader import Corpus
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.errors import SkillError
from assistant.dialogue.nlu import Nlu
from assistant.dialogue.pool import _for_the_server
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller, CustomerProfile, PracticeCard
from assistant.retrieval.retriever import HybridRetriever
from assistant.training.advice_chat import AdviceChatSkill
from tests.training.path_world import DATA, World, make_world

CALLER = Caller(user_id="u-1", partner_id="P-001", display_name="小王")
ASKS = ("我该学点什么", "给我推荐点培训", "有什么要补的", "最近我有啥要补的吗")


@dataclass
class FakeAdvice:
    asked: list[Caller] = field(default_factory=list)
    fail: bool = False

    def advise(self, *, caller: Caller) -> SkillResult:
        self.asked.append(caller)
        if self.fail:
            raise SkillError("advice down")
        return SkillResult(text="建议你先学 L-001", task={"advice": "L-001"})


@pytest.fixture
def fake() -> FakeAdvice:
    return FakeAdvice()


@pytest.fixture
def engine(corpus: Corpus, retriever: HybridRetriever, nlu: Nlu, fake: FakeAdvice) -> DialogueEngine:
    return DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, advice=fake)


@pytest.mark.parametrize("question", ASKS)
def test_asking_what_to_learn_answers_with_the_callers_own_advice(
    engine: DialogueEngine, fake: FakeAdvice, question: str
) -> None:
    reply = engine.handle(text=question, profile=CustomerProfile(), caller=CALLER)
    assert reply.text == "建议你先学 L-001"
    assert fake.asked == [CALLER]  # the verified caller of the turn, nobody else
    assert reply.state is not None and reply.state.task == "training"


@pytest.mark.parametrize("question", ["新人入职先学哪些课", "有没有导师带教的课程"])
def test_other_training_questions_keep_the_course_answer(
    engine: DialogueEngine, fake: FakeAdvice, question: str
) -> None:
    engine.handle(text=question, profile=CustomerProfile(), caller=CALLER)
    assert fake.asked == []


def test_a_failing_skill_is_a_polite_dont_know(engine: DialogueEngine, fake: FakeAdvice) -> None:
    fake.fail = True
    reply = engine.handle(text="我该学点什么", profile=CustomerProfile(), caller=CALLER)
    assert not reply.grounded and reply.handoff_offered


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(f"sqlite:///{tmp_path_factory.mktemp('advice-chat') / 'db.sqlite'}")
    yield w
    w.db.dispose()


def test_the_real_skill_says_each_next_step_with_its_reason(
    corpus: Corpus, retriever: HybridRetriever, nlu: Nlu, world: World
) -> None:
    world.asked("hz_sales1", "EG-3200 上导轨怎么安装接线？")
    world.asked("hz_sales2", "SN-VB500-Pro 配置")  # someone else's question: never in hz_sales1's answer
    world.practised("hz_sales1", "EG-3200", {"coverage": 0.2, "values": 0.3, "objection": 0.1, "accuracy": 0.4})
    skill = AdviceChatSkill(lambda: world.path.advice)
    engine = DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, advice=skill)
    caller = world.caller("hz_sales1")
    reply = engine.handle(text="我该学点什么", profile=CustomerProfile(), caller=caller)
    steps = world.path.advice.advise(caller)
    lines = reply.text.split("\n")
    assert lines[0] == DATA.chat.intro.zh and len(lines) == len(steps) + 1
    assert lines[1].startswith("1. 微课 L-001《") and "1 个关于 EG-3200 安装接线 的问题" in lines[1]
    assert all(step.reason in line for step, line in zip(steps, lines[1:], strict=True))
    assert "SN-VB500" not in reply.text
    assert [c.doc_id for c in reply.citations] == [s.lesson_id for s in steps if s.kind == "lesson"]
    assert all(c.kind == "lesson" for c in reply.citations)
    (card,) = reply.cards
    assert isinstance(card, PracticeCard) and card.href == "/practice?product=EG-3200"

    english = engine.handle(text="我该学点什么", profile=CustomerProfile(), caller=replace(caller, language="en"))
    assert english.text.startswith(DATA.chat.intro.en) and "In the last" in english.text


def test_nothing_to_catch_up_on_says_so(corpus: Corpus, retriever: HybridRetriever, nlu: Nlu, world: World) -> None:
    skill = AdviceChatSkill(lambda: world.path.advice)
    engine = DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, advice=skill)
    # n_admin's partner is the national node: no orders, no tasks, nothing asked or practised.
    reply = engine.handle(text="有什么要补的", profile=CustomerProfile(), caller=world.caller("n_admin"))
    assert reply.text == DATA.chat.none.zh


def test_worker_processes_hand_an_advice_turn_to_the_serving_process(engine: DialogueEngine) -> None:
    """With engine worker processes the advice skill lives in the serving process only."""
    ask = engine.understand(text="我该学点什么", profile=CustomerProfile(), caller=CALLER)
    course = engine.understand(text="新人入职先学哪些课", profile=CustomerProfile(), caller=CALLER)
    assert _for_the_server(ask) and not _for_the_server(course)
