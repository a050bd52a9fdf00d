"""Values of the micro-lessons and the one place their data is read and checked.

A lesson is the corpus entry (``corpus/lessons/*.yaml``, :class:`TrainingLesson`, whose
schema stays as it is) joined with two data files beside the corpus:

* ``training/catalogue.yaml``: each lesson's audience roles, topic and suggested week of
  onboarding, with the labels of roles, modes and topics (zh-CN and English);
* ``training/quizzes.yaml``: three single-choice questions per lesson, the pass mark and
  how long an attempt stays open.

:func:`load_library` reads the three (and ``product_lines.yaml`` for the lines' names)
from one corpus directory, again whenever a file changes, and refuses the lot with every
problem listed (:class:`TrainingDataError`) rather than serve a quiz that does not match
its lesson.  No database and no HTTP here; grading is pure arithmetic on positions.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.content.schema import LessonMode, TrainingLesson
from assistant.training.lessons_errors import InvalidLessonFilterError, LessonNotFoundError, TrainingDataError

CATALOGUE_FILE = Path("training") / "catalogue.yaml"
QUIZZES_FILE = Path("training") / "quizzes.yaml"
LESSONS_DIR = Path("lessons")
PRODUCT_LINES_FILE = Path("product_lines.yaml")

MIN_OPTIONS, MAX_OPTIONS = 3, 4
MAX_QUESTIONS = 10
MODE_ORDER: tuple[LessonMode, ...] = (LessonMode.PRACTICE, LessonMode.MENTORING, LessonMode.THEORY)


def training_root(corpus_dir: Path, fallback_dir: Path) -> Path:
    """The corpus directory whose lessons, quizzes and catalogue are served: ``corpus_dir``
    when it has quizzes, else the shipped corpus (a corpus without training data, such as
    the tests' fixture corpus, is not half-joined with quizzes written for other lessons)."""
    return corpus_dir if (corpus_dir / QUIZZES_FILE).exists() else fallback_dir


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Label:
    label: str
    label_en: str

    def text(self, language: str) -> str:
        return self.label_en if language == "en" else self.label


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    options: tuple[str, ...]
    answer: int  # index into ``options`` (the file's order)


@dataclass(frozen=True, slots=True)
class Quiz:
    questions: tuple[Question, ...]
    digest: str  # sha256 of the questions, options and answers: an attempt of an older quiz is expired


@dataclass(frozen=True, slots=True)
class Lesson:
    id: str
    title: str
    mode: LessonMode
    duration_minutes: int
    product_line: str  # "" for a lesson of no one product line
    objectives: tuple[str, ...]
    content: str
    exercises: tuple[str, ...]
    roles: tuple[str, ...]  # audience: sales, manager, engineer (catalogue.yaml)
    topic: str
    week: int  # suggested week of onboarding, 1..weeks
    quiz: Quiz


@dataclass(frozen=True, slots=True)
class LessonFilter:
    """What the catalogue is narrowed by; None: any."""

    role: str | None = None
    product_line: str | None = None
    mode: str | None = None
    topic: str | None = None
    week: int | None = None


@dataclass(frozen=True, slots=True)
class LessonLibrary:
    lessons: Mapping[str, Lesson]  # in catalogue order: by week, then id
    roles: Mapping[str, Label]
    modes: Mapping[str, Label]
    topics: Mapping[str, Label]
    product_lines: Mapping[str, Label]  # the lines that have lessons, with their names
    weeks: int
    pass_percent: int
    attempt_minutes: int

    def lesson(self, lesson_id: str) -> Lesson:
        found = self.lessons.get(lesson_id) if isinstance(lesson_id, str) else None
        if found is None:
            raise LessonNotFoundError(f"no lesson {lesson_id!r}")
        return found

    def check(self, f: LessonFilter) -> None:
        """Refuse a filter value the catalogue does not have (``invalid_lesson_filter``)."""
        for name, value, known in (
            ("role", f.role, self.roles),
            ("product_line", f.product_line, self.product_lines),
            ("mode", f.mode, self.modes),
            ("topic", f.topic, self.topics),
        ):
            if value is not None and value not in known:
                raise InvalidLessonFilterError(f"unknown {name} {value!r}", field=name)
        if f.week is not None and (isinstance(f.week, bool) or not 1 <= f.week <= self.weeks):
            raise InvalidLessonFilterError(f"week must be 1..{self.weeks}", field="week")

    def select(self, f: LessonFilter) -> tuple[Lesson, ...]:
        """The lessons that match every given filter, in catalogue order."""
        self.check(f)
        return tuple(
            lesson
            for lesson in self.lessons.values()
            if (f.role is None or f.role in lesson.roles)
            and (f.product_line is None or lesson.product_line == f.product_line)
            and (f.mode is None or lesson.mode.value == f.mode)
            and (f.topic is None or lesson.topic == f.topic)
            and (f.week is None or lesson.week == f.week)
        )

    def count_by_mode(self) -> dict[LessonMode, int]:
        counts = dict.fromkeys(MODE_ORDER, 0)
        for lesson in self.lessons.values():
            counts[lesson.mode] += 1
        return counts


# --------------------------------------------------------------------------- grading


def passes(correct: int, total: int, pass_percent: int) -> bool:
    """Whether ``correct`` of ``total`` reaches the pass mark (whole-number arithmetic)."""
    return total > 0 and correct * 100 >= pass_percent * total


def grade(quiz: Quiz, order: Sequence[Sequence[int]], answers: Sequence[int]) -> tuple[bool, ...]:
    """Each answer (a position in the order the attempt showed) right or wrong."""
    return tuple(
        order[i][position] == question.answer
        for i, (question, position) in enumerate(zip(quiz.questions, answers, strict=True))
    )


def answer_position(quiz: Quiz, order: Sequence[Sequence[int]], index: int) -> int:
    """Where the right option of question ``index`` was shown in an attempt."""
    return list(order[index]).index(quiz.questions[index].answer)


def valid_order(quiz: Quiz, order: object) -> bool:
    """Whether a stored option order still fits the quiz (a permutation per question)."""
    if not isinstance(order, list) or len(order) != len(quiz.questions):
        return False
    return all(
        isinstance(shown, list) and sorted(shown) == list(range(len(q.options)))
        for q, shown in zip(quiz.questions, order, strict=True)
    )


# --------------------------------------------------------------------------- parsing


def _digest(questions: Sequence[Question]) -> str:
    text = json.dumps([[q.text, list(q.options), q.answer] for q in questions], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _labels(raw: object, where: str, problems: list[str]) -> dict[str, Label]:
    if not isinstance(raw, Mapping) or not raw:
        problems.append(f"{where}: a mapping of id -> {{label, label_en}} is required")
        return {}
    out: dict[str, Label] = {}
    for key, entry in raw.items():
        label = _text(entry.get("label")) if isinstance(entry, Mapping) else None
        label_en = _text(entry.get("label_en")) if isinstance(entry, Mapping) else None
        if not isinstance(key, str) or label is None or label_en is None:
            problems.append(f"{where}.{key}: label and label_en are required")
            continue
        out[key] = Label(label, label_en)
    return out


def _whole(value: object, where: str, low: int, high: int, problems: list[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{where}: a whole number in {low}..{high} is required")
        return low
    return value


def _questions(raw: object, where: str, problems: list[str]) -> tuple[Question, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_QUESTIONS:
        problems.append(f"{where}: a list of 1..{MAX_QUESTIONS} questions is required")
        return ()
    out: list[Question] = []
    for n, item in enumerate(raw):
        at = f"{where}[{n}]"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: a mapping with question, options and answer is required")
            continue
        text = _text(item.get("question"))
        options = item.get("options")
        if text is None:
            problems.append(f"{at}.question: a question text is required")
        if (
            not isinstance(options, list)
            or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS
            or not all(_text(o) is not None for o in options)
        ):
            problems.append(f"{at}.options: {MIN_OPTIONS}..{MAX_OPTIONS} non-empty texts are required")
            continue
        cleaned = tuple(str(o).strip() for o in options)
        if len(set(cleaned)) != len(cleaned):
            problems.append(f"{at}.options: two options are the same")
        answer = _whole(item.get("answer"), f"{at}.answer", 0, len(cleaned) - 1, problems)
        if text is not None:
            out.append(Question(text=text, options=cleaned, answer=answer))
    return tuple(out)


def parse_library(
    *,
    lessons: Iterable[object],
    quizzes: object,
    catalogue: object,
    product_lines: object = None,
    source: str = "training",
) -> LessonLibrary:
    """Validate and join the three documents; every problem is listed as ``source: where: problem``."""
    problems: list[str] = []
    entries: dict[str, TrainingLesson] = {}
    for n, raw in enumerate(lessons):
        try:
            entry = TrainingLesson.model_validate(raw)
        except ValidationError as exc:
            problems.append(f"lessons[{n}]: {exc.error_count()} invalid field(s): {exc.errors()[0]['msg']}")
            continue
        if entry.id in entries:
            problems.append(f"lessons: {entry.id}: duplicate id")
        entries[entry.id] = entry

    cat: Mapping[str, Any] = catalogue if isinstance(catalogue, Mapping) else {}
    if not isinstance(catalogue, Mapping):
        problems.append("catalogue: the file must be a mapping")
    weeks = _whole(cat.get("weeks"), "catalogue.weeks", 1, 52, problems)
    roles = _labels(cat.get("roles"), "catalogue.roles", problems)
    modes = _labels(cat.get("modes"), "catalogue.modes", problems)
    topics = _labels(cat.get("topics"), "catalogue.topics", problems)
    if modes and set(modes) != {m.value for m in LessonMode}:
        problems.append(f"catalogue.modes: exactly {', '.join(m.value for m in LessonMode)} are required")
    placed = cat.get("lessons")
    if not isinstance(placed, Mapping):
        problems.append("catalogue.lessons: a mapping of lesson id -> {roles, topic, week} is required")
        placed = {}

    qz: Mapping[str, Any] = quizzes if isinstance(quizzes, Mapping) else {}
    if not isinstance(quizzes, Mapping):
        problems.append("quizzes: the file must be a mapping")
    pass_percent = _whole(qz.get("pass_percent"), "quizzes.pass_percent", 1, 100, problems)
    attempt_minutes = _whole(qz.get("attempt_minutes"), "quizzes.attempt_minutes", 1, 24 * 60, problems)
    by_lesson = qz.get("quizzes")
    if not isinstance(by_lesson, Mapping):
        problems.append("quizzes.quizzes: a mapping of lesson id -> questions is required")
        by_lesson = {}

    line_names: dict[str, Label] = {}
    if isinstance(product_lines, list):
        for line in product_lines:
            if isinstance(line, Mapping) and _text(line.get("id")):
                name = _text(line.get("name")) or str(line["id"])
                line_names[str(line["id"])] = Label(name, _text(line.get("name_en")) or name)

    for extra in sorted(set(map(str, placed)) - set(entries)):
        problems.append(f"catalogue.lessons.{extra}: no such lesson")
    for extra in sorted(set(map(str, by_lesson)) - set(entries)):
        problems.append(f"quizzes.quizzes.{extra}: no such lesson")

    built: list[Lesson] = []
    for lesson_id, entry in entries.items():
        where = f"catalogue.lessons.{lesson_id}"
        spot = placed.get(lesson_id)
        if not isinstance(spot, Mapping):
            problems.append(f"{where}: roles, topic and week are required")
            continue
        audience = spot.get("roles")
        if not isinstance(audience, list) or not audience or not all(r in roles for r in audience):
            problems.append(f"{where}.roles: one or more of {', '.join(roles)} are required")
            audience = []
        topic = spot.get("topic")
        if topic not in topics:
            problems.append(f"{where}.topic: one of {', '.join(topics)} is required")
        week = _whole(spot.get("week"), f"{where}.week", 1, weeks, problems)
        questions = _questions(by_lesson.get(lesson_id), f"quizzes.quizzes.{lesson_id}", problems)
        if entry.product_line and line_names and entry.product_line not in line_names:
            problems.append(f"lessons: {lesson_id}.product_line: unknown product line {entry.product_line!r}")
        built.append(
            Lesson(
                id=entry.id,
                title=entry.title,
                mode=entry.mode,
                duration_minutes=entry.duration_minutes,
                product_line=entry.product_line,
                objectives=tuple(entry.objectives),
                content=entry.content,
                exercises=tuple(entry.exercises),
                roles=tuple(dict.fromkeys(str(r) for r in audience)),
                topic=str(topic),
                week=week,
                quiz=Quiz(questions=questions, digest=_digest(questions)),
            )
        )
    if not entries:
        problems.append("lessons: no lessons")
    if problems:
        raise TrainingDataError("; ".join(f"{source}: {p}" for p in problems))
    built.sort(key=lambda lesson: (lesson.week, lesson.id))
    used_lines = sorted({lesson.product_line for lesson in built if lesson.product_line})
    return LessonLibrary(
        lessons={lesson.id: lesson for lesson in built},
        roles=roles,
        modes=modes,
        topics=topics,
        product_lines={line: line_names.get(line, Label(line, line)) for line in used_lines},
        weeks=weeks,
        pass_percent=pass_percent,
        attempt_minutes=attempt_minutes,
    )


# --------------------------------------------------------------------------- loading


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TrainingDataError(f"{path}: cannot be read: {exc}") from exc


@functools.lru_cache(maxsize=8)
def _load_cached(root: str, stamp: tuple[tuple[str, int], ...]) -> LessonLibrary:
    base = Path(root)
    lessons: list[object] = []
    for name, _ in stamp:
        path = base / name
        if path.parent == base / LESSONS_DIR:
            raw = _read(path)
            if not isinstance(raw, list):
                raise TrainingDataError(f"{path}: expected a list of lessons")
            lessons.extend(raw)
    lines_file = base / PRODUCT_LINES_FILE
    return parse_library(
        lessons=lessons,
        quizzes=_read(base / QUIZZES_FILE),
        catalogue=_read(base / CATALOGUE_FILE),
        product_lines=_read(lines_file) if lines_file.exists() else None,
        source=root,
    )


def load_library(root: Path) -> LessonLibrary:
    """The lessons of corpus directory ``root`` with their quizzes and catalogue places,
    read again when any of the files changes."""
    files = [
        *sorted((root / LESSONS_DIR).glob("*.yaml")),
        *sorted((root / LESSONS_DIR).glob("*.yml")),
        root / QUIZZES_FILE,
        root / CATALOGUE_FILE,
    ]
    if (root / PRODUCT_LINES_FILE).exists():
        files.append(root / PRODUCT_LINES_FILE)
    try:
        stamp = tuple((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in files)
    except OSError as exc:
        raise TrainingDataError(f"{root}: training data missing: {exc}") from exc
    return _load_cached(str(root), stamp)
