"""A pharmacy's own check-in questions (TOML text; NULL: the default check-in).

Revision ID: 0009_assessments
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_assessments"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pharmacy") as batch:
        batch.add_column(sa.Column("check_in_definition", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pharmacy") as batch:
        batch.drop_column("check_in_definition")
