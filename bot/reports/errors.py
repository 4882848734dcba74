"""The reports package's one exception: a plain sentence for staff."""


class ReportError(Exception):
    """Something the person asking for a report must change (a date, a section name)."""
