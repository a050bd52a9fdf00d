"""Domain errors of multi-level tasks (任务管理系统).

Every error is an :class:`~assistant.errors.AssistantError` with a stable snake_case
``code``; the API layer maps codes to HTTP statuses and user-facing messages (zh-CN first,
assistant/api/app.py and assistant/i18n.py), so ``str(exc)`` is for logs and developers only.

An id the caller may not see is answered exactly like an id that does not exist:
:class:`TaskNotFoundError` for tasks, :class:`AssignmentNotFoundError` for a node of a task.
A refusal of one item of a list (an edit of several quantities) names it: ``item`` (its index)
and ``field``; neither ever carries data of another node.
"""

from __future__ import annotations

from assistant.errors import AssistantError


class TaskError(AssistantError):
    """Base class of every task-domain error."""

    code = "task_error"

    def __init__(self, *args: object, field: str | None = None, item: int | None = None) -> None:
        super().__init__(*args)
        self.field = field
        self.item = item


class TaskNotFoundError(TaskError):
    """No task with that id that the caller takes part in (or may see)."""

    code = "task_not_found"


class AssignmentNotFoundError(TaskError):
    """No assignment of that node in the task among those the caller may see."""

    code = "assignment_not_found"


class TaskForbiddenError(TaskError):
    """The caller's role may not do this (create: HQ admins; edit quantities: managers and admins)."""

    code = "forbidden"


class InvalidTaskError(TaskError):
    """A new task is inconsistent: empty title, goal out of range, due before start or in the past, ..."""

    code = "invalid_task"


class InvalidBreakdownError(TaskError):
    """An edit of quantities names a node that is not a child of the parent, twice, or a bad quantity."""

    code = "invalid_breakdown"


class QuantitySumError(TaskError):
    """After an edit, the children's quantities would not add up to their parent's quantity."""

    code = "quantity_sum_mismatch"


class InvalidProgressError(TaskError):
    """A progress report is zero, too large, has a bad client id or note, or would take the
    reporter's own total below zero."""

    code = "invalid_progress"


class ProgressConflictError(TaskError):
    """The client id was already used by this reporter for a different report (another
    amount, note or node): nothing is counted twice and nothing is overwritten."""

    code = "progress_conflict"


class PaceRulesError(TaskError):
    """``corpus/tasks/pace.yaml`` is malformed (checked when loaded)."""

    code = "task_rules_invalid"


# Each code's HTTP status is in assistant/api/app.py and its zh-CN/English text in assistant/i18n.py.
