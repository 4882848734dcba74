"""Issue 17, second part: staff lifecycle, sessions, second factor, token scopes.

Revision ID: 0019_staff
Revises: 0019_hardening
"""

from __future__ import annotations

revision = "0019_staff"
down_revision = "0019_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
