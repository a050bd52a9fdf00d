"""Help before it is asked (预测性帮扶; issue 15, item 5): the next lessons and practices
recommended to one learner from signals already in the system, each with the reason that
names its signal.  Used by the learning path (:mod:`assistant.training.path`), REST
(assistant/api/routes_path.py) and the chat (the dialogue engine's training answer);
no HTTP here.

The signals, strongest first (their order and every window and threshold are data:
``corpus/training/path.yaml``):

* **unanswered** — the learner's own recent questions the assistant could not answer (a
  stored reply with ``grounded: false`` and the remote expert offered: the engine's "not in
  the knowledge base" answer) or whose reply they rated thumbs-down: the lesson of the
  question's product line (a model named in it, else the line's words) on the question's
  topic (its words), one recommendation per line;
* **practice** — the weakest role-play dimension over the last finished sessions, when its
  mean is under the threshold: a practice of the last product practised, and the lesson the
  rubric named for that dimension;
* **lines** — product lines of the learner's open tasks and of their partner's recent
  orders on which they have completed no lesson yet: that line's first lesson.

Only the learner's own conversations, feedback, sessions and assignments are read, and the
orders of their own partner (``users.partner_id`` of today): never another partner's data.
Deterministic (ties broken by ids), bounded (``max_advice``), lessons already completed left out.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from assistant.rebates.service import Actor
from assistant.rebates.tables import LedgerOrderRow
from assistant.storage.db import Database
from assistant.storage.models import Conversation, Event, Feedback, utcnow
from assistant.tasks.tables import TaskAssignmentRow, TaskRow
from assistant.training.lessons_model import Lesson, LessonLibrary
from assistant.training.lessons_tables import LessonCompletionRow
from assistant.training.path_data import PathData, Signal
from assistant.training.practice_tables import PracticeSessionRow
from assistant.training.roleplay_data import DIMENSIONS, Dimension

log = logging.getLogger(__name__)

MAX_REPLIES_READ = 500  # newest replies of the window read at most (a bound, not a threshold)
MAX_ORDERS_READ = 2000
_MODEL = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class PracticePrefill:
    product: str
    persona: str = ""
    industry: str = ""

    @property
    def href(self) -> str:
        query = {
            k: v for k, v in (("product", self.product), ("persona", self.persona), ("industry", self.industry)) if v
        }
        return "/practice" + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True, slots=True)
class Advice:
    """One next step: a lesson (``lesson_id``) or a practice (``practice``), why, and where."""

    kind: Literal["lesson", "practice"]
    signal: Signal
    lesson_id: str | None
    title: str  # the lesson's title, or the product to practise
    title_en: str
    practice: PracticePrefill | None
    reason: str  # zh-CN, naming the signal
    reason_en: str

    @property
    def href(self) -> str:
        if self.practice is not None:
            return self.practice.href
        return f"/learn#lesson/{self.lesson_id}"

    def reason_text(self, language: str) -> str:
        return self.reason_en if language == "en" else self.reason


@dataclass(frozen=True, slots=True)
class _Question:
    text: str
    at: datetime


# --------------------------------------------------------------------------- service


class AdviceService:
    """Cheap to build; every call reads the database afresh."""

    def __init__(
        self,
        *,
        db: Database,
        library: LessonLibrary,
        data: PathData,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.library = library
        self.data = data
        self._now = now

    def advise(self, learner: Actor) -> tuple[Advice, ...]:
        with self.db.read() as s:
            return self.advise_in(s, learner)

    def advise_in(self, s: Session, learner: Actor) -> tuple[Advice, ...]:
        """The learner's next steps (at most ``max_advice``), strongest signal first."""
        done = set(
            s.scalars(select(LessonCompletionRow.lesson_id).where(LessonCompletionRow.user_id == learner.user_id))
        )
        found: list[tuple[int, int, Advice]] = []
        signals: tuple[tuple[Signal, list[Advice]], ...] = (
            ("unanswered", self._unanswered(s, learner, done)),
            ("practice", self._practice(s, learner, done)),
            ("lines", self._lines(s, learner, done)),
        )
        for signal, items in signals:
            found.extend((self.data.priority[signal], i, item) for i, item in enumerate(items))
        found.sort(key=lambda x: (x[0], x[1]))
        out: list[Advice] = []
        seen: set[str] = set()
        for _, _, item in found:
            key = item.lesson_id or item.href
            if key in seen:
                continue
            seen.add(key)
            out.append(item)
            if len(out) == self.data.max_advice:
                break
        log.debug("advice user=%s items=%d", learner.user_id, len(out))
        return tuple(out)

    # ----------------------------------------------------------------- (a) questions

    def _unanswered(self, s: Session, learner: Actor, done: set[str]) -> list[Advice]:
        cfg = self.data.signals.unanswered
        questions = self._questions(s, learner.user_id, self._now() - timedelta(days=cfg.days))
        # line ("" for none) -> (model, topic) per question; a question of no line counts by its topic
        groups: dict[str, list[tuple[str | None, str | None]]] = {}
        for q in questions:
            line, model = self._line_of(q.text)
            topic = self._topic_of(q.text)
            if line is not None or topic is not None:
                groups.setdefault(line or "", []).append((model, topic))
        out: list[tuple[int, str, Advice]] = []
        for line, asked in groups.items():
            if len(asked) < cfg.min_questions:
                continue
            topics = Counter(t for _, t in asked if t)
            topic = min(topics, key=lambda t: (-topics[t], t)) if topics else None
            lesson = self._lesson(line=line or None, topic=topic, role=learner.role, done=done)
            if lesson is not None and not line and lesson.topic != topic:
                continue  # a question of no line: only its topic's lesson fits
            if lesson is None:
                continue
            models = Counter(m for m, _ in asked if m)
            model = min(models, key=lambda m: (-models[m], m)) if models else None
            subject_zh, subject_en = self._subject(line, model, topic)
            reason = self.data.reasons["unanswered"]
            values = {"days": cfg.days, "count": len(asked)}
            out.append(
                (
                    -len(asked),
                    line,
                    self._lesson_advice(
                        lesson,
                        "unanswered",
                        reason.text("zh", subject=subject_zh, **values),
                        reason.text("en", subject=subject_en, **values),
                    ),
                )
            )
        out.sort(key=lambda x: (x[0], x[1]))
        return [a for _, _, a in out]

    def _questions(self, s: Session, user_id: str, since: datetime) -> list[_Question]:
        """The learner's questions since ``since`` whose reply said "not found" or got a thumbs-down."""
        replies = s.execute(
            select(Event.conversation_id, Event.seq, Event.reply_to, Event.payload)
            .join(Conversation, Conversation.id == Event.conversation_id)
            .where(Conversation.user_id == user_id, Event.type == "reply", Event.created_at >= since)
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(MAX_REPLIES_READ)
        ).all()
        down = {
            (cid, int(seq))
            for cid, seq in s.execute(
                select(Feedback.conversation_id, Feedback.message_seq).where(
                    Feedback.user_id == user_id, Feedback.rating == "down", Feedback.created_at >= since
                )
            )
        }
        wanted: set[tuple[str, int]] = set()
        for cid, seq, reply_to, payload in replies:
            if reply_to is None:
                continue
            unanswered = (
                isinstance(payload, dict) and payload.get("grounded") is False and bool(payload.get("handoff_offered"))
            )
            if unanswered or (cid, seq) in down:
                wanted.add((cid, int(reply_to)))
        if not wanted:
            return []
        out: list[_Question] = []
        for cid in sorted({c for c, _ in wanted}):
            seqs = sorted(q for c, q in wanted if c == cid)
            for _, payload, at in s.execute(
                select(Event.seq, Event.payload, Event.created_at).where(
                    Event.conversation_id == cid, Event.type == "message", Event.seq.in_(seqs)
                )
            ):
                text = payload.get("text") if isinstance(payload, dict) else None
                if isinstance(text, str) and text.strip():
                    out.append(_Question(text.strip(), at))
        return out

    def _line_of(self, text: str) -> tuple[str | None, str | None]:
        """The product line a question is about, and the model it names (if any)."""
        for m in _MODEL.finditer(text):
            prefix = m.group(1).upper()
            if prefix in self.library.product_lines:
                model = m.group(0)
                return prefix, model.upper() if model.islower() else model  # "eg-3200" -> "EG-3200"
        low = text.lower()
        for line in sorted(self.data.line_words):
            if line in self.library.product_lines and any(w.lower() in low for w in self.data.line_words[line]):
                return line, None
        return None, None

    def _topic_of(self, text: str) -> str | None:
        low = text.lower()
        for topic, words in self.data.topic_words.items():  # file order: the first match wins
            if topic in self.library.topics and any(w.lower() in low for w in words):
                return topic
        return None

    def _subject(self, line: str, model: str | None, topic: str | None) -> tuple[str, str]:
        """What the questions were about: "EG-3200 安装接线", "边缘网关", "渠道政策"."""
        name = self.library.product_lines.get(line)
        zh = model or (name.label if name else "")
        en = model or (name.label_en if name else "")
        if topic is not None:
            t = self.library.topics[topic]
            zh, en = f"{zh} {t.label}".strip(), f"{en} {t.label_en.lower() if en else t.label_en}".strip()
        return zh, en

    # ----------------------------------------------------------------- (c) practice

    def _practice(self, s: Session, learner: Actor, done: set[str]) -> list[Advice]:
        cfg = self.data.signals.practice
        rows = list(
            s.scalars(
                select(PracticeSessionRow)
                .where(PracticeSessionRow.user_id == learner.user_id, PracticeSessionRow.status == "finished")
                .order_by(PracticeSessionRow.finished_at.desc(), PracticeSessionRow.id.desc())
                .limit(cfg.sessions)
            )
        )
        means: dict[Dimension, float] = {}
        for d in DIMENSIONS:
            scores = [v for r in rows if (v := getattr(r, f"score_{d}")) is not None]
            if scores:
                means[d] = sum(scores) / len(scores)
        if not means:
            return []
        weakest = min(means, key=lambda d: (means[d], DIMENSIONS.index(d)))
        score = means[weakest]
        if score >= cfg.below:
            return []
        latest = rows[0]
        label = self.data.dimension_labels.get(weakest)
        values = {
            "sessions": len(rows),
            "score": round(score * 100),
            "product": latest.product_id,
        }
        dim_zh = label.zh if label else weakest
        dim_en = label.en if label else weakest
        practice = self.data.reasons["weakest_practice"]
        out = [
            Advice(
                kind="practice",
                signal="practice",
                lesson_id=None,
                title=latest.product_id,
                title_en=latest.product_id,
                practice=PracticePrefill(latest.product_id, latest.persona or "", latest.industry or ""),
                reason=practice.text("zh", dimension=dim_zh, **values),
                reason_en=practice.text("en", dimension=dim_en, **values),
            )
        ]
        named = next((r.lesson_id for r in rows if r.weakest == weakest and r.lesson_id), None)
        lesson = self.library.lessons.get(named) if named else None
        if lesson is not None and lesson.id not in done:
            reason = self.data.reasons["weakest_lesson"]
            out.append(
                self._lesson_advice(
                    lesson,
                    "practice",
                    reason.text("zh", dimension=dim_zh, **values),
                    reason.text("en", dimension=dim_en, **values),
                )
            )
        return out

    # ----------------------------------------------------------------- (b) orders and tasks

    def _lines(self, s: Session, learner: Actor, done: set[str]) -> list[Advice]:
        cfg = self.data.signals.lines
        done_lines = {self.library.lessons[d].product_line for d in done if d in self.library.lessons}
        today = self._now().date()
        out: list[Advice] = []
        taken: set[str] = set()
        tasks = s.execute(
            select(TaskRow.id, TaskRow.title, TaskRow.product_line)
            .join(TaskAssignmentRow, TaskAssignmentRow.task_id == TaskRow.id)
            .where(
                or_(
                    TaskAssignmentRow.user_id == learner.user_id,
                    (TaskAssignmentRow.node_id == learner.partner_id) & TaskAssignmentRow.user_id.is_(None),
                ),
                TaskRow.product_line.is_not(None),
                TaskRow.start_date <= today,
                TaskRow.due_date >= today,
            )
            .order_by(TaskRow.due_date, TaskRow.id)
        ).all()
        for _, title, line in tasks:
            if line is None or line in taken or line in done_lines:
                continue
            lesson = self._lesson(line=line, topic=None, role=learner.role, done=done)
            if lesson is None:
                continue
            taken.add(line)
            reason = self.data.reasons["task_line"]
            name = self.library.product_lines[line]
            out.append(
                self._lesson_advice(
                    lesson,
                    "lines",
                    reason.text("zh", task=title, line=f"{line} {name.label}"),
                    reason.text("en", task=title, line=f"{line} {name.label_en}"),
                )
            )
        since = today - timedelta(days=cfg.order_days)
        counts: Counter[str] = Counter()
        for (product,) in s.execute(
            select(LedgerOrderRow.product_id)
            .where(
                LedgerOrderRow.partner_id == learner.partner_id,
                LedgerOrderRow.status == "booked",
                LedgerOrderRow.date >= since,
                LedgerOrderRow.date <= today,
            )
            .limit(MAX_ORDERS_READ)
        ):
            line = _prefix(product)
            if line in self.library.product_lines:
                counts[line] += 1
        for line in sorted(counts, key=lambda k: (-counts[k], k)):
            if counts[line] < cfg.min_orders or line in taken or line in done_lines:
                continue
            lesson = self._lesson(line=line, topic=None, role=learner.role, done=done)
            if lesson is None:
                continue
            taken.add(line)
            reason = self.data.reasons["order_line"]
            name = self.library.product_lines[line]
            values = {"days": cfg.order_days, "count": counts[line]}
            out.append(
                self._lesson_advice(
                    lesson,
                    "lines",
                    reason.text("zh", line=f"{line} {name.label}", **values),
                    reason.text("en", line=f"{line} {name.label_en}", **values),
                )
            )
        return out

    # ----------------------------------------------------------------- lessons

    def _lesson(self, *, line: str | None, topic: str | None, role: str, done: set[str]) -> Lesson | None:
        """The lesson for a line (and topic): not completed, the topic's first, then one for
        the learner's role, then the earliest week (catalogue order)."""
        candidates = [
            lesson
            for lesson in self.library.lessons.values()
            if lesson.id not in done and (line is None or lesson.product_line == line)
        ]
        if not candidates:
            return None
        ranked = sorted(
            enumerate(candidates),
            key=lambda x: (topic is not None and x[1].topic != topic, _audience(role) not in x[1].roles, x[0]),
        )
        return ranked[0][1]

    @staticmethod
    def _lesson_advice(lesson: Lesson, signal: Signal, reason: str, reason_en: str) -> Advice:
        return Advice(
            kind="lesson",
            signal=signal,
            lesson_id=lesson.id,
            title=lesson.title,
            title_en=lesson.title,
            practice=None,
            reason=reason,
            reason_en=reason_en,
        )


def _prefix(product_id: str) -> str:
    return product_id.split("-", 1)[0].upper()


def _audience(role: str) -> str:
    """The catalogue's audience of a sign-in role (admins read as managers)."""
    return "manager" if role in ("manager", "admin") else "sales"


def count_targets(items: Iterable[Sequence[Advice]]) -> Counter[str]:
    """How many learners each next step (a lesson id, or a practice's product) is recommended to."""
    counts: Counter[str] = Counter()
    for advice in items:
        counts.update({a.lesson_id or f"practice:{a.title}" for a in advice})
    return counts


__all__ = ["Advice", "AdviceService", "PracticePrefill", "count_targets"]
