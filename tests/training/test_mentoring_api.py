"""REST of channel mentoring over the demo network, the app driven in-process
(tests/rebates_api/harness.py) on SQLite and PostgreSQL: admins alone see the candidates
and confirm or withdraw mentors (403 ``forbidden`` for others), confirmed mentors create
sessions, learners sign up until the seats run out (409 ``mentoring_session_full``), a
partner of another region gets 404 exactly as for a missing session, the host records
notes and attendance after the start, the caller's attended count, and malformed input is
422 with a stable code, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from assistant.i18n import error_message
from assistant.training.mentoring_tables import MentoringSessionRow
from tests.rebates_api.harness import Api, make_settings
from tests.storage_backends import database_for

BASE = "/api/training/mentoring"
MENTOR = "cd_boss1"  # P-CD-01, ranked 3rd in the previous quarter (2026Q3); region R-SW
MISSING = "MS-" + "0" * 32


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("mentoring-api")
    with database_for(module_backend, tmp) as url:
        app = Api(make_settings(tmp, database_url=url))
        r = app.post(f"{BASE}/mentors/u-{MENTOR}/confirm", "n_admin")
        assert r.status_code == 200, r.text
        yield app
        app.close()


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and r.json()["message"] == error_message(code), r.text


def soon(days: float = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def create(api: Api, user: str = MENTOR, **kw: Any) -> dict[str, Any]:
    body = {"topic": "边缘网关项目打单经验", "starts_at": soon(), "duration_minutes": 60, "capacity": 2, **kw}
    r = api.post(f"{BASE}/sessions", user, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def start_now(api: Api, session_id: str) -> None:
    """Move the session's start into the past (as if time had passed)."""
    assert api.runtime.db is not None
    with api.runtime.db.write() as s:
        s.execute(
            update(MentoringSessionRow)
            .where(MentoringSessionRow.id == session_id)
            .values(starts_at=datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5))
        )


# --------------------------------------------------------------------------- mentors


def test_admins_alone_decide_on_mentors(api: Api) -> None:
    found = api.get(f"{BASE}/mentors/candidates", "n_admin").json()
    assert found["top_partners"] == 5
    assert [c["username"] for c in found["candidates"]][:3] == ["wh_sales3", "cd_sales2", "cd_boss1"]
    assert [c["confirmed"] for c in found["candidates"] if c["username"] == MENTOR] == [True]
    for user in ("cd_boss1", "sw_manager", "n_manager", "hz_sales1"):
        refused(api.get(f"{BASE}/mentors/candidates", user), 403, "forbidden")
        refused(api.post(f"{BASE}/mentors/u-cd_sales2/confirm", user), 403, "forbidden")
        refused(api.post(f"{BASE}/mentors/u-{MENTOR}/withdraw", user), 403, "forbidden")
    refused(api.post(f"{BASE}/mentors/u-hz_sales1/confirm", "n_admin"), 409, "mentoring_not_candidate")
    refused(api.post(f"{BASE}/mentors/u-nobody/confirm", "n_admin"), 404, "mentoring_mentor_not_found")
    refused(api.post(f"{BASE}/mentors/{'u' * 65}/confirm", "n_admin"), 422, "validation_error")
    r = api.post(f"{BASE}/mentors/u-cd_sales2/confirm", "n_admin")
    assert r.status_code == 200 and r.json()["confirmed"] is True and r.json()["partner_id"] == "P-CD-02"
    r = api.post(f"{BASE}/mentors/u-cd_sales2/withdraw", "n_admin")
    assert r.status_code == 200 and r.json()["confirmed"] is False
    # On the mentor's line of the tree the confirmed mentors are listed; elsewhere not.
    assert [m["username"] for m in api.get(f"{BASE}/mentors", "sw_sales1").json()["mentors"]] == [MENTOR]
    assert api.get(f"{BASE}/mentors", "hz_sales1").json()["mentors"] == []
    refused(api.get(f"{BASE}/mentors"), 401, "unauthorized")


# --------------------------------------------------------------------------- sessions


def test_sign_up_until_full_then_cancel(api: Api) -> None:
    session = create(api, capacity=2, product_line="EG")
    sid = session["id"]
    assert (session["seats_left"], session["can_manage"], session["signups"]) == (2, True, [])
    r = api.post(f"{BASE}/sessions/{sid}/signup", "cd_sales1")
    assert r.status_code == 200 and (r.json()["mine"], r.json()["seats_left"]) == (True, 1)
    assert r.json()["signups"] == [] and r.json()["can_manage"] is False  # a learner sees no names
    assert api.post(f"{BASE}/sessions/{sid}/signup", "cd_sales1").json()["seats_left"] == 1  # idempotent
    assert api.post(f"{BASE}/sessions/{sid}/signup", "sw_sales1").json()["seats_left"] == 0
    refused(api.post(f"{BASE}/sessions/{sid}/signup", "cd_sales3"), 409, "mentoring_session_full")
    refused(api.post(f"{BASE}/sessions/{sid}/signup", MENTOR), 409, "mentoring_host_signup")
    assert api.post(f"{BASE}/sessions/{sid}/cancel", "cd_sales1").json()["seats_left"] == 1
    assert api.post(f"{BASE}/sessions/{sid}/signup", "cd_sales3").json()["mine"] is True
    host_view = api.get(f"{BASE}/sessions/{sid}", MENTOR).json()
    assert {s["user_id"] for s in host_view["signups"]} == {"u-sw_sales1", "u-cd_sales3"}
    upcoming = api.get(f"{BASE}/sessions", "cd_sales3", when="upcoming").json()
    assert sid in [s["id"] for s in upcoming["sessions"]]


def test_another_region_gets_404_exactly_like_a_missing_session(api: Api) -> None:
    sid = create(api)["id"]
    for user in ("hz_sales1", "ec_manager", "sz_boss1"):
        for path in (f"{BASE}/sessions/{sid}", f"{BASE}/sessions/{MISSING}"):
            refused(api.get(path, user), 404, "mentoring_session_not_found")
        hidden = api.post(f"{BASE}/sessions/{sid}/signup", user)
        missing = api.post(f"{BASE}/sessions/{MISSING}/signup", user)
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
        assert sid not in [s["id"] for s in api.get(f"{BASE}/sessions", user).json()["sessions"]]
    refused(api.get(f"{BASE}/sessions/not-an-id", "cd_sales1"), 404, "mentoring_session_not_found")
    # Regional and national staff above the region see it.
    for user in ("sw_manager", "n_manager", "n_admin"):
        assert api.get(f"{BASE}/sessions/{sid}", user).status_code == 200


def test_only_confirmed_mentors_and_admins_create(api: Api) -> None:
    body = {"topic": "经验分享会", "starts_at": soon(), "duration_minutes": 30, "capacity": 5}
    refused(api.post(f"{BASE}/sessions", "cd_sales1", json=body), 403, "mentoring_not_mentor")
    refused(api.post(f"{BASE}/sessions", "n_admin", json=body), 422, "mentoring_host_not_mentor")
    national = api.post(f"{BASE}/sessions", "n_admin", json={**body, "host_user_id": f"u-{MENTOR}"})
    assert national.status_code == 201 and national.json()["host_user_id"] == f"u-{MENTOR}"
    assert api.get(f"{BASE}/sessions/{national.json()['id']}", "hz_sales1").status_code == 200  # nation-wide


def test_after_the_session_the_host_records_notes_and_attendance(api: Api) -> None:
    sid = create(api, capacity=5, duration_minutes=45)["id"]
    for user in ("cd_sales1", "cd_sales2"):
        assert api.post(f"{BASE}/sessions/{sid}/signup", user).status_code == 200
    before = api.get(f"{BASE}/me", "cd_sales2").json()["attendance"]
    note = {"notes": "要点：先讲案例<script>", "recording_url": "https://rec.example.com/a?b=1"}
    refused(api.post(f"{BASE}/sessions/{sid}/record", MENTOR, json=note), 409, "mentoring_session_not_started")
    start_now(api, sid)
    refused(api.post(f"{BASE}/sessions/{sid}/signup", "cd_sales3"), 409, "mentoring_session_started")
    refused(api.post(f"{BASE}/sessions/{sid}/cancel", "cd_sales1"), 409, "mentoring_session_started")
    refused(api.post(f"{BASE}/sessions/{sid}/record", "cd_sales1", json=note), 403, "forbidden")
    bad = {"recording_url": "javascript:alert(1)"}
    refused(api.post(f"{BASE}/sessions/{sid}/record", MENTOR, json=bad), 422, "mentoring_invalid_record")
    r = api.post(f"{BASE}/sessions/{sid}/record", MENTOR, json=note)
    assert r.status_code == 200 and (r.json()["notes"], r.json()["recording_url"]) == (
        note["notes"],
        note["recording_url"],
    )
    refused(
        api.post(f"{BASE}/sessions/{sid}/attendance", MENTOR, json={"attended": ["u-hz_sales1"]}),
        422,
        "mentoring_not_signed_up",
    )
    refused(
        api.post(f"{BASE}/sessions/{sid}/attendance", "cd_sales1", json={"attended": ["u-cd_sales1"]}),
        403,
        "forbidden",
    )
    r = api.post(f"{BASE}/sessions/{sid}/attendance", MENTOR, json={"attended": ["u-cd_sales2"]})
    assert r.status_code == 200
    assert {(s["user_id"], s["attended"]) for s in r.json()["signups"]} == {
        ("u-cd_sales1", False),
        ("u-cd_sales2", True),
    }
    after = api.get(f"{BASE}/me", "cd_sales2").json()["attendance"]
    assert (after["sessions"], after["minutes"]) == (before["sessions"] + 1, before["minutes"] + 45)
    past = api.get(f"{BASE}/sessions", "cd_sales2", when="past").json()["sessions"]
    mine = [s for s in past if s["id"] == sid]
    assert mine and mine[0]["attended"] is True and mine[0]["started"] is True


def test_me_says_who_hosts_and_the_bounds(api: Api) -> None:
    me = api.get(f"{BASE}/me", MENTOR).json()
    assert (me["is_mentor"], me["is_admin"]) == (True, False)
    assert me["rules"]["capacity_max"] == 500 and "EG" in me["rules"]["product_lines"]
    assert api.get(f"{BASE}/me", "n_admin").json()["is_admin"] is True


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"capacity": 0}, 422, "validation_error"),
        ({"capacity": 501}, 422, "mentoring_invalid_session"),
        ({"capacity": 10**30}, 422, "validation_error"),
        ({"capacity": "5"}, 422, "validation_error"),
        ({"capacity": True}, 422, "validation_error"),
        ({"duration_minutes": 10}, 422, "mentoring_invalid_session"),
        ({"duration_minutes": 99999}, 422, "validation_error"),
        ({"topic": ""}, 422, "validation_error"),
        ({"topic": "话" * 201}, 422, "validation_error"),
        ({"topic": "话" * 81}, 422, "mentoring_invalid_session"),
        ({"starts_at": "2020-01-01T00:00:00Z"}, 422, "mentoring_invalid_session"),
        ({"starts_at": "tomorrow"}, 422, "validation_error"),
        ({"starts_at": "9999-12-31T23:59:59-12:00"}, 422, "mentoring_invalid_session"),
        ({"starts_at": "0001-01-01T00:00:00+01:00"}, 422, "mentoring_invalid_session"),
        ({"starts_at": 10**20}, 422, "validation_error"),
        ({"product_line": "eg"}, 422, "validation_error"),
        ({"product_line": "XX"}, 422, "mentoring_invalid_session"),
        ({"host_user_id": "u" * 65}, 422, "validation_error"),
        ({"host_user_id": "u-\x00"}, 403, "mentoring_not_mentor"),
        ({"topic": "分享\x00会议主题"}, 422, "mentoring_invalid_session"),
        ({"extra": 1}, 422, "validation_error"),
    ],
)
def test_bad_session_input_has_a_stable_code(api: Api, fields: dict[str, Any], status: int, code: str) -> None:
    body = {"topic": "经验分享会", "starts_at": soon(), "duration_minutes": 30, "capacity": 5, **fields}
    refused(api.post(f"{BASE}/sessions", MENTOR, json=body), status, code)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("attendance", {"attended": "u-cd_sales1"}),
        ("attendance", {"attended": [1, 2]}),
        ("attendance", {}),
        ("record", {"notes": "x" * 20_001}),
        ("record", {"recording_url": 5}),
        ("record", []),
    ],
)
def test_bad_record_input_is_a_validation_error(api: Api, path: str, body: Any) -> None:
    refused(api.post(f"{BASE}/sessions/{MISSING}/{path}", MENTOR, json=body), 422, "validation_error")


@pytest.mark.parametrize(
    "params",
    [{"when": "soon"}, {"limit": 0}, {"limit": 201}, {"offset": -1}, {"offset": 10**30}, {"page": 2}],
)
def test_bad_list_queries_are_validation_errors(api: Api, params: dict[str, Any]) -> None:
    refused(api.get(f"{BASE}/sessions", "cd_sales1", **params), 422, "validation_error")


def test_every_code_has_a_status_and_messages_in_chinese_and_english() -> None:
    from assistant.api.app import STATUS_BY_CODE
    from assistant.i18n import ERROR_MESSAGES
    from assistant.training import mentoring_errors

    codes = {
        cls.code
        for cls in vars(mentoring_errors).values()
        if isinstance(cls, type) and issubclass(cls, mentoring_errors.MentoringError)
    } - {"mentoring_error"}
    assert len(codes) == 14
    for code in codes:
        zh, en = ERROR_MESSAGES[code]
        assert zh != en and zh != error_message("internal") and code in STATUS_BY_CODE, code
    assert error_message("mentoring_session_full", "en") == "This sharing session is full; choose another one."


def test_nul_and_control_characters_are_refused_with_codes_on_every_backend(api: Api) -> None:
    """PostgreSQL refuses NUL in text: such ids are unknown ids, never a server error."""
    refused(api.post(f"{BASE}/mentors/u-%00x/confirm", "n_admin"), 404, "mentoring_mentor_not_found")
    refused(api.post(f"{BASE}/mentors/u-%00x/withdraw", "n_admin"), 404, "mentoring_mentor_not_found")
    body = {"topic": "经验分享会", "starts_at": soon(), "duration_minutes": 30, "capacity": 5}
    refused(
        api.post(f"{BASE}/sessions", "n_admin", json={**body, "host_user_id": "u\x00"}),
        422,
        "mentoring_host_not_mentor",
    )
    sid = create(api)["id"]
    start_now(api, sid)
    refused(
        api.post(f"{BASE}/sessions/{sid}/attendance", MENTOR, json={"attended": ["u-\x00"]}),
        422,
        "mentoring_not_signed_up",
    )
    refused(
        api.post(f"{BASE}/sessions/{sid}/record", MENTOR, json={"notes": "a\x00b"}), 422, "mentoring_invalid_record"
    )
    refused(
        api.post(f"{BASE}/sessions/{sid}/record", MENTOR, json={"recording_url": "https://x.com/\x00"}),
        422,
        "mentoring_invalid_record",
    )
    refused(api.get(f"{BASE}/sessions/MS-%00", "cd_sales1"), 404, "mentoring_session_not_found")
