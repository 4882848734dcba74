"""Issue 20 (translations): the export's language kept apart from the patient's choice.

A language the patient chose by text or on a call is no longer overwritten by a later import:
`patient.language_source` says where the language came from ("export", "patient", "default"),
`language_set_at` and `language_set_via` when and how a conversation set it, and
`export_language` what the export's column said last, kept even while the patient's choice
applies.

Existing patients get NULL everywhere: nothing recorded says whether their language came from
the export or from their own choice, so the next import treats them as before (it sets the
export's language and records it as the source). Nothing is guessed.

Revision ID: 0022_languages
Revises: 0021_speed
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models import UTCDateTime

revision = "0022_languages"
down_revision = "0021_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("language_source", sa.String(16), nullable=True))
        batch.add_column(sa.Column("language_set_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("language_set_via", sa.String(16), nullable=True))
        batch.add_column(sa.Column("export_language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("export_language")
        batch.drop_column("language_set_via")
        batch.drop_column("language_set_at")
        batch.drop_column("language_source")
