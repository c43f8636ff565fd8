"""Per-intent feedback counts, group settings, and a claim column for check-in senders.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("helpful", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("not_helpful", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "intent", name="pk_feedback"),
    )
    op.create_table(
        "group_settings",
        sa.Column("chat_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("crisis_watch", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("chat_id", name="pk_group_settings"),
    )
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("claimed_until")
    op.drop_table("group_settings")
    op.drop_table("feedback")
