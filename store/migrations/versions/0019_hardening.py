"""Issue 17 (hardening): the audit chain, the app role, staff lifecycle, token scopes.

Revision ID: 0019_hardening
Revises: 0018_pharmacy_loop
"""

from __future__ import annotations

revision = "0019_hardening"
down_revision = "0018_pharmacy_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
