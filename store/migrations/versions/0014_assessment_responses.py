"""Standalone assessments: every loaded version of a pharmacy's definition, and the answers
each patient gave, named by definition and version.

Revision ID: 0014_assessment_responses
Revises: 0013_preferences
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0014_assessment_responses"
down_revision = "0013_preferences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_definition",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("pharmacy_id", "name", "version"),
    )
    op.create_table(
        "assessment_response",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sending", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("patient_id", "sending"),
    )
    op.create_index(
        "ix_assessment_response_name", "assessment_response", ["pharmacy_id", "name", "version"]
    )


def downgrade() -> None:
    op.drop_index("ix_assessment_response_name", table_name="assessment_response")
    op.drop_table("assessment_response")
    op.drop_table("assessment_definition")
