"""Writing the audit trail: every view of a patient's answers and every action, with the
record's state before and after. AuditEvent rows are append-only (store/models.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditEvent


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit row in the caller's transaction: it stands or falls with the action."""
    session.add(
        AuditEvent(
            actor=actor[:200],
            action=action[:64],
            subject=subject[:64],
            before=before,
            after=after,
            created_at=now,
        )
    )
