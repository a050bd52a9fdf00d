"""Channel tree: access matrix per level, moves, deactivation, and a property test against a model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.rebates import (
    ChannelNetwork,
    ChannelNode,
    Level,
    NetworkChangeError,
    PartnerNotFoundError,
    Role,
    User,
)
from assistant.rebates.network import ALLIANCE_PARTNERS

LEVELS = [Level.NATIONAL, Level.REGIONAL, Level.ALLIANCE, Level.PARTNER]


def node(node_id: str, level: Level, parent: str | None) -> ChannelNode:
    return ChannelNode(id=node_id, name=f"{node_id} 公司", level=level, parent_id=parent, region="华东", city="杭州")


def small_tree() -> ChannelNetwork:
    """N -> R1 (A1 -> P1, P2; A2 -> P3), R2 (A3 -> P4)."""
    return ChannelNetwork(
        [
            node("P4", Level.PARTNER, "A3"),  # any order: parents are resolved
            node("N", Level.NATIONAL, None),
            node("R1", Level.REGIONAL, "N"),
            node("R2", Level.REGIONAL, "N"),
            node("A1", Level.ALLIANCE, "R1"),
            node("A2", Level.ALLIANCE, "R1"),
            node("A3", Level.ALLIANCE, "R2"),
            node("P1", Level.PARTNER, "A1"),
            node("P2", Level.PARTNER, "A1"),
            node("P3", Level.PARTNER, "A2"),
        ],
        users=[User("a1_manager", "王晓东", "A1", Role.MANAGER), User("p1_sales1", "李思远", "P1", Role.SALES)],
    )


# viewer -> the nodes it may read; everything else must be refused
READABLE = {
    "N": {"N", "R1", "R2", "A1", "A2", "A3", "P1", "P2", "P3", "P4"},
    "R1": {"R1", "A1", "A2", "P1", "P2", "P3"},
    "R2": {"R2", "A3", "P4"},
    "A1": {"A1", "P1", "P2"},
    "A2": {"A2", "P3"},
    "A3": {"A3", "P4"},
    "P1": {"P1"},
    "P2": {"P2"},
    "P3": {"P3"},
    "P4": {"P4"},
}


def test_access_matrix() -> None:
    network = small_tree()
    for viewer, allowed in READABLE.items():
        for target in READABLE["N"]:
            assert network.can_read(viewer, target) == (target in allowed), (viewer, target)
        assert set(network.readable(viewer)) == allowed


@pytest.mark.parametrize(
    ("viewer", "target", "relation"),
    [
        ("P1", "P1", "own"),
        ("A1", "A1", "own"),
        ("R1", "R1", "own"),
        ("N", "N", "own"),
        ("A1", "P2", "descendant"),
        ("R1", "P3", "descendant"),
        ("N", "P4", "descendant"),
    ],
)
def test_own_node_and_descendants_are_readable(viewer: str, target: str, relation: str) -> None:
    assert small_tree().can_read(viewer, target), relation


@pytest.mark.parametrize(
    ("viewer", "target", "relation"),
    [
        ("P1", "P2", "sibling partner"),
        ("A1", "A2", "sibling alliance"),
        ("R1", "R2", "sibling region"),
        ("A1", "P3", "cousin"),
        ("P1", "A1", "parent"),
        ("P1", "N", "root"),
        ("A1", "R1", "parent"),
        ("R1", "N", "parent"),
        ("R2", "P1", "other region's partner"),
    ],
)
def test_siblings_and_ancestors_are_not_readable(viewer: str, target: str, relation: str) -> None:
    assert not small_tree().can_read(viewer, target), relation


def test_move_changes_access_at_once() -> None:
    network = small_tree()
    assert network.can_read("A1", "P1") and network.can_read("R1", "P1") and not network.can_read("R2", "P1")
    moved = network.move("P1", new_parent_id="A3")
    assert moved.parent_id == "A3"
    assert not network.can_read("A1", "P1")
    assert not network.can_read("R1", "P1")
    assert network.can_read("A3", "P1") and network.can_read("R2", "P1") and network.can_read("N", "P1")
    assert network.can_read("A1", "P2")  # the old sibling is unaffected
    assert [n.id for n in network.ancestors("P1")] == ["A3", "R2", "N"]
    assert not network.user_can_read("a1_manager", "P1")


def test_moving_an_alliance_moves_its_partners() -> None:
    network = small_tree()
    network.move("A1", new_parent_id="R2")
    assert network.can_read("R2", "P1") and network.can_read("R2", "P2")
    assert not network.can_read("R1", "P2")
    assert {p.id for p in network.partners_under("R2")} == {"P1", "P2", "P4"}


@pytest.mark.parametrize(
    ("node_id", "parent", "why"),
    [
        ("R1", "P1", "a descendant (cycle)"),
        ("A1", "A1", "itself"),
        ("P1", "P2", "a partner (leaves have no children)"),
        ("A1", "A3", "a node of the same level"),
        ("N", "R1", "the root cannot move"),
    ],
)
def test_invalid_moves(node_id: str, parent: str, why: str) -> None:
    network = small_tree()
    with pytest.raises(NetworkChangeError) as info:
        network.move(node_id, new_parent_id=parent)
    assert info.value.code == "invalid_network_change", why
    assert network.get(node_id).parent_id == small_tree().get(node_id).parent_id  # unchanged


def test_deactivation() -> None:
    network = small_tree()
    with pytest.raises(NetworkChangeError, match="active children"):
        network.deactivate("A2")
    network.deactivate("P3")
    assert not network.can_read("P3", "P3")  # an inactive viewer reads nothing
    assert network.can_read("A2", "P3")  # ancestors keep the history
    assert [p.id for p in network.partners_under("A2")] == []
    assert [p.id for p in network.partners_under("A2", include_inactive=True)] == ["P3"]
    network.deactivate("A2")
    with pytest.raises(NetworkChangeError, match="inactive"):
        network.add(node("P9", Level.PARTNER, "A2"))
    with pytest.raises(NetworkChangeError, match="inactive"):
        network.move("P1", new_parent_id="A2")
    with pytest.raises(NetworkChangeError, match="inactive"):
        network.reactivate("P3")
    network.reactivate("A2")
    network.reactivate("P3")
    assert network.can_read("P3", "P3")


def test_add_rules_and_unknown_ids() -> None:
    network = small_tree()
    with pytest.raises(NetworkChangeError, match="duplicate"):
        network.add(node("P1", Level.PARTNER, "A1"))
    with pytest.raises(NetworkChangeError, match="unknown parent"):
        network.add(node("P9", Level.PARTNER, "A9"))
    with pytest.raises(NetworkChangeError):
        network.add(node("R9", Level.REGIONAL, "A1"))  # a regional under an alliance
    with pytest.raises(NetworkChangeError):
        network.add(node("A9", Level.ALLIANCE, None))  # only the national node is a root
    network.add(node("P5", Level.PARTNER, "R2"))  # a partner directly under a region is allowed
    assert network.can_read("R2", "P5") and not network.can_read("A3", "P5")
    assert not network.can_read("NOPE", "P1") and not network.can_read("P1", "NOPE")
    with pytest.raises(PartnerNotFoundError) as info:
        network.get("NOPE")
    assert info.value.code == "partner_not_found"
    with pytest.raises(PartnerNotFoundError):
        network.add_user(User("x", "X", "NOPE", Role.SALES))
    assert not network.user_can_read("nobody", "P1")


# ----------------------------------------------------------------------------- property test


@st.composite
def trees_and_moves(draw: st.DrawFn) -> tuple[list[tuple[str, Level, str | None]], list[tuple[int, int]]]:
    """A random valid tree (each node under an earlier node of a shallower level, at most five
    partners an alliance) and random move attempts."""
    nodes: list[tuple[str, Level, str | None]] = [("n0", Level.NATIONAL, None)]

    def full(alliance: tuple[str, Level, str | None]) -> bool:
        partners = sum(1 for n in nodes if n[2] == alliance[0] and n[1] is Level.PARTNER)
        return alliance[1] is Level.ALLIANCE and partners >= ALLIANCE_PARTNERS[1]

    for index in range(1, draw(st.integers(min_value=1, max_value=25))):
        level = draw(st.sampled_from(LEVELS[1:]))
        parents = [n for n in nodes if n[1].depth < level.depth and not (level is Level.PARTNER and full(n))]
        parent = draw(st.sampled_from(parents))
        nodes.append((f"n{index}", level, parent[0]))
    moves = draw(st.lists(st.tuples(st.integers(0, len(nodes) - 1), st.integers(0, len(nodes) - 1)), max_size=10))
    return nodes, moves


def model_can_read(parents: dict[str, str | None], viewer: str, target: str) -> bool:
    current: str | None = target
    while current is not None:
        if current == viewer:
            return True
        current = parents[current]
    return False


def alliance_rule_allows(parents: dict[str, str | None], levels: dict[str, Level], moved: str, parent: str) -> bool:
    """3 to 5 partners an alliance: no sixth in, and a complete alliance keeps three."""
    if levels[moved] is not Level.PARTNER or parent == parents[moved]:
        return True

    def size(alliance: str | None) -> int | None:
        if alliance is None or levels[alliance] is not Level.ALLIANCE:
            return None
        return sum(1 for n, p in parents.items() if p == alliance and levels[n] is Level.PARTNER)

    low, high = ALLIANCE_PARTNERS
    into, out_of = size(parent), size(parents[moved])
    return not (into is not None and into >= high) and not (out_of is not None and out_of - 1 < low <= out_of)


@settings(max_examples=150, deadline=None)
@given(trees_and_moves())
def test_can_read_matches_a_parent_pointer_model(
    case: tuple[list[tuple[str, Level, str | None]], list[tuple[int, int]]],
) -> None:
    spec, moves = case
    network = ChannelNetwork(node(i, level, parent) for i, level, parent in reversed(spec))
    parents: dict[str, str | None] = {i: parent for i, _, parent in spec}
    levels = {i: level for i, level, _ in spec}
    ids = [i for i, _, _ in spec]

    def check() -> None:
        for viewer in ids:
            for target in ids:
                assert network.can_read(viewer, target) == model_can_read(parents, viewer, target)

    check()
    for moved_index, parent_index in moves:
        moved, parent = ids[moved_index], ids[parent_index]
        allowed = (
            parents[moved] is not None
            and levels[parent].depth < levels[moved].depth
            and not model_can_read(parents, moved, parent)  # parent not in moved's subtree
            and alliance_rule_allows(parents, levels, moved, parent)
        )
        if allowed:
            network.move(moved, new_parent_id=parent)
            parents[moved] = parent
        else:
            with pytest.raises(NetworkChangeError):
                network.move(moved, new_parent_id=parent)
        check()


# ----------------------------------------------------------------------------- alliance size


def alliance_of(n: int) -> ChannelNetwork:
    """N -> R1 -> A1 with n partners, and an empty alliance A2 under R1."""
    nodes = [node("N", Level.NATIONAL, None), node("R1", Level.REGIONAL, "N")]
    nodes += [node("A1", Level.ALLIANCE, "R1"), node("A2", Level.ALLIANCE, "R1")]
    nodes += [node(f"P{i}", Level.PARTNER, "A1") for i in range(1, n + 1)]
    return ChannelNetwork(nodes)


def test_an_alliance_takes_no_sixth_active_partner() -> None:
    network = alliance_of(5)
    with pytest.raises(NetworkChangeError, match="already has 5 active partners") as info:
        network.add(node("P9", Level.PARTNER, "A1"))
    assert info.value.code == "alliance_size"
    network.add(node("P9", Level.PARTNER, "A2"))
    with pytest.raises(NetworkChangeError, match="at most 5"):
        network.move("P9", new_parent_id="A1")
    network.deactivate("P5")  # a partner leaves: allowed, and makes room
    network.move("P9", new_parent_id="A1")
    with pytest.raises(NetworkChangeError, match="at most 5"):
        network.reactivate("P5")
    assert len(network.partners_under("A1")) == 5


def test_a_move_does_not_break_up_a_complete_alliance() -> None:
    network = alliance_of(3)
    with pytest.raises(NetworkChangeError, match="would keep 2 active partners"):
        network.move("P1", new_parent_id="A2")
    assert network.get("P1").parent_id == "A1"  # unchanged
    network.add(node("P4", Level.PARTNER, "A1"))
    network.move("P1", new_parent_id="A2")  # 4 -> 3 is fine; A2 is forming and may grow
    assert {p.id for p in network.partners_under("A1")} == {"P2", "P3", "P4"}


def test_a_forming_alliance_may_lose_and_gain_partners() -> None:
    network = alliance_of(2)
    network.move("P1", new_parent_id="A2")  # 2 -> 1: never was complete
    network.move("P1", new_parent_id="A1")
    assert len(network.partners_under("A1")) == 2
