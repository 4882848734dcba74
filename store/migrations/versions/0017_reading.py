"""Issue 15 (reading answers): the patient's words kept with every answer.

Revision ID: 0017_reading
Revises: 0016_import_flags
"""

from __future__ import annotations

revision = "0017_reading"
down_revision = "0016_import_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
