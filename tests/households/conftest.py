"""Fixtures borrowed for households: the inbox's (a seeded pharmacy with staff accounts) and
the scheduler's world (a frozen clock and a fake Twilio)."""

from __future__ import annotations

from tests.inbox.conftest import cheap_hashes, inbox  # noqa: F401  (fixtures)
from tests.jobs.conftest import fake, world  # noqa: F401  (fixtures)
