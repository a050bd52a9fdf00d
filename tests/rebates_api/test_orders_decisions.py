"""POST /api/admin/orders under DECISIONS 2026-12-04 #4, #5 and #6, over REST on a real
database file (SQLite) and PostgreSQL (``fresh_api`` is parametrised over both).

* #4: no order into a quarter whose statement is final (422 ``quarter_closed``); a return
  of such an order is booked today, counts in the current quarter as a negative
  adjustment and the current statement names the original order; no orders for a
  deactivated partner (422 ``partner_inactive``).
* #5: order ids are unique per partner: another partner's id never clashes (nor tells
  that it exists); the same partner's id is 409 ``duplicate_order``.
* #6: a refused batch names the item at fault, ``{"code", "message", "item", "field"}``,
  and never data of another partner.

All or nothing holds throughout: a refused batch leaves statement, ledger and table as
they were.  Today is pinned to 2026-11-27 (2026Q4 accrued; 2026Q1-Q3 final).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from assistant.rebates.tables import LedgerOrderRow
from tests.rebates_api.harness import TODAY, Api, order

ROUTE = "/api/admin/orders"
ADMIN = "n_admin"  # the national admin: reads every partner
PARTNER = "P-HZ-01"
Q3, Q4 = "2026Q3", "2026Q4"
ERROR_KEYS = {"code", "message", "item", "field"}


def return_of(original: dict[str, Any], order_id: str, amount: Any, day: str | None = None) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "partner_id": original["partner_id"],
        "customer_id": original["customer_id"],
        "new_customer": original["new_customer"],
        "product_id": original["product_id"],
        "amount": amount,
        "date": day or TODAY.isoformat(),
        "status": "returned",
        "reverses": original["order_id"],
    }


def statement(api: Api, partner_id: str = PARTNER, quarter: str = Q4) -> dict[str, Any]:
    r = api.get("/api/rebates/statement", ADMIN, partner_id=partner_id, quarter=quarter)
    assert r.status_code == 200, r.text
    return dict(r.json())


def ledger(api: Api, node_id: str = "N-001", quarter: str = Q4) -> dict[str, Any]:
    r = api.get("/api/ledger/orders", ADMIN, partner_id=node_id, quarter=quarter, limit=5000)
    assert r.status_code == 200, r.text
    return dict(r.json())


def row_count(api: Api) -> int:
    assert api.runtime.db is not None
    with api.runtime.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(LedgerOrderRow)) or 0)


def snapshot(api: Api) -> tuple[Any, ...]:
    """Everything a refused batch must leave alone (both quarters, both statements, the table)."""
    return (
        statement(api),
        statement(api, quarter=Q3),
        ledger(api),
        ledger(api, quarter=Q3),
        row_count(api),
    )


def refused(api: Api, user: str, batch: list[dict[str, Any]], status: int, code: str) -> dict[str, Any]:
    """Post a batch that must be refused; check the body's shape and that nothing changed."""
    before = snapshot(api)
    r = api.post(ROUTE, user, json={"orders": batch})
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    body = dict(r.json())
    assert set(body) == ERROR_KEYS and body["message"], body
    assert snapshot(api) == before  # all or nothing
    return body


def booked(api: Api, partner_id: str = PARTNER, quarter: str = Q4) -> dict[str, Any]:
    rows = ledger(api, partner_id, quarter)["orders"]
    return next(o for o in rows if o["status"] == "booked")


# -- #4: closed quarters -----------------------------------------------------------------------


def test_an_order_into_a_closed_quarter_is_refused(fresh_api: Api) -> None:
    assert statement(fresh_api, quarter=Q3)["status"] == "final"
    body = refused(fresh_api, ADMIN, [order("SO-CL-1"), order("SO-CL-2", date="2026-09-30")], 422, "quarter_closed")
    assert (body["item"], body["field"]) == (1, "date")
    # The first day of the open quarter is fine.
    ok = fresh_api.post(ROUTE, ADMIN, json={"orders": [order("SO-CL-3", date="2026-10-01")]})
    assert ok.status_code == 201, ok.text


def test_a_return_dated_into_a_closed_quarter_is_refused_too(fresh_api: Api) -> None:
    original = booked(fresh_api, quarter=Q3)
    body = refused(fresh_api, ADMIN, [return_of(original, "RT-CL-1", "1.00", day="2026-09-30")], 422, "quarter_closed")
    assert (body["item"], body["field"]) == (0, "date")


def test_a_return_of_a_closed_quarter_order_is_a_negative_adjustment_now(fresh_api: Api) -> None:
    original = booked(fresh_api, quarter=Q3)
    q3_before, q4_before = statement(fresh_api, quarter=Q3), statement(fresh_api)
    back = Decimal(original["amount"]) / 2
    back = back.quantize(Decimal("0.01"))
    r = fresh_api.post(ROUTE, ADMIN, json={"orders": [return_of(original, "RT-CL-2", str(back))]})
    assert r.status_code == 201, r.text

    q4 = statement(fresh_api)
    assert Decimal(q4["sales"]["net"]) == Decimal(q4_before["sales"]["net"]) - back
    assert Decimal(q4["sales"]["returned"]) == Decimal(q4_before["sales"]["returned"]) + back
    assert "RT-CL-2" in next(x for x in q4["lines"] if x["kind"] == "base")["orders"]
    notes = [n for n in q4["notes"] if "RT-CL-2" in n]
    assert len(notes) == 1, q4["notes"]
    assert original["order_id"] in notes[0] and Q3 in notes[0] and "负数调整" in notes[0]
    assert f"-¥{back:,.2f}" in notes[0]
    assert statement(fresh_api, quarter=Q3) == q3_before  # the final statement is never reopened
    # The ledger row is the return, dated today, naming the original.
    row = next(o for o in ledger(fresh_api, PARTNER)["orders"] if o["order_id"] == "RT-CL-2")
    assert (row["date"], row["status"], row["reverses"]) == (TODAY.isoformat(), "returned", original["order_id"])


def test_no_orders_for_a_deactivated_partner(fresh_api: Api) -> None:
    original = booked(fresh_api, "P-HZ-04")
    r = fresh_api.post("/api/admin/partners/P-HZ-04/deactivate", ADMIN)
    assert r.status_code == 200, r.text
    before = row_count(fresh_api)
    for batch in (
        [order("SO-IN-1"), order("SO-IN-2", partner_id="P-HZ-04")],
        [order("SO-IN-1"), return_of(original, "RT-IN-1", "1.00")],
    ):
        body = refused(fresh_api, ADMIN, batch, 422, "partner_inactive")
        assert (body["item"], body["field"]) == (1, "partner_id")
    assert row_count(fresh_api) == before
    assert fresh_api.post(ROUTE, ADMIN, json={"orders": [order("SO-IN-1")]}).status_code == 201


# -- #5: ids unique per partner ---------------------------------------------------------------


def test_order_ids_are_unique_per_partner(fresh_api: Api) -> None:
    foreign = booked(fresh_api, "P-SZ-01")["order_id"]  # an id of another region's partner
    sz_before = statement(fresh_api, "P-SZ-01")

    # The same id for another partner is a new order, not a clash; also twice in one batch
    # for two partners.
    r = fresh_api.post(
        ROUTE,
        ADMIN,
        json={"orders": [order(foreign), order(foreign, partner_id="P-HZ-02", customer_id="C-HZ02-NEW1")]},
    )
    assert r.status_code == 201, r.text
    rows = [o for o in ledger(fresh_api)["orders"] if o["order_id"] == foreign]
    assert sorted(o["partner_id"] for o in rows) == ["P-HZ-01", "P-HZ-02", "P-SZ-01"]
    assert statement(fresh_api, "P-SZ-01") == sz_before

    # Within one partner the id is taken: 409, naming the item, nothing recorded.
    body = refused(fresh_api, ADMIN, [order("SO-PP-1"), order(foreign, amount="5.00")], 409, "duplicate_order")
    assert (body["item"], body["field"]) == (1, "order_id")
    body = refused(fresh_api, ADMIN, [order("SO-PP-2"), order("SO-PP-2", amount="2.00")], 409, "duplicate_order")
    assert (body["item"], body["field"]) == (1, "order_id")

    # A return names an order of its own partner: P-HZ-01's order with that id, never P-SZ-01's.
    own = next(o for o in rows if o["partner_id"] == PARTNER)
    r = fresh_api.post(ROUTE, ADMIN, json={"orders": [return_of(own, "RT-PP-1", own["amount"])]})
    assert r.status_code == 201, r.text
    assert statement(fresh_api, "P-SZ-01") == sz_before

    # The database keeps all three (the key is partner and id): a restart serves the same.
    restarted = Api(fresh_api.settings)
    try:
        assert restarted.runtime.rebates is not None
        assert len(restarted.runtime.rebates.state.ledger) == row_count(fresh_api)
        assert statement(restarted, "P-SZ-01") == sz_before
        assert statement(restarted) == statement(fresh_api)
    finally:
        restarted.close()


def test_a_regional_admin_never_learns_another_regions_ids(fresh_api: Api) -> None:
    fresh_api.add_user("ec_admin", "R-EC", role="admin")
    foreign = booked(fresh_api, "P-SZ-01")
    # An id only P-SZ-01 (south) has: recording it for an east partner just works.
    r = fresh_api.post(ROUTE, "ec_admin", json={"orders": [order(foreign["order_id"])]})
    assert r.status_code == 201, r.text
    # Recording it again is a clash with the admin's own partner only; the body says no more.
    body = refused(fresh_api, "ec_admin", [order(foreign["order_id"])], 409, "duplicate_order")
    assert (body["item"], body["field"]) == (0, "order_id")
    # A return naming the south partner's order from an east partner is 'unknown order'.
    south_only = next(
        o["order_id"] for o in ledger(fresh_api, "P-SZ-01")["orders"] if o["order_id"] != foreign["order_id"]
    )
    stray = {**order("RT-EC-1", amount="1.00", status="returned"), "reverses": south_only}
    body = refused(fresh_api, "ec_admin", [order("SO-EC-2"), stray], 422, "invalid_order")
    assert (body["item"], body["field"]) == (1, "reverses")
    for text in (foreign["customer_id"], "P-SZ-01", foreign["amount"]):
        assert text not in str(body)


# -- #6: the error body names the item --------------------------------------------------------


def test_a_refused_batch_names_the_item_and_field(fresh_api: Api) -> None:
    original = booked(fresh_api)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        (return_of(original, "RT-F-1", str(Decimal(original["amount"]) + 1)), 422, "invalid_order", "amount"),
        ({**return_of(original, "RT-F-1", "1.00"), "reverses": "SO-NOPE-1"}, 422, "invalid_order", "reverses"),
        ({**return_of(original, "RT-F-1", "1.00"), "customer_id": "C-OTHER-1"}, 422, "invalid_order", "customer_id"),
        (
            {**return_of(original, "RT-F-1", "1.00"), "new_customer": not original["new_customer"]},
            422,
            "invalid_order",
            "new_customer",
        ),
        (order("RT-F-1", status="returned"), 422, "invalid_order", "reverses"),
        (order("SO-F-1", date=tomorrow), 422, "invalid_order", "date"),
        (order("SO-F-1", date="2025-12-31"), 422, "invalid_order", "date"),
        (order("SO-F-1", partner_id="A-HZ"), 422, "invalid_order", "partner_id"),
        (order("SO-F-1", partner_id="P-NOPE-01"), 404, "partner_not_found", "partner_id"),
        (order("SO-F-1", amount="-1.00"), 422, "validation_error", "amount"),
        ({k: v for k, v in order("SO-F-1").items() if k != "customer_id"}, 422, "validation_error", "customer_id"),
    ]
    for bad, status, code, field in cases:
        batch = [order("SO-F-A"), order("SO-F-B", amount="2.00"), bad]
        body = refused(fresh_api, ADMIN, batch, status, code)
        assert (body["item"], body["field"]) == (2, field), (bad, body)


def test_other_error_bodies_keep_their_shape(fresh_api: Api) -> None:
    r = fresh_api.get("/api/rebates/statement", ADMIN, partner_id="P-NOPE-01")
    assert r.status_code == 404 and set(r.json()) == {"code", "message"}
    r = fresh_api.post(ROUTE, ADMIN, json={"orders": []})  # not an item's fault
    assert r.status_code == 422 and set(r.json()) == {"code", "message"}
    r = fresh_api.post(ROUTE, "hz_sales1", json={"orders": [order("SO-X-1")]})
    assert r.status_code == 403 and set(r.json()) == {"code", "message"}


def test_channel_performance_follows_recorded_orders(fresh_api: Api) -> None:
    """channel_performance is written at start and rewritten for the partner and quarter of
    recorded orders, so the channel_ranking view reads the ledger as it stands."""
    from assistant.ops.tables import ChannelPerformanceRow

    def actual() -> Decimal:
        assert fresh_api.runtime.db is not None
        with fresh_api.runtime.db.read() as s:
            row = s.get(ChannelPerformanceRow, {"channel_id": PARTNER, "quarter": Q4})
            assert row is not None  # written at start
            return Decimal(str(row.actual_sales))

    before = actual()
    r = fresh_api.post(ROUTE, ADMIN, json={"orders": [order("SO-PERF-0001", amount="12345.00")]})
    assert r.status_code == 201, r.text
    assert actual() == before + Decimal("12345.00")
    assert Decimal(statement(fresh_api)["sales"]["net"]) == actual()
