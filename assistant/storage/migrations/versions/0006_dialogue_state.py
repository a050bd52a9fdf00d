"""chat: conversations.dialogue_state (the last task and its parameters, for follow-ups)

Revision ID: 0006_dialogue_state
Revises: 0005_widget_claim
Create Date: 2026-12-04 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_dialogue_state"
down_revision = "0005_widget_claim"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a NOT NULL column with a server default otherwise
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("dialogue_state", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("dialogue_state")
