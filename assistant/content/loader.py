"""Load and validate the corpus directory.

Layout (every YAML file holds a list of entries; file names are free)::

    corpus/
      vocab.yaml            Vocabulary (optional)
      product_lines.yaml    [ProductLine]
      products/*.yaml       [Product]
      scripts/*.yaml        [SalesScript]
      cases/*.yaml          [CaseStudy]
      faq/*.yaml            [FaqEntry]
      lessons/*.yaml        [TrainingLesson]

Every problem is reported as ``file: field: problem``; the loader collects all of
them before raising :class:`CorpusError`, so an editor fixes a file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from assistant.content.schema import (
    CaseStudy,
    FaqEntry,
    Product,
    ProductLine,
    SalesScript,
    TrainingLesson,
    Vocabulary,
)
from assistant.errors import AssistantError

KIND_DIRS: dict[str, type[BaseModel]] = {
    "products": Product,
    "scripts": SalesScript,
    "cases": CaseStudy,
    "faq": FaqEntry,
    "lessons": TrainingLesson,
}

M = TypeVar("M", bound=BaseModel)


class CorpusError(AssistantError):
    """The corpus is invalid; ``problems`` lists each as ``file: field: problem``."""

    code = "corpus_invalid"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the corpus:\n{shown}{more}")


@dataclass(frozen=True)
class Corpus:
    """A validated corpus.  ``sources`` maps every entry id to the file it came from."""

    root: Path
    vocab: Vocabulary
    product_lines: list[ProductLine] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    scripts: list[SalesScript] = field(default_factory=list)
    cases: list[CaseStudy] = field(default_factory=list)
    faqs: list[FaqEntry] = field(default_factory=list)
    lessons: list[TrainingLesson] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    def product(self, product_id: str) -> Product | None:
        return self._products_by_id.get(product_id)

    @property
    def _products_by_id(self) -> dict[str, Product]:
        cache: dict[str, Product] | None = self.__dict__.get("_pid")
        if cache is None:
            cache = {p.id: p for p in self.products}
            object.__setattr__(self, "_pid", cache)
        return cache

    def case(self, case_id: str) -> CaseStudy | None:
        return next((c for c in self.cases if c.id == case_id), None)

    def script(self, script_id: str) -> SalesScript | None:
        return next((s for s in self.scripts if s.id == script_id), None)

    def line_name(self, line_id: str) -> str:
        return next((line.name for line in self.product_lines if line.id == line_id), line_id)


EMPTY_VOCAB = Vocabulary(company="", industries=[], regions=[])


def load_corpus(root: Path | str) -> Corpus:
    """Parse and validate every file under ``root``; raise CorpusError listing all problems."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError([f"{root}: -: corpus directory does not exist"])
    problems: list[str] = []
    files: dict[str, Any] = {}
    for kind_dir in KIND_DIRS:
        for path in sorted((root / kind_dir).glob("*.yaml")) + sorted((root / kind_dir).glob("*.yml")):
            raw = _read_yaml(path, root, problems)
            if raw is not None:
                files[str(path.relative_to(root))] = raw
    return corpus_from_files(root, files, problems)


def corpus_from_files(root: Path, files: Mapping[str, Any], problems: Sequence[str] = ()) -> Corpus:
    """The corpus of ``files`` (a path under a corpus directory, "faq/warranty.yaml" -> the
    file's parsed list of entries) with the vocabulary and product lines of ``root``,
    validated as :func:`load_corpus` does (which reads ``files`` from ``root``); raise
    CorpusError listing all problems, ``problems`` of the reading first."""
    found: list[str] = list(problems)
    sources: dict[str, str] = {}

    vocab_file = root / "vocab.yaml"
    vocab = EMPTY_VOCAB
    if vocab_file.exists():
        raw = _read_yaml(vocab_file, root, found)
        if raw is not None:
            try:
                vocab = Vocabulary.model_validate(raw)
            except ValidationError as exc:
                found.extend(_format_errors(_rel(vocab_file, root), "vocab", exc))

    lines_file = root / "product_lines.yaml"
    line_files = [(_rel(lines_file, root), _read_yaml(lines_file, root, found))] if lines_file.exists() else []
    lines = _load_entries(line_files, ProductLine, found, sources)
    loaded: dict[str, list[Any]] = {}
    for kind_dir, model in KIND_DIRS.items():
        of_kind = [(f"{root.name}/{rel}", raw) for rel, raw in files.items() if rel.split("/", 1)[0] == kind_dir]
        loaded[kind_dir] = _load_entries(of_kind, model, found, sources)

    corpus = Corpus(
        root=root,
        vocab=vocab,
        product_lines=lines,
        products=loaded["products"],
        scripts=loaded["scripts"],
        cases=loaded["cases"],
        faqs=loaded["faq"],
        lessons=loaded["lessons"],
        sources=sources,
    )
    found.extend(_check_references(corpus))
    found.extend(_check_units(corpus))
    if found:
        raise CorpusError(found)
    return corpus


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


# libyaml's parser when PyYAML has it (seven times faster on the corpus: a content switch
# loads the corpus once per engine process), with the same safe constructors.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load``, faster."""
    return yaml.load(text, Loader=_SafeLoader)


def _read_yaml(path: Path, root: Path, problems: list[str]) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(f"{_rel(path, root)}: -: cannot parse: {exc}".replace("\n", " "))
        return None


def _load_entries(
    files: Iterable[tuple[str, Any]], model: type[M], problems: list[str], sources: dict[str, str]
) -> list[M]:
    """The entries of each (file label, parsed content) pair; None content: not parsed."""
    entries: list[M] = []
    for rel, raw in files:
        if raw is None:
            continue
        if not isinstance(raw, list):
            problems.append(f"{rel}: -: expected a list of entries, got {type(raw).__name__}")
            continue
        for index, item in enumerate(raw):
            label = str(item.get("id")) if isinstance(item, dict) and item.get("id") else f"[{index}]"
            try:
                entry = model.model_validate(item)
            except ValidationError as exc:
                problems.extend(_format_errors(rel, label, exc))
                continue
            entry_id = str(getattr(entry, "id"))  # noqa: B009 - every entry model has an id
            if entry_id in sources:
                problems.append(f"{rel}: {entry_id}: duplicate id (first defined in {sources[entry_id]})")
                continue
            sources[entry_id] = rel
            entries.append(entry)
    return entries


def _format_errors(rel: str, label: str, exc: ValidationError) -> Iterator[str]:
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        where = f"{label}.{loc}" if loc else label
        yield f"{rel}: {where}: {err['msg']}"


def _check_references(corpus: Corpus) -> list[str]:
    problems: list[str] = []
    product_ids = {p.id for p in corpus.products}
    line_ids = {line.id for line in corpus.product_lines}
    industries = {t.name for t in corpus.vocab.industries}
    regions = {t.name for t in corpus.vocab.regions}

    def where(entry_id: str) -> str:
        return corpus.sources.get(entry_id, "?")

    for p in corpus.products:
        if p.line not in line_ids:
            problems.append(f"{where(p.id)}: {p.id}.line: unknown product line {p.line!r}")
        for acc in p.accessories:
            if acc not in product_ids:
                problems.append(f"{where(p.id)}: {p.id}.accessories: unknown product {acc!r}")
    for s in corpus.scripts:
        if s.product_line not in line_ids:
            problems.append(f"{where(s.id)}: {s.id}.product_line: unknown product line {s.product_line!r}")
    for c in corpus.cases:
        for pid in c.products:
            if pid not in product_ids:
                problems.append(f"{where(c.id)}: {c.id}.products: unknown product {pid!r}")
        if industries and c.industry not in industries:
            problems.append(f"{where(c.id)}: {c.id}.industry: {c.industry!r} is not in vocab.yaml industries")
        if regions and c.region not in regions:
            problems.append(f"{where(c.id)}: {c.id}.region: {c.region!r} is not in vocab.yaml regions")
    for f in corpus.faqs:
        for pid in f.products:
            if pid not in product_ids:
                problems.append(f"{where(f.id)}: {f.id}.products: unknown product {pid!r}")
        if f.product_line and f.product_line not in line_ids:
            problems.append(f"{where(f.id)}: {f.id}.product_line: unknown product line {f.product_line!r}")
    for lesson in corpus.lessons:
        if lesson.product_line and lesson.product_line not in line_ids:
            problems.append(
                f"{where(lesson.id)}: {lesson.id}.product_line: unknown product line {lesson.product_line!r}"
            )
    return problems


# A measured quantity written as a range or a tolerance ("-20~70", "9～36", "±0.3") is as numeric as
# "24" and needs a unit too; the schema only sees plain numbers.
_NUMERIC_RANGE = re.compile(r"^\s*[±+\-]?\d+(?:\.\d+)?(?:\s*[~～–/\-]\s*[±+\-]?\d+(?:\.\d+)?)?\s*$")


def _check_units(corpus: Corpus) -> list[str]:
    problems: list[str] = []
    for p in corpus.products:
        for index, param in enumerate(p.params):
            if isinstance(param.value, str) and _NUMERIC_RANGE.match(param.value) and not param.unit.strip():
                problems.append(
                    f"{corpus.sources.get(p.id, '?')}: {p.id}.params.{index}: parameter {param.name!r} "
                    f"has numeric value {param.value!r} without a unit"
                )
    return problems
