"""REST of the learning path and the advice over the demo network: own path after a lesson
passed and a practice finished, own advice, the team's balance for managers only (403 for
salespeople, 404 for a node outside the subtree like a missing one, 422 for a malformed
query, never 500), and nothing without a token; the app driven in-process
(tests/rebates_api/harness.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from assistant.i18n import error_message
from assistant.training.path_data import load_path_data
from tests.rebates_api.harness import Api, build_index, make_settings
from tests.storage_backends import database_for
from tests.training.path_world import CORPUS
from tests.training.test_lessons_api import pass_lesson

DATA = load_path_data(CORPUS)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("path-api")
    with database_for(module_backend, tmp) as url:
        app = Api(make_settings(tmp, database_url=url))
        yield app
        app.close()


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert (r.status_code, r.json()) == (status, {"code": code, "message": error_message(code)}), r.text


def practise(api: Api, user: str, product: str) -> dict[str, Any]:
    r = api.post("/api/training/practice", user, json={"product_id": product})
    assert r.status_code == 201, r.text
    sid = r.json()["session"]["id"]
    r = api.post(f"/api/training/practice/{sid}/answers", user, json={"turn": 1, "text": "我们的网关很好，价格也便宜"})
    assert r.status_code == 200, r.text
    r = api.post(f"/api/training/practice/{sid}/finish", user)
    assert r.status_code == 200, r.text
    return dict(r.json())


def modes(balance: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["mode"]: m for m in balance["modes"]}


def test_own_path_after_a_lesson_and_a_practice(api: Api) -> None:
    empty = api.get("/api/training/path", "su_sales2").json()
    assert empty["balance"]["minutes"] == 0 and [m["target"] for m in empty["balance"]["modes"]] == [0.7, 0.2, 0.1]
    pass_lesson(api, "su_sales2", "L-023")  # theory, 10 minutes
    practise(api, "su_sales2", "EG-3200")
    path = api.get("/api/training/path", "su_sales2").json()
    by_mode = modes(path["balance"])
    assert by_mode["practice"]["minutes"] == DATA.practice_session_minutes
    assert by_mode["theory"]["minutes"] == 10 and by_mode["mentoring"]["minutes"] == 0
    assert by_mode["practice"]["label"] == "在岗实践" and by_mode["practice"]["label_en"] == "Practice"
    assert (path["practice_sessions"], path["lessons_completed"]) == (1, 1)
    total = DATA.practice_session_minutes + 10
    assert path["balance"]["minutes"] == total
    assert by_mode["theory"]["share"] == round(10 / total, 4)
    steps = path["next_steps"]
    assert 1 <= len(steps) <= DATA.max_advice
    assert all(s["reason"] and s["reason_en"] and s["href"].startswith(("/learn#lesson/", "/practice")) for s in steps)
    assert "L-023" not in {s["lesson_id"] for s in steps}
    # The practice just finished scored low: a practice of the same product, with its reason.
    again = [s for s in steps if s["kind"] == "practice"]
    assert again and again[0]["practice"]["product"] == "EG-3200" and "练习" in again[0]["reason"]
    assert api.get("/api/training/advice", "su_sales2").json()["next_steps"] == steps


def test_the_team_path_is_for_managers_and_scoped_to_their_subtree(api: Api) -> None:
    pass_lesson(api, "nb_sales1", "L-021")  # mentoring lesson, 10 minutes
    team = api.get("/api/training/path/team", "nb_manager").json()
    tree = team["tree"]
    assert tree["node_id"] == "A-NB" and tree["level"] == "alliance"
    assert modes(tree["balance"])["mentoring"]["minutes"] == 10
    assert {c["level"] for c in tree["children"]} == {"partner"}
    assert all(a["people"] >= 1 and a["title"] for a in team["advice"])
    region = api.get("/api/training/path/team", "ec_manager", node="A-NB").json()
    assert region["tree"] == tree  # a manager above reads the same node
    admin = api.get("/api/training/path/team", "n_admin", node="R-EC").json()
    assert admin["tree"]["level"] == "regional"

    nowhere = api.get("/api/training/path/team", "nb_manager", node="P-NOPE-99")
    refused(nowhere, 404, "partner_not_found")
    for node in ("P-HZ-01", "A-HZ", "R-EC", "N-001"):  # outside A-NB: the same answer
        r = api.get("/api/training/path/team", "nb_manager", node=node)
        assert (r.status_code, r.json()) == (nowhere.status_code, nowhere.json())
    for user in ("nb_sales1", "ec_sales1", "n_editor"):
        refused(api.get("/api/training/path/team", user), 403, "forbidden")
        refused(api.get("/api/training/path/team", user, node="A-NB"), 403, "forbidden")
    refused(api.get("/api/training/path/team", "nb_manager", node="x" * 33), 422, "validation_error")


@pytest.mark.parametrize("node", ["", " ", "../N-001", "A-NB'--", "\u00e9" * 32, "%00"])
def test_odd_nodes_are_answered_never_500(api: Api, node: str) -> None:
    r = api.get("/api/training/path/team", "nb_manager", node=node)
    assert r.status_code in (404, 422), r.text


def test_without_a_token_nothing_is_answered(api: Api) -> None:
    for path in ("/api/training/path", "/api/training/path/team", "/api/training/advice"):
        assert api.get(path).status_code == 401


@pytest.fixture(scope="module")
def chat_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The whole service with the dialogue engine (its advice skill wired by the runtime), on SQLite."""
    tmp = tmp_path_factory.mktemp("path-chat")
    settings = make_settings(tmp)
    build_index(settings)
    app = Api(settings, chat=True)
    yield app
    app.close()


def test_the_chat_answers_what_to_learn_with_the_callers_own_advice(chat_api: Api) -> None:
    steps = chat_api.get("/api/training/advice", "hz_sales4").json()["next_steps"]
    assert steps  # P-HZ-04's orders give at least one line to learn
    reply = chat_api.chat("hz_sales4", "我该学点什么")
    lines = reply["text"].split("\n")
    assert lines[0] == DATA.chat.intro.zh
    assert [s["reason"] in line for s, line in zip(steps, lines[1:], strict=True)] == [True] * len(steps)
    cited = [c["doc_id"] for c in reply["citations"] if c["kind"] == "lesson"]
    assert cited == [s["lesson_id"] for s in steps if s["kind"] == "lesson"]
