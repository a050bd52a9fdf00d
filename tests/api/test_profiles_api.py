"""Channel profiles over a real uvicorn server on the demo data (today pinned in 2026Q4): the
JSON shape the dashboard's radar chart reads, what each role lists and reads, refusals with
stable codes (an id outside the caller's subtree byte for byte like a missing one), and no 500
for any malformed query or path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.api import routes_profiles
from tests.api.conftest import LiveServer, free_port
from tests.rebates_api.harness import PASSWORD, build_index, make_settings
from tests.storage_backends import fresh_postgres_database

pytestmark = pytest.mark.slow

HAN = re.compile(r"[\u4e00-\u9fff]")
DIMENSIONS = ["operating", "service", "compliance"]
PROFILE_KEYS = {"partner_id", "partner_name", "quarter", "dimensions", "alliance", "region", "weakest_vs_alliance"}
ROLES = {
    "n_admin": "N-001",  # admin
    "n_manager": "N-001",  # manager
    "ec_manager": "R-EC",
    "hz_manager": "A-HZ",
    "hz_boss1": "P-HZ-01",  # a partner's manager
    "hz_sales1": "P-HZ-01",  # sales: its own partner
    "ec_sales1": "R-EC",  # sales at a regional node: no partner of its own
    "n_editor": "N-001",  # content admin: reads like sales
    "exp_gateway": "N-001",  # expert: refused
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("profiles-api")
    settings = make_settings(tmp)
    build_index(settings)
    srv = LiveServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tokens(server: LiveServer) -> dict[str, str]:
    return {name: server.token(name, PASSWORD) for name in ROLES}


def call(server: LiveServer, token: str | None, path: str, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.http}{path}", headers=headers, params=params, timeout=30)


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert (r.status_code, r.json().get("code")) == (status, code), r.text
    assert HAN.search(r.json()["message"]), r.json()
    return dict(r.json())


def partners_under(server: LiveServer, node_id: str) -> list[str]:
    rebates = server.runtime.rebates
    assert rebates is not None
    return sorted(p.id for p in rebates.state.network.partners_under(node_id, include_inactive=True))


def check_shape(profile: dict[str, Any]) -> None:
    """The contract of the radar chart: keys, dimension order, numbers in range."""
    assert set(profile) == PROFILE_KEYS
    assert re.fullmatch(r"\d{4}Q[1-4]", profile["quarter"])
    assert [d["key"] for d in profile["dimensions"]] == DIMENSIONS
    for dim in profile["dimensions"]:
        assert set(dim) == {"key", "label", "score", "subscores"}
        assert dim["score"] is None or (isinstance(dim["score"], float | int) and 0 <= dim["score"] <= 100)
        assert abs(sum(s["weight"] for s in dim["subscores"]) - 1) < 1e-9
        for s in dim["subscores"]:
            assert set(s) == {"key", "label", "raw", "unit", "score", "weight"}
            assert s["score"] is None or 0 <= s["score"] <= 100
            assert (s["raw"] is None) == (s["score"] is None)
    for group in ("alliance", "region"):
        assert list(profile[group]) == DIMENSIONS
        assert all(v is None or 0 <= v <= 100 for v in profile[group].values())
    assert profile["weakest_vs_alliance"] in [*DIMENSIONS, None]


# -- reading, by role ------------------------------------------------------------------------------


def test_every_role_lists_what_it_may_read(server: LiveServer, tokens: dict[str, str]) -> None:
    expected = {
        "n_admin": partners_under(server, "N-001"),
        "n_manager": partners_under(server, "N-001"),
        "ec_manager": partners_under(server, "R-EC"),
        "hz_manager": partners_under(server, "A-HZ"),
        "hz_boss1": ["P-HZ-01"],
        "hz_sales1": ["P-HZ-01"],
        "ec_sales1": [],
        "n_editor": [],
    }
    for name, ids in expected.items():
        r = call(server, tokens[name], "/api/ops/profiles", quarter="2026Q3")
        assert r.status_code == 200, (name, r.text)
        body = r.json()
        assert set(body) == {"node_id", "quarter", "count", "profiles"}
        assert (body["node_id"], body["quarter"], body["count"]) == (ROLES[name], "2026Q3", len(ids)), name
        assert [p["partner_id"] for p in body["profiles"]] == ids, name
        for p in body["profiles"]:
            check_shape(p)
    assert len(expected["n_admin"]) == 39
    refused(call(server, tokens["exp_gateway"], "/api/ops/profiles"), 403, "forbidden")
    refused(call(server, tokens["exp_gateway"], "/api/ops/profiles/P-HZ-01"), 403, "forbidden")
    refused(call(server, None, "/api/ops/profiles"), 401, "unauthorized")
    refused(call(server, None, "/api/ops/profiles/P-HZ-01"), 401, "unauthorized")


def test_one_profile_is_the_list_entry_and_defaults_to_the_current_quarter(
    server: LiveServer, tokens: dict[str, str]
) -> None:
    listed = {p["partner_id"]: p for p in call(server, tokens["n_admin"], "/api/ops/profiles").json()["profiles"]}
    for name, partner in (("hz_sales1", "P-HZ-01"), ("hz_manager", "P-HZ-03"), ("ec_manager", "P-NB-01")):
        r = call(server, tokens[name], f"/api/ops/profiles/{partner}")
        assert r.status_code == 200, r.text
        body = r.json()
        check_shape(body)
        assert body == listed[partner]
        assert body["quarter"] == "2026Q4" and HAN.search(body["partner_name"])
    mine = call(server, tokens["hz_sales1"], "/api/ops/profiles/P-HZ-01", quarter="2026Q2").json()
    assert mine["quarter"] == "2026Q2"
    assert [d["label"] for d in mine["dimensions"]] == ["经营能力", "服务水平", "合规记录"]
    assert mine["dimensions"][0]["subscores"][0] == {
        "key": "growth",
        "label": "环比增长",
        "raw": mine["dimensions"][0]["subscores"][0]["raw"],
        "unit": "%",
        "score": mine["dimensions"][0]["subscores"][0]["score"],
        "weight": 0.25,
    }
    english = call(server, tokens["hz_sales1"], "/api/ops/profiles/P-HZ-01", quarter="2026Q2", lang="en").json()
    assert [d["label"] for d in english["dimensions"]] == ["Operating capability", "Service level", "Compliance record"]
    assert not any(HAN.search(s["label"]) for d in english["dimensions"] for s in d["subscores"])
    assert [d["score"] for d in english["dimensions"]] == [d["score"] for d in mine["dimensions"]]


# -- refusals ----------------------------------------------------------------------------------------


def test_an_id_outside_the_subtree_is_byte_identical_to_a_missing_one(
    server: LiveServer, tokens: dict[str, str]
) -> None:
    cases = (
        ("su_manager", "P-HZ-01"),
        ("hz_manager", "P-SZ-01"),
        ("hz_sales1", "P-HZ-02"),
        ("ec_sales1", "P-HZ-01"),  # in its region's tree, but sales read their own partner only
        ("hz_boss1", "P-HZ-02"),
    )
    for name, outside in cases:
        token = tokens.get(name) or server.token(name, PASSWORD)
        for params in ({}, {"quarter": "2026Q3"}):
            a = call(server, token, f"/api/ops/profiles/{outside}", **params)
            b = call(server, token, "/api/ops/profiles/P-NOPE-99", **params)
            refused(a, 404, "partner_not_found")
            assert (a.status_code, a.content, a.headers["content-type"]) == (
                b.status_code,
                b.content,
                b.headers["content-type"],
            ), name


def test_bad_queries_and_paths_have_stable_codes_and_never_a_500(server: LiveServer, tokens: dict[str, str]) -> None:
    admin, hz = tokens["n_admin"], tokens["hz_manager"]
    refused(call(server, hz, "/api/ops/profiles/A-HZ"), 422, "partner_required")
    refused(call(server, admin, "/api/ops/profiles/N-001"), 422, "partner_required")
    for quarter in ("bad", "2026Q5", "2027Q1", "2025Q4", "0000Q1", "2026q9", " "):
        r = call(server, admin, "/api/ops/profiles/P-HZ-01", quarter=quarter)
        if quarter == " ":
            assert r.status_code == 200, r.text  # blank: the current quarter, as rebates read it
            continue
        refused(r, 404, "quarter_not_found")
        refused(call(server, admin, "/api/ops/profiles", quarter=quarter), 404, "quarter_not_found")
    refused(call(server, admin, "/api/ops/profiles", quarter="2" * 65), 422, "validation_error")
    refused(call(server, admin, "/api/ops/profiles", lang="fr"), 422, "validation_error")
    refused(call(server, admin, "/api/ops/profiles/" + "P" * 65), 422, "validation_error")
    for odd in ("中文", "..%2F..", "P-HZ-01%00", "%20", "p-hz-01", "'; DROP TABLE x;--"):
        r = call(server, admin, f"/api/ops/profiles/{odd}")
        assert r.status_code in (404, 422), (odd, r.status_code, r.text)
        assert r.json()["code"] in ("partner_not_found", "not_found", "validation_error"), r.text


def test_a_profile_for_a_quarter_not_begun_is_refused(
    server: LiveServer, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rebates = server.runtime.rebates
    assert rebates is not None
    monkeypatch.setattr(rebates, "_today", lambda: date(2026, 5, 1))  # a day in 2026Q2, for this test only
    hz_sales, hz = tokens["hz_sales1"], tokens["hz_manager"]
    refused(call(server, hz_sales, "/api/ops/profiles/P-HZ-01", quarter="2026Q3"), 404, "quarter_not_started")
    refused(call(server, hz, "/api/ops/profiles", quarter="2026Q4"), 404, "quarter_not_started")
    assert call(server, hz, "/api/ops/profiles", quarter="2026Q2").json()["count"] == 4


def test_a_broken_rules_file_is_a_503_with_its_code(
    server: LiveServer, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "profile_rules.yaml"
    broken.write_text("version: x\ndimensions: {}\n", encoding="utf-8")
    monkeypatch.setattr(routes_profiles, "rules_file", lambda _runtime: broken)
    refused(call(server, tokens["hz_sales1"], "/api/ops/profiles/P-HZ-01"), 503, "profile_rules_invalid")
    refused(call(server, tokens["hz_manager"], "/api/ops/profiles"), 503, "profile_rules_invalid")


def test_the_same_answers_on_postgresql(tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("profiles-pg")
    with fresh_postgres_database() as database_url:
        settings = make_settings(tmp, database_url=database_url)
        build_index(settings)
        srv = LiveServer(settings, free_port())
        srv.start()
        try:
            admin, su = srv.token("n_admin", PASSWORD), srv.token("su_manager", PASSWORD)
            body = call(srv, admin, "/api/ops/profiles", quarter="2026Q3").json()
            assert body["count"] == 39
            for p in body["profiles"]:
                check_shape(p)
            outside = call(srv, su, "/api/ops/profiles/P-HZ-01")
            missing = call(srv, su, "/api/ops/profiles/P-NOPE-99")
            refused(outside, 404, "partner_not_found")
            assert outside.content == missing.content
            mine = call(srv, su, "/api/ops/profiles/P-SU-01", quarter="2026Q3").json()
            assert mine == next(p for p in body["profiles"] if p["partner_id"] == "P-SU-01")
        finally:
            srv.stop()
