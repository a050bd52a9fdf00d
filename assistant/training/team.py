"""What the training roll-ups share: which part of the channel tree a manager may read, the
learners placed in it, and the tree of per-node totals (lessons and practice each add their
own figures to it).

Access is the rebates' rule (:meth:`RebateService.can_read`): managers and admins read their
own node and everything below it in today's channel tree; a node outside it is answered
exactly like one that does not exist (``partner_not_found``); other roles are refused with the
caller's own ``forbidden`` error.  Learners are placed by their partner of today
(``users.partner_id``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.rebates.errors import PartnerNotFoundError
from assistant.rebates.network import ChannelNetwork
from assistant.rebates.service import Actor, RebateService
from assistant.storage.models import User

TEAM_ROLES = frozenset({"manager", "admin"})  # may read the roll-up of their subtree
LEARNER_ROLES = frozenset({"sales", "manager"})  # the people a roll-up counts
MAX_NODE_ID = 32


@dataclass(frozen=True, slots=True)
class TeamScope:
    """The subtree a roll-up covers: its root and every node id in it."""

    network: ChannelNetwork
    root: str
    node_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Learner:
    user_id: str
    username: str
    display_name: str
    role: str


def team_scope(
    rebates: RebateService | None,
    caller: Actor,
    node_id: str | None,
    *,
    forbidden: Callable[[str], Exception],
) -> TeamScope:
    """The caller's node, or ``node_id`` below it, with its descendants; ``forbidden(message)``
    is raised for a role that reads no team, ``PartnerNotFoundError`` for a node out of sight."""
    if caller.role not in TEAM_ROLES:
        raise forbidden(f"role {caller.role!r} may not read a team's training")
    if rebates is None:
        raise PartnerNotFoundError("no channel tree loaded")
    own = rebates.viewer_node(caller)  # partner_not_found for an unknown or deactivated caller
    target = own.id if node_id is None else node_id
    if not isinstance(target, str) or len(target) > MAX_NODE_ID or not rebates.can_read(caller, target):
        raise PartnerNotFoundError(f"{target!r} is not visible to {caller.partner_id!r}")
    network = rebates.state.network
    return TeamScope(network, target, (target, *(n.id for n in network.descendants(target))))


def learners(session: Session, node_ids: Sequence[str]) -> dict[str, list[Learner]]:
    """The active learners of each node, by username."""
    out: dict[str, list[Learner]] = {}
    for user in session.scalars(
        select(User)
        .where(User.partner_id.in_(list(node_ids)), User.active.is_(True), User.role.in_(sorted(LEARNER_ROLES)))
        .order_by(User.username)
    ):
        out.setdefault(user.partner_id, []).append(Learner(user.id, user.username, user.display_name, user.role))
    return out


class _Node(Protocol):
    @property
    def node_id(self) -> str: ...
    @property
    def children(self) -> Sequence[Self]: ...


N = TypeVar("N", bound=_Node)


def find_node(root: N, node_id: str) -> N | None:
    """The node ``node_id`` in the tree under ``root`` (itself included)."""
    if root.node_id == node_id:
        return root
    for child in root.children:
        found = find_node(child, node_id)
        if found is not None:
            return found
    return None


def walk_nodes(root: N) -> tuple[N, ...]:
    """``root`` and every node below it, depth first."""
    return (root, *(n for c in root.children for n in walk_nodes(c)))
