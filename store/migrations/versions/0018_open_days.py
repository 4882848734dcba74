"""Issue 16, second part: open days, payers, the worklist's ticks.

- pharmacy.open_days (JSON: closed weekdays, the holiday calendar, the pharmacy's own closed
  dates) and pharmacy.hours (the opening hours as patients read them). NULL: closed on US
  federal holidays only.
- prescription.payer (medicare_d, medicaid, commercial, cash) and prescription.max_days_supply,
  optional export columns; NULL: not in the export.
- worklist_tick: a prescription of a pickup ticked off the prep-day worklist (append-only).
- pharmacy.services (the services offered at pickup, as TOML) and service_offer (each offer
  made for a cycle and the patient's answer).

Revision ID: 0018_open_days
Revises: 0018_pharmacy_loop
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0018_open_days"
down_revision = "0018_pharmacy_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pharmacy") as batch:
        batch.add_column(sa.Column("open_days", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("hours", sa.Text(), nullable=True))
        batch.add_column(sa.Column("services", sa.Text(), nullable=True))
    with op.batch_alter_table("prescription") as batch:
        batch.add_column(sa.Column("payer", sa.String(16), nullable=True))
        batch.add_column(sa.Column("max_days_supply", sa.Integer(), nullable=True))
    op.create_table(
        "worklist_tick",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("rx_number", sa.String(64), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("pickup_date", sa.Date(), nullable=False),
        sa.Column("undone", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_worklist_tick_pickup", "worklist_tick", ["pharmacy_id", "pickup_date"])
    op.create_table(
        "service_offer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("offered_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("patient_id", "service", "anchor_date"),
    )


def downgrade() -> None:
    op.drop_table("service_offer")
    op.drop_index("ix_worklist_tick_pickup", table_name="worklist_tick")
    op.drop_table("worklist_tick")
    with op.batch_alter_table("prescription") as batch:
        batch.drop_column("max_days_supply")
        batch.drop_column("payer")
    with op.batch_alter_table("pharmacy") as batch:
        batch.drop_column("services")
        batch.drop_column("hours")
        batch.drop_column("open_days")
