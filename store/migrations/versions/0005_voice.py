"""Voice: phone calls, inbound and outbound, with their state between Twilio's requests.

Revision ID: 0005_voice
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0005_voice"
down_revision = "0002"
branch_labels = None
depends_on = None


def _utc() -> store.models.UTCDateTime:
    return store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "phone_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("pharmacy_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("answered_by", sa.String(length=32), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("retry_of_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("scheduled_for", _utc(), nullable=True),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("reprompts", sa.Integer(), nullable=False),
        sa.Column("silences", sa.Integer(), nullable=False),
        sa.Column("question", sa.JSON(), nullable=True),
        sa.Column("twiml", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=True),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["pharmacy_id"], ["pharmacy.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["retry_of_id"], ["phone_call.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_sid"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_phone_call_phone", "phone_call", ["pharmacy_id", "phone", "created_at"])
    op.create_index("ix_phone_call_due", "phone_call", ["status", "scheduled_for"])


def downgrade() -> None:
    op.drop_index("ix_phone_call_due", table_name="phone_call")
    op.drop_index("ix_phone_call_phone", table_name="phone_call")
    op.drop_table("phone_call")
