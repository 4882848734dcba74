"""Models for caregivers (filled in by the feature that needs them)."""

from __future__ import annotations

from store.models import Base  # noqa: F401
