"""The labelled evaluation set (eval/data/labelled) as training data for the NLU.

Only **dev** items may train anything: an item is ``test`` when the first hex
digit of sha256(id) is 0-7, else ``dev`` (eval/data/README.md).
:func:`dev_examples` applies that rule; the test split is never read for training.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml

from assistant.dialogue.types import INTENTS, PROFILE_KEYS, CustomerProfile, Intent

# libyaml's safe loader when installed: ten times faster on the labelled files (start-up).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LABELLED_DIR = Path(__file__).resolve().parents[2] / "eval" / "data" / "labelled"


Split = Literal["dev", "test"]


def split_of(item_id: str) -> Split:
    """The one place the split rule lives (eval/data/README.md): sha256(id) 0-7 -> test."""
    return "test" if hashlib.sha256(item_id.encode("utf-8")).hexdigest()[0] in "01234567" else "dev"


@dataclass(frozen=True)
class Turn:
    item_id: str
    text: str
    intent: Intent
    slots: dict[str, str]
    profile: dict[str, str] | None = None
    relevant: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    item_id: str
    turns: tuple[Turn, ...]
    conversation: bool


@dataclass
class Labelled:
    questions: list[Item] = field(default_factory=list)
    conversations: list[Item] = field(default_factory=list)

    def split(self, name: str) -> Labelled:
        return Labelled(
            [i for i in self.questions if split_of(i.item_id) == name],
            [i for i in self.conversations if split_of(i.item_id) == name],
        )

    def training_pairs(self) -> list[tuple[str, Intent, CustomerProfile]]:
        return [ex for item in (*self.questions, *self.conversations) for ex in training_examples(item)]


def training_examples(item: Item) -> list[tuple[str, Intent, CustomerProfile]]:
    """(text, intent, profile before the turn): the profile is the previous turn's gold
    ``profile`` label merged with the gold slots stated since."""
    out: list[tuple[str, Intent, CustomerProfile]] = []
    state: dict[str, str] = {}
    for turn in item.turns:
        out.append((turn.text, turn.intent, gold_profile(state)))
        state.update(turn.profile or {})
        state.update({("order_amount" if k == "amount" else k): v for k, v in turn.slots.items()})
    return out


def gold_profile(values: dict[str, str]) -> CustomerProfile:
    kwargs: dict[str, Any] = {}
    for k, v in values.items():
        if k in ("order_amount", "downtime_hours_per_month", "downtime_cost_per_hour", "labour_cost_per_month"):
            kwargs[k] = Decimal(v)
        elif k == "device_count":
            kwargs[k] = int(Decimal(v))
        elif k in PROFILE_KEYS:
            kwargs[k] = v
    return CustomerProfile(**kwargs)


def load_labelled(directory: Path = LABELLED_DIR) -> Labelled:
    out = Labelled()
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or []  # a safe loader (see _LOADER)
        for raw in data:
            if "turns" in raw:
                turns = tuple(_turn(f"{raw['id']}#{i}", t) for i, t in enumerate(raw["turns"], 1))
                out.conversations.append(Item(str(raw["id"]), turns, True))
            else:
                out.questions.append(Item(str(raw["id"]), (_turn(str(raw["id"]), raw),), False))
    return out


def _turn(item_id: str, raw: dict[str, Any]) -> Turn:
    intent = raw["intent"]
    if intent not in INTENTS:
        raise ValueError(f"{item_id}: unknown intent {intent!r}")
    profile = raw.get("profile")
    return Turn(
        item_id=item_id,
        text=str(raw["text"]),
        intent=intent,
        slots={str(k): canon(v) for k, v in (raw.get("slots") or {}).items()},
        profile={str(k): canon(v) for k, v in profile.items()} if profile else None,
        relevant=tuple(raw.get("relevant") or ()),
    )


def canon(value: object) -> str:
    """Compare values as strings; numbers without trailing zeros ("500000.0" == "500000")."""
    text = str(value)
    try:
        d = Decimal(text)
    except InvalidOperation:
        return text
    return format(d.normalize(), "f")


def slot_pairs(values: dict[str, object]) -> set[tuple[str, str]]:
    return {(k, canon(v)) for k, v in values.items()}


def dev_examples(directory: Path | None = None) -> list[tuple[str, Intent, CustomerProfile]]:
    """Training examples from the dev split; none when the directory does not exist."""
    directory = directory or LABELLED_DIR
    if not directory.is_dir():
        return []
    return load_labelled(directory).split("dev").training_pairs()
