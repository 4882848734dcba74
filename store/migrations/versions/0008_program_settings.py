"""A pharmacy's own sync-program settings; renewal review items.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pharmacy") as batch:
        batch.add_column(
            sa.Column("program", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("pharmacy") as batch:
        batch.drop_column("program")
