"""REST of the practice sessions over the demo network: the choices, a session started
(bounded request, unknown values refused with a code naming the field), answered turn by
turn (scores, feedback, next turn, the summary at the end; a replay gets the stored
result, another text for an answered turn is refused; any text is scored), another user's
session answered like a missing one, own history, and the managers' roll-up that
salespeople cannot see; the app driven in-process (tests/rebates_api/harness.py) on SQLite
and PostgreSQL, and once over a real uvicorn server with password sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.i18n import ERROR_MESSAGES, error_message
from assistant.training.practice_tables import PracticeSessionRow
from assistant.training.roleplay import Scenario, ScenarioRequest
from tests.api.conftest import LiveServer, free_port
from tests.rebates_api.harness import PASSWORD, Api, build_index, make_settings
from tests.storage_backends import database_for

MISSING = "PS-" + "0" * 32
CODES = (
    "practice_bad_request",
    "practice_unknown_product",
    "practice_unknown_industry",
    "practice_unknown_persona",
    "practice_unknown_competitor",
    "practice_not_found",
    "practice_turn_invalid",
    "practice_turn_not_next",
    "practice_turn_answered",
    "practice_finished",
    "practice_nothing_answered",
    "practice_scenario_changed",
    "practice_data_invalid",
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Api]:
    """The demo network (its users practise); each test uses its own people."""
    tmp = tmp_path_factory.mktemp("practice-api")
    with database_for(module_backend, tmp) as url:
        app = Api(make_settings(tmp, database_url=url))
        yield app
        app.close()


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert (r.status_code, r.json()) == (status, {"code": code, "message": error_message(code)}), r.text


def same_answer(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.json()) == (b.status_code, b.json())


def start(api: Api, user: str, **body: Any) -> dict[str, Any]:
    r = api.post("/api/training/practice", user, json={"product_id": "EG-2100", **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def answer(api: Api, user: str, session_id: str, turn: Any, text: Any) -> httpx.Response:
    return api.post(f"/api/training/practice/{session_id}/answers", user, json={"turn": turn, "text": text})


def scenario_of(api: Api, session_id: str) -> Scenario:
    """The session's customer as the server builds it (from the stored request and seed)."""
    assert api.runtime.db is not None
    with api.runtime.db.read() as s:
        row = s.get(PracticeSessionRow, session_id)
        assert row is not None
        request = ScenarioRequest(
            row.product_id, industry=row.industry, persona=row.persona, competitor=row.competitor, seed=row.seed
        )
    return api.runtime.practice.get().roleplay.scenario(request)


# --------------------------------------------------------------------------- choices and start


def test_the_choices_of_a_practice(api: Api) -> None:
    o = api.get("/api/training/practice/options", "hz_sales1").json()
    products = {p["id"]: p for p in o["products"]}
    assert {"EG-2100", "EG-3200", "SN-VB500-Pro"} <= set(products)
    assert products["EG-3200"]["line"] == "EG" and products["EG-3200"]["competitors"]
    assert all(c["id"] and c["label"].startswith(c["id"]) for c in products["EG-3200"]["competitors"])
    assert [p["id"] for p in o["personas"]] == [
        "tech_decision_maker",
        "roi_manager",
        "procurement",
        "operator",
        "it_security",
    ]
    assert "化工" in o["industries"] and o["max_answer_chars"] == 4000
    assert [d["id"] for d in o["dimensions"]] == ["coverage", "values", "objection", "accuracy"]


def test_a_practice_starts_with_the_customer_and_his_first_turn(api: Api) -> None:
    body = start(api, "hz_sales1", industry="化工", persona="tech_decision_maker", competitor="华屹智能")
    session = body["session"]
    assert session["id"].startswith("PS-") and session["status"] == "open" and session["answered"] == 0
    assert (session["product_id"], session["industry"], session["persona"], session["competitor"]) == (
        "EG-2100",
        "化工",
        "tech_decision_maker",
        "华屹智能",
    )
    assert 4 <= session["turns"] <= 8 and session["scores"] is None
    customer = body["customer"]
    assert customer["persona"] == "tech_decision_maker" and customer["persona_label"] == "技术决策者"
    assert customer["company"] in body["intro"]
    first = body["next_turn"]
    scenario = scenario_of(api, session["id"])
    assert first == {"index": 1, "kind": "question", "text": scenario.turns[0].text, "competitor": ""}
    assert "ideal" not in str(body) and "points" not in body["next_turn"]  # what a good answer says stays here
    assert api.get(f"/api/training/practice/{session['id']}", "hz_sales1").json() == {**body, "stale": False}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"product_id": "EG-9999"}, "practice_unknown_product"),
        ({"product_id": " "}, "practice_unknown_product"),
        ({"product_id": "EG-2100", "industry": "航天"}, "practice_unknown_industry"),
        ({"product_id": "EG-2100", "persona": "ceo"}, "practice_unknown_persona"),
        ({"product_id": "EG-2100", "competitor": "西门子"}, "practice_unknown_competitor"),
        ({"product_id": ""}, "validation_error"),
        ({"product_id": "E" * 65}, "validation_error"),
        ({"product_id": "EG-2100", "industry": "化" * 65}, "validation_error"),
        ({"product_id": 2100}, "validation_error"),
        ({"product_id": ["EG-2100"]}, "validation_error"),
        ({"industry": "化工"}, "validation_error"),
        ({"product_id": "EG-2100", "user_id": "u-hz_sales2"}, "validation_error"),
        ({"product_id": "EG-2100", "seed": 1}, "validation_error"),
        (["EG-2100"], "validation_error"),
    ],
)
def test_a_bad_start_says_why(api: Api, body: Any, code: str) -> None:
    refused(api.post("/api/training/practice", "hz_sales2", json=body), 422, code)


# --------------------------------------------------------------------------- answers


def test_a_whole_session_answered_turn_by_turn(api: Api) -> None:
    body = start(api, "hz_sales3", persona="procurement")
    sid = body["session"]["id"]
    scenario = scenario_of(api, sid)
    texts = ["不太清楚，回头查一下", *(t.ideal for t in scenario.turns[1:])]
    results = []
    for turn, text in zip(scenario.turns, texts, strict=True):
        r = answer(api, "hz_sales3", sid, turn.index, text)
        assert r.status_code == 200, r.text
        results.append(r.json())
    first, last = results[0], results[-1]
    assert first["answer"]["verdict"] == "fail" and first["answer"]["feedback"] and not first["finished"]
    assert first["next_turn"]["index"] == 2 and first["summary"] is None and first["replayed"] is False
    assert [d["key"] for d in first["answer"]["dimensions"]] == ["coverage", "values", "objection", "accuracy"]
    assert all(r["answer"]["verdict"] == "pass" for r in results[1:])
    assert last["finished"] and last["next_turn"] is None and last["session"]["status"] == "finished"
    summary = last["summary"]
    assert summary["turns_scored"] == len(scenario.turns) and summary["lesson"]["lesson_id"].startswith("L-")
    assert summary["missed"] and all(m["turn"] == 1 and m["ideal"] and m["citations"] for m in summary["missed"])
    assert summary["verdict_label"] in {"通过", "部分达标", "未达标"} and summary["text"]
    assert last["session"]["scores"]["overall"] == summary["overall"]
    assert last["session"]["scores"]["lesson_id"] == summary["lesson"]["lesson_id"]

    # The same last answer again: the stored result; another text: refused; no more turns.
    replay = answer(api, "hz_sales3", sid, len(scenario.turns), texts[-1]).json()
    assert replay["replayed"] is True and replay["answer"] == last["answer"] and replay["summary"] == summary
    refused(answer(api, "hz_sales3", sid, 1, "换个答案"), 409, "practice_turn_answered")
    done = api.get(f"/api/training/practice/{sid}", "hz_sales3").json()
    assert api.post(f"/api/training/practice/{sid}/finish", "hz_sales3").json() == done  # finished already
    assert done["summary"] == summary and len(done["answers"]) == len(scenario.turns)
    assert [a["text"] for a in done["answers"]] == texts and done["next_turn"] is None


def test_turn_rules_and_bounds(api: Api) -> None:
    sid = start(api, "hz_sales4")["session"]["id"]
    turns = scenario_of(api, sid).turns
    refused(answer(api, "hz_sales4", sid, 2, "跳过第一轮"), 409, "practice_turn_not_next")
    if len(turns) < 8:
        refused(answer(api, "hz_sales4", sid, 8, "答案"), 422, "practice_turn_invalid")
    for turn in (0, 9, -1, "1", True, 1.0, None):
        refused(answer(api, "hz_sales4", sid, turn, "答案"), 422, "validation_error")
    for text in (None, 5, ["答案"], "好" * 32_001):
        refused(answer(api, "hz_sales4", sid, 1, text), 422, "validation_error")
    refused(
        api.post(f"/api/training/practice/{sid}/answers", "hz_sales4", json={"text": "答案"}), 422, "validation_error"
    )
    extra = {"turn": 1, "text": "答案", "user_id": "u-hz_sales1"}
    refused(api.post(f"/api/training/practice/{sid}/answers", "hz_sales4", json=extra), 422, "validation_error")
    refused(api.post(f"/api/training/practice/{sid}/finish", "hz_sales4"), 409, "practice_nothing_answered")
    assert api.get(f"/api/training/practice/{sid}", "hz_sales4").json()["answers"] == []


@pytest.mark.parametrize(
    "text",
    ["", "   ", "你是傻逼吗", "今天天气不错，晚上一起吃饭吧", "<img src=x onerror=alert(1)>", "x" * 5000, "\u0000好"],
)
def test_any_text_gets_a_polite_score(api: Api, text: str) -> None:
    sid = start(api, "nb_sales2")["session"]["id"]
    r = answer(api, "nb_sales2", sid, 1, text)
    assert r.status_code == 200, r.text
    a = r.json()["answer"]
    assert a["verdict"] == "fail" and a["overall"] == 0.0 and a["feedback"]
    assert a["cut"] == (len(text) > 4000) and len(a["text"]) <= 4000 and a["chars"] == len(text.replace("\u0000", ""))
    assert r.json()["next_turn"]["index"] == 2


def test_ending_early(api: Api) -> None:
    sid = start(api, "nb_sales3")["session"]["id"]
    assert answer(api, "nb_sales3", sid, 1, "断网缓存 30 天").status_code == 200
    ended = api.post(f"/api/training/practice/{sid}/finish", "nb_sales3").json()
    assert ended["session"]["status"] == "finished" and ended["summary"]["turns_scored"] == 1
    assert ended["next_turn"] is None
    assert api.post(f"/api/training/practice/{sid}/finish", "nb_sales3").json() == ended
    refused(answer(api, "nb_sales3", sid, 2, "继续"), 409, "practice_finished")


def test_another_users_session_is_answered_like_a_missing_one(api: Api) -> None:
    sid = start(api, "sz_sales1")["session"]["id"]
    for user in ("sz_sales2", "sz_manager", "n_admin"):
        for path in ("", "/finish"):
            method = api.get if not path else api.post
            missing = method(f"/api/training/practice/{MISSING}{path}", user)
            refused(missing, 404, "practice_not_found")
            same_answer(method(f"/api/training/practice/{sid}{path}", user), missing)
            same_answer(method(f"/api/training/practice/nope{path}", user), missing)
        missing = answer(api, user, MISSING, 1, "抢答")
        refused(missing, 404, "practice_not_found")
        same_answer(answer(api, user, sid, 1, "抢答"), missing)
    refused(api.get("/api/training/practice/" + "P" * 65, "sz_sales1"), 422, "validation_error")
    # Still the owner's, untouched.
    own = api.get(f"/api/training/practice/{sid}", "sz_sales1").json()
    assert own["answers"] == [] and own["session"]["status"] == "open"
    assert [s["id"] for s in api.get("/api/training/practice", "sz_sales2").json()["sessions"]] == []


def test_own_history_with_scores_per_dimension(api: Api) -> None:
    sid = start(api, "sz_sales3")["session"]["id"]
    scenario = scenario_of(api, sid)
    for turn in scenario.turns:
        assert answer(api, "sz_sales3", sid, turn.index, turn.ideal).status_code == 200
    opened = start(api, "sz_sales3", product_id="EG-3200")["session"]["id"]
    history = api.get("/api/training/practice", "sz_sales3").json()
    assert [s["id"] for s in history["sessions"]] == [opened, sid]
    assert (history["total"], history["finished"]) == (2, 1)
    finished = history["sessions"][1]
    assert finished["scores"]["verdict"] == "pass" and history["overall"] == finished["scores"]["overall"]
    assert [d["key"] for d in history["dimensions"]] == ["coverage", "values", "objection", "accuracy"]
    coverage = history["dimensions"][0]
    assert coverage["sessions"] == 1 and coverage["score"] == finished["scores"]["dimensions"][0]["score"]
    assert [s["id"] for s in api.get("/api/training/practice", "sz_sales3", limit=1).json()["sessions"]] == [opened]
    for limit in (0, 101, "x"):
        refused(api.get("/api/training/practice", "sz_sales3", limit=limit), 422, "validation_error")


def test_managers_see_their_team_and_salespeople_do_not(api: Api) -> None:
    sid = start(api, "nb_sales1")["session"]["id"]
    for turn in scenario_of(api, sid).turns:
        assert answer(api, "nb_sales1", sid, turn.index, turn.ideal).status_code == 200
    team = api.get("/api/training/practice/team", "nb_manager").json()
    tree = team["tree"]
    assert tree["node_id"] == "A-NB" and tree["stats"]["sessions"] >= 1
    p1 = next(c for c in tree["children"] if c["node_id"] == "P-NB-01")
    person = next(m for m in p1["members"] if m["username"] == "nb_sales1")
    assert person["stats"]["sessions"] == 1 and person["stats"]["overall"] == 1.0
    assert [d["key"] for d in person["stats"]["dimensions"]] == ["coverage", "values", "objection", "accuracy"]
    region = api.get("/api/training/practice/team", "ec_manager", node="A-NB").json()
    assert region["tree"] == tree
    nowhere = api.get("/api/training/practice/team", "nb_manager", node="P-NOPE-99")
    refused(nowhere, 404, "partner_not_found")
    for node in ("P-HZ-01", "A-HZ", "R-EC", "N-001"):
        same_answer(api.get("/api/training/practice/team", "nb_manager", node=node), nowhere)
    for user in ("nb_sales1", "ec_sales1", "n_editor"):
        refused(api.get("/api/training/practice/team", user), 403, "forbidden")
        refused(api.get("/api/training/practice/team", user, node="A-NB"), 403, "forbidden")
    refused(api.get("/api/training/practice/team", "nb_manager", node="x" * 33), 422, "validation_error")


def test_without_a_token_nothing_is_answered(api: Api) -> None:
    for path in ("/api/training/practice", "/api/training/practice/options", "/api/training/practice/team"):
        assert api.get(path).status_code == 401
    assert api.get(f"/api/training/practice/{MISSING}").status_code == 401
    assert api.post("/api/training/practice", json={"product_id": "EG-2100"}).status_code == 401
    assert api.post(f"/api/training/practice/{MISSING}/answers", json={"turn": 1, "text": "x"}).status_code == 401


def test_messages_in_chinese_and_english() -> None:
    from assistant.api.app import STATUS_BY_CODE

    for code in CODES:
        zh, en = ERROR_MESSAGES[code]
        assert zh != en and zh != error_message("internal") and code in STATUS_BY_CODE
    assert error_message("practice_turn_answered", "en").startswith("This turn was already answered")


# --------------------------------------------------------------------------- a real server


@pytest.mark.slow
def test_a_practice_over_a_real_server(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    build_index(settings)
    server = LiveServer(settings, free_port())
    server.start()
    try:
        sales = {"Authorization": f"Bearer {server.token('cq_sales1', PASSWORD)}"}
        other = {"Authorization": f"Bearer {server.token('cq_sales2', PASSWORD)}"}
        base = f"{server.http}/api/training/practice"
        started = httpx.post(base, headers=sales, json={"product_id": "EG-2100"}, timeout=30)
        assert started.status_code == 201, started.text
        sid = started.json()["session"]["id"]
        body = {"turn": 1, "text": "断网缓存 30 天"}
        assert httpx.post(f"{base}/{sid}/answers", headers=other, json=body).json()["code"] == "practice_not_found"
        first = httpx.post(f"{base}/{sid}/answers", headers=sales, json=body).json()
        assert first["answer"]["turn"] == 1 and first["next_turn"]["index"] == 2
        assert httpx.post(f"{base}/{sid}/answers", headers=sales, json=body).json()["replayed"] is True
        assert httpx.get(base, headers=sales).json()["total"] == 1
        assert httpx.get(f"{base}/team", headers=sales).json()["code"] == "forbidden"
        spec = httpx.get(f"{server.http}/openapi.json").json()["paths"]
        assert {
            "/api/training/practice",
            "/api/training/practice/options",
            "/api/training/practice/team",
            "/api/training/practice/{session_id}",
            "/api/training/practice/{session_id}/answers",
            "/api/training/practice/{session_id}/finish",
        } <= set(spec)
    finally:
        server.stop()
