"""ops_alerts: a subject in the alert's key, and cleared_at for alerts that stopped firing

Revision ID: 0013_alert_cleared
Revises: 0012_tasks
Create Date: 2026-12-06 15:00:00

* ``subject``: the engine tells findings of one rule, partner and period apart by a subject
  (``Alert.subject``: the product of an overstock run, the task of an overdue task), so two
  products of a partner whose overstock runs start in the same week are two alerts.  The
  unique key becomes ``(rule, partner_id, period, subject)``; existing rows get ``''``.
* ``cleared_at``: an alert whose rule no longer fires is kept (its status, who acknowledged
  or resolved it, its last evidence) and marked with when it stopped; NULL while it fires.

Written by hand; mirrors assistant/ops/tables.py.  SQLite cannot change a constraint in
place: the batch copies the table (``recreate="auto"`` does so only there).  The downgrade
restores the old key, which fails if two alerts have come to differ only by subject.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_alert_cleared"
down_revision = "0012_tasks"
branch_labels = None
depends_on = None

OLD_KEY = "uq_ops_alerts_rule_partner_period"
NEW_KEY = "uq_ops_alerts_key"


def upgrade() -> None:
    with op.batch_alter_table("ops_alerts") as batch:
        batch.add_column(sa.Column("subject", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("cleared_at", sa.DateTime(), nullable=True))
        batch.drop_constraint(OLD_KEY, type_="unique")
        batch.create_unique_constraint(NEW_KEY, ["rule", "partner_id", "period", "subject"])


def downgrade() -> None:
    with op.batch_alter_table("ops_alerts") as batch:
        batch.drop_constraint(NEW_KEY, type_="unique")
        batch.create_unique_constraint(OLD_KEY, ["rule", "partner_id", "period"])
        batch.drop_column("cleared_at")
        batch.drop_column("subject")
