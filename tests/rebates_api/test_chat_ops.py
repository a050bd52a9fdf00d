"""Channel operations in chat (issue 14): tasks, progress reports, a node's progress, risk
alerts, each for the verified caller only and with the same figures as REST."""

from __future__ import annotations

import pytest

from assistant.dialogue.ops_asks import ops_ask
from tests.rebates_api.harness import Api

TASK = {"title": "四季度客户拜访", "kind": "visits", "goal": 400, "start": "2026-10-01", "due": "2026-12-31"}


@pytest.fixture(scope="module")
def task_id(chat_api: Api) -> str:
    created = chat_api.post("/api/tasks", "n_admin", json=TASK)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("我这周有什么任务", "tasks"),
        ("给任务记上今天拜访了3家客户", "report"),
        ("华东区这个任务进度怎么样", "progress"),
        ("有哪些风险预警", "alerts"),
        ("我们在联盟里哪项最弱", "profile"),
        ("帮我记上", None),  # nothing done: not a report
        ("2100有什么风险", None),  # a product question
    ],
)
def test_operations_questions_are_recognised(text: str, ask: str | None) -> None:
    assert ops_ask(text) == ask


def test_a_salesperson_lists_its_task_and_reports_progress(chat_api: Api, task_id: str) -> None:
    chat_api.new_conversation("hz_sales1")
    listed = chat_api.chat("hz_sales1", "我这周有什么任务")
    rest = chat_api.get("/api/tasks", "hz_sales1").json()
    mine = next(t for t in rest["tasks"] if t["id"] == task_id)["mine"]
    assert listed["intent"] == "rebate_query" and "四季度客户拜访" in listed["text"]
    assert f"目标 {mine['quantity']}" in listed["text"]

    reported = chat_api.chat("hz_sales1", "给任务记上今天拜访了3家客户")
    after = next(t for t in chat_api.get("/api/tasks", "hz_sales1").json()["tasks"] if t["id"] == task_id)
    assert after["mine"]["progress"] == mine["progress"] + 3
    assert f"累计 {after['mine']['progress']}/{mine['quantity']}" in reported["text"]


def test_a_manager_asks_a_nodes_progress_below_it(chat_api: Api, task_id: str) -> None:
    chat_api.new_conversation("ec_manager")
    reply = chat_api.chat("ec_manager", "杭州联盟这个任务进度怎么样")
    tree = chat_api.get(f"/api/tasks/{task_id}", "ec_manager", node="A-HZ").json()
    assert "杭州蜂窝联盟" in reply["text"] and f"目标 {tree['tree']['quantity']}" in reply["text"]


def test_alerts_are_the_managers_subtree_and_refused_politely_to_sales(chat_api: Api) -> None:
    chat_api.new_conversation("ec_manager")
    reply = chat_api.chat("ec_manager", "有哪些风险预警")
    rest = chat_api.get("/api/alerts", "ec_manager").json()
    open_alerts = [a for a in rest["alerts"] if a["status"] != "resolved"]
    assert f"有 {len(open_alerts)} 条未处理的风险预警" in reply["text"]
    # Only 华东 partners: no partner of another region is named.
    assert "深圳" not in reply["text"] and "成都" not in reply["text"]
    chat_api.new_conversation("hz_sales1")
    refused = chat_api.chat("hz_sales1", "有哪些风险预警")
    assert "管理者" in refused["text"] and "P-" not in refused["text"]


def test_the_weakest_dimension_against_the_alliance_is_rests(chat_api: Api) -> None:
    chat_api.new_conversation("hz_sales1")
    reply = chat_api.chat("hz_sales1", "我们在联盟里哪项最弱")
    rest = chat_api.get("/api/ops/profiles/P-HZ-01", "hz_sales1").json()
    weakest = next(d for d in rest["dimensions"] if d["key"] == rest["weakest_vs_alliance"])
    assert f"相对最弱的是{weakest['label']}" in reply["text"]
    assert f"{weakest['score']:.0f} 分" in reply["text"] and "杭州蜂窝联盟" in reply["text"]
    # A manager of a region is not a partner: no profile of its own, said so.
    chat_api.new_conversation("ec_manager")
    assert "按伙伴计算" in chat_api.chat("ec_manager", "我们在联盟里哪项最弱")["text"]
