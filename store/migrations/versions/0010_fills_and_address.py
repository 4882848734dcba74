"""Fill history (for adherence) and the patient's optional home address.

Revision ID: 0010_fills
Revises: 0009_assessments
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0010_fills"
down_revision = "0009_assessments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fill",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("rx_number", sa.String(64), nullable=False),
        sa.Column("fill_date", sa.Date(), nullable=False),
        sa.Column("days_supply", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("patient_id", "rx_number", "fill_date", name="uq_fill_patient_rx_date"),
    )
    op.create_index("ix_fill_patient_date", "fill", ["patient_id", "fill_date"])
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("address", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("address")
    op.drop_index("ix_fill_patient_date", table_name="fill")
    op.drop_table("fill")
