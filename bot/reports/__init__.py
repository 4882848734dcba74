"""Program reports: the enrollment funnel, check-ins, messaging and adherence for one
pharmacy and a period, as tables (CLI, CSV, the inbox page) and SVG charts.

Every figure is defined in docs/REPORTS.md. The package only reads: a report never writes to
the database (the inbox page's audit row is written by the page)."""
