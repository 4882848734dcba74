"""Issue 16 (the pharmacy loop), first part: dispensing events, prescription status, cycles.

- dispensing_event: what the pharmacy system said happened to a fill, once per event id;
- fill.state and fill.picked_up_on: what became of each fill;
- prescription.status and status_changed_at: active, inactive, discontinued, transferred;
- pickup_cycle: each anchor date of an enrolled patient, picked up or not.

Revision ID: 0018_pharmacy_loop
Revises: 0017_reading
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_pharmacy_loop"
down_revision = "0017_reading"
branch_labels = None
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("prescription") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="active")
        )
        batch.add_column(sa.Column("status_changed_at", _when(), nullable=True))
    with op.batch_alter_table("fill") as batch:
        batch.add_column(
            sa.Column("state", sa.String(20), nullable=False, server_default="dispensed")
        )
        batch.add_column(sa.Column("picked_up_on", sa.Date(), nullable=True))
    op.create_table(
        "dispensing_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("rx_number", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("fill_date", sa.Date(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("days_supply", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("recorded_at", _when(), nullable=False),
        sa.UniqueConstraint("pharmacy_id", "event_id", name="uq_dispensing_event_id"),
    )
    op.create_index("ix_dispensing_event_patient", "dispensing_event", ["patient_id", "fill_date"])
    op.create_index(
        "ix_dispensing_event_kind", "dispensing_event", ["pharmacy_id", "kind", "occurred_on"]
    )
    op.create_table(
        "pickup_cycle",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("judged_at", _when(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.UniqueConstraint("patient_id", "anchor_date", name="uq_pickup_cycle"),
    )
    op.create_index("ix_pickup_cycle_state", "pickup_cycle", ["state", "anchor_date"])


def downgrade() -> None:
    op.drop_index("ix_pickup_cycle_state", table_name="pickup_cycle")
    op.drop_table("pickup_cycle")
    op.drop_index("ix_dispensing_event_kind", table_name="dispensing_event")
    op.drop_index("ix_dispensing_event_patient", table_name="dispensing_event")
    op.drop_table("dispensing_event")
    with op.batch_alter_table("fill") as batch:
        batch.drop_column("picked_up_on")
        batch.drop_column("state")
    with op.batch_alter_table("prescription") as batch:
        batch.drop_column("status_changed_at")
        batch.drop_column("status")
