"""The data of the learning path and of the advice (``corpus/training/path.yaml``): the
70/20/10 targets, the minutes a practice session counts for, the windows and thresholds of
each signal, the words that place a question on a product line and a topic, and the
reasons' wording in zh-CN and English.  Validated when loaded (``training_data_invalid``
with every problem named), read again when the file changes.  No database, no HTTP."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.training.lessons_errors import TrainingDataError

PATH_FILE = Path("training") / "path.yaml"

Signal = Literal["unanswered", "practice", "lines"]
ReasonKey = Literal["unanswered", "order_line", "task_line", "weakest_practice", "weakest_lesson"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(_Model):
    practice: int = Field(ge=0, le=100)
    mentoring: int = Field(ge=0, le=100)
    theory: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _hundred(self) -> Targets:
        if self.practice + self.mentoring + self.theory != 100:
            raise ValueError("targets must sum to 100")
        return self


class Unanswered(_Model):
    days: int = Field(ge=1, le=365)
    min_questions: int = Field(ge=1, le=100)


class Lines(_Model):
    order_days: int = Field(ge=1, le=730)
    min_orders: int = Field(ge=1, le=1000)


class PracticeSignal(_Model):
    sessions: int = Field(ge=1, le=50)
    below: float = Field(gt=0, le=1)


class Signals(_Model):
    unanswered: Unanswered
    lines: Lines
    practice: PracticeSignal


class Reason(_Model):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, language: str, **values: object) -> str:
        return (self.en if language == "en" else self.zh).format(**values)


class ChatTexts(_Model):
    intro: Reason
    none: Reason
    lesson: Reason
    practice: Reason


class PathData(_Model):
    version: int
    targets: Targets
    practice_session_minutes: int = Field(ge=1, le=240)
    max_advice: int = Field(ge=3, le=5)
    signals: Signals
    priority: dict[Signal, int]
    topic_words: dict[str, list[str]]
    line_words: dict[str, list[str]]
    dimension_labels: dict[str, Reason]  # zh / en names of the role-play dimensions
    reasons: dict[ReasonKey, Reason]
    chat: ChatTexts

    @model_validator(mode="after")
    def _complete(self) -> PathData:
        missing = [k for k in ("unanswered", "practice", "lines") if k not in self.priority]
        missing += [
            k
            for k in ("unanswered", "order_line", "task_line", "weakest_practice", "weakest_lesson")
            if k not in self.reasons
        ]
        if missing:
            raise ValueError(f"missing entries {missing}")
        return self


def path_root(root: Path, fallback: Path) -> Path:
    """The corpus directory whose path data is served: ``root`` when it has the file, else the
    shipped corpus (a corpus without it, such as the tests' fixture corpus)."""
    return root if (root / PATH_FILE).exists() else fallback


def parse_path_data(raw: object, where: str = "path.yaml") -> PathData:
    try:
        return PathData.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise TrainingDataError(f"{where}: {problems}") from exc


def load_path_data(root: Path) -> PathData:
    """``training/path.yaml`` of corpus directory ``root`` (cached until the file changes)."""
    path = root / PATH_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise TrainingDataError(f"{path}: learning-path data missing: {exc}") from exc
    return _load_cached(str(path), stamp)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, stamp: int) -> PathData:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TrainingDataError(f"{path}: {exc}") from exc
    return parse_path_data(raw, path)
