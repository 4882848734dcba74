"""The report's charts as SVG, drawn on the server by pygal (a well-kept SVG charting
library), black and grey on white so they print.

pygal always writes a <script> with its configuration into the SVG, for its optional
tooltips; we remove every script before the SVG leaves the server, and the inbox serves it as
an image (`<img src>`, where no script ever runs) with a policy that forbids scripts anyway.
Every chart has a table beside it with the same numbers (bot/reports/report.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pygal
from pygal.style import Style

from bot.reports.errors import ReportError
from bot.reports.report import ProgramReport

SVG = "http://www.w3.org/2000/svg"
INK = "#000000"
GREY = "#8a8a8a"
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground=INK,
    foreground_strong=INK,
    foreground_subtle="#555555",
    colors=(INK, GREY, "#4d4d4d", "#c4c4c4"),
    opacity="1",
    opacity_hover="1",
    transition="none",
    font_family="DejaVu Sans, Arial, Helvetica, sans-serif",
    title_font_size=20,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=15,
    value_font_size=14,
    no_data_font_size=18,
    guide_stroke_color="#d0d0d0",
    major_guide_stroke_color="#b0b0b0",
)


def _chart(kind: Callable[..., Any], title: str, **config: Any) -> Any:
    settings: dict[str, Any] = {
        "print_values": True,
        "print_zeroes": False,  # an empty bucket is no bar and no label (a white 0 misleads)
        "show_legend": False,
        **config,
    }
    return kind(
        title=title,
        style=STYLE,
        js=[],
        width=760,
        height=380,
        no_data_text="Nothing in this period",
        disable_xml_declaration=True,
        **settings,
    )


def _funnel(report: ProgramReport) -> Any:
    assert report.funnel is not None
    chart = _chart(
        pygal.Bar, "Enrollment funnel (patients)", min_scale=2, max_scale=8, truncate_label=-1
    )
    chart.x_labels = [s.name for s in report.funnel.steps]
    chart.add("patients", [s.patients for s in report.funnel.steps])
    return chart


def _weeks(report: ProgramReport) -> Any:
    assert report.check_ins is not None
    weeks = report.check_ins.weeks
    chart = _chart(
        pygal.Bar,
        "Check-in response rate by week (%)",
        range=(0, 100),
        value_formatter=lambda v: "" if v is None else f"{v:.0f}",
        x_label_rotation=-40,
        print_values=len(weeks) <= 16,
        show_minor_x_labels=len(weeks) <= 16,
        x_labels_major_every=max(1, len(weeks) // 12),
        truncate_label=-1,
    )
    chart.x_labels = [f"{w.week:%b} {w.week.day}" for w in weeks]
    chart.add("response rate", [None if w.rate is None else round(w.rate * 100, 1) for w in weeks])
    return chart


def _distribution(report: ProgramReport) -> Any:
    assert report.adherence is not None
    rows = report.adherence.distribution
    chart = _chart(
        pygal.Bar,
        "Patients by Proportion of Days Covered (%)",
        show_legend=True,
        legend_at_bottom=True,
        min_scale=2,
        max_scale=8,
    )
    chart.x_labels = [bucket for bucket, _, _ in rows]
    chart.add("before med sync", [before for _, before, _ in rows])
    chart.add("after med sync", [after for _, _, after in rows])
    return chart


DRAW: dict[str, Callable[[ProgramReport], Any]] = {
    "funnel": _funnel,
    "check_in_weeks": _weeks,
    "adherence_distribution": _distribution,
}


def chart_svg(report: ProgramReport, key: str) -> str:
    """The chart as a standalone SVG document without any script."""
    draw = DRAW.get(key)
    if draw is None:
        raise ReportError(f"There is no chart called {key!r}; the charts are: {', '.join(DRAW)}.")
    root = draw(report).render_tree()
    _strip_scripts(root)
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    return ET.tostring(root, encoding="unicode")


def _strip_scripts(element: Any) -> None:
    for child in list(element):
        if str(child.tag).rsplit("}", 1)[-1] == "script":
            element.remove(child)
        else:
            _strip_scripts(child)
