"""The little arithmetic every section shares: shares that may have nothing to divide by,
and medians of waiting times."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by (shown as a dash)."""
    return part / whole if whole else None


def median_hours(waits: Iterable[dt.timedelta]) -> float | None:
    """The median of the waits, in hours; None when there are none."""
    hours = [w.total_seconds() / 3600 for w in waits]
    return statistics.median(hours) if hours else None
