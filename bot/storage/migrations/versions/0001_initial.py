"""Users, check-ins, check-in answers, safety plans, anonymous daily counters.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("chat_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("role", sa.String(16)),
        sa.Column("country", sa.String(2)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("consent_at", UTC_TS),
        sa.Column("recovery_start", sa.Date),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("last_seen", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_users"),
    )
    op.create_table(
        "checkins",
        sa.Column("chat_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("weekday", sa.SmallInteger),
        sa.Column("local_time", sa.Time, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("next_due_at", UTC_TS),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("unanswered", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_sent_at", UTC_TS),
        sa.PrimaryKeyConstraint("chat_id", name="pk_checkins"),
    )
    op.create_index("ix_checkins_next_due_at", "checkins", ["next_due_at"])
    op.create_table(
        "checkin_answers",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("mood", sa.String(32), nullable=False),
        sa.Column("craving", sa.SmallInteger),
        sa.PrimaryKeyConstraint("id", name="pk_checkin_answers"),
    )
    op.create_index("ix_checkin_answers_chat_id_at", "checkin_answers", ["chat_id", "at"])
    op.create_table(
        "safety_plans",
        sa.Column("chat_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_safety_plans"),
    )
    op.create_table(
        "counters",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, server_default=""),
        sa.Column("n", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "name", "key", name="pk_counters"),
    )


def downgrade() -> None:
    for table in ("counters", "safety_plans", "checkin_answers", "checkins", "users"):
        op.drop_table(table)
