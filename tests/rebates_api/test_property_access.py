"""Property test: zero cross-partner reads.

Hypothesis generates random channel trees (regions, alliances, partners; some partners
straight under a region), users with random roles on every node, orders, and a random
sequence of requests across REST and chat, including admin moves and deactivations made
through the API.  A model of the rules, kept here independently of the code under test,
predicts every status code; and no response body ever contains the id or name of a
partner (or one of its order ids) that the caller may not read.  Every user also records a
customer: the customer lists and reads by id show exactly the customers the model lets the
user read (its own; a manager's or admin's also those of the users below), never another's.

One app (REST + chat) serves every example, driven in-process through
``httpx.ASGITransport``; each example grows its own subtree under the national node, so
earlier examples' partners stay around as foreign targets.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.rebates import Order
from assistant.rebates.network import ALLIANCE_PARTNERS
from tests.rebates_api.harness import REBATES, Api, make_settings

DEPTH = {"national": 0, "regional": 1, "alliance": 2, "partner": 3}
QUARTERS = [None, "2026Q1", "2026Q2", "2026Q3", "2026Q4", "2030Q1"]
READS = [
    *("statement", "history", "what-if", "orders", "ranking", "partners", "alerts", "profiles", "dashboard", "tasks"),
    "customers",  # customer records (issue 18): the list, one by id, and the conversation list
]
MISSING_CUSTOMER = "00000000-0000-0000-0000-000000000000"
# Channel operations (issue 14): read for leaks and 5xx; their own tests check each status.
OPS_READS = {
    "alerts": "/api/alerts",
    "profiles": "/api/ops/profiles",
    "dashboard": "/api/ops/dashboard",
    "tasks": "/api/tasks",
}
QUESTIONS = [
    "我这季度返利多少",
    "离下一档还差多少",
    "再卖 30 万能拿多少",
    "我的排名",
    "为什么这笔没算增量",
    "上季度返了多少",
    "有哪些风险预警",
    "我们在联盟里哪项最弱",
    "我有什么任务",
]
ROOT_ADMIN = "root_admin"
_examples = itertools.count(1)

BASE_CHANNELS = """\
nodes:
  - {id: N-001, name: 全国总代, level: national, region: 全国, city: 上海}
users:
  - {username: root_admin, display_name: 管理员, partner: N-001, role: admin}
"""


# --------------------------------------------------------------------------- the model


@dataclass
class Model:
    """The channel tree as the rules describe it, and who may read what."""

    parent: dict[str, str | None] = field(default_factory=lambda: {"N-001": None})
    level: dict[str, str] = field(default_factory=lambda: {"N-001": "national"})
    active: dict[str, bool] = field(default_factory=lambda: {"N-001": True})
    users: dict[str, tuple[str, str]] = field(default_factory=lambda: {ROOT_ADMIN: ("N-001", "admin")})
    orders: dict[str, list[str]] = field(default_factory=dict)  # partner -> order ids
    customers: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> (owner, node, name)

    def add(self, node: str, level: str, parent: str) -> None:
        self.parent[node], self.level[node], self.active[node] = parent, level, True

    def is_below_or_same(self, ancestor: str, node: str) -> bool:
        current: str | None = node
        while current is not None:
            if current == ancestor:
                return True
            current = self.parent[current]
        return False

    def can_read(self, viewer: str, target: str | None) -> bool:
        if target not in self.parent or viewer not in self.parent or not self.active[viewer]:
            return False
        return self.is_below_or_same(viewer, target)

    def subtree(self, node: str) -> set[str]:
        return {n for n in self.parent if self.is_below_or_same(node, n)}

    def children(self, node: str) -> list[str]:
        return [n for n, p in self.parent.items() if p == node]

    def partners(self) -> list[str]:
        return [n for n, lv in self.level.items() if lv == "partner"]

    def sees_customer(self, user: str, customer_id: str) -> bool:
        """Its owner, and the managers and admins whose node reads the owner's node."""
        owner, node, _ = self.customers[customer_id]
        viewer, role = self.users[user]
        return owner == user or (role in ("manager", "admin") and self.can_read(viewer, node))

    def forbidden_words(self, viewer: str) -> list[str]:
        """Ids, names and order ids of every partner the viewer may not read."""
        words: list[str] = []
        for p in self.partners():
            if not self.can_read(viewer, p):
                words += [p, name_of(p), *self.orders.get(p, [])]
        return words


def name_of(node_id: str) -> str:
    return f"伙伴{node_id}号"


# --------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class Shape:
    regions: list[tuple[list[int], int]]  # per region: partners per alliance, partners straight under it


shapes = st.builds(
    Shape,
    regions=st.lists(
        st.tuples(st.lists(st.integers(1, 3), min_size=0, max_size=2), st.integers(0, 1)), min_size=1, max_size=2
    ),
)
roles = st.sampled_from(["sales", "manager", "admin"])
pick = st.integers(0, 10_000)  # indexes into lists known only at run time
ops = st.one_of(
    st.tuples(st.just("read"), pick, st.sampled_from(READS), pick, st.sampled_from(QUARTERS), st.booleans()),
    st.tuples(
        st.just("chat"), pick, st.sampled_from([*QUESTIONS, "{partner} 这季度返利多少", "{order} 为什么没算增量"]), pick
    ),
    st.tuples(st.just("move"), pick, pick, pick, st.booleans()),
    st.tuples(st.just("deactivate"), pick, pick, st.booleans()),
)
orders_per_partner = st.lists(
    st.tuples(st.integers(1, 200_000_000), st.booleans(), st.integers(0, 300)), min_size=0, max_size=3
)


# --------------------------------------------------------------------------- fixture


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, fixture_index: Path) -> Iterator[tuple[Api, Model]]:
    tmp = tmp_path_factory.mktemp("rebates-property")
    data = tmp / "rebates"
    data.mkdir()
    (data / "policy.yaml").write_text((REBATES / "policy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (data / "channels.yaml").write_text(BASE_CHANNELS, encoding="utf-8")
    header = (REBATES / "orders.csv").read_text(encoding="utf-8").splitlines()[0]
    (data / "orders.csv").write_text(header + "\n", encoding="utf-8")
    api = Api(make_settings(tmp, rebates_dir=data, index_dir=fixture_index), chat=True)
    yield api, Model()
    api.close()


# --------------------------------------------------------------------------- checks


def check_body(model: Model, viewer: str, body: str) -> None:
    leaks = [w for w in model.forbidden_words(viewer) if w in body]
    assert not leaks, f"{viewer} got {leaks}"


def expected_partner_read(model: Model, viewer: str, target: str | None, quarter: str | None) -> tuple[int, str | None]:
    node = target or viewer
    if not model.can_read(viewer, node):
        return 404, "partner_not_found"
    if model.level[node] != "partner":
        return 422, "partner_required"
    if quarter == "2030Q1":
        return 404, "quarter_not_found"
    return 200, None


def check_read(api: Api, model: Model, user: str, *, what: str, target: str | None, quarter: str | None) -> None:
    viewer, _ = model.users[user]
    if what in ("statement", "history", "what-if"):
        params: dict[str, Any] = {"partner_id": target}
        if what != "history":
            params["quarter"] = quarter
        if what == "what-if":
            params.update(amount="300000", new_customer="true")
        r = api.get(f"/api/rebates/{what}", user, **params)
        expected = expected_partner_read(model, viewer, target, quarter if what != "history" else None)
        assert (r.status_code, r.json().get("code")) == expected, (user, viewer, what, target, quarter, r.text)
        if r.status_code == 200:
            assert r.json()["partner_id"] == (target or viewer)
    elif what == "orders":
        r = api.get("/api/ledger/orders", user, partner_id=target, quarter=quarter, limit=5000)
        node = target or viewer
        if not model.can_read(viewer, node):
            assert (r.status_code, r.json()["code"]) == (404, "partner_not_found")
        elif quarter == "2030Q1":
            assert (r.status_code, r.json()["code"]) == (404, "quarter_not_found")
        else:
            assert r.status_code == 200, r.text
            for order in r.json()["orders"]:
                assert model.is_below_or_same(node, order["partner_id"]), order
    elif what == "ranking":
        r = api.get("/api/rebates/ranking", user, quarter=quarter)
        if not model.can_read(viewer, viewer):
            assert (r.status_code, r.json()["code"]) == (404, "partner_not_found")
        elif quarter == "2030Q1":
            assert (r.status_code, r.json()["code"]) == (404, "quarter_not_found")
        else:
            assert r.status_code == 200, r.text
            scope = model.parent[viewer] if model.level[viewer] == "partner" else viewer
            assert scope is not None
            members = {n for n in model.subtree(scope) if model.level[n] == "partner" and model.active[n]}
            body = r.json()
            assert body["size"] == len(members)
            shown = {row["partner_id"] for row in body["rows"] if row["visible"]}
            assert shown == {m for m in members if model.can_read(viewer, m)}
    elif what in OPS_READS:
        params = {"quarter": quarter} if what in ("profiles", "dashboard") else {}
        r = api.get(OPS_READS[what], user, **params)
        if what == "profiles" and target is not None:  # one partner's profile, by id
            r = api.get(f"{OPS_READS[what]}/{target}", user, quarter=quarter)
            if not model.can_read(viewer, target):
                assert (r.status_code, r.json()["code"]) == (404, "partner_not_found"), r.text
        assert r.status_code < 500, (user, what, r.text)
    else:  # partners
        r = api.get("/api/partners", user)
        if not model.can_read(viewer, viewer):
            assert (r.status_code, r.json()["code"]) == (404, "partner_not_found")
        else:
            assert r.status_code == 200

            def ids(node: dict[str, Any]) -> set[str]:
                return {node["id"]}.union(*(ids(c) for c in node["children"]))

            assert ids(r.json()) == model.subtree(viewer)
    check_body(model, viewer, r.text)


def check_customers(api: Api, model: Model, user: str, pick: int | None) -> None:
    """The customers the user reads, exactly (their number; a page of them); one customer by
    id (``pick``: any example's, or a missing id) answers 404 byte for byte like a missing
    one unless the user reads it; no body names a customer the user may not read."""
    visible = {c for c in model.customers if model.sees_customer(user, c)}
    r = api.get("/api/customers", user, limit=100)
    assert r.status_code == 200 and int(r.headers["X-Total-Count"]) == len(visible), (user, r.text)
    assert {c["id"] for c in r.json()} <= visible
    bodies = [r.text]
    if pick is not None:
        ids = [*sorted(model.customers), MISSING_CUSTOMER]
        target = ids[pick % len(ids)]
        one = api.get(f"/api/customers/{target}", user)
        bodies += [one.text, api.get("/api/conversations", user).text]
        if target in visible:
            assert one.status_code == 200 and one.json()["id"] == target
        else:
            assert one.content == api.get(f"/api/customers/{MISSING_CUSTOMER}", user).content, (user, target)
            assert (one.status_code, one.json()["code"]) == (404, "customer_not_found")
    hidden = [w for c, (_, _, name) in model.customers.items() if c not in visible for w in (c, name)]
    for body in bodies:
        assert not [w for w in hidden if w in body], (user, body)


def check_chat(api: Api, model: Model, user: str, text: str) -> None:
    viewer, _ = model.users[user]
    reply = api.chat(user, text)
    check_body(model, viewer, str(reply))
    for card in reply["cards"]:
        if card["type"] == "rebate":
            assert model.can_read(viewer, card["partner_id"]), (user, text, card["partner_id"])
            if model.level[viewer] == "partner":
                assert card["partner_id"] == viewer  # a partner's answers are about itself only


def expected_move(model: Model, user: str, node: str, new_parent: str) -> int:
    viewer, role = model.users[user]
    if role != "admin":
        return 403
    if not model.can_read(viewer, node) or not model.can_read(viewer, new_parent):
        return 404
    if model.parent[node] is None or model.is_below_or_same(node, new_parent):
        return 409
    if not model.active[new_parent] or DEPTH[model.level[node]] <= DEPTH[model.level[new_parent]]:
        return 409
    if model.level[node] == "partner" and model.active[node] and model.parent[node] != new_parent:
        low, high = ALLIANCE_PARTNERS

        def size(alliance: str | None) -> int | None:
            if alliance is None or model.level[alliance] != "alliance":
                return None
            return sum(1 for c in model.children(alliance) if model.level[c] == "partner" and model.active[c])

        into, out_of = size(new_parent), size(model.parent[node])
        if (into is not None and into >= high) or (out_of is not None and out_of - 1 < low <= out_of):
            return 409
    return 200


def expected_deactivate(model: Model, user: str, node: str) -> int:
    viewer, role = model.users[user]
    if role != "admin":
        return 403
    if not model.can_read(viewer, node):
        return 404
    if node == viewer or any(model.active[c] for c in model.children(node)):
        return 409
    return 200


# --------------------------------------------------------------------------- the property


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=shapes,
    user_roles=st.lists(roles, min_size=12, max_size=12),
    orders=st.lists(orders_per_partner, min_size=12, max_size=12),
    steps=st.lists(ops, min_size=4, max_size=14),
)
def test_zero_cross_partner_reads(
    world: tuple[Api, Model],
    shape: Shape,
    user_roles: list[str],
    orders: list[list[tuple[int, bool, int]]],
    steps: list[tuple[Any, ...]],
) -> None:
    api, model = world
    prefix = f"E{next(_examples):03d}"
    nodes: list[str] = []

    def add(node: str, level: str, parent: str) -> None:
        body: dict[str, Any] = {"id": node, "name": name_of(node), "level": level, "parent_id": parent}
        if level == "partner":
            body.update(baseline="500000", first_quarter="2026Q1")
        r = api.post("/api/admin/partners", ROOT_ADMIN, json=body)
        assert r.status_code == 201, r.text
        model.add(node, level, parent)
        nodes.append(node)

    # 1. The tree, built through the admin API.
    for i, (alliances, direct) in enumerate(shape.regions, start=1):
        region = f"{prefix}R{i}"
        add(region, "regional", "N-001")
        for j, members in enumerate(alliances, start=1):
            alliance = f"{region}A{j}"
            add(alliance, "alliance", region)
            for k in range(1, members + 1):
                add(f"{alliance}P{k}", "partner", alliance)
        for k in range(1, direct + 1):
            add(f"{region}P{k}", "partner", region)

    # 2. A user on every node, with a random role.
    users: list[str] = []
    for index, node in enumerate(nodes):
        user = f"u{node.lower()}"
        role = user_roles[index % len(user_roles)]
        api.add_user(user, node, role)
        model.users[user] = (node, role)
        users.append(user)
        name = f"客户<{user}>"  # delimited: no customer's name is part of another's
        r = api.post("/api/customers", user, json={"name": name})
        assert r.status_code == 201, r.text
        model.customers[r.json()["id"]] = (user, node, name)
    users.append(ROOT_ADMIN)

    # 3. Orders, written through the service (database first, then memory).
    batch: list[Order] = []
    for index, partner in enumerate(n for n in nodes if model.level[n] == "partner"):
        for m, (cents, new, day) in enumerate(orders[index % len(orders)], start=1):
            order_id = f"SO-{partner}-{m}"
            batch.append(
                Order(
                    order_id=order_id,
                    partner_id=partner,
                    customer_id=f"C-{partner}-{m}",
                    new_customer=new,
                    product_id="EG-2100",
                    amount=Decimal(cents) / 100,
                    date=date(2026, 1, 1) + timedelta(days=day),
                )
            )
            model.orders.setdefault(partner, []).append(order_id)
    assert api.runtime.rebates is not None
    api.runtime.rebates.record_orders(batch)

    # 4. Requests, across REST and chat, checked against the model.
    foreign = model.partners()[:2] + model.partners()[-4:-2]  # earlier examples' partners, if any
    everyone = [*nodes, "N-001", "P-NOPE-1", *foreign]
    for step in steps:
        kind = step[0]
        if kind == "read":
            _, u, what, t, quarter, inside = step
            user = users[u % len(users)]
            # Half the targets are inside the user's own subtree, half anywhere.
            pool = sorted(model.subtree(model.users[user][0])) if inside else everyone
            target = None if t % 5 == 0 else pool[t % len(pool)]
            if what == "customers":
                check_customers(api, model, user, t)
            else:
                check_read(api, model, user, what=what, target=target, quarter=quarter)
        elif kind == "chat":
            _, u, text, t = step
            partners = model.partners()
            other = partners[t % len(partners)]
            order_ids = [o for p in partners for o in model.orders.get(p, [])] or ["SO-NONE-1"]
            text = text.format(partner=other, order=order_ids[t % len(order_ids)])
            check_chat(api, model, users[u % len(users)], text)
        elif kind == "move":
            _, u, n, p, by_root = step
            user = ROOT_ADMIN if by_root else users[u % len(users)]
            parents = [x for x in everyone if model.level.get(x) in ("national", "regional", "alliance")]
            node, new_parent = everyone[n % len(everyone)], parents[p % len(parents)]
            expected = expected_move(model, user, node, new_parent)
            r = api.post(f"/api/admin/partners/{node}/move", user, json={"new_parent_id": new_parent})
            assert r.status_code == expected, (user, node, new_parent, r.text)
            if expected == 200:
                model.parent[node] = new_parent
        else:
            _, u, n, by_root = step
            user, node = ROOT_ADMIN if by_root else users[u % len(users)], everyone[n % len(everyone)]
            expected = expected_deactivate(model, user, node)
            r = api.post(f"/api/admin/partners/{node}/deactivate", user)
            assert r.status_code == expected, (user, node, r.text)
            if expected == 200:
                model.active[node] = False

    # 5. Finally every user of the example reads its tree: exactly its subtree, nothing else.
    for user in users:
        check_read(api, model, user, what="partners", target=None, quarter=None)
        check_customers(api, model, user, None)
