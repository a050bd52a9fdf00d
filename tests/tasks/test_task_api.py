"""REST of multi-level tasks over the demo network: every role, ids outside the caller's
subtree answered exactly like missing ones, idempotent progress, bounded inputs that never
give a 500; the app driven in-process (tests/rebates_api/harness.py) on SQLite and
PostgreSQL, and once over a real uvicorn server with password sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.i18n import ERROR_MESSAGES, error_message
from tests.api.conftest import LiveServer, free_port
from tests.rebates_api.harness import PASSWORD, Api, build_index, make_settings
from tests.storage_backends import database_for

MISSING = "TK-000000000000"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Api]:
    """The demo network and ledger; each test makes its own tasks."""
    tmp = tmp_path_factory.mktemp("tasks-api")
    with database_for(module_backend, tmp) as url:
        app = Api(make_settings(tmp, database_url=url))
        yield app
        app.close()


def put(api: Api, path: str, user: str, json: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token(user)}"}
    return api.loop.run_until_complete(api.client.put(path, json=json, headers=headers))


def new_task(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"title": "四季度客户拜访", "kind": "visits", "goal": 300, "start": "2026-10-01", "due": "2026-12-31"}
    body.update(fields)
    r = api.post("/api/tasks", "n_admin", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def keys(tree: dict[str, Any]) -> set[str]:
    return {tree["key"]}.union(*(keys(c) for c in tree["children"]))


def same_answer(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.json()) == (b.status_code, b.json())


# --------------------------------------------------------------------------- create


def test_hq_creates_a_task_split_down_to_salespeople(api: Api) -> None:
    task = new_task(api, title="Q4 边缘网关新客户", kind="new_customers", product_line="EG", goal=120)
    assert (task["goal"], task["root_id"], task["basis_quarter"], task["kind_label"], task["unit"]) == (
        120,
        "N-001",
        "2026Q3",
        "新客户",
        "家",
    )
    tree = task["tree"]
    assert tree["quantity"] == 120 and {c["key"] for c in tree["children"]} == {"R-EC", "R-SC", "R-NC", "R-SW", "R-CC"}

    def check(node: dict[str, Any]) -> None:
        if node["children"]:
            assert sum(c["quantity"] for c in node["children"]) == node["quantity"]
        for c in node["children"]:
            check(c)

    check(tree)
    assert "P-HZ-01/hz_sales1" in keys(tree)
    assert task["mine"]["key"] == "N-001" and task["mine"]["status"] in {"at_risk", "on_track"}


def test_a_dry_run_shows_the_split_and_stores_nothing(api: Api) -> None:
    before = len(api.get("/api/tasks", "n_admin").json()["tasks"])
    r = api.post(
        "/api/tasks",
        "n_admin",
        json={
            "title": "预演",
            "kind": "demos",
            "goal": 10,
            "start": "2026-12-01",
            "due": "2026-12-31",
            "dry_run": True,
        },
    )
    assert r.status_code == 200 and r.json()["tree"]["quantity"] == 10
    assert len(api.get("/api/tasks", "n_admin").json()["tasks"]) == before
    assert api.get(f"/api/tasks/{r.json()['id']}", "n_admin").status_code == 404


@pytest.mark.parametrize("user", ["n_manager", "n_editor", "ec_manager", "hz_manager", "hz_boss1", "hz_sales1"])
def test_only_hq_admins_create(api: Api, user: str) -> None:
    body = {"title": "t", "kind": "visits", "goal": 5, "start": "2026-12-01", "due": "2026-12-31"}
    r = api.post("/api/tasks", user, json=body)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    "change",
    [
        {"goal": 0},
        {"goal": 10**7},
        {"goal": "5"},
        {"goal": 5.5},
        {"goal": 2**70},
        {"kind": "calls"},
        {"title": ""},
        {"title": "长" * 101},
        {"start": "2026/10/01"},
        {"start": "2026-02-30"},
        {"product_line": "eg"},
        {"root_id": "r-ec"},
        {"extra": 1},
        {"dry_run": "yes"},
    ],
)
def test_a_malformed_create_is_a_validation_error(api: Api, change: dict[str, Any]) -> None:
    body: dict[str, Any] = {"title": "t", "kind": "visits", "goal": 5, "start": "2026-12-01", "due": "2026-12-31"}
    body.update(change)
    r = api.post("/api/tasks", "n_admin", json=body)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error"), r.text


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        ({"due": "2026-11-01"}, "invalid_task", 422),  # before today (2026-11-27)
        ({"start": "2026-12-31", "due": "2026-12-01"}, "invalid_task", 422),
        ({"root_id": "P-NOPE-01"}, "partner_not_found", 404),
    ],
)
def test_a_refused_create_says_why_in_chinese(api: Api, change: dict[str, Any], code: str, status: int) -> None:
    body: dict[str, Any] = {"title": "t", "kind": "visits", "goal": 5, "start": "2026-10-01", "due": "2026-12-31"}
    body.update(change)
    r = api.post("/api/tasks", "n_admin", json=body)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert r.json()["message"] == error_message(code) != error_message("internal")


# --------------------------------------------------------------------------- every role reads its subtree


@pytest.mark.parametrize(
    ("user", "scope", "mine"),
    [
        ("n_admin", "N-001", "N-001"),
        ("n_manager", "N-001", "N-001"),
        ("ec_manager", "R-EC", "R-EC"),
        ("ec_sales1", "R-EC", "R-EC"),
        ("hz_manager", "A-HZ", "A-HZ"),
        ("hz_boss1", "P-HZ-01", "P-HZ-01"),
        ("hz_sales1", "P-HZ-01", "P-HZ-01/hz_sales1"),
    ],
)
def test_every_role_sees_its_own_node_and_below(api: Api, user: str, scope: str, mine: str) -> None:
    task = new_task(api)
    listed = {t["id"]: t for t in api.get("/api/tasks", user).json()["tasks"]}
    assert listed[task["id"]]["scope"]["key"] == scope and listed[task["id"]]["mine"]["key"] == mine
    detail = api.get(f"/api/tasks/{task['id']}", user).json()
    assert detail["tree"]["key"] == scope and detail["mine"]["key"] == mine
    shown = keys(detail["tree"])
    everything = keys(task["tree"])
    network = api.runtime.rebates.state.network  # type: ignore[union-attr]
    below = {k for k in everything if network.can_read(scope, k.split("/")[0])}
    assert shown == below


def test_ids_outside_the_subtree_answer_exactly_like_missing_ones(api: Api) -> None:
    south = new_task(api, root_id="R-SC", goal=50)
    national = new_task(api, goal=50)
    for user in ("hz_sales1", "hz_manager", "ec_manager"):
        missing = api.get(f"/api/tasks/{MISSING}", user)
        assert missing.status_code == 404 and missing.json()["code"] == "task_not_found"
        same_answer(api.get(f"/api/tasks/{south['id']}", user), missing)
        progress = {"amount": 1, "client_id": "x-1"}
        same_answer(
            api.post(f"/api/tasks/{south['id']}/progress", user, json=progress),
            api.post(f"/api/tasks/{MISSING}/progress", user, json=progress),
        )
        edit = {"items": [{"assignee": "A-SZ", "quantity": 1}]}
        if user != "hz_sales1":
            same_answer(
                put(api, f"/api/tasks/{south['id']}/assignments", user, edit),
                put(api, f"/api/tasks/{MISSING}/assignments", user, edit),
            )
        # A node of a task it takes part in, outside its subtree, is a node that does not exist.
        nowhere = api.get(f"/api/tasks/{national['id']}", user, node="P-NOPE-99")
        assert nowhere.status_code == 404 and nowhere.json()["code"] == "assignment_not_found"
        outside = ["P-SZ-01", "R-SC", "N-001", "P-SZ-02/sz_sales2"]
        outside += {
            "hz_sales1": ["P-HZ-02", "P-HZ-02/hz_sales2", "A-HZ"],
            "hz_manager": ["P-SU-01", "A-SU", "R-EC"],
            "ec_manager": ["R-NC", "A-SZ"],
        }[user]
        for node in outside:
            same_answer(api.get(f"/api/tasks/{national['id']}", user, node=node), nowhere)
        if user != "hz_sales1":
            same_answer(
                put(api, f"/api/tasks/{national['id']}/assignments", user, {"parent": "A-SZ", **edit}),
                put(api, f"/api/tasks/{national['id']}/assignments", user, {"parent": "A-NOPE", **edit}),
            )
    assert south["id"] not in {t["id"] for t in api.get("/api/tasks", "hz_sales1").json()["tasks"]}


# --------------------------------------------------------------------------- edits


def test_managers_edit_below_their_node_and_sums_must_hold(api: Api) -> None:
    task = new_task(api, goal=400)
    path = f"/api/tasks/{task['id']}/assignments"
    region = api.get(f"/api/tasks/{task['id']}", "ec_manager").json()["tree"]
    total = region["quantity"]
    r = put(
        api,
        path,
        "ec_manager",
        {
            "items": [
                {"assignee": "A-HZ", "quantity": total - 2},
                {"assignee": "A-SU", "quantity": 1},
                {"assignee": "A-NB", "quantity": 1},
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert {c["key"]: c["quantity"] for c in r.json()["tree"]["children"]} == {"A-HZ": total - 2, "A-SU": 1, "A-NB": 1}
    # Does not add up: refused, and nothing changed.
    bad = put(api, path, "ec_manager", {"items": [{"assignee": "A-HZ", "quantity": total}]})
    assert (bad.status_code, bad.json()["code"]) == (422, "quantity_sum_mismatch")
    assert bad.json()["message"] == "下级数量之和必须等于上级的数量，本次调整未保存。"
    again = api.get(f"/api/tasks/{task['id']}", "ec_manager").json()["tree"]
    assert {c["key"]: c["quantity"] for c in again["children"]} == {"A-HZ": total - 2, "A-SU": 1, "A-NB": 1}
    # A refused item is named.
    named = put(
        api, path, "ec_manager", {"items": [{"assignee": "A-HZ", "quantity": 1}, {"assignee": "A-SZ", "quantity": 1}]}
    )
    assert named.json() == {
        "code": "invalid_breakdown",
        "message": error_message("invalid_breakdown"),
        "item": 1,
        "field": "assignee",
    }
    # A partner's manager splits among its salespeople; salespeople may not edit.
    boss = put(
        api,
        path,
        "hz_boss1",
        {
            "items": [
                {
                    "assignee": "P-HZ-01/hz_sales1",
                    "quantity": api.get(f"/api/tasks/{task['id']}", "hz_boss1").json()["tree"]["quantity"],
                }
            ]
        },
    )
    assert boss.status_code == 200, boss.text
    sales = put(api, path, "hz_sales1", {"items": [{"assignee": "P-HZ-01/hz_sales1", "quantity": 1}]})
    assert (sales.status_code, sales.json()["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": [{"assignee": "A-HZ", "quantity": -1}]},
        {"items": [{"assignee": "A-HZ", "quantity": "3"}]},
        {"items": [{"assignee": "A-HZ", "quantity": 10**9}]},
        {"items": [{"assignee": "", "quantity": 1}]},
        {"items": [{"assignee": "A" * 101, "quantity": 1}]},
        {"items": [{"assignee": "A-HZ", "quantity": 1}] * 501},
        {"items": "A-HZ"},
    ],
)
def test_a_malformed_edit_is_a_validation_error(api: Api, body: dict[str, Any]) -> None:
    task = new_task(api, goal=20)
    r = put(api, f"/api/tasks/{task['id']}/assignments", "ec_manager", body)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")


# --------------------------------------------------------------------------- progress


def test_progress_is_idempotent_and_rolls_up(api: Api) -> None:
    task = new_task(api, goal=200)
    path = f"/api/tasks/{task['id']}/progress"
    first = api.post(path, "hz_sales1", json={"amount": 3, "note": "今天拜访了3家客户", "client_id": "turn-1"})
    assert first.status_code == 201 and first.json()["duplicate"] is False
    assert first.json()["mine"]["progress"] == 3 and first.json()["report"]["assignee"] == "P-HZ-01/hz_sales1"
    again = api.post(path, "hz_sales1", json={"amount": 3, "note": "今天拜访了3家客户", "client_id": "turn-1"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["report"]["id"] == first.json()["report"]["id"] and again.json()["mine"]["progress"] == 3
    clash = api.post(path, "hz_sales1", json={"amount": 5, "note": "今天拜访了3家客户", "client_id": "turn-1"})
    assert (clash.status_code, clash.json()["code"]) == (409, "progress_conflict")
    api.post(path, "hz_boss1", json={"amount": 2, "client_id": "b-1"})
    tree = api.get(f"/api/tasks/{task['id']}", "hz_manager").json()["tree"]
    partner = next(c for c in tree["children"] if c["key"] == "P-HZ-01")
    assert (partner["own_progress"], partner["progress"]) == (2, 5) and tree["progress"] == 5
    assert api.get(f"/api/tasks/{task['id']}", "n_admin").json()["tree"]["progress"] == 5


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": 0, "client_id": "a"}, "invalid_progress"),
        ({"amount": -1, "client_id": "b"}, "invalid_progress"),  # below zero
        ({"amount": 10_001, "client_id": "c"}, "validation_error"),
        ({"amount": 1.5, "client_id": "d"}, "validation_error"),
        ({"amount": 1, "client_id": ""}, "validation_error"),
        ({"amount": 1, "client_id": "x" * 65}, "validation_error"),
        ({"amount": 1, "client_id": "e", "note": "长" * 501}, "validation_error"),
        ({"amount": 1}, "validation_error"),
        ({"amount": 1, "client_id": "f", "node": "P-HZ-02"}, "validation_error"),
    ],
)
def test_a_refused_report_says_why_and_counts_nothing(api: Api, body: dict[str, Any], code: str) -> None:
    task = new_task(api, goal=30)
    r = api.post(f"/api/tasks/{task['id']}/progress", "hz_sales2", json=body)
    assert (r.status_code, r.json()["code"]) == (422, code)
    assert api.get(f"/api/tasks/{task['id']}", "hz_sales2").json()["mine"]["progress"] == 0


def test_flags_show_overdue_and_at_risk(api: Api) -> None:
    task = new_task(api, goal=100, start="2026-11-01", due="2026-11-30")
    mine = api.get(f"/api/tasks/{task['id']}", "hz_sales1").json()["mine"]
    # 26 of 30 days passed, nothing reported: behind the pace by far more than the margin.
    assert mine["quantity"] > 0
    assert (mine["status"], mine["at_risk"], mine["overdue"]) == ("at_risk", True, False)
    assert mine["expected"] == round(mine["quantity"] * 26 / 30, 1)


def test_english_messages_are_switchable() -> None:
    assert ERROR_MESSAGES["task_not_found"][1] == "No such task, or you may not see it."
    assert error_message("progress_conflict", "en").startswith("This client id")
    assert error_message("progress_conflict").startswith("这个上报编号")


def test_without_a_token_nothing_is_answered(api: Api) -> None:
    assert api.get("/api/tasks").status_code == 401
    assert api.post("/api/tasks", json={}).status_code == 401


# --------------------------------------------------------------------------- a real server


@pytest.mark.slow
def test_tasks_over_a_real_server(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    build_index(settings)
    server = LiveServer(settings, free_port())
    server.start()
    try:
        admin = {"Authorization": f"Bearer {server.token('n_admin', PASSWORD)}"}
        sales = {"Authorization": f"Bearer {server.token('hz_sales1', PASSWORD)}"}
        other = {"Authorization": f"Bearer {server.token('sz_sales1', PASSWORD)}"}
        body = {"title": "Q4 演示", "kind": "demos", "goal": 60, "start": "2026-10-01", "due": "2026-12-31"}
        created = httpx.post(f"{server.http}/api/tasks", headers=admin, json=body)
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        report = {"amount": 2, "note": "做了两场演示", "client_id": "live-1"}
        assert httpx.post(f"{server.http}/api/tasks/{task_id}/progress", headers=sales, json=report).status_code == 201
        assert httpx.post(f"{server.http}/api/tasks/{task_id}/progress", headers=sales, json=report).status_code == 200
        tree = httpx.get(f"{server.http}/api/tasks/{task_id}", headers=admin).json()["tree"]
        assert tree["progress"] == 2
        peek = httpx.get(f"{server.http}/api/tasks/{task_id}", headers=other, params={"node": "P-HZ-01"})
        nothing = httpx.get(f"{server.http}/api/tasks/{task_id}", headers=other, params={"node": "P-NOPE-01"})
        assert (
            (peek.status_code, peek.json())
            == (nothing.status_code, nothing.json())
            == (
                404,
                {"code": "assignment_not_found", "message": error_message("assignment_not_found")},
            )
        )
        spec = httpx.get(f"{server.http}/openapi.json").json()["paths"]
        assert {
            "/api/tasks",
            "/api/tasks/{task_id}",
            "/api/tasks/{task_id}/assignments",
            "/api/tasks/{task_id}/progress",
        } <= set(spec)
    finally:
        server.stop()
