"""Join the inbox, outbound, voice and languages branches into one history.

Revision ID: 0007
Revises: 0003_inbox, 0004_outbound, 0005_voice, 0006_languages
Create Date: 2026-11-29
"""

revision = "0007"
down_revision = ("0003_inbox", "0004_outbound", "0005_voice", "0006_languages")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
