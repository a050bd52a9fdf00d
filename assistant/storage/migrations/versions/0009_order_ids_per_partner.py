"""rebates: order ids unique per partner (ledger_orders keyed by partner_id, order_id)

Revision ID: 0009_order_ids_per_partner
Revises: 0002_rebates
Create Date: 2026-12-05 03:00:00

DECISIONS 2026-12-04 #5: an order id is unique within its partner, not across the
ledger, so a clash never tells one region that another region's id exists.  The
primary key of ``ledger_orders`` moves from ``(order_id)`` to ``(partner_id, order_id)``;
every existing row stays (unique ids are unique per partner too).  The downgrade
restores the old key, which fails if two partners have come to share an id.
"""

from __future__ import annotations

import warnings

from alembic import op
from sqlalchemy.exc import SAWarning

revision = "0009_order_ids_per_partner"
down_revision = "0002_rebates"
branch_labels = None
depends_on = None

_PG_KEY = "ledger_orders_pkey"  # PostgreSQL's name for the key 0002 created


def _set_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a key: the batch copies the table under the new one.  SQLAlchemy
        # warns that the copied columns' primary_key flags differ from the new key: intended.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*primary_key=True, not matching.*", category=SAWarning)
            with op.batch_alter_table("ledger_orders", recreate="always") as batch:
                batch.create_primary_key("pk_ledger_orders", columns)
    else:
        op.drop_constraint(_PG_KEY, "ledger_orders", type_="primary")
        op.create_primary_key(_PG_KEY, "ledger_orders", columns)


def upgrade() -> None:
    _set_key(["partner_id", "order_id"])


def downgrade() -> None:
    _set_key(["order_id"])
