"""What a practice session plays with: the role-play (scenarios and rubric) over one corpus,
and the choices a salesperson has when starting one (products, industries, personas,
competitors).  Built once per process, on first use (about 0.4 s: the corpus, the lexicons,
the rubric's tables), by :class:`PracticeKitLoader`, which the runtime holds.

Which corpus: ``corpus_dir`` when it has ``training/roleplay.yaml``, else the shipped one
(a corpus without training data, such as the tests' fixture corpus, is not half-joined
with a role-play written for other products); the same rule as the lessons'
(:func:`assistant.training.lessons_model.training_root`).  The kit follows the files as
they were when it was built: a changed corpus takes a restart, and a session started
before it is refused with ``practice_scenario_changed`` if its customer came out different.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from assistant.content.loader import Corpus, load_corpus
from assistant.content.schema import Persona
from assistant.errors import AssistantError
from assistant.training.practice_errors import PracticeDataError
from assistant.training.roleplay import Roleplay
from assistant.training.roleplay_data import DIMENSIONS, Dimension, RoleplayData, Verdict, load_roleplay_data

log = logging.getLogger(__name__)

ROLEPLAY_FILE = Path("training") / "roleplay.yaml"


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class ProductChoice:
    id: str
    name: str
    line: str
    competitors: tuple[Choice, ...]  # id: the competitor's name (what a request names), label: "name（model）"


@dataclass(frozen=True, slots=True)
class PracticeOptions:
    """What a practice may be asked for; every value here is one the scenario builder accepts."""

    products: tuple[ProductChoice, ...]
    industries: tuple[str, ...]
    personas: tuple[Choice, ...]
    dimensions: tuple[Choice, ...]  # the rubric's dimensions with their zh-CN labels, in order
    verdicts: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class PracticeKit:
    roleplay: Roleplay
    options: PracticeOptions
    max_chars: int  # the chat's message limit: answers are cut there, as the rubric reads them

    def dimension_label(self, key: str) -> str:
        return next((d.label for d in self.options.dimensions if d.id == key), key)

    def verdict_label(self, key: str) -> str:
        return next((v.label for v in self.options.verdicts if v.id == key), key)


def roleplay_root(corpus_dir: Path, fallback_dir: Path) -> Path:
    return corpus_dir if (corpus_dir / ROLEPLAY_FILE).exists() else fallback_dir


def build_kit(root: Path, *, max_chars: int) -> PracticeKit:
    """The kit over the corpus at ``root``; :class:`PracticeDataError` when it cannot be read."""
    try:
        corpus = load_corpus(root)
        data = load_roleplay_data(root / ROLEPLAY_FILE)
        roleplay = Roleplay.from_corpus(corpus, data=data, max_chars=max_chars)
    except (AssistantError, OSError) as exc:
        raise PracticeDataError(f"role-play data at {root}: {exc}") from exc
    return PracticeKit(roleplay=roleplay, options=options_of(corpus, data), max_chars=max_chars)


def options_of(corpus: Corpus, data: RoleplayData) -> PracticeOptions:
    dims: list[Dimension] = list(DIMENSIONS)
    verdicts: list[Verdict] = ["pass", "partial", "fail"]
    return PracticeOptions(
        products=tuple(
            ProductChoice(
                id=p.id,
                name=p.name,
                line=p.line,
                competitors=tuple(
                    Choice(id=c.competitor, label=f"{c.competitor}（{c.competitor_model}）") for c in p.competitors
                ),
            )
            for p in corpus.products
        ),
        industries=tuple(term.name for term in corpus.vocab.industries),
        personas=tuple(Choice(id=p.value, label=data.personas[p].label) for p in Persona if p in data.personas),
        dimensions=tuple(Choice(id=k, label=data.dimension(k).label) for k in dims),
        verdicts=tuple(Choice(id=v, label=data.feedback.verdicts.get(v, v)) for v in verdicts),
    )


class PracticeKitLoader:
    """Builds the kit once, on first use, for every thread of the process (cheap to construct).
    A failure is not kept: the next call tries again (the data file may have been fixed)."""

    def __init__(self, *, corpus_dir: Path, fallback_dir: Path, max_chars: int) -> None:
        self.root = roleplay_root(corpus_dir, fallback_dir)
        self.max_chars = max_chars
        self._kit: PracticeKit | None = None
        self._lock = threading.Lock()

    def get(self) -> PracticeKit:
        kit = self._kit
        if kit is not None:
            return kit
        with self._lock:
            if self._kit is None:
                try:
                    self._kit = build_kit(self.root, max_chars=self.max_chars)
                except PracticeDataError as exc:
                    log.error("practice not available (%s): %s", exc.code, exc)
                    raise
                log.info("practice kit built root=%s", self.root)
            return self._kit


__all__ = [
    "Choice",
    "PracticeKit",
    "PracticeKitLoader",
    "PracticeOptions",
    "ProductChoice",
    "build_kit",
    "options_of",
    "roleplay_root",
]
