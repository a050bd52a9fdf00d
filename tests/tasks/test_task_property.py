"""Property test: no caller ever sees a task assignment outside its subtree.

The idea of tests/rebates_api/test_property_access.py, extended to tasks: hypothesis grows
random channel trees (regions, alliances, partners, some partners straight under a region)
through the admin API, puts users with random roles on every node and a salesperson on every
partner, has HQ create tasks, then runs random requests (list, read a task or a node of it,
edit quantities, report progress) and admin moves.  A model of the tree kept here decides
who may read what: every node id and key in a response is in the caller's subtree, no name
of another node reaches it, and an id it may not see is answered exactly like a missing one.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rebates_api.harness import REBATES, Api, make_settings

ROOT_ADMIN = "root_admin"
BASE_CHANNELS = """\
nodes:
  - {id: N-001, name: 全国总代, level: national, region: 全国, city: 上海}
users:
  - {username: root_admin, display_name: 管理员, partner: N-001, role: admin}
"""
_examples = itertools.count(1)


@dataclass
class Model:
    parent: dict[str, str | None] = field(default_factory=lambda: {"N-001": None})
    level: dict[str, str] = field(default_factory=lambda: {"N-001": "national"})
    users: dict[str, tuple[str, str]] = field(default_factory=lambda: {ROOT_ADMIN: ("N-001", "admin")})

    def below_or_same(self, ancestor: str, node: str) -> bool:
        current: str | None = node
        while current is not None:
            if current == ancestor:
                return True
            current = self.parent.get(current)
        return False

    def forbidden_names(self, viewer: str) -> list[str]:
        return [name_of(n) for n in self.parent if n != "N-001" and not self.below_or_same(viewer, n)]


def name_of(node_id: str) -> str:
    return f"伙伴{node_id}号"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Model]]:
    tmp = tmp_path_factory.mktemp("tasks-property")
    data = tmp / "rebates"
    data.mkdir()
    (data / "policy.yaml").write_text((REBATES / "policy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (data / "channels.yaml").write_text(BASE_CHANNELS, encoding="utf-8")
    header = (REBATES / "orders.csv").read_text(encoding="utf-8").splitlines()[0]
    (data / "orders.csv").write_text(header + "\n", encoding="utf-8")
    api = Api(make_settings(Path(tmp), rebates_dir=data))
    yield api, Model()
    api.close()


def put(api: Api, path: str, user: str, body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token(user)}"}
    return api.loop.run_until_complete(api.client.put(path, json=body, headers=headers))


def node_ids(value: Any) -> Iterator[str]:
    """Every node id a response names: ``node_id``, ``root_id`` and the node part of ``key``."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name in ("node_id", "root_id") and isinstance(item, str):
                yield item
            elif name in ("key", "assignee") and isinstance(item, str):
                yield item.split("/")[0]
            else:
                yield from node_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from node_ids(item)


def check(model: Model, user: str, r: httpx.Response, missing: httpx.Response | None = None) -> None:
    viewer, _ = model.users[user]
    assert r.status_code != 500, r.text
    body = r.json()
    if r.status_code in {200, 201}:
        for node in node_ids(body):
            # A task rooted below HQ names its root (``root_id``); everything else is in the subtree.
            assert model.below_or_same(viewer, node), (user, viewer, node)
    leaks = [n for n in model.forbidden_names(viewer) if n in r.text]
    assert not leaks, (user, leaks)
    if missing is not None and r.status_code == 404:
        assert (r.status_code, body) == (missing.status_code, missing.json()), (user, r.text, missing.text)


shapes = st.lists(
    st.tuples(st.lists(st.integers(1, 3), min_size=0, max_size=2), st.integers(0, 1)), min_size=1, max_size=2
)
roles = st.sampled_from(["sales", "manager", "admin"])
pick = st.integers(0, 10_000)
ops = st.one_of(
    st.tuples(st.just("list"), pick),
    st.tuples(st.just("get"), pick, pick, pick),
    st.tuples(st.just("put"), pick, pick, pick, st.integers(0, 5)),
    st.tuples(st.just("progress"), pick, pick, st.integers(-2, 5), st.integers(0, 3)),
    st.tuples(st.just("move"), pick, pick),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, user_roles=st.lists(roles, min_size=8, max_size=8), steps=st.lists(ops, min_size=4, max_size=14))
def test_no_caller_sees_an_assignment_outside_its_subtree(
    world: tuple[Api, Model], shape: list[tuple[list[int], int]], user_roles: list[str], steps: list[tuple[Any, ...]]
) -> None:
    api, model = world
    prefix = f"T{next(_examples):03d}"
    nodes: list[str] = []

    def add(node: str, level: str, parent: str) -> None:
        body: dict[str, Any] = {"id": node, "name": name_of(node), "level": level, "parent_id": parent}
        if level == "partner":
            body.update(baseline="500000", first_quarter="2026Q1")
        r = api.post("/api/admin/partners", ROOT_ADMIN, json=body)
        assert r.status_code == 201, r.text
        model.parent[node], model.level[node] = parent, level
        nodes.append(node)

    for i, (alliances, direct) in enumerate(shape, start=1):
        region = f"{prefix}R{i}"
        add(region, "regional", "N-001")
        for j, members in enumerate(alliances, start=1):
            for k in range(1, members + 1):
                if k == 1:
                    add(f"{region}A{j}", "alliance", region)
                add(f"{region}A{j}P{k}", "partner", f"{region}A{j}")
        for k in range(1, direct + 1):
            add(f"{region}P{k}", "partner", region)
    users: list[str] = [ROOT_ADMIN]
    for index, node in enumerate(nodes):
        role = user_roles[index % len(user_roles)]
        for user, user_role in ((f"u{node.lower()}", role), (f"s{node.lower()}", "sales")):
            if user_role == "sales" and model.level[node] != "partner" and user.startswith("s"):
                continue
            api.add_user(user, node, user_role)
            model.users[user] = (node, user_role)
            users.append(user)

    tasks: list[str] = []
    for root in ("N-001", nodes[0]):
        body = {"title": f"任务{prefix}", "kind": "visits", "goal": 97, "start": "2026-11-01", "due": "2026-12-31"}
        r = api.post("/api/tasks", ROOT_ADMIN, json={**body, "root_id": root})
        assert r.status_code == 201, r.text
        tasks.append(r.json()["id"])
    tasks.append("TK-000000000000")
    everyone = [*model.parent, "P-NOPE-1"]

    for step in steps:
        kind = step[0]
        user = users[step[1] % len(users)]
        if kind == "list":
            check(model, user, api.get("/api/tasks", user))
        elif kind == "get":
            task = tasks[step[2] % len(tasks)]
            node = None if step[3] % 4 == 0 else everyone[step[3] % len(everyone)]
            missing = api.get(f"/api/tasks/{task}", user, node="P-NOPE-1") if node else api.get("/api/tasks/TK-0", user)
            if node is not None and missing.json().get("code") == "task_not_found":
                missing = api.get("/api/tasks/TK-0", user)
            check(model, user, api.get(f"/api/tasks/{task}", user, node=node), missing)
        elif kind == "put":
            task = tasks[step[2] % len(tasks)]
            parent = everyone[step[3] % len(everyone)]
            children = [n for n, p in model.parent.items() if p == parent] or [parent]
            body = {"parent": parent, "items": [{"assignee": children[0], "quantity": step[4]}]}
            r = put(api, f"/api/tasks/{task}/assignments", user, body)
            missing = put(api, f"/api/tasks/{task}/assignments", user, {**body, "parent": "P-NOPE-1"})
            if missing.json().get("code") == "task_not_found":
                missing = put(api, "/api/tasks/TK-0/assignments", user, body)
            check(model, user, r, missing)
        elif kind == "progress":
            task = tasks[step[2] % len(tasks)]
            body = {"amount": step[3] or 1, "note": "拜访", "client_id": f"c{step[4]}"}
            r = api.post(f"/api/tasks/{task}/progress", user, json=body)
            assert r.status_code in (200, 201, 404, 409, 422), r.text
            if r.status_code == 404 and r.json()["code"] == "assignment_not_found":
                # The caller watches the task from above its root: it has no share to report on.
                assert api.get(f"/api/tasks/{task}", user).json()["mine"] is None, (user, task)
                check(model, user, r)
            else:
                missing = api.post("/api/tasks/TK-0/progress", user, json=body) if r.status_code == 404 else None
                check(model, user, r, missing)
        else:
            partners = [n for n in nodes if model.level[n] == "partner"]
            parents = [n for n in nodes if model.level[n] in ("regional", "alliance")]
            node, parent = partners[step[1] % len(partners)] if partners else nodes[0], parents[step[2] % len(parents)]
            r = api.post(f"/api/admin/partners/{node}/move", ROOT_ADMIN, json={"new_parent_id": parent})
            if r.status_code == 200:
                model.parent[node] = parent

    # Finally everyone's view of every task: exactly the shares of its subtree.
    for user in users:
        viewer, _ = model.users[user]
        for task in tasks[:2]:
            r = api.get(f"/api/tasks/{task}", user)
            check(model, user, r)
            if r.status_code == 200:
                shown = {k.split("/")[0] for k in _keys(r.json()["tree"])}
                assert all(model.below_or_same(viewer, n) for n in shown)
                assert json.dumps(r.json(), ensure_ascii=False).count(name_of(viewer)) >= 1 or viewer == "N-001"


def _keys(tree: dict[str, Any]) -> set[str]:
    return {tree["key"]}.union(*(_keys(c) for c in tree["children"]))
