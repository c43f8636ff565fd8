"""Several instances: conversation state (flows), the webhook inbox, the shared send budget.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("chat_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(255), nullable=False, server_default=""),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "slot", name="pk_flows"),
    )
    op.create_index("ix_flows_expires_at", "flows", ["expires_at"])
    op.create_table(
        "inbox",
        sa.Column("bot_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_lease_until", "inbox", ["lease_until"])
    op.create_table(
        "send_budget",
        sa.Column("bot_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("next_slot", sa.Float, nullable=False, server_default="0"),
        sa.Column("paused_until", sa.Float, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("bot_id", name="pk_send_budget"),
    )


def downgrade() -> None:
    op.drop_table("send_budget")
    op.drop_index("ix_inbox_lease_until", table_name="inbox")
    op.drop_table("inbox")
    op.drop_index("ix_flows_expires_at", table_name="flows")
    op.drop_table("flows")
