"""Caregivers: a phone that receives a patient's messages and may answer for them; who
answered a check-in.

Revision ID: 0011_caregivers
Revises: 0010_fills
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0011_caregivers"
down_revision = "0010_fills"
branch_labels = None
depends_on = None

APPEND_ONLY = ("caregiver_consent", "caregiver_phone_event")


def upgrade() -> None:
    op.create_table(
        "caregiver",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("patient_id", "phone", name="uq_caregiver_patient_phone"),
    )
    op.create_index("ix_caregiver_phone", "caregiver", ["pharmacy_id", "phone"])
    op.create_table(
        "caregiver_consent",
        sa.Column(
            "consent_event_id",
            sa.Integer(),
            sa.ForeignKey("consent_event.id"),
            primary_key=True,
        ),
        sa.Column("caregiver_id", sa.Integer(), sa.ForeignKey("caregiver.id"), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_caregiver_consent_caregiver_id", "caregiver_consent", ["caregiver_id"])
    op.create_table(
        "caregiver_phone_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pharmacy_id", sa.Integer(), sa.ForeignKey("pharmacy.id"), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_caregiver_phone_event", "caregiver_phone_event", ["pharmacy_id", "phone"])
    with op.batch_alter_table("check_in") as batch:
        batch.add_column(sa.Column("answered_by", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column(
                "caregiver_id",
                sa.Integer(),
                sa.ForeignKey("caregiver.id", name="fk_check_in_caregiver_id"),
                nullable=True,
            )
        )
    if op.get_bind().dialect.name == "postgresql":
        # The function is migration 0002's: PostgreSQL refuses UPDATE and DELETE here too.
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION medsync_refuse_change()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    with op.batch_alter_table("check_in") as batch:
        batch.drop_column("caregiver_id")
        batch.drop_column("answered_by")
    op.drop_index("ix_caregiver_phone_event", table_name="caregiver_phone_event")
    op.drop_table("caregiver_phone_event")
    op.drop_index("ix_caregiver_consent_caregiver_id", table_name="caregiver_consent")
    op.drop_table("caregiver_consent")
    op.drop_index("ix_caregiver_phone", table_name="caregiver")
    op.drop_table("caregiver")
