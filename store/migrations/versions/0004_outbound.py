"""Outbound messaging: sending bookkeeping on messages, SMS capability on patients,
campaigns and their recipients, and the once-per-cycle scheduler events.

Revision ID: 0004_outbound
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0004_outbound"
down_revision = "0002"
branch_labels = None
depends_on = None


def _utc() -> store.models.UTCDateTime:
    return store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("deferred_until", _utc(), nullable=True))
        batch.add_column(sa.Column("sent_at", _utc(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("error_code", sa.Integer(), nullable=True))
    # The send sweeper looks for queued outbound rows whose time has come.
    op.create_index("ix_message_outbox", "message", ["status", "deferred_until"])
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("sms_capable", sa.Boolean(), nullable=True))

    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pharmacy_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["pharmacy_id"], ["pharmacy.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pharmacy_id", "name"),
    )
    op.create_table(
        "campaign_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "patient_id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        "ix_campaign_recipient_status", "campaign_recipient", ["campaign_id", "status"]
    )
    op.create_table(
        "cycle_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "anchor_date", "kind"),
    )


def downgrade() -> None:
    op.drop_table("cycle_event")
    op.drop_index("ix_campaign_recipient_status", table_name="campaign_recipient")
    op.drop_table("campaign_recipient")
    op.drop_table("campaign")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("sms_capable")
    op.drop_index("ix_message_outbox", table_name="message")
    with op.batch_alter_table("message") as batch:
        for column in ("error_code", "segments", "attempts", "sent_at", "deferred_until", "purpose"):
            batch.drop_column(column)
