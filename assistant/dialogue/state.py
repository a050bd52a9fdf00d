"""What the engine remembers between turns besides the customer profile: the last task.

A salesperson's follow-up often changes one thing of what was just asked: after a
what-if, "那如果都是新客户呢"; after cases, "要小一点的"; after a script, "换成跟他们 IT
谈"; after a statement, "为什么增量是 0".  The engine answers such a turn by running the
last task again with the change (:mod:`assistant.dialogue.followup`), so it keeps the
task and the parameters it ran with.  A new topic replaces both.

The state is stored with the conversation (``conversations.dialogue_state``) as plain
JSON, and read back leniently: a state written by another version, or damaged, reads
as no state (the next turn then starts afresh instead of failing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

TaskKind = Literal["params", "compare", "knowledge", "cases", "script", "rebate", "roi", "training", "ops", "practice"]
TASK_KINDS: frozenset[str] = frozenset(get_args(TaskKind))
_MAX_PARAM_CHARS = 200


@dataclass(frozen=True, slots=True)
class DialogueState:
    """The last task the engine ran and its parameters (strings, JSON-safe)."""

    task: TaskKind | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.params.get(key)

    def to_json(self) -> dict[str, object]:
        if self.task is None:
            return {}
        return {"task": self.task, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: object) -> DialogueState:
        if not isinstance(data, Mapping):
            return cls()
        task = data.get("task")
        params = data.get("params")
        if task not in TASK_KINDS or not isinstance(params, Mapping):
            return cls()
        clean = {
            str(k): str(v)[:_MAX_PARAM_CHARS]
            for k, v in params.items()
            if isinstance(v, str | int | float) and not isinstance(v, bool)
        }
        return cls(task=task, params=clean)


def task(kind: TaskKind, **params: object) -> DialogueState:
    """A state for ``kind`` keeping the parameters that are set (None and "" are left out)."""
    return DialogueState(task=kind, params={k: str(v) for k, v in params.items() if v is not None and v != ""})
