"""Customer names picked out of one message: ``python -m eval names --split dev|test``.

Each entry of ``eval/data/names/*.yaml`` is a message a salesperson typed and the customer
company's name in it as typed, or ``null`` where the message names none (places, trades, titles,
equipment and competitors that look like names).  The NLU reads each message on an empty profile;
an entry passes when the ``customer_name`` slot equals the label (absent for ``null``).

Reported: ``exact`` (entries right), ``precision`` (names given that are right), ``recall`` (labelled
names found exactly).  A name missed in a conversation's first turn fails every later profile check
of ``eval chat``; this measures the one fact on its own, on many more ways of typing it.  Split by
the labelled set's rule (``split_of``: sha256 of the id); tune on dev only.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.dialogue.training import split_of

NAMES_DIR = Path(__file__).resolve().parent / "data" / "names"


class NamesDataError(ValueError):
    """An entry of the names set is malformed."""


@dataclass(frozen=True, slots=True)
class NameItem:
    id: str
    text: str
    name: str | None


def load_names(directory: Path = NAMES_DIR) -> list[NameItem]:
    items: list[NameItem] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        for n, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            where = f"{path.name}[{n}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("text"), str):
                raise NamesDataError(f"{where}: needs a string id and text")
            name = raw.get("name")
            if name is not None and (not isinstance(name, str) or name not in raw["text"]):
                raise NamesDataError(f"{where}: name must be null or typed verbatim in the text")
            if raw["id"] in seen:
                raise NamesDataError(f"{where}: duplicate id {raw['id']}")
            seen.add(raw["id"])
            items.append(NameItem(id=raw["id"], text=raw["text"], name=name))
    return items


def score(items: list[NameItem], found: list[str | None]) -> dict[str, Any]:
    """``found[i]`` is the name read from ``items[i]`` (None for none)."""
    given = [(i, f) for i, f in zip(items, found, strict=True) if f is not None]
    labelled = [(i, f) for i, f in zip(items, found, strict=True) if i.name is not None]
    return {
        "n": len(items),
        "n_named": len(labelled),
        "exact": _rate(i.name == f for i, f in zip(items, found, strict=True)),
        "precision": _rate(i.name == f for i, f in given),
        "recall": _rate(i.name == f for i, f in labelled),
    }


def _rate(values: Any) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--data", type=Path, default=NAMES_DIR, help="directory of names files")
    parser.add_argument("--errors", action="store_true", help="list the entries read wrong (dev only)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.content.loader import load_corpus
    from assistant.dialogue.nlu import Nlu
    from assistant.dialogue.training import load_labelled
    from assistant.dialogue.types import CustomerProfile
    from assistant.settings import Settings

    settings = Settings()
    items = [i for i in load_names(args.data) if split_of(i.id) == args.split]
    # The NLU the service runs: trained on the labelled dev split, from its cache when built before.
    nlu = Nlu(
        corpus=load_corpus(settings.corpus_dir),
        examples=load_labelled().split("dev").training_pairs(),
        cache_dir=settings.nlu_cache_dir,
    )
    found: list[str | None] = []
    for item in items:
        value = nlu.understand(item.text, profile=CustomerProfile()).slots.get("customer_name")
        found.append(str(value) if value else None)
    result: dict[str, Any] = {"dataset": str(args.data), "split": args.split, **score(items, found)}
    if args.errors and args.split == "dev":
        result["errors"] = [
            {"id": i.id, "text": i.text, "want": i.name, "have": f}
            for i, f in zip(items, found, strict=True)
            if i.name != f
        ]
    return result
