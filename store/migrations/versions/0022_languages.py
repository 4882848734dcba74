"""Issue 20 (translations): the export's language kept apart from the patient's choice.

Revision ID: 0022_languages
Revises: 0021_speed
"""

from __future__ import annotations

revision = "0022_languages"
down_revision = "0021_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
