"""REST of the micro-lessons over the demo network: the catalogue's bounded filters, a
lesson, a quiz graded on the server (replays refused, another user's attempt answered like
a missing one, a stored answer worth nothing in another user's attempt), own progress, and
the managers' roll-up scoped to their subtree; the app driven in-process
(tests/rebates_api/harness.py) on SQLite and PostgreSQL, and once over a real uvicorn
server with password sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.i18n import ERROR_MESSAGES, error_message
from assistant.settings import PROJECT_ROOT
from assistant.training.lessons_model import load_library
from tests.api.conftest import LiveServer, free_port
from tests.rebates_api.harness import PASSWORD, Api, build_index, make_settings
from tests.storage_backends import database_for

LIBRARY = load_library(PROJECT_ROOT / "corpus")
MISSING_ATTEMPT = "QA-" + "0" * 32


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Api]:
    """The demo network (its users are the learners); each test uses its own people."""
    tmp = tmp_path_factory.mktemp("training-api")
    with database_for(module_backend, tmp) as url:
        app = Api(make_settings(tmp, database_url=url))
        yield app
        app.close()


def same_answer(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.json()) == (b.status_code, b.json())


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert (r.status_code, r.json()) == (status, {"code": code, "message": error_message(code)}), r.text


def right_positions(attempt: dict[str, Any]) -> list[int]:
    """Where this attempt shows each right option (the right texts come from the data file)."""
    quiz = LIBRARY.lesson(attempt["lesson_id"]).quiz
    return [
        q["options"].index(quiz.questions[q["index"]].options[quiz.questions[q["index"]].answer])
        for q in attempt["questions"]
    ]


def wrong_positions(attempt: dict[str, Any]) -> list[int]:
    return [(r + 1) % len(q["options"]) for r, q in zip(right_positions(attempt), attempt["questions"], strict=True)]


def start(api: Api, user: str, lesson_id: str) -> dict[str, Any]:
    r = api.post(f"/api/training/lessons/{lesson_id}/quiz", user)
    assert r.status_code == 201, r.text
    return dict(r.json())


def submit(api: Api, user: str, attempt: dict[str, Any] | str, answers: list[Any]) -> httpx.Response:
    attempt_id = attempt if isinstance(attempt, str) else attempt["attempt_id"]
    return api.post(f"/api/training/quiz/{attempt_id}", user, json={"answers": answers})


def pass_lesson(api: Api, user: str, lesson_id: str) -> dict[str, Any]:
    attempt = start(api, user, lesson_id)
    r = submit(api, user, attempt, right_positions(attempt))
    assert r.status_code == 200 and r.json()["passed"], r.text
    return dict(r.json())


# --------------------------------------------------------------------------- catalogue


def test_the_catalogue_with_its_filters(api: Api) -> None:
    everything = api.get("/api/training/lessons", "hz_sales1").json()
    assert everything["total"] == len(everything["lessons"]) == 25
    f = everything["filters"]
    assert [o["id"] for o in f["roles"]] == ["sales", "manager", "engineer"]
    modes = {o["id"]: o["label"] for o in f["modes"]}
    assert modes == {"practice": "在岗实践", "mentoring": "导师辅导", "theory": "理论微课"}
    assert {o["id"] for o in f["product_lines"]} == {"EG", "SN", "EC", "MP", "AR", "CM"}
    assert f["weeks"] == list(range(1, 9)) and len(f["topics"]) == 11
    first = everything["lessons"][0]
    assert first["id"] == "L-001" and first["duration_minutes"] == 10 and first["questions"] == 3
    labels = (first["product_line_label"], first["topic_label"], first["mode_label"])
    assert labels == ("边缘网关", "安装接线", "在岗实践")
    assert "content" not in first and first["completed"] is False

    eg = api.get("/api/training/lessons", "hz_sales1", role="sales", product_line="EG").json()["lessons"]
    assert [c["id"] for c in eg] == ["L-001", "L-003", "L-019"]
    assert all("sales" in c["roles"] and c["product_line"] == "EG" for c in eg)
    theory = api.get("/api/training/lessons", "hz_sales1", mode="theory", week=1).json()["lessons"]
    assert [c["id"] for c in theory] == ["L-023", "L-025"]
    assert [c["id"] for c in api.get("/api/training/lessons", "hz_sales1", topic="negotiation").json()["lessons"]] == [
        "L-021"
    ]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"role": "boss"}, "invalid_lesson_filter"),
        ({"topic": "cooking"}, "invalid_lesson_filter"),
        ({"product_line": "XX"}, "invalid_lesson_filter"),
        ({"week": 9}, "invalid_lesson_filter"),  # the catalogue has 8 weeks
        ({"week": 0}, "validation_error"),
        ({"week": 53}, "validation_error"),
        ({"week": "一"}, "validation_error"),
        ({"week": 10**30}, "validation_error"),
        ({"role": "Sales"}, "validation_error"),
        ({"role": "<b>"}, "validation_error"),
        ({"role": "s" * 33}, "validation_error"),
        ({"product_line": "eg"}, "validation_error"),
        ({"mode": "lecture"}, "validation_error"),
        ({"other": "1"}, "validation_error"),
    ],
)
def test_a_bad_filter_says_why(api: Api, params: dict[str, Any], code: str) -> None:
    r = api.get("/api/training/lessons", "hz_sales1", **params)
    refused(r, 422, code)


def test_a_lesson_with_its_content(api: Api) -> None:
    lesson = api.get("/api/training/lessons/L-013", "hz_sales1").json()
    assert lesson["title"] == "和工厂厂长一起算 ROI：停机损失与回本周期"
    assert lesson["duration_minutes"] == 10 and lesson["pass_percent"] == 66 and lesson["questions"] == 3
    assert "648,000 元" in lesson["content"] and len(lesson["objectives"]) == 3
    assert lesson["completion"] is None and lesson["roles"] == ["sales", "manager"]
    for lesson_id in ("L-999", "l-001", "%3Cscript%3E"):
        refused(api.get(f"/api/training/lessons/{lesson_id}", "hz_sales1"), 404, "lesson_not_found")
        refused(api.post(f"/api/training/lessons/{lesson_id}/quiz", "hz_sales1"), 404, "lesson_not_found")
    refused(api.get("/api/training/lessons/" + "L" * 65, "hz_sales1"), 422, "validation_error")


# --------------------------------------------------------------------------- quiz


def test_fail_then_pass_completes_the_lesson_once(api: Api) -> None:
    attempt = start(api, "hz_sales2", "L-001")
    assert attempt["attempt_id"].startswith("QA-") and attempt["pass_percent"] == 66
    assert [len(q["options"]) for q in attempt["questions"]] == [4, 4, 4]
    assert "answer" not in str(attempt)  # the right options stay on the server
    failed = submit(api, "hz_sales2", attempt, wrong_positions(attempt)).json()
    assert (failed["passed"], failed["correct"], failed["newly_completed"], failed["completion"]) == (
        False,
        0,
        False,
        None,
    )
    assert [r["answer"] for r in failed["results"]] == [None, None, None]
    assert failed["progress"]["completed"] == 0

    again = start(api, "hz_sales2", "L-001")
    passed = submit(api, "hz_sales2", again, right_positions(again)).json()
    assert (passed["passed"], passed["correct"], passed["total"], passed["newly_completed"]) == (True, 3, 3, True)
    assert [r["answer"] for r in passed["results"]] == right_positions(again)
    assert passed["progress"]["completed"] == 1 and passed["progress"]["minutes"] == 10
    assert passed["progress"]["by_mode"][0] == {
        "mode": "practice",
        "label": "在岗实践",
        "completed": 1,
        "minutes": 10,
        "lessons": 17,
    }

    third = pass_lesson(api, "hz_sales2", "L-001")
    assert third["newly_completed"] is False and third["completion"] == passed["completion"]
    own = api.get("/api/training/progress", "hz_sales2").json()
    assert own["completed"] == 1 and own["lessons"] == [passed["completion"]]
    assert api.get("/api/training/lessons/L-001", "hz_sales2").json()["completion"] == passed["completion"]
    listed = api.get("/api/training/lessons", "hz_sales2", week=1).json()["lessons"]
    assert {c["id"]: c["completed"] for c in listed} == {"L-001": True, "L-023": False, "L-025": False}


def test_a_replayed_attempt_is_refused(api: Api) -> None:
    attempt = start(api, "hz_sales3", "L-024")
    assert submit(api, "hz_sales3", attempt, wrong_positions(attempt)).status_code == 200
    for answers in (wrong_positions(attempt), right_positions(attempt)):
        refused(submit(api, "hz_sales3", attempt, answers), 409, "quiz_attempt_finished")
    assert api.get("/api/training/progress", "hz_sales3").json()["completed"] == 0


def test_another_users_attempt_is_answered_like_a_missing_one(api: Api) -> None:
    attempt = start(api, "hz_sales4", "L-025")
    missing = submit(api, "sz_sales1", MISSING_ATTEMPT, [0, 0, 0])
    refused(missing, 404, "quiz_attempt_not_found")
    same_answer(submit(api, "sz_sales1", attempt, right_positions(attempt)), missing)
    same_answer(submit(api, "sz_sales1", "nope", [0, 0, 0]), missing)
    same_answer(submit(api, "hz_manager", attempt, right_positions(attempt)), missing)  # not even their manager's
    # Still open for its owner.
    assert submit(api, "hz_sales4", attempt, right_positions(attempt)).json()["passed"] is True
    assert api.get("/api/training/progress", "sz_sales1").json()["completed"] == 0


def test_a_stored_answer_of_another_user_does_not_pass_a_quiz(api: Api) -> None:
    mine = pass_lesson(api, "su_sales1", "L-008")
    attempt = start(api, "su_sales1", "L-008")
    positions = right_positions(attempt)
    assert submit(api, "su_sales1", attempt, positions).json()["passed"]
    # su_sales2 replays su_sales1's stored positions on an attempt of its own: graded by its own order.
    theirs = start(api, "su_sales2", "L-008")
    result = submit(api, "su_sales2", theirs, positions).json()
    expected = [a == b for a, b in zip(positions, right_positions(theirs), strict=True)]
    assert [r["correct"] for r in result["results"]] == expected
    assert result["passed"] is (sum(expected) >= 2)
    assert result["completion"] != mine["completion"]
    # The attempt su_sales1 passed with cannot be replayed by su_sales2 either.
    refused(submit(api, "su_sales2", attempt, positions), 404, "quiz_attempt_not_found")


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ([0, 0], "invalid_quiz_answers"),
        ([0, 0, 0, 0], "invalid_quiz_answers"),
        ([0, 0, 3], "invalid_quiz_answers"),  # L-003's third question has three options
        ([0, 0, 4], "validation_error"),
        ([0, -1, 0], "validation_error"),
        ([], "validation_error"),
        (["0", 0, 0], "validation_error"),
        ([True, 0, 0], "validation_error"),
        ([0.5, 0, 0], "validation_error"),
        ([0] * 11, "validation_error"),
        ("012", "validation_error"),
        (None, "validation_error"),
    ],
)
def test_bad_answers_say_why_and_leave_the_attempt_open(api: Api, answers: Any, code: str) -> None:
    attempt = start(api, "su_sales3", "L-003")
    refused(submit(api, "su_sales3", attempt, answers), 422, code)
    assert submit(api, "su_sales3", attempt, right_positions(attempt)).status_code == 200


@pytest.mark.parametrize("body", [{}, {"answers": [0, 0, 0], "user_id": "u-hz_sales1"}, [0, 0, 0]])
def test_a_malformed_body_is_a_validation_error(api: Api, body: Any) -> None:
    attempt = start(api, "su_sales4", "L-003")
    refused(api.post(f"/api/training/quiz/{attempt['attempt_id']}", "su_sales4", json=body), 422, "validation_error")


def test_long_attempt_ids_are_refused_before_the_database(api: Api) -> None:
    refused(submit(api, "hz_sales1", "QA-" + "0" * 70, [0, 0, 0]), 422, "validation_error")


# --------------------------------------------------------------------------- progress and roll-up


def test_managers_see_their_subtree_and_salespeople_do_not(api: Api) -> None:
    pass_lesson(api, "nb_sales1", "L-023")  # P-NB-01 in A-NB (Ningbo), theory 10
    pass_lesson(api, "nb_sales2", "L-021")  # P-NB-02, mentoring 10
    team = api.get("/api/training/progress/team", "nb_manager").json()
    tree = team["tree"]
    assert tree["node_id"] == "A-NB" and team["lessons_total"] == 25
    assert (tree["completed"], tree["minutes"]) == (2, 20)
    assert [(m["mode"], m["completed"]) for m in tree["by_mode"]] == [("practice", 0), ("mentoring", 1), ("theory", 1)]
    partners = {c["node_id"]: c for c in tree["children"]}
    network = api.runtime.rebates.state.network  # type: ignore[union-attr]
    assert set(partners) == {n.id for n in network.children("A-NB")}
    people = {m["username"]: m["completed"] for m in partners["P-NB-01"]["members"]}
    assert people == {"nb_boss1": 0, "nb_sales1": 1}

    region = api.get("/api/training/progress/team", "ec_manager", node="A-NB").json()
    assert region["tree"] == tree  # a manager above reads the same node
    nowhere = api.get("/api/training/progress/team", "nb_manager", node="P-NOPE-99")
    refused(nowhere, 404, "partner_not_found")
    for node in ("P-HZ-01", "A-HZ", "R-EC", "N-001"):
        same_answer(api.get("/api/training/progress/team", "nb_manager", node=node), nowhere)
    for user in ("nb_sales1", "ec_sales1", "n_editor"):
        refused(api.get("/api/training/progress/team", user), 403, "forbidden")
        refused(api.get("/api/training/progress/team", user, node="A-NB"), 403, "forbidden")
    refused(api.get("/api/training/progress/team", "nb_manager", node="x" * 33), 422, "validation_error")


def test_without_a_token_nothing_is_answered(api: Api) -> None:
    for path in ("/api/training/lessons", "/api/training/lessons/L-001", "/api/training/progress"):
        assert api.get(path).status_code == 401
    assert api.post("/api/training/lessons/L-001/quiz").status_code == 401
    assert api.post(f"/api/training/quiz/{MISSING_ATTEMPT}", json={"answers": [0, 0, 0]}).status_code == 401


def test_messages_in_chinese_and_english() -> None:
    for code in (
        "lesson_not_found",
        "invalid_lesson_filter",
        "quiz_attempt_not_found",
        "quiz_attempt_finished",
        "quiz_attempt_expired",
        "invalid_quiz_answers",
        "training_data_invalid",
    ):
        zh, en = ERROR_MESSAGES[code]
        assert zh != en and zh != error_message("internal")
    assert error_message("quiz_attempt_finished", "en").startswith("This quiz attempt was already submitted")


# --------------------------------------------------------------------------- a real server


@pytest.mark.slow
def test_a_quiz_over_a_real_server(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    build_index(settings)
    server = LiveServer(settings, free_port())
    server.start()
    try:
        sales = {"Authorization": f"Bearer {server.token('cq_sales1', PASSWORD)}"}
        other = {"Authorization": f"Bearer {server.token('cq_sales2', PASSWORD)}"}
        attempt = httpx.post(f"{server.http}/api/training/lessons/L-023/quiz", headers=sales).json()
        answers = {"answers": right_positions(attempt)}
        url = f"{server.http}/api/training/quiz/{attempt['attempt_id']}"
        assert httpx.post(url, headers=other, json=answers).status_code == 404
        assert httpx.post(url, headers=sales, json=answers).json()["newly_completed"] is True
        assert httpx.post(url, headers=sales, json=answers).json()["code"] == "quiz_attempt_finished"
        assert httpx.get(f"{server.http}/api/training/progress", headers=sales).json()["minutes"] == 10
        spec = httpx.get(f"{server.http}/openapi.json").json()["paths"]
        assert {
            "/api/training/lessons",
            "/api/training/lessons/{lesson_id}",
            "/api/training/lessons/{lesson_id}/quiz",
            "/api/training/quiz/{attempt_id}",
            "/api/training/progress",
            "/api/training/progress/team",
        } <= set(spec)
    finally:
        server.stop()
