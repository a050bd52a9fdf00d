"""Training answers: the 70/20/10 model, and which micro-lessons to take.

The lessons (corpus/lessons) are organised by the 70/20/10 model: practice (70%),
mentoring (20%) and theory (10%), 8 to 12 minutes each, some for one product line.
A training question is answered from the training FAQ (what the model means, what a
new salesperson learns first) and, when lessons are asked for, with the lessons that
fit: the mode the question names ("导师/带教/复盘" -> mentoring), the product line, and
the topic words of the question found in a lesson's title and objectives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.content.loader import Corpus
from assistant.content.schema import TrainingLesson
from assistant.dialogue.compose import Composer
from assistant.dialogue.cues import ADVICE, MENTORING, NOT_MENTORING
from assistant.dialogue.lexicon import squash
from assistant.dialogue.texts import label, text
from assistant.dialogue.types import Citation
from assistant.retrieval.tokenizer import STOPWORDS, Tokenizer

TRAINING_ASK = re.compile(
    r"培训|课程|微课|上课|学习|学什么|学啥|先学|该学|要学|课|导师|带教|辅导|跟岗|70[\s/、-]?20[\s/、-]?10|721|七二一|"
    r"新人|新来的|入职|学习路径|考证|认证考试|lcp|lca|lce"
)
# What a product learns, not a salesperson: "基线要学多久", "自学习阈值", "虚假回波学习".
_MACHINE_LEARNING = re.compile(r"基线|自学习|学习期|学习周期|学习进度|机器学习|回波学习")
_WANTS_LESSONS = re.compile(
    r"课|学什么|学啥|先学|该学|要学(?:什么|啥|哪|些|点)|学习路径|推荐|有没有|哪些|导师|带教|辅导|跟岗|练"
)
# A share of the 70/20/10 model said as a part of it: "20%", "那20那块", "70的部分".
_PART = r"(?:\s*%|(?=\s*(?:那|的部分|部分|块|这块)))"
_MODES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mentoring", re.compile(rf"导师|带教|辅导|复盘|跟岗|师傅带|(?<![\d.])20{_PART}|百分之二十|二十")),
    ("practice", re.compile(rf"实践|实操|动手|演练|练习|练|上手|现场|(?<![\d.])70{_PART}|七十")),
    ("theory", re.compile(rf"理论|知识|政策|原理|(?<![\d.])10{_PART}|百分之十")),
)
_NEW_HIRE = re.compile(r"新人|新来的|新入职|刚入职|入职|新手|小白|刚来")
_NOT_TOPIC = frozenset({"课", "课程", "培训", "学习", "推荐", "有没有", "哪些", "新人", "销售", "一下", "什么", "微课"})
MAX_LESSONS = 5


_MODEL_NAMES = re.compile(r"721|七二一|70[-/ ]20[-/ ]10|七成.{0,4}两成")


def search_text(norm: str) -> str:
    """The question as the documents say it: "721" is the 70/20/10 model."""
    return _MODEL_NAMES.sub("70/20/10 学习模型", norm)


def is_training_question(norm: str) -> bool:
    return (
        (bool(TRAINING_ASK.search(norm)) and not _MACHINE_LEARNING.search(norm))
        or asks_for_advice(norm)
        or asks_about_mentoring(norm)
    )


def asks_about_mentoring(norm: str) -> bool:
    """The sharing sessions and mentors open to the caller: "最近有什么分享会", "有没有导师";
    not a course ("有没有导师带教的课程" is the mentoring lessons), nor an event the partner holds for
    its customers ("搞个客户技术交流会 能报点市场费用不")."""
    squashed = squash(norm)
    return MENTORING.search(norm, squashed) and "课" not in norm and not NOT_MENTORING.search(norm, squashed)


def asks_for_advice(norm: str) -> bool:
    """What the caller should learn next, for themselves: "我该学点什么", "有什么要补的"."""
    return ADVICE.search(norm, squash(norm))


def recommend_lessons(
    corpus: Corpus, *, question: str, lines: Sequence[str], tokenizer: Tokenizer
) -> list[TrainingLesson]:
    """The lessons that fit a question, best first (at most ``MAX_LESSONS``)."""
    modes = [mode for mode, cue in _MODES if cue.search(question)]
    topic = [w for w in tokenizer.tokenize(question) if len(w) >= 2 and w not in STOPWORDS and w not in _NOT_TOPIC]
    scored: list[tuple[float, str, TrainingLesson]] = []
    for lesson in corpus.lessons:
        if modes and lesson.mode.value not in modes:
            continue
        if lines and lesson.product_line and lesson.product_line not in lines:
            continue
        haystack = " ".join((lesson.title, *lesson.objectives)).lower()
        score = sum(1.0 for w in topic if w in haystack)
        if lines and lesson.product_line in lines:
            score += 1
        if _NEW_HIRE.search(question) and lesson.mode.value == "theory":
            score += 0.5  # a new salesperson starts with the basics
        scored.append((score, lesson.id, lesson))
    if not scored:
        return []
    scored.sort(key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    if best == 0 and not (modes or lines or _NEW_HIRE.search(question)):
        return []
    return [lesson for score, _, lesson in scored if score >= best * 0.5][:MAX_LESSONS]


def say_lessons(lessons: Sequence[TrainingLesson], out: Composer) -> None:
    lang = out.language
    for lesson in lessons:
        out.say(
            text(
                lang,
                "lesson_line",
                id=lesson.id,
                title=lesson.title,
                mode=label(lang, "mode", lesson.mode.value),
                minutes=lesson.duration_minutes,
            ),
            Citation(doc_id=lesson.id, title=lesson.title, snippet="；".join(lesson.objectives)[:240], kind="lesson"),
        )


def wants_lessons(question: str) -> bool:
    return bool(_WANTS_LESSONS.search(question))
