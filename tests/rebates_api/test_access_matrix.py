"""The access matrix over REST, for each level of the demo tree: own node, descendant,
sibling, cousin and ancestor; and moving a node changes access with the next request.

Expected access is computed here from channels.yaml by a model of the rule (a user reads
its own node and the nodes below it), independent of the code under test."""

from __future__ import annotations

from functools import cache

import pytest
import yaml

from tests.rebates_api.harness import REBATES, Api

USERS = {"partner": "hz_sales1", "alliance": "hz_manager", "regional": "ec_manager", "national": "n_manager"}
# (level of the user, relation, target node)
CASES = [
    ("partner", "own", "P-HZ-01"),
    ("partner", "sibling", "P-HZ-02"),
    ("partner", "cousin", "P-SU-01"),
    ("partner", "ancestor", "A-HZ"),
    ("partner", "ancestor", "R-EC"),
    ("partner", "ancestor", "N-001"),
    ("partner", "unknown", "P-XX-99"),
    ("alliance", "own", "A-HZ"),
    ("alliance", "descendant", "P-HZ-03"),
    ("alliance", "sibling", "A-SU"),
    ("alliance", "cousin", "P-SU-02"),
    ("alliance", "ancestor", "R-EC"),
    ("alliance", "ancestor", "N-001"),
    ("regional", "own", "R-EC"),
    ("regional", "descendant", "A-NB"),
    ("regional", "descendant", "P-NB-02"),
    ("regional", "sibling", "R-SC"),
    ("regional", "cousin", "P-SZ-01"),
    ("regional", "cousin", "A-SZ"),
    ("regional", "ancestor", "N-001"),
    ("national", "own", "N-001"),
    ("national", "descendant", "R-SW"),
    ("national", "descendant", "A-CS"),
    ("national", "descendant", "P-CS-03"),
]


@cache
def tree() -> tuple[dict[str, str | None], dict[str, str], dict[str, str]]:
    data = yaml.safe_load((REBATES / "channels.yaml").read_text(encoding="utf-8"))
    parents = {n["id"]: n.get("parent") for n in data["nodes"]}
    levels = {n["id"]: n["level"] for n in data["nodes"]}
    users = {u["username"]: u["partner"] for u in data["users"]}
    return parents, levels, users


def model_can_read(viewer: str, target: str) -> bool:
    parents, _, _ = tree()
    current: str | None = target if target in parents else None
    while current is not None:
        if current == viewer:
            return True
        current = parents[current]
    return False


def subtree(node: str) -> set[str]:
    parents, _, _ = tree()
    return {n for n in parents if model_can_read(node, n)}


def test_the_cases_cover_every_relation_the_model_distinguishes() -> None:
    _, _, users = tree()
    for level, relation, target in CASES:
        viewer = users[USERS[level]]
        assert model_can_read(viewer, target) == (relation in ("own", "descendant")), (level, relation, target)


@pytest.mark.parametrize(("level", "relation", "target"), CASES)
def test_access_matrix(demo_api: Api, level: str, relation: str, target: str) -> None:
    _, levels, users = tree()
    user = USERS[level]
    viewer = users[user]
    allowed = model_can_read(viewer, target)
    leaf = levels.get(target) == "partner"

    def expect(response_status: int, code: str | None) -> None:
        if not allowed:
            assert (response_status, code) == (404, "partner_not_found"), (user, target)
        elif leaf:
            assert response_status == 200, (user, target, code)
        else:
            assert (response_status, code) == (422, "partner_required"), (user, target)

    for path, extra in (
        ("/api/rebates/statement", {"quarter": "2026Q3"}),
        ("/api/rebates/history", {}),
        ("/api/rebates/what-if", {"amount": "100000", "new_customer": "true"}),
    ):
        r = demo_api.get(path, user, partner_id=target, **extra)
        expect(r.status_code, r.json().get("code"))
        if r.status_code == 200:
            assert r.json()["partner_id"] == target

    orders = demo_api.get("/api/ledger/orders", user, partner_id=target, quarter="2026Q3", limit=5000)
    if allowed:
        assert orders.status_code == 200
        partners = {o["partner_id"] for o in orders.json()["orders"]}
        assert partners and partners <= subtree(target)
    else:
        assert (orders.status_code, orders.json()["code"]) == (404, "partner_not_found")


@pytest.mark.parametrize("level", list(USERS))
def test_tree_and_ranking_show_only_what_the_user_may_read(demo_api: Api, level: str) -> None:
    parents, levels, users = tree()
    user = USERS[level]
    viewer = users[user]

    def ids(node: dict[str, object]) -> set[str]:
        children = node["children"]
        assert isinstance(children, list)
        return {str(node["id"])}.union(*(ids(c) for c in children))

    assert ids(demo_api.get("/api/partners", user).json()) == subtree(viewer)

    ranking = demo_api.get("/api/rebates/ranking", user, quarter="2026Q3").json()
    scope = parents[viewer] if levels[viewer] == "partner" else viewer
    assert scope is not None
    members = {n for n in subtree(scope) if levels[n] == "partner"}
    assert ranking["size"] == len(members)
    shown = {row["partner_id"] for row in ranking["rows"] if row["visible"]}
    assert shown == {m for m in members if model_can_read(viewer, m)}
    hidden = members - shown
    body = str(ranking)
    assert not [h for h in hidden if h in body]


def test_moving_a_partner_changes_access_at_once(fresh_api: Api) -> None:
    api = fresh_api
    assert api.get("/api/rebates/statement", "hz_manager", partner_id="P-HZ-02").status_code == 200
    assert api.get("/api/rebates/statement", "su_manager", partner_id="P-HZ-02").status_code == 404
    assert api.get("/api/rebates/ranking", "hz_sales2").json()["size"] == 4

    assert api.post("/api/admin/partners/P-HZ-02/move", "n_admin", json={"new_parent_id": "A-SU"}).status_code == 200

    assert api.get("/api/rebates/statement", "hz_manager", partner_id="P-HZ-02").json()["code"] == "partner_not_found"
    assert api.get("/api/rebates/statement", "su_manager", partner_id="P-HZ-02").status_code == 200
    assert api.get("/api/rebates/statement", "hz_sales2").status_code == 200  # its own users keep their data
    assert api.get("/api/rebates/ranking", "hz_sales2").json()["size"] == 5  # ranked in the new alliance
    assert "P-HZ-02" not in str(api.get("/api/partners", "hz_manager").json())
    assert "P-HZ-02" in str(api.get("/api/partners", "su_manager").json())
    orders = api.get("/api/ledger/orders", "hz_manager", quarter="2026Q3", limit=5000).json()
    assert "P-HZ-02" not in {o["partner_id"] for o in orders["orders"]}

    # A whole alliance moves to another region: the old region loses it, the new one gains it.
    assert api.post("/api/admin/partners/A-NB/move", "n_admin", json={"new_parent_id": "R-SC"}).status_code == 200
    assert api.get("/api/rebates/statement", "ec_manager", partner_id="P-NB-01").status_code == 404
    assert api.get("/api/rebates/statement", "sc_manager", partner_id="P-NB-01").status_code == 200
    assert api.get("/api/rebates/statement", "nb_manager", partner_id="P-NB-01").status_code == 200
