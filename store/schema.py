"""Every module that defines models, imported together so Base.metadata holds every table
(Alembic's env.py and the schema tests import this)."""

from __future__ import annotations

from store import (  # noqa: F401
    accounts,
    assessment_responses,
    audit,
    calls,
    caregivers,
    dispensing,
    fills,
    households,
    models,
    outreach,
    preferences,
    queue_rows,
    saved_replies,
    worklist,
)
