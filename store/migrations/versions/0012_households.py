"""Households: patients linked to pick up together on one day.

Revision ID: 0012_households
Revises: 0011_caregivers
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0012_households"
down_revision = "0011_caregivers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_household_pharmacy_id", "household", ["pharmacy_id"])
    op.create_table(
        "household_member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("patient_id"),
    )
    op.create_index("ix_household_member_household_id", "household_member", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_household_member_household_id", table_name="household_member")
    op.drop_table("household_member")
    op.drop_index("ix_household_pharmacy_id", table_name="household")
    op.drop_table("household")
