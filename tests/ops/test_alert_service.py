"""The alert service over the demo data (corpus/rebates and corpus/ops) on SQLite and
PostgreSQL: alerts computed at start, kept current as orders land (equal to a full
evaluation), status changes with who and when, and what each node may see."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.dialogue.types import Caller
from assistant.ops.alert_inputs import load_alert_inputs
from assistant.ops.alert_service import (
    MAX_NOTE,
    AlertChange,
    AlertForbiddenError,
    AlertNoteRequiredError,
    AlertNoteTooLongError,
    AlertNotFoundError,
    AlertService,
    AlertTransitionError,
    ChangeKind,
    StoredAlert,
)
from assistant.ops.alerts import Alert, evaluate, load_rules
from assistant.ops.loader import seed
from assistant.ops.tables import AlertRow, AlertStatus
from assistant.rebates.errors import PartnerNotFoundError
from assistant.rebates.ledger import Ledger, Order, OrderStatus
from assistant.rebates.loader import load_orders
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import RebateService
from assistant.storage.db import Database, migrate
from tests.storage_backends import database_for

ROOT = Path(__file__).resolve().parents[2]
REBATES = ROOT / "corpus" / "rebates"
OPS = ROOT / "corpus" / "ops"
TODAY = date(2026, 11, 27)  # in 2026Q4: open for orders
Q4 = Quarter(2026, 4)

ADMIN = Caller(user_id="u-n_admin", partner_id="N-001", role="admin")
EAST = Caller(user_id="u-ec_manager", partner_id="R-EC", role="manager")  # region 华东
HANGZHOU = Caller(user_id="u-hz_manager", partner_id="A-HZ", role="manager")  # an alliance of 华东
SUZHOU = Caller(user_id="u-su_manager", partner_id="A-SU", role="manager")  # another alliance of 华东
SOUTH = Caller(user_id="u-sc_manager", partner_id="R-SC", role="manager")  # region 华南
SALES = Caller(user_id="u-hz_sales1", partner_id="P-HZ-01", role="sales")


@dataclass
class Setup:
    db: Database
    rebates: RebateService
    alerts: AlertService
    clock: Callable[[], datetime]
    started: tuple[AlertChange, ...]


def ticking_clock() -> Callable[[], datetime]:
    """Naive UTC times one minute apart, so each change has its own moment."""
    ticks = count()
    return lambda: datetime(2026, 11, 27, 9, 0) + timedelta(minutes=next(ticks))


def open_setup(url: str) -> Setup:
    migrate(url)
    db = Database(url)
    rebates = RebateService(db=db, today=lambda: TODAY)
    rebates.open(seed_dir=REBATES)
    seed(db, OPS)
    clock = ticking_clock()
    alerts = AlertService(db=db, rebates=rebates, rules=load_rules(), clock=clock)
    return Setup(db=db, rebates=rebates, alerts=alerts, clock=clock, started=alerts.start())


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    """A private database (SQLite and PostgreSQL) for tests that change things."""
    s = open_setup(database_url)
    yield s
    s.db.dispose()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[Setup]:
    """One database per backend for tests that only read."""
    with database_for(module_backend, tmp_path_factory.mktemp("alerts")) as url:
        s = open_setup(url)
        yield s
        s.db.dispose()


def corpus_alerts(added: list[Order] | None = None) -> tuple[Alert, ...]:
    """A full evaluation straight from the corpus files (plus ``added`` orders): the
    independent reference the stored alerts must equal."""
    inputs = load_alert_inputs(OPS, rebates_dir=REBATES, as_of=TODAY)
    if added:
        assert isinstance(inputs.ledger, Ledger)
        inputs = replace(inputs, ledger=inputs.ledger.with_orders(added))
    return evaluate(inputs, load_rules()).alerts


def stored(db: Database) -> list[AlertRow]:
    with db.read() as s:
        return list(s.scalars(select(AlertRow).order_by(AlertRow.id)))


def firing_keys(db: Database) -> set[tuple[str, str, str, str]]:
    return {(r.rule, r.partner_id, r.period, r.subject) for r in stored(db) if r.cleared_at is None}


def find(setup: Setup, rule: str, partner: str, period: str) -> StoredAlert:
    return next(
        a
        for a in setup.alerts.alerts_for(ADMIN, include_cleared=True)
        if (a.rule, a.partner_id, a.period) == (rule, partner, period)
    )


def under(setup: Setup, node_id: str) -> set[str]:
    return set(setup.rebates.state.network.readable(node_id))


FULL_LEDGER = load_orders(REBATES / "orders.csv")


def booked_q4(partner: str) -> Decimal:
    """The partner's booked amount of 2026Q4 in the seeded ledger (the whole quarter, as the rules count it)."""
    return FULL_LEDGER.sales(partner, Q4).booked


def order(order_id: str, partner: str, amount: Decimal, *, customer: str, reverses: str | None = None) -> Order:
    return Order(
        order_id=order_id,
        partner_id=partner,
        customer_id=customer,
        new_customer=False,
        product_id="EG-2100",
        amount=amount.quantize(Decimal("0.01")),
        date=TODAY,
        status=OrderStatus.RETURNED if reverses else OrderStatus.BOOKED,
        reverses=reverses,
    )


# -- computed at start --------------------------------------------------------------------------


def test_start_stores_what_a_full_evaluation_finds_and_a_second_start_changes_nothing(setup: Setup) -> None:
    expected = {a.key for a in corpus_alerts()}
    assert len(expected) > 20  # the generator planted every pattern
    assert firing_keys(setup.db) == expected
    assert {c.kind for c in setup.started} == {ChangeKind.CREATED} and len(setup.started) == len(expected)
    rows = stored(setup.db)
    assert all(r.status == "open" and r.rules_version == load_rules().version for r in rows)
    spike = next(r for r in rows if r.rule == "return_spike")
    figure = spike.evidence["figures"][0]  # type: ignore[index]
    assert figure["name"] == "return_rate" and Decimal(figure["value"]) > Decimal(figure["threshold"])
    assert spike.evidence["order_ids"]  # the returns behind it
    # A restart recomputes and finds nothing to change; status set by people survives it.
    setup.alerts.acknowledge(ADMIN, spike.id)
    assert setup.alerts.start() == ()
    assert next(r for r in stored(setup.db) if r.id == spike.id).status == "acknowledged"


# -- incremental on orders -----------------------------------------------------------------------


def test_orders_update_alerts_incrementally_as_a_full_evaluation_would(setup: Setup) -> None:
    landed: list[AlertChange] = []
    setup.rebates.on_orders(lambda orders: landed.extend(setup.alerts.on_orders(orders)))
    added: list[Order] = []

    def record(*orders: Order) -> list[AlertChange]:
        landed.clear()
        setup.rebates.record_orders(orders)
        added.extend(orders)
        return list(landed)

    # 1. A big return at P-HZ-02 (no return spike in Q4 yet): a new alert, open.
    assert ("return_spike", "P-HZ-02", "2026Q4", "") not in firing_keys(setup.db)
    amount = max(booked_q4("P-HZ-02") / 5, Decimal(60_000))
    changes = record(
        order("SO-T-1", "P-HZ-02", amount, customer="C-T-1"),
        order("RT-T-1", "P-HZ-02", amount, customer="C-T-1", reverses="SO-T-1"),
    )
    created = [c for c in changes if c.alert.rule == "return_spike" and c.alert.partner_id == "P-HZ-02"]
    assert [c.kind for c in created] == [ChangeKind.CREATED]
    assert created[0].alert.status is AlertStatus.OPEN and created[0].alert.period == "2026Q4"
    assert "RT-T-1" in created[0].alert.evidence["order_ids"]  # type: ignore[operator]

    # 2. P-SU-02's Q4 return spike, acknowledged, then diluted by a big order: cleared, kept.
    spike = find(setup, "return_spike", "P-SU-02", "2026Q4")
    setup.alerts.acknowledge(SUZHOU, spike.id)
    big = booked_q4("P-SU-02") * 10
    changes = record(order("SO-T-2", "P-SU-02", big, customer="C-T-2"))
    cleared = [c for c in changes if c.alert.id == spike.id]
    assert [c.kind for c in cleared] == [ChangeKind.CLEARED]
    after = setup.alerts.alert(SUZHOU, spike.id)
    assert after.cleared_at is not None and after.status is AlertStatus.ACKNOWLEDGED
    assert after.acknowledged_by == SUZHOU.user_id and after.evidence == spike.evidence  # the last evidence kept
    assert spike.id not in {a.id for a in setup.alerts.alerts_for(SUZHOU)}
    assert spike.id in {a.id for a in setup.alerts.alerts_for(SUZHOU, include_cleared=True)}

    # 3. Half of that order returned: it fires again, same alert, status untouched.
    changes = record(order("RT-T-2", "P-SU-02", big / 2, customer="C-T-2", reverses="SO-T-2"))
    again = [c for c in changes if c.alert.id == spike.id]
    assert [c.kind for c in again] == [ChangeKind.UPDATED]
    assert again[0].alert.cleared_at is None and again[0].alert.status is AlertStatus.ACKNOWLEDGED
    assert again[0].alert.evidence != spike.evidence

    # What the increments left equals a full evaluation of the changed data, and a full
    # recomputation over the database finds nothing left to change.
    assert firing_keys(setup.db) == {a.key for a in corpus_alerts(added)}
    assert setup.alerts.start() == ()


def test_orders_that_change_no_alert_report_no_change(setup: Setup) -> None:
    before = {r.id: (r.severity, r.evidence, r.cleared_at) for r in stored(setup.db)}
    setup.rebates.record_orders([order("SO-T-9", "P-HZ-03", Decimal(100), customer="C-T-9")])
    changes = setup.alerts.on_orders([order("SO-T-9", "P-HZ-03", Decimal(100), customer="C-T-9")])
    assert changes == ()
    assert {r.id: (r.severity, r.evidence, r.cleared_at) for r in stored(setup.db)} == before
    assert setup.alerts.on_orders([]) == ()


# -- status: open -> acknowledged -> resolved ------------------------------------------------------


def test_acknowledge_then_resolve_records_who_and_when(setup: Setup) -> None:
    alert = find(setup, "overstock", "P-HZ-02", "2026-05-04")
    ack = setup.alerts.acknowledge(HANGZHOU, alert.id)
    assert ack.kind is ChangeKind.ACKNOWLEDGED and ack.alert.status is AlertStatus.ACKNOWLEDGED
    assert ack.alert.acknowledged_by == "u-hz_manager" and ack.alert.acknowledged_at is not None
    assert ack.alert.updated_at == ack.alert.acknowledged_at > alert.updated_at
    with pytest.raises(AlertTransitionError):
        setup.alerts.acknowledge(EAST, alert.id)  # already acknowledged: by whom stays

    done = setup.alerts.resolve(EAST, alert.id, "  已和伙伴核对库存，下月停止进货  ")
    assert done.kind is ChangeKind.RESOLVED and done.alert.status is AlertStatus.RESOLVED
    assert (done.alert.resolved_by, done.alert.resolution_note) == ("u-ec_manager", "已和伙伴核对库存，下月停止进货")
    assert done.alert.resolved_at is not None and done.alert.resolved_at > ack.alert.acknowledged_at
    assert done.alert.acknowledged_by == "u-hz_manager"  # the earlier step is kept
    with pytest.raises(AlertTransitionError):
        setup.alerts.resolve(EAST, alert.id, "again")
    with pytest.raises(AlertTransitionError):
        setup.alerts.acknowledge(EAST, alert.id)
    row = next(r for r in stored(setup.db) if r.id == alert.id)
    assert (row.status, row.resolved_by, row.acknowledged_by) == ("resolved", "u-ec_manager", "u-hz_manager")


def test_an_open_alert_resolves_directly_and_the_note_is_required_and_bounded(setup: Setup) -> None:
    alert = find(setup, "satisfaction_falling", "P-HZ-01", "2026Q4")
    for note in ("", "   ", "\n\t"):
        with pytest.raises(AlertNoteRequiredError):
            setup.alerts.resolve(HANGZHOU, alert.id, note)
    with pytest.raises(AlertNoteTooLongError):
        setup.alerts.resolve(HANGZHOU, alert.id, "长" * (MAX_NOTE + 1))
    assert setup.alerts.alert(HANGZHOU, alert.id).status is AlertStatus.OPEN  # refusals changed nothing
    done = setup.alerts.resolve(HANGZHOU, alert.id, "长" * MAX_NOTE)
    assert done.alert.status is AlertStatus.RESOLVED and done.alert.acknowledged_by is None


# -- visibility by subtree ---------------------------------------------------------------------------


def test_each_manager_sees_exactly_the_alerts_of_its_subtree(shared: Setup) -> None:
    everything = shared.alerts.alerts_for(ADMIN)
    assert {(a.rule, a.partner_id, a.period, a.subject) for a in everything} == firing_keys(shared.db)
    for viewer in (EAST, HANGZHOU, SUZHOU, SOUTH):
        seen = shared.alerts.alerts_for(viewer)
        nodes = under(shared, viewer.partner_id)
        assert {a.id for a in seen} == {a.id for a in everything if a.partner_id in nodes}, viewer.partner_id
    east = {a.id for a in shared.alerts.alerts_for(EAST)}
    assert east and {a.id for a in shared.alerts.alerts_for(HANGZHOU)} < east
    assert not east & {a.id for a in shared.alerts.alerts_for(SOUTH)}
    # Firing and high first.
    ranks = [{"high": 0, "medium": 1, "low": 2}[a.severity] for a in everything]
    assert ranks == sorted(ranks)


def test_an_alert_outside_the_subtree_answers_like_a_missing_one(shared: Setup) -> None:
    south = next(a for a in shared.alerts.alerts_for(ADMIN) if a.partner_id not in under(shared, "R-EC"))
    missing = 10**9
    for action in (
        lambda i: shared.alerts.alert(EAST, i),
        lambda i: shared.alerts.acknowledge(EAST, i),
        lambda i: shared.alerts.resolve(EAST, i, "看一下"),
    ):
        with pytest.raises(AlertNotFoundError) as outside:
            action(south.id)
        with pytest.raises(AlertNotFoundError) as absent:
            action(missing)
        assert (type(outside.value), outside.value.code) == (type(absent.value), absent.value.code)
        assert str(south.id) not in outside.value.code
    assert shared.alerts.alert(ADMIN, south.id).status is AlertStatus.OPEN  # untouched


def test_roles_without_alerts_and_deactivated_nodes_are_refused(shared: Setup) -> None:
    some = shared.alerts.alerts_for(ADMIN)[0]
    for role in ("sales", "expert", "content_admin"):
        viewer = Caller(user_id="u-x", partner_id="N-001", role=role)
        with pytest.raises(AlertForbiddenError):
            shared.alerts.alerts_for(viewer)
        with pytest.raises(AlertForbiddenError):
            shared.alerts.acknowledge(viewer, some.id)
    with pytest.raises(AlertForbiddenError):
        shared.alerts.alerts_for(SALES)
    with pytest.raises(PartnerNotFoundError):
        shared.alerts.alerts_for(Caller(user_id="u-y", partner_id="X-UNKNOWN", role="manager"))


def test_a_deactivated_node_sees_nothing(setup: Setup) -> None:
    setup.rebates.deactivate_node(viewer=ADMIN, node_id="P-HZ-02")
    with pytest.raises(PartnerNotFoundError):
        setup.alerts.alerts_for(Caller(user_id="u-hz_boss2", partner_id="P-HZ-02", role="manager"))


def test_status_filter_and_audience(shared: Setup) -> None:
    assert all(a.status is AlertStatus.OPEN for a in shared.alerts.alerts_for(ADMIN, AlertStatus.OPEN))
    assert shared.alerts.alerts_for(ADMIN, AlertStatus.RESOLVED) == ()
    assert len(shared.alerts.alerts_for(ADMIN, limit=2)) == 2
    alert = find(shared, "overstock", "P-HZ-02", "2026-05-04")
    assert shared.alerts.audience(alert) == ("P-HZ-02", "A-HZ", "R-EC", "N-001")
