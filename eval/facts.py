"""Customer facts picked out of one message: ``python -m eval facts --split dev|test``.

Each entry of ``eval/data/facts/*.yaml`` is a message a salesperson typed and one fact of the
customer it states, as labelled: ``name`` (the company's name exactly as typed), ``industry`` (a
canonical industry of corpus/vocab.yaml), or one of the ROI figures (``device_count``,
``downtime_hours_per_month``, ``downtime_cost_per_hour``, ``labour_cost_per_month``, numbers
compared by value); or ``null`` where the message states none (places, trades, titles, equipment
and competitors that look like a name or a trade; order amounts, prices, head counts, model
numbers and parameters that look like a figure).  The NLU reads each message on an empty
profile; an entry passes when its slot equals the label (absent for ``null``).

Reported per fact: ``exact`` (entries right), ``precision`` (values given that are right),
``recall`` (labelled values found exactly).  A fact missed in a conversation's first turn fails
every later profile check of ``eval chat``; this measures each fact on its own, on many more ways
of typing it.  Split by the labelled set's rule (``split_of``: sha256 of the id); tune on dev only.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from assistant.dialogue.training import split_of

FACTS_DIR = Path(__file__).resolve().parent / "data" / "facts"
# The key an entry labels -> the NLU slot that holds it.
FACT_SLOTS: dict[str, str] = {
    "name": "customer_name",
    "industry": "industry",
    "device_count": "device_count",
    "downtime_hours_per_month": "downtime_hours_per_month",
    "downtime_cost_per_hour": "downtime_cost_per_hour",
    "labour_cost_per_month": "labour_cost_per_month",
}
# Facts labelled with a number; read values are compared by value ("5" == "5.00").
NUMERIC_FACTS = frozenset(FACT_SLOTS) - {"name", "industry"}


class FactsDataError(ValueError):
    """An entry of the facts set is malformed."""


@dataclass(frozen=True, slots=True)
class FactItem:
    id: str
    text: str
    fact: str  # a key of FACT_SLOTS
    value: str | None


def load_facts(directory: Path = FACTS_DIR) -> list[FactItem]:
    items: list[FactItem] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        for n, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            where = f"{path.name}[{n}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("text"), str):
                raise FactsDataError(f"{where}: needs a string id and text")
            facts = [k for k in FACT_SLOTS if k in raw]
            if len(facts) != 1:
                raise FactsDataError(f"{where}: needs exactly one of {sorted(FACT_SLOTS)}")
            fact, value = facts[0], raw[facts[0]]
            if fact in NUMERIC_FACTS:
                if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                    raise FactsDataError(f"{where}: {fact} must be a number or null")
                value = None if value is None else _canonical(value)
            elif value is not None and not isinstance(value, str):
                raise FactsDataError(f"{where}: {fact} must be a string or null")
            if fact == "name" and value is not None and value not in raw["text"]:
                raise FactsDataError(f"{where}: name must be typed verbatim in the text")
            if raw["id"] in seen:
                raise FactsDataError(f"{where}: duplicate id {raw['id']}")
            seen.add(raw["id"])
            items.append(FactItem(id=raw["id"], text=raw["text"], fact=fact, value=value))
    return items


def _canonical(value: object) -> str:
    """A figure as one string per value: 5, 5.0 and "5.00" all read "5"."""
    number = Decimal(str(value)).normalize()
    return format(number, "f")


def score(items: list[FactItem], found: list[str | None]) -> dict[str, Any]:
    """``found[i]`` is the value read from ``items[i]`` (None for none)."""
    given = [(i, f) for i, f in zip(items, found, strict=True) if f is not None]
    labelled = [(i, f) for i, f in zip(items, found, strict=True) if i.value is not None]
    return {
        "n": len(items),
        "n_labelled": len(labelled),
        "exact": _rate(i.value == f for i, f in zip(items, found, strict=True)),
        "precision": _rate(i.value == f for i, f in given),
        "recall": _rate(i.value == f for i, f in labelled),
    }


def _rate(values: Any) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--data", type=Path, default=FACTS_DIR, help="directory of facts files")
    parser.add_argument("--errors", action="store_true", help="list the entries read wrong (dev only)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.content.loader import load_corpus
    from assistant.dialogue.nlu import Nlu
    from assistant.dialogue.training import dev_examples
    from assistant.dialogue.types import CustomerProfile
    from assistant.settings import Settings

    settings = Settings()
    items = [i for i in load_facts(args.data) if split_of(i.id) == args.split]
    # The NLU the service runs: trained on the labelled dev split, from its cache when built before.
    nlu = Nlu(
        corpus=load_corpus(settings.corpus_dir),
        examples=dev_examples(),
        cache_dir=settings.nlu_cache_dir,
    )
    found: list[str | None] = []
    for item in items:
        value = nlu.understand(item.text, profile=CustomerProfile()).slots.get(FACT_SLOTS[item.fact])
        if value is None or value == "":
            found.append(None)
        else:
            found.append(_canonical(value) if item.fact in NUMERIC_FACTS else str(value))
    by_fact: dict[str, tuple[list[FactItem], list[str | None]]] = defaultdict(lambda: ([], []))
    for item, value in zip(items, found, strict=True):
        by_fact[item.fact][0].append(item)
        by_fact[item.fact][1].append(value)
    result: dict[str, Any] = {
        "dataset": str(args.data),
        "split": args.split,
        **{fact: score(*by_fact[fact]) for fact in sorted(by_fact)},
    }
    if args.errors and args.split == "dev":
        result["errors"] = [
            {"id": i.id, "fact": i.fact, "text": i.text, "want": i.value, "have": f}
            for i, f in zip(items, found, strict=True)
            if i.value != f
        ]
    return result
