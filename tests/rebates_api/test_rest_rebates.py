"""The rebate REST endpoints over the demo data: shapes, numbers, admin changes, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rebates_api.harness import Api

STATEMENT_KEYS = {
    "partner_id",
    "partner_name",
    "quarter",
    "status",
    "total",
    "lines",
    "progress",
    "baseline",
    "why_not_incremental",
    "sales",
}
LINE_KEYS = {"kind", "description", "amount", "rule", "tier", "rate", "orders"}
PROGRESS_KEYS = {"text", "current_tier", "next_tier", "missing", "next_rate", "extra_rebate"}
RANK_KEYS = {"partner_id", "name", "rank", "score", "attainment", "satisfaction", "risk"}


def test_own_statement_by_default(demo_api: Api) -> None:
    r = demo_api.get("/api/rebates/statement", "hz_sales1")
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= STATEMENT_KEYS
    assert body["partner_id"] == "P-HZ-01" and body["partner_name"] == "杭州云枢网联科技有限公司"
    assert body["quarter"] == "2026Q4" and body["status"] == "accrued"  # today is pinned to 2026-11-27
    assert [line["kind"] for line in body["lines"]] == ["base", "incremental", "subsidy_new_market", "subsidy_csat"]
    assert all(set(line) >= LINE_KEYS for line in body["lines"])
    assert set(body["progress"]) >= PROGRESS_KEYS
    # Money is exact decimal strings; the lines add up to the total.
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["total"])
    base = body["lines"][0]
    assert base["tier"] == body["progress"]["current_tier"] == "T2" and Decimal(base["rate"]) == Decimal("0.03")
    assert Decimal(base["amount"]) == (Decimal(body["sales"]["net"]) * Decimal("0.03")).quantize(Decimal("0.01"))
    assert len(base["orders"]) == body["sales"]["order_count"] > 0
    missing = Decimal(body["progress"]["missing"])
    assert missing == Decimal(1500000) - Decimal(body["sales"]["net"])
    assert body["progress"]["text"].startswith("还差 ¥")
    assert body["why_not_incremental"][0]["code"] == "below_baseline"


def test_final_statement_of_a_closed_quarter(demo_api: Api) -> None:
    body = demo_api.get("/api/rebates/statement", "su_sales4", quarter="2026Q3").json()
    assert body["status"] == "final" and body["partner_id"] == "P-SU-04"
    nm = next(line for line in body["lines"] if line["kind"] == "subsidy_new_market")
    assert Decimal(nm["amount"]) > 0 and "CL-2026-008" in nm["rule"]  # the approved 无锡 claim
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["total"])


def test_what_if_adds_up(demo_api: Api) -> None:
    before = demo_api.get("/api/rebates/statement", "hz_sales1").json()
    r = demo_api.get("/api/rebates/what-if", "hz_sales1", amount="800000", new_customer="true")
    assert r.status_code == 200
    w = r.json()
    assert Decimal(w["total_before"]) == Decimal(before["total"])
    assert Decimal(w["total_after"]) - Decimal(w["total_before"]) == Decimal(w["total_delta"])
    assert sum(Decimal(x["delta"]) for x in w["lines"]) == Decimal(w["total_delta"])
    # 784,782.17 + 800,000 crosses 1,500,000: the whole volume earns 4% from then on.
    assert (w["tier_before"], w["tier_after"]) == ("T2", "T3")
    net_after = Decimal(before["sales"]["net"]) + 800000
    base = next(x for x in w["lines"] if x["kind"] == "base")
    assert Decimal(base["after"]) == (net_after * Decimal("0.04")).quantize(Decimal("0.01"))
    existing = demo_api.get("/api/rebates/what-if", "hz_sales1", amount="800000", new_customer="false").json()
    assert Decimal(existing["total_delta"]) <= Decimal(w["total_delta"])


def test_history_lists_every_started_quarter(demo_api: Api) -> None:
    body = demo_api.get("/api/rebates/history", "hz_sales1").json()
    assert [q["quarter"] for q in body["quarters"]] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert [q["status"] for q in body["quarters"]] == ["final", "final", "final", "accrued"]
    assert Decimal(body["total"]) == sum(Decimal(q["total"]) for q in body["quarters"])
    q3 = demo_api.get("/api/rebates/statement", "hz_sales1", quarter="2026Q3").json()
    assert body["quarters"][2]["total"] == q3["total"]


def test_ranking_for_a_partner_hides_the_others(demo_api: Api) -> None:
    body = demo_api.get("/api/rebates/ranking", "hz_sales1", quarter="2026Q3").json()
    assert body["scope_level"] == "alliance" and body["scope_id"] is None and body["size"] == 4
    visible = [row for row in body["rows"] if row["visible"]]
    assert len(visible) == 1 and visible[0]["partner_id"] == "P-HZ-01"
    assert body["own_rank"] == visible[0]["rank"]
    for row in body["rows"]:
        assert set(row) >= RANK_KEYS
        if not row["visible"]:
            assert row["partner_id"] is None and row["name"] is None and row["score"] is None
    text = str(body)
    for sibling in ("P-HZ-02", "P-HZ-03", "P-HZ-04", "杭州精测"):
        assert sibling not in text


def test_ranking_for_an_alliance_and_a_region(demo_api: Api) -> None:
    alliance = demo_api.get("/api/rebates/ranking", "hz_manager", quarter="2026Q3").json()
    assert alliance["scope_id"] == "A-HZ" and alliance["size"] == 4
    assert all(row["visible"] for row in alliance["rows"])
    scores = [Decimal(row["score"]) for row in alliance["rows"]]
    assert scores == sorted(scores, reverse=True)
    for row in alliance["rows"]:  # the composite formula of the issue
        expected = (
            Decimal("0.6") * Decimal(row["attainment"])
            + Decimal("0.3") * Decimal(row["satisfaction"]) / 100
            + Decimal("0.1") * (1 - Decimal(row["risk"]) / 100)
        )
        assert abs(expected - Decimal(row["score"])) <= Decimal("0.0001")
    region = demo_api.get("/api/rebates/ranking", "ec_manager", quarter="2026Q3").json()
    assert region["scope_level"] == "regional" and region["size"] == 11
    assert {row["partner_id"] for row in region["rows"]} >= {"P-HZ-01", "P-SU-01", "P-NB-01"}


def test_ledger_orders_match_the_statement(demo_api: Api) -> None:
    statement = demo_api.get("/api/rebates/statement", "hz_sales1", quarter="2026Q3").json()
    page = demo_api.get("/api/ledger/orders", "hz_sales1", quarter="2026Q3", limit=5000).json()
    assert page["node_id"] == "P-HZ-01" and page["total_count"] == statement["sales"]["order_count"]
    assert page["net"] == statement["sales"]["net"]
    assert {o["order_id"] for o in page["orders"]} == set(statement["lines"][0]["orders"])
    signed = sum(Decimal(o["amount"]) * (-1 if o["status"] == "returned" else 1) for o in page["orders"])
    assert signed == Decimal(page["net"])
    second = demo_api.get("/api/ledger/orders", "hz_sales1", quarter="2026Q3", limit=2, offset=2).json()
    assert [o["order_id"] for o in second["orders"]] == [o["order_id"] for o in page["orders"][2:4]]
    # An alliance manager sees its partners' orders together.
    alliance = demo_api.get("/api/ledger/orders", "hz_manager", quarter="2026Q3", limit=5000).json()
    assert {o["partner_id"] for o in alliance["orders"]} == {"P-HZ-01", "P-HZ-02", "P-HZ-03", "P-HZ-04"}


def test_partner_tree_is_the_callers_subtree(demo_api: Api) -> None:
    tree = demo_api.get("/api/partners", "ec_manager").json()
    assert tree["id"] == "R-EC" and tree["level"] == "regional"
    alliances = {a["id"]: [p["id"] for p in a["children"]] for a in tree["children"]}
    assert set(alliances) == {"A-HZ", "A-SU", "A-NB"}
    assert alliances["A-HZ"] == ["P-HZ-01", "P-HZ-02", "P-HZ-03", "P-HZ-04"]
    leaf = demo_api.get("/api/partners", "hz_sales2").json()
    assert leaf["id"] == "P-HZ-02" and leaf["children"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/rebates/what-if", {"amount": "-300000"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "三十万"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "abc"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "0"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "NaN"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "Infinity"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "1e400"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "10.001"}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {}, 422, "invalid_amount"),
        ("/api/rebates/what-if", {"amount": "100", "quarter": "2031Q1"}, 404, "quarter_not_found"),
        ("/api/rebates/what-if", {"amount": "100", "new_customer": "maybe"}, 422, "validation_error"),
        ("/api/rebates/statement", {"quarter": "2027Q1"}, 404, "quarter_not_found"),
        ("/api/rebates/statement", {"quarter": "2025Q4"}, 404, "quarter_not_found"),
        ("/api/rebates/statement", {"quarter": "2026Q5"}, 404, "quarter_not_found"),
        ("/api/rebates/statement", {"quarter": "last quarter"}, 404, "quarter_not_found"),
        ("/api/rebates/statement", {"partner_id": "P-HZ-02"}, 404, "partner_not_found"),
        ("/api/rebates/statement", {"partner_id": "P-SZ-01"}, 404, "partner_not_found"),
        ("/api/rebates/statement", {"partner_id": "A-HZ"}, 404, "partner_not_found"),
        ("/api/rebates/statement", {"partner_id": "NOPE"}, 404, "partner_not_found"),
        ("/api/rebates/statement", {"partner_id": "../../etc"}, 404, "partner_not_found"),
        ("/api/rebates/history", {"partner_id": "P-HZ-03"}, 404, "partner_not_found"),
        ("/api/rebates/ranking", {"quarter": "2019Q1"}, 404, "quarter_not_found"),
        ("/api/ledger/orders", {"partner_id": "R-EC"}, 404, "partner_not_found"),
        ("/api/ledger/orders", {"limit": "0"}, 422, "validation_error"),
        ("/api/ledger/orders", {"quarter": "2026Q9"}, 404, "quarter_not_found"),
    ],
)
def test_bad_input_gets_a_clear_error(demo_api: Api, path: str, params: dict[str, str], status: int, code: str) -> None:
    r = demo_api.get(path, "hz_sales1", **params)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert r.json()["message"]  # a zh-CN message for the user


def test_non_partner_nodes_have_no_statement_of_their_own(demo_api: Api) -> None:
    r = demo_api.get("/api/rebates/statement", "hz_manager")
    assert (r.status_code, r.json()["code"]) == (422, "partner_required")
    r = demo_api.get("/api/rebates/what-if", "ec_manager", amount="100", partner_id="A-SU")
    assert (r.status_code, r.json()["code"]) == (422, "partner_required")


def test_every_route_needs_a_token(demo_api: Api) -> None:
    for path in ("/api/rebates/statement", "/api/rebates/history", "/api/rebates/ranking", "/api/partners"):
        r = demo_api.get(path)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert demo_api.post("/api/admin/partners/P-HZ-01/deactivate").status_code == 401


text_params = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        [
            "/api/rebates/statement",
            "/api/rebates/what-if",
            "/api/rebates/history",
            "/api/rebates/ranking",
            "/api/ledger/orders",
        ]
    ),
    params=st.fixed_dictionaries(
        {
            "quarter": st.one_of(st.none(), text_params, st.sampled_from(["2026Q1", "2026Q4", "2026q3", " 2026Q2 "])),
            "amount": st.one_of(st.none(), text_params, st.decimals(allow_nan=True).map(str), st.integers().map(str)),
            "partner_id": st.one_of(st.none(), text_params, st.sampled_from(["P-HZ-01", "P-HZ-02", "N-001", "A-HZ"])),
            "new_customer": st.one_of(st.none(), st.sampled_from(["true", "false", "1", "yes", "x"])),
        }
    ),
)
def test_never_a_500(demo_api: Api, path: str, params: dict[str, str | None]) -> None:
    r = demo_api.get(path, "hz_sales1", **params)
    assert r.status_code in (200, 404, 422), r.text
    if r.status_code == 200:
        assert "P-HZ-02" not in r.text and "P-SZ" not in r.text  # never another partner's data
    else:
        assert r.json()["code"] in {"partner_not_found", "quarter_not_found", "invalid_amount", "validation_error"}


# -- admin ---------------------------------------------------------------------------------


def test_admin_routes_are_for_admins_only(fresh_api: Api) -> None:
    for user in ("hz_sales1", "hz_manager", "ec_manager", "n_manager"):
        for path, body in (
            ("/api/admin/partners", {"id": "P-X-1", "name": "x", "level": "partner", "parent_id": "A-HZ"}),
            ("/api/admin/partners/P-HZ-01/move", {"new_parent_id": "A-SU"}),
            ("/api/admin/partners/P-HZ-01/deactivate", None),
            ("/api/admin/partners/P-HZ-01/move", {"bad": "body"}),  # 403 before the body is read
        ):
            r = fresh_api.post(path, user, json=body)
            assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (user, path)
    assert fresh_api.get("/api/rebates/statement", "su_manager", partner_id="P-HZ-01").status_code == 404


def test_admin_adds_a_partner_and_it_works_at_once(fresh_api: Api) -> None:
    body = {
        "id": "P-HZ-05",
        "name": "杭州新锐物联有限公司",
        "level": "partner",
        "parent_id": "A-HZ",
        "specialty": "CM",
        "baseline": "500000",
        "first_quarter": "2026Q4",
    }
    r = fresh_api.post("/api/admin/partners", "n_admin", json=body)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "id": "P-HZ-05",
        "name": "杭州新锐物联有限公司",
        "level": "partner",
        "parent_id": "A-HZ",
        "region": "华东",
        "city": "杭州",
        "active": True,
        "specialty": "CM",
    }
    fresh_api.add_user("hz_sales5", "P-HZ-05")
    statement = fresh_api.get("/api/rebates/statement", "hz_sales5").json()
    assert statement["partner_id"] == "P-HZ-05" and statement["total"] == "0.00"
    assert statement["baseline"]["amount"] == "500000.00"
    assert fresh_api.get("/api/rebates/statement", "hz_sales5", quarter="2026Q3").json()["code"] == "quarter_not_found"
    assert "P-HZ-05" in str(fresh_api.get("/api/partners", "hz_manager").json())
    ranking = fresh_api.get("/api/rebates/ranking", "hz_manager").json()
    assert ranking["size"] == 5
    assert "P-HZ-05" not in str(fresh_api.get("/api/partners", "su_manager").json())

    duplicate = fresh_api.post("/api/admin/partners", "n_admin", json=body)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "invalid_network_change")
    no_baseline = fresh_api.post("/api/admin/partners", "n_admin", json={**body, "id": "P-HZ-06", "baseline": None})
    assert (no_baseline.status_code, no_baseline.json()["code"]) == (422, "invalid_amount")
    unknown_parent = fresh_api.post(
        "/api/admin/partners", "n_admin", json={**body, "id": "P-HZ-07", "parent_id": "A-XX"}
    )
    assert (unknown_parent.status_code, unknown_parent.json()["code"]) == (404, "partner_not_found")
    wrong_level = fresh_api.post(
        "/api/admin/partners", "n_admin", json={"id": "A-NEW", "name": "x", "level": "alliance", "parent_id": "A-HZ"}
    )
    assert (wrong_level.status_code, wrong_level.json()["code"]) == (409, "invalid_network_change")
    bad_id = fresh_api.post("/api/admin/partners", "n_admin", json={**body, "id": "lower-case"})
    assert (bad_id.status_code, bad_id.json()["code"]) == (422, "validation_error")
    bad_quarter = fresh_api.post("/api/admin/partners", "n_admin", json={**body, "id": "P-HZ-08", "first_quarter": "x"})
    assert (bad_quarter.status_code, bad_quarter.json()["code"]) == (404, "quarter_not_found")


def test_admin_moves_and_deactivates(fresh_api: Api) -> None:
    assert fresh_api.get("/api/rebates/statement", "hz_manager", partner_id="P-HZ-04").status_code == 200
    moved = fresh_api.post("/api/admin/partners/P-HZ-04/move", "n_admin", json={"new_parent_id": "A-SU"})
    assert moved.status_code == 200 and moved.json()["parent_id"] == "A-SU"
    assert fresh_api.get("/api/rebates/statement", "hz_manager", partner_id="P-HZ-04").status_code == 404
    assert fresh_api.get("/api/rebates/statement", "su_manager", partner_id="P-HZ-04").status_code == 200

    cycle = fresh_api.post("/api/admin/partners/R-EC/move", "n_admin", json={"new_parent_id": "A-HZ"})
    assert (cycle.status_code, cycle.json()["code"]) == (409, "invalid_network_change")
    root = fresh_api.post("/api/admin/partners/N-001/move", "n_admin", json={"new_parent_id": "R-EC"})
    assert root.status_code == 409
    unknown = fresh_api.post("/api/admin/partners/P-NOPE/move", "n_admin", json={"new_parent_id": "A-SU"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "partner_not_found")

    busy = fresh_api.post("/api/admin/partners/A-NB/deactivate", "n_admin")
    assert (busy.status_code, busy.json()["code"]) == (409, "invalid_network_change")
    gone = fresh_api.post("/api/admin/partners/P-NB-03/deactivate", "n_admin")
    assert gone.status_code == 200 and gone.json()["active"] is False
    # Its own users read nothing any more; its ancestors still read its history.
    assert fresh_api.get("/api/rebates/statement", "nb_sales3").json()["code"] == "partner_not_found"
    assert fresh_api.get("/api/partners", "nb_sales3").status_code == 404
    assert fresh_api.get("/api/rebates/statement", "nb_manager", partner_id="P-NB-03").status_code == 200
    assert fresh_api.get("/api/rebates/ranking", "nb_manager").json()["size"] == 2  # active partners only
    own = fresh_api.post("/api/admin/partners/N-001/deactivate", "n_admin")
    assert own.status_code == 409
