"""Optional export flags on prescriptions, for outreach priority: mail order and 340B.

Revision ID: 0016_import_flags
Revises: 0015_performance
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_import_flags"
down_revision = "0015_performance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prescription") as batch:
        batch.add_column(
            sa.Column("mail_order", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("program_340b", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("prescription") as batch:
        batch.drop_column("program_340b")
        batch.drop_column("mail_order")
