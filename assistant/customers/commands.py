"""Reading a chat message as a customer command: switch to a customer, save the one being
discussed as a customer record, or list one's customers.

Pure text work: which customer the words mean is the customer service's business
(:meth:`assistant.customers.records.CustomerService.match`).  The words are data,
``corpus/customer_commands.yaml``; a message is read as a command only when it is short,
so a question that happens to contain "换成" ("换成 EG-3200 的话价格呢") is not one unless it
also names a customer (decided by the caller of :func:`parse`, which knows the customers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import AssistantError

COMMANDS_PATH = Path(__file__).resolve().parents[2] / "corpus" / "customer_commands.yaml"

CommandKind = Literal["switch", "save", "list"]


class CommandDataError(AssistantError):
    """``corpus/customer_commands.yaml`` is missing or malformed."""

    code = "customer_commands_invalid"


class _CommandsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    switch_words: list[str] = Field(min_length=1)
    customer_markers: list[str] = Field(min_length=1)
    trailing_words: list[str] = Field(default_factory=list)
    save_words: list[str] = Field(min_length=1)
    list_words: list[str] = Field(min_length=1)
    question_words: list[str] = Field(default_factory=list)
    max_chars: int = Field(ge=4, le=200)


@dataclass(frozen=True, slots=True)
class CustomerCommand:
    kind: CommandKind
    words: str  # who is meant ("宁波"), or the name to save; "" when not said
    marked: bool  # a word says a customer is meant ("那家", "客户"), whatever ``words`` matches


@dataclass(frozen=True, slots=True)
class _Grammar:
    switch: re.Pattern[str]
    save: re.Pattern[str]
    listing: re.Pattern[str]
    marker: re.Pattern[str]
    trailing: re.Pattern[str]
    question: re.Pattern[str] | None
    max_chars: int


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=2)
def _grammar(path: Path = COMMANDS_PATH) -> _Grammar:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = _CommandsFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CommandDataError(f"{path}: {exc}") from exc
    every = [
        *data.switch_words,
        *data.customer_markers,
        *data.trailing_words,
        *data.save_words,
        *data.list_words,
        *data.question_words,
    ]
    if any(not w.strip() for w in every):
        raise CommandDataError(f"{path}: an empty word")
    return _Grammar(
        switch=re.compile(rf"^(?:请|帮我|麻烦)?(?:{_alternation(data.switch_words)})[:：\s]*(?P<rest>.*)$"),
        save=re.compile(rf"^(?:请|帮我|麻烦)?(?:把(?P<before>.*?))?(?:{_alternation(data.save_words)})(?P<after>.*)$"),
        listing=re.compile(rf"^(?:{_alternation(data.list_words)})(?:呢|吧|有哪些|都有谁|都有哪些)?$"),
        marker=re.compile(_alternation(data.customer_markers)),
        trailing=re.compile(rf"(?:{_alternation(data.trailing_words)})+$"),
        question=re.compile(_alternation(data.question_words)) if data.question_words else None,
        max_chars=data.max_chars,
    )


_PUNCT = re.compile(r"[\s，。！？!?,.；;：:、~～…]+")


def _clean(words: str, grammar: _Grammar) -> str:
    words = _PUNCT.sub(" ", words).strip()
    words = grammar.trailing.sub("", words).strip()
    return words.removeprefix("把").strip()


def parse(text: str, *, path: Path = COMMANDS_PATH) -> CustomerCommand | None:
    """The command a message gives, or None for any other message."""
    grammar = _grammar(path)
    message = _PUNCT.sub(" ", text).strip()
    if not message or len(message) > grammar.max_chars:
        return None
    if grammar.listing.match(message):
        return CustomerCommand(kind="list", words="", marked=True)
    save = grammar.save.match(message)
    if save is not None:
        words = _clean(save.group("after") or save.group("before") or "", grammar)
        for filler in ("这个", "这家", "这位"):
            words = words.removeprefix(filler)
        return CustomerCommand(kind="save", words=words.strip(), marked=True)
    switch = grammar.switch.match(message)
    if switch is not None:
        rest = switch.group("rest")
        if grammar.question is not None and grammar.question.search(text):
            return None  # it asks something about another customer: a question, not a command
        words = _clean(rest, grammar)
        marked = grammar.marker.search(message) is not None
        return CustomerCommand(kind="switch", words=words, marked=marked)
    return None
