"""Adding orders to a ledger and recording them through the service (no HTTP): duplicates
are their own error, batches are all or nothing, dates stop at today."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from rebate_helpers import PARTNER, make_order

from assistant.dialogue.types import Caller
from assistant.rebates import InvalidOrderError, Ledger, Quarter
from assistant.rebates.errors import DuplicateOrderError, ForbiddenError, PartnerNotFoundError
from assistant.rebates.service import RebateService
from assistant.storage.db import Database, migrate
from tests.rebates_api.harness import REBATES, TODAY
from tests.storage_backends import database_for

Q1 = Quarter.parse("2026Q1")


def test_with_orders_tells_duplicates_apart() -> None:
    ledger = Ledger([make_order("SO-1", "100.00", "2026-01-05")])
    with pytest.raises(DuplicateOrderError, match="SO-1: already in the ledger") as known:
        ledger.with_orders([make_order("SO-2", "1.00", "2026-01-06"), make_order("SO-1", "1.00", "2026-01-06")])
    assert known.value.code == "duplicate_order" and isinstance(known.value, InvalidOrderError)
    with pytest.raises(DuplicateOrderError, match="SO-3: twice in the batch"):
        ledger.with_orders([make_order("SO-3", "1.00", "2026-01-06"), make_order("SO-3", "2.00", "2026-01-07")])
    # Other inconsistencies keep their code; the original ledger is never touched.
    with pytest.raises(InvalidOrderError, match="exceed") as over:
        ledger.with_orders([make_order("RT-1", "100.01", "2026-01-07", reverses="SO-1")])
    assert over.value.code == "invalid_order"
    assert len(ledger) == 1 and ledger.net_sales(PARTNER, Q1) == Decimal("100.00")


def test_a_return_must_name_its_order() -> None:
    bare = replace(make_order("RT-1", "1.00", "2026-01-06", reverses="SO-1"), reverses=None)
    with pytest.raises(InvalidOrderError, match="must name the order"):
        Ledger([make_order("SO-1", "100.00", "2026-01-05"), bare])


ADMIN = Caller(user_id="u-admin", partner_id="N-001", role="admin")
REGION_ADMIN = Caller(user_id="u-ec-admin", partner_id="R-EC", role="admin")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, module_backend: str) -> Iterator[RebateService]:
    with database_for(module_backend, tmp_path_factory.mktemp("record")) as url:
        migrate(url)
        svc = RebateService(db=Database(url), today=lambda: TODAY)
        svc.open(seed_dir=REBATES)
        yield svc
        svc.store.db.dispose()


def test_add_orders_is_all_or_nothing(service: RebateService) -> None:
    size = len(service.state.ledger)
    good = make_order("SO-SVC-1", "1E+2", str(TODAY), partner="P-HZ-01")
    for bad, error in (
        (make_order("SO-SVC-2", "1.00", str(TODAY + timedelta(days=1)), partner="P-HZ-01"), InvalidOrderError),
        (make_order("SO-SVC-2", "1.00", "2025-12-31", partner="P-HZ-01"), InvalidOrderError),
        (make_order("SO-SVC-2", "1.00", str(TODAY), partner="A-HZ"), InvalidOrderError),
        (make_order("SO-SVC-2", "1.00", str(TODAY), partner="P-SZ-01"), PartnerNotFoundError),
        (make_order("SO-SVC-1", "1.00", str(TODAY), partner="P-HZ-01"), DuplicateOrderError),
    ):
        with pytest.raises(error):
            service.add_orders(viewer=REGION_ADMIN, orders=[good, bad])
        assert len(service.state.ledger) == size and service.state.ledger.get("P-HZ-01", "SO-SVC-1") is None
    with pytest.raises(ForbiddenError):
        service.add_orders(viewer=Caller(user_id="u", partner_id="N-001", role="sales"), orders=[good])
    recorded = service.add_orders(viewer=REGION_ADMIN, orders=[good])
    assert recorded[0].amount == Decimal("100.00") and str(recorded[0].amount) == "100.00"  # as stored
    assert service.state.ledger.get("P-HZ-01", "SO-SVC-1") == recorded[0] and len(service.state.ledger) == size + 1


def test_record_orders_stays_the_trusted_bulk_path(service: RebateService) -> None:
    """The seed/import path takes any date in the ledger (the demo data runs to year end)."""
    later = make_order("SO-SVC-LATER", "10.00", str(date(2026, 12, 20)), partner="P-HZ-03")
    assert service.record_orders([later]) == 1
    assert service.state.ledger.get("P-HZ-03", "SO-SVC-LATER") == later
    with pytest.raises(DuplicateOrderError):
        service.record_orders([later])
