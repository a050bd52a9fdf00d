"""Chat questions about channel operations (tasks, task progress, risk alerts, the channel
profile), recognised by the words staff type (``corpus/ops/chat_cues.yaml``).

The engine routes them to the operations skill of the serving process, like a rebate
question; the skill answers for the verified caller only.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.dialogue.errors import DialogueError
from assistant.dialogue.lexicon import squash
from assistant.dialogue.numbers import find_numbers

OpsAsk = Literal["report", "progress", "tasks", "alerts", "profile"]
OPS_ASKS: tuple[OpsAsk, ...] = get_args(OpsAsk)
CUES_PATH = Path(__file__).resolve().parents[2] / "corpus" / "ops" / "chat_cues.yaml"


class OpsCueDataError(DialogueError):
    """``corpus/ops/chat_cues.yaml`` is missing, malformed, or names an unknown ask."""

    code = "ops_cue_data_invalid"


class _Ask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: list[str] = Field(min_length=1)


class _CuesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    asks: dict[str, _Ask]
    task_kinds: dict[str, list[str]] = Field(default_factory=dict)


@functools.cache
def _read(path: Path) -> _CuesFile:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _CuesFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise OpsCueDataError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise OpsCueDataError(f"{path}: {exc.errors()[0]['msg']}") from exc


def task_kind_words(path: Path = CUES_PATH) -> dict[str, tuple[str, ...]]:
    """Task kind -> the squashed words of a report that count for it ("拜访" -> visits)."""
    return {kind: tuple(squash(w) for w in words) for kind, words in _read(path).task_kinds.items()}


@functools.cache
def load_ops_cues(path: Path = CUES_PATH) -> tuple[tuple[OpsAsk, tuple[str, ...]], ...]:
    """(ask, squashed words) in the file's order; :class:`OpsCueDataError` names the problem."""
    data = _read(path)
    out: list[tuple[OpsAsk, tuple[str, ...]]] = []
    for name, ask in data.asks.items():
        if name not in OPS_ASKS:
            raise OpsCueDataError(f"{path}: unknown ask {name!r} (known: {', '.join(OPS_ASKS)})")
        words = tuple(squash(w) for w in ask.words)
        if any(not w for w in words):
            raise OpsCueDataError(f"{path}: ask {name!r} has an empty word")
        out.append((next(a for a in OPS_ASKS if a == name), words))  # the Literal value itself
    return tuple(out)


def ops_ask(norm: str) -> OpsAsk | None:
    """What a message asks of channel operations, or None ("我这周有什么任务" -> "tasks")."""
    sq = squash(norm)
    for ask, words in load_ops_cues():
        if any(w in sq for w in words):
            if ask == "report" and not find_numbers(norm):
                continue  # "帮我记上" with nothing done is not a report
            return ask
    return None
