"""Languages: a pharmacy can turn languages on or off, and a patient's language may be unknown.

Revision ID: 0006_languages
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_languages"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing pharmacies follow locales/languages.toml; existing patients keep the language
    # they have (it was set by the pharmacy or chosen by the patient).
    op.add_column(
        "pharmacy",
        sa.Column("language_overrides", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    op.add_column(
        "patient",
        sa.Column("language_confirmed", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("language_confirmed")
    with op.batch_alter_table("pharmacy") as batch:
        batch.drop_column("language_overrides")
