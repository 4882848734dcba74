"""Patient preferences (pickup or delivery, text or call, time of day) and their history.

Revision ID: 0013_preferences
Revises: 0012_households
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0013_preferences"
down_revision = "0012_households"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_preference",
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), primary_key=True),
        sa.Column("delivery", sa.Boolean(), nullable=True),
        sa.Column("channel", sa.String(8), nullable=True),
        sa.Column("time_of_day", sa.String(16), nullable=True),
        sa.Column("asked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "preference_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("value", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_preference_change_patient", "preference_change", ["patient_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_preference_change_patient", table_name="preference_change")
    op.drop_table("preference_change")
    op.drop_table("patient_preference")
