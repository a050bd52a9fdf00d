"""The channel tree: national distributor -> regional distributors -> city alliances -> partners.

Pure and in memory.  Nodes and users are frozen values; :class:`ChannelNetwork`
owns the mutable structure (add / move / deactivate) behind a small typed API so
that a persistence layer can later mirror each call.

Access rule (:meth:`ChannelNetwork.can_read`): a viewer reads its own node and
every node below it, never a sibling, cousin or ancestor.  A deactivated viewer
reads nothing; deactivated targets stay readable by their ancestors (history).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from assistant.rebates.errors import AllianceSizeError, NetworkChangeError, PartnerNotFoundError


class Level(StrEnum):
    """Depth class of a node; a child's level is always deeper than its parent's."""

    NATIONAL = "national"
    REGIONAL = "regional"
    ALLIANCE = "alliance"  # a city "蜂窝联盟" of complementary partners
    PARTNER = "partner"  # a leaf that books orders and earns rebates

    @property
    def depth(self) -> int:
        return _DEPTH[self]


_DEPTH = {Level.NATIONAL: 0, Level.REGIONAL: 1, Level.ALLIANCE: 2, Level.PARTNER: 3}

# A city alliance is 3 to 5 complementary partners.  Adding, moving or reactivating may
# not put a sixth active partner in one, and a move may not take a complete alliance
# below three (an alliance still forming, under three, may grow).  Deactivating a partner
# records that it left, so it is allowed even when its alliance then falls short.
ALLIANCE_PARTNERS = (3, 5)


class Role(StrEnum):
    SALES = "sales"
    MANAGER = "manager"
    ADMIN = "admin"
    CONTENT_ADMIN = "content_admin"  # edits the knowledge base (assistant/content); reads like sales


@dataclass(frozen=True, slots=True)
class ChannelNode:
    """One company in the channel tree.  ``parent_id`` is None only for the national node."""

    id: str
    name: str
    level: Level
    parent_id: str | None
    region: str
    city: str
    active: bool = True
    specialty: str | None = None  # main product line of a partner (EG, SN, MP, AR, ...)


@dataclass(frozen=True, slots=True)
class User:
    """A login belonging to one node (``partner_id`` is the node id, any level)."""

    username: str
    display_name: str
    partner_id: str
    role: Role


class ChannelNetwork:
    """The channel tree in memory."""

    def __init__(self, nodes: Iterable[ChannelNode] = (), users: Iterable[User] = ()) -> None:
        self._nodes: dict[str, ChannelNode] = {}
        self._children: dict[str, list[str]] = {}
        self._users: dict[str, User] = {}
        pending = list(nodes)
        # Accept nodes in any order: add those whose parent is known, until none is left.
        while pending:
            waiting = [n for n in pending if n.parent_id is not None and n.parent_id not in self._nodes]
            if len(waiting) == len(pending):
                missing = ", ".join(sorted(f"{n.id} (parent {n.parent_id})" for n in waiting))
                raise NetworkChangeError(f"unknown parent for: {missing}")
            waiting_ids = {id(n) for n in waiting}
            for node in pending:
                if id(node) not in waiting_ids:
                    self.add(node)
            pending = waiting
        for user in users:
            self.add_user(user)

    @classmethod
    def from_nodes(cls, nodes: Iterable[ChannelNode], users: Iterable[User] = ()) -> ChannelNetwork:
        """Rebuild a network from stored nodes, inactive ones included (as a database holds them).

        Nodes are added active, then the inactive ones are deactivated leaves first, so the
        result is exactly what the same add / deactivate calls would have produced.
        """
        stored = list(nodes)
        network = cls((dataclasses.replace(n, active=True) for n in stored), users)
        for node in sorted((n for n in stored if not n.active), key=lambda n: -n.level.depth):
            network.deactivate(node.id)
        return network

    def copy(self) -> ChannelNetwork:
        """An independent copy: change it, then swap it in, so readers never see a half-done change."""
        clone = ChannelNetwork()
        clone._nodes = dict(self._nodes)
        clone._children = {k: list(v) for k, v in self._children.items()}
        clone._users = dict(self._users)
        return clone

    # ----------------------------------------------------------------- reading

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[ChannelNode]:
        return iter(list(self._nodes.values()))

    def get(self, node_id: str) -> ChannelNode:
        """The node; raise :class:`PartnerNotFoundError` if there is none."""
        node = self._nodes.get(node_id)
        if node is None:
            raise PartnerNotFoundError(f"no channel node {node_id!r}")
        return node

    def find(self, node_id: str) -> ChannelNode | None:
        return self._nodes.get(node_id)

    def roots(self) -> tuple[ChannelNode, ...]:
        return tuple(n for n in self._nodes.values() if n.parent_id is None)

    def parent(self, node_id: str) -> ChannelNode | None:
        parent_id = self.get(node_id).parent_id
        return None if parent_id is None else self._nodes[parent_id]

    def children(self, node_id: str) -> tuple[ChannelNode, ...]:
        self.get(node_id)
        return tuple(self._nodes[c] for c in self._children[node_id])

    def ancestors(self, node_id: str) -> tuple[ChannelNode, ...]:
        """From the parent up to the root."""
        out: list[ChannelNode] = []
        parent_id = self.get(node_id).parent_id
        while parent_id is not None:
            parent = self._nodes[parent_id]
            out.append(parent)
            parent_id = parent.parent_id
        return tuple(out)

    def descendants(self, node_id: str) -> tuple[ChannelNode, ...]:
        """Every node below ``node_id`` (not itself), depth first."""
        self.get(node_id)
        out: list[ChannelNode] = []
        stack = list(reversed(self._children[node_id]))
        while stack:
            current = stack.pop()
            out.append(self._nodes[current])
            stack.extend(reversed(self._children[current]))
        return tuple(out)

    def partners_under(self, node_id: str, *, include_inactive: bool = False) -> tuple[ChannelNode, ...]:
        """The leaf partners at or below ``node_id`` (e.g. an alliance's or a region's members)."""
        node = self.get(node_id)
        candidates = (node, *self.descendants(node_id))
        return tuple(n for n in candidates if n.level is Level.PARTNER and (include_inactive or n.active))

    def is_ancestor(self, ancestor_id: str, node_id: str) -> bool:
        """True when ``ancestor_id`` is strictly above ``node_id``."""
        return any(a.id == ancestor_id for a in self.ancestors(node_id))

    def can_read(self, viewer_partner_id: str, target_partner_id: str) -> bool:
        """Whether the viewer's node may read the target's data: own node or a descendant.

        Unknown ids and deactivated viewers get False (an access check never raises).
        """
        viewer = self._nodes.get(viewer_partner_id)
        target = self._nodes.get(target_partner_id)
        if viewer is None or target is None or not viewer.active:
            return False
        current: str | None = target.id
        while current is not None:
            if current == viewer.id:
                return True
            current = self._nodes[current].parent_id
        return False

    def readable(self, viewer_partner_id: str) -> tuple[str, ...]:
        """Ids of every node the viewer may read (empty for unknown or inactive viewers)."""
        viewer = self._nodes.get(viewer_partner_id)
        if viewer is None or not viewer.active:
            return ()
        return (viewer.id, *(n.id for n in self.descendants(viewer.id)))

    # ----------------------------------------------------------------- changing

    def add(self, node: ChannelNode) -> None:
        """Add a node under an existing, active parent of a shallower level."""
        if node.id in self._nodes:
            raise NetworkChangeError(f"duplicate node id {node.id!r}")
        if not node.id.strip():
            raise NetworkChangeError("node id must not be empty")
        self._check_parent(node, node.parent_id)
        if node.active:
            self._check_room(node, node.parent_id)
        self._nodes[node.id] = node
        self._children[node.id] = []
        if node.parent_id is not None:
            self._children[node.parent_id].append(node.id)

    def move(self, node_id: str, *, new_parent_id: str) -> ChannelNode:
        """Re-attach a node (and its subtree) under another parent; access changes at once."""
        node = self.get(node_id)
        if node.parent_id is None:
            raise NetworkChangeError(f"{node_id} is a root and cannot be moved")
        if new_parent_id == node_id or any(d.id == new_parent_id for d in self.descendants(node_id)):
            raise NetworkChangeError(f"moving {node_id} under {new_parent_id} would create a cycle")
        moved = dataclasses.replace(node, parent_id=new_parent_id)
        self._check_parent(moved, new_parent_id)
        if node.active and new_parent_id != node.parent_id:
            self._check_room(moved, new_parent_id)
            self._check_not_breaking(node, node.parent_id)
        self._children[node.parent_id].remove(node_id)
        self._children[new_parent_id].append(node_id)
        self._nodes[node_id] = moved
        return moved

    def deactivate(self, node_id: str) -> ChannelNode:
        """Mark a node inactive; its active children must be moved or deactivated first."""
        node = self.get(node_id)
        active_children = [c for c in self._children[node_id] if self._nodes[c].active]
        if active_children:
            raise NetworkChangeError(f"{node_id} still has active children: {', '.join(active_children)}")
        updated = dataclasses.replace(node, active=False)
        self._nodes[node_id] = updated
        return updated

    def reactivate(self, node_id: str) -> ChannelNode:
        """Mark a node active again; its parent must be active."""
        node = self.get(node_id)
        if node.parent_id is not None and not self._nodes[node.parent_id].active:
            raise NetworkChangeError(f"parent {node.parent_id} of {node_id} is inactive")
        if not node.active:
            self._check_room(node, node.parent_id)
        updated = dataclasses.replace(node, active=True)
        self._nodes[node_id] = updated
        return updated

    def _check_parent(self, node: ChannelNode, parent_id: str | None) -> None:
        if parent_id is None:
            if node.level is not Level.NATIONAL:
                raise NetworkChangeError(f"{node.id}: only a national node may have no parent")
            return
        parent = self._nodes.get(parent_id)
        if parent is None:
            raise NetworkChangeError(f"{node.id}: unknown parent {parent_id!r}")
        if not parent.active:
            raise NetworkChangeError(f"{node.id}: parent {parent_id} is inactive")
        if node.level.depth <= parent.level.depth:
            raise NetworkChangeError(
                f"{node.id}: a {node.level} node cannot sit under a {parent.level} node ({parent_id})"
            )

    def _alliance_size(self, parent_id: str | None) -> int | None:
        """Active partners of ``parent_id`` when it is an alliance (else None)."""
        parent = self._nodes.get(parent_id) if parent_id is not None else None
        if parent is None or parent.level is not Level.ALLIANCE:
            return None
        return sum(
            1 for c in self._children[parent.id] if self._nodes[c].active and self._nodes[c].level is Level.PARTNER
        )

    def _check_room(self, node: ChannelNode, parent_id: str | None) -> None:
        size = self._alliance_size(parent_id)
        if node.level is Level.PARTNER and size is not None and size >= ALLIANCE_PARTNERS[1]:
            raise AllianceSizeError(
                f"{node.id}: alliance {parent_id} already has {size} active partners (at most {ALLIANCE_PARTNERS[1]})"
            )

    def _check_not_breaking(self, node: ChannelNode, parent_id: str | None) -> None:
        size = self._alliance_size(parent_id)
        low = ALLIANCE_PARTNERS[0]
        if node.level is Level.PARTNER and size is not None and size - 1 < low <= size:
            raise AllianceSizeError(
                f"{node.id}: alliance {parent_id} would keep {size - 1} active partners (at least {low}); "
                "move another partner in first"
            )

    # ----------------------------------------------------------------- users

    def add_user(self, user: User) -> None:
        if user.username in self._users:
            raise NetworkChangeError(f"duplicate username {user.username!r}")
        if user.partner_id not in self._nodes:
            raise PartnerNotFoundError(f"user {user.username}: no channel node {user.partner_id!r}")
        self._users[user.username] = user

    def user(self, username: str) -> User | None:
        return self._users.get(username)

    def users(self) -> tuple[User, ...]:
        return tuple(self._users.values())

    def users_of(self, node_id: str) -> tuple[User, ...]:
        return tuple(u for u in self._users.values() if u.partner_id == node_id)

    def user_can_read(self, username: str, target_partner_id: str) -> bool:
        """:meth:`can_read` for the node the user belongs to; unknown users read nothing."""
        user = self._users.get(username)
        return user is not None and self.can_read(user.partner_id, target_partner_id)
