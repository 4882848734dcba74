"""The report page in the inbox (/inbox/reports): signed-in staff only, scoped to their
pharmacies, audited, escaped, with a CSV and an SVG chart that hold the same numbers."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from sqlalchemy import select

from store.accounts import Role
from store.db import transaction
from store.models import AuditEvent
from tests.inbox.conftest import ADA, DANA, SQLITE_ONLY, UMA, sign_in
from tests.inbox.factories import add_user
from tests.reports import expected
from tests.reports.conftest import ReportInbox
from tests.reports.program import FALL, PERIOD

QUERY = urlencode(PERIOD)


def audit_rows(inbox: ReportInbox, action: str) -> list[AuditEvent]:
    with transaction(inbox.built.sessions) as s:
        found = list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        s.expunge_all()
        return found


def test_a_pharmacist_reads_the_report_of_her_pharmacy_and_the_view_is_audited(
    report_inbox: ReportInbox,
) -> None:
    sign_in(report_inbox.client, DANA)
    response = report_inbox.client.get(f"/inbox/reports?{QUERY}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    report = response.context["report"]  # type: ignore[attr-defined]
    assert report.pharmacy == "Riverside Pharmacy"
    want = expected.funnel(report_inbox.built.program.patients)
    assert [s.patients for s in report.funnel.steps] == [len(v) for v in want.values()]
    html = response.text
    # Only the inbox's own script files (htmx, its SSE extension, inbox.js): nothing inline.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(s.startswith('<script src="/static/inbox/') for s in scripts)
    assert '<a href="/inbox/reports">Reports</a>' in html  # in the menu
    for step, patients in want.items():
        assert re.search(
            rf"<td class=\"col-text\">{step}</td><td class=\"col-count\">{len(patients)}</td>", html
        )
    pharmacy_id = report_inbox.built.program.pharmacy_id
    links = re.findall(r'href="(/inbox/reports/[a-z_]+\.csv\?[^"]+)"', html)
    assert len(links) == 8 and all(f"pharmacy={pharmacy_id}" in link for link in links)
    charts = re.findall(r'<img src="(/inbox/reports/charts/[a-z_]+\.svg\?[^"]+)"', html)
    assert [c.split("?")[0].rsplit("/", 1)[1] for c in charts] == [
        "funnel.svg",
        "check_in_weeks.svg",
        "adherence_distribution.svg",
    ]
    viewed = audit_rows(report_inbox, "view_report")
    assert [(a.actor, a.subject, a.after) for a in viewed] == [
        (DANA, f"pharmacy:{pharmacy_id}", {"from": PERIOD["from"], "to": PERIOD["to"]})
    ]


def test_staff_written_text_is_escaped(report_inbox: ReportInbox) -> None:
    sign_in(report_inbox.client, DANA)
    html = report_inbox.client.get(f"/inbox/reports?{QUERY}").text
    assert "<b>drive</b>" not in html
    assert "=Fall &lt;b&gt;drive&lt;/b&gt;" in html


def test_a_csv_download_holds_the_table_and_is_audited(report_inbox: ReportInbox) -> None:
    sign_in(report_inbox.client, DANA)
    page = report_inbox.client.get(f"/inbox/reports?{QUERY}").text
    link = re.search(r'href="(/inbox/reports/messages_by_campaign\.csv\?[^"]+)"', page)
    assert link
    response = report_inbox.client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="medsync-messages_by_campaign-2026-01-01-2026-11-29.csv"'
    )
    rows = {r["campaign"]: r for r in csv.DictReader(io.StringIO(response.text))}
    want = expected.messaging(report_inbox.built.program.patients)["campaign"]
    assert int(rows["'" + FALL]["texts"]) == want[FALL]["texts"]  # a formula made harmless
    assert int(rows["all"]["sent"]) == sum(c["sent"] for c in want.values())
    exported = audit_rows(report_inbox, "export_report")
    assert len(exported) == 1 and exported[0].after is not None
    assert exported[0].after["table"] == "messages_by_campaign"


def test_charts_are_scriptless_svg_images(report_inbox: ReportInbox) -> None:
    sign_in(report_inbox.client, DANA)
    for name in ("funnel", "check_in_weeks", "adherence_distribution"):
        response = report_inbox.client.get(f"/inbox/reports/charts/{name}.svg?{QUERY}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert "script-src" not in response.headers["content-security-policy"]
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "<script" not in response.text
        root = ET.fromstring(response.text)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    funnel = report_inbox.client.get(f"/inbox/reports/charts/funnel.svg?{QUERY}").text
    want = expected.funnel(report_inbox.built.program.patients)
    values = re.findall(r'<text[^>]*class="value[^"]*"[^>]*>(\d+)</text>', funnel)
    assert values[: len(want)] == [str(len(v)) for v in want.values()]
    assert report_inbox.client.get("/inbox/reports/charts/pie.svg").status_code == 404


def test_a_pharmacist_of_another_pharmacy_sees_only_hers(report_inbox: ReportInbox) -> None:
    program = report_inbox.built.program
    sign_in(report_inbox.client, UMA)
    own = report_inbox.client.get(f"/inbox/reports?{QUERY}")
    assert own.status_code == 200
    assert own.context["report"].pharmacy == "Uptown Pharmacy"  # type: ignore[attr-defined]
    assert "Riverside" not in own.text
    other = f"{QUERY}&pharmacy={program.pharmacy_id}"
    refused = report_inbox.client.get(f"/inbox/reports?{other}")
    assert refused.status_code == 403
    assert "You do not belong to that pharmacy." in refused.text
    for path in ("/inbox/reports/funnel.csv", "/inbox/reports/charts/funnel.svg"):
        response = report_inbox.client.get(f"{path}?{other}")
        assert response.status_code == 403
        assert "Riverside" not in response.text
    assert not audit_rows(report_inbox, "export_report")


def test_an_admin_chooses_among_every_pharmacy(report_inbox: ReportInbox) -> None:
    program = report_inbox.built.program
    sign_in(report_inbox.client, ADA)
    page = report_inbox.client.get(f"/inbox/reports?{QUERY}&pharmacy={program.other_pharmacy_id}")
    assert page.context["report"].pharmacy == "Uptown Pharmacy"  # type: ignore[attr-defined]
    assert '<select id="pharmacy" name="pharmacy">' in page.text
    assert "Riverside Pharmacy</option>" in page.text


@SQLITE_ONLY
def test_no_sign_in_no_report(report_inbox: ReportInbox) -> None:
    for path in ("/inbox/reports", "/inbox/reports/funnel.csv", "/inbox/reports/charts/funnel.svg"):
        response = report_inbox.client.get(f"{path}?{QUERY}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/inbox/reports")
    assert not audit_rows(report_inbox, "view_report")


@SQLITE_ONLY
def test_bad_addresses_get_sentences(report_inbox: ReportInbox) -> None:
    sign_in(report_inbox.client, DANA)
    client = report_inbox.client
    bad_date = client.get("/inbox/reports?from=2026-02-31")
    assert bad_date.status_code == 400
    assert "The start date &#39;2026-02-31&#39; is not a date" in bad_date.text
    backwards = client.get("/inbox/reports?from=2026-05-01&to=2026-04-01")
    assert backwards.status_code == 400 and "after it ends" in backwards.text
    odd = client.get("/inbox/reports?from=%00%3Cscript%3E&pharmacy=abc")
    assert odd.status_code in (400, 403) and "<script>" not in odd.text
    assert client.get("/inbox/reports?pharmacy=999999").status_code == 403
    missing = client.get(f"/inbox/reports/pie.csv?{QUERY}")
    assert missing.status_code == 404 and "no report table called 'pie'" in missing.text
    csv_bad = client.get("/inbox/reports/funnel.csv?to=never")
    assert csv_bad.status_code == 400
    assert csv_bad.text == "The end date 'never' is not a date: write it as YYYY-MM-DD.\n"
    assert client.get("/inbox/reports").status_code == 200  # the default period


@SQLITE_ONLY
def test_staff_without_a_pharmacy_are_told_so(report_inbox: ReportInbox) -> None:
    with transaction(report_inbox.built.sessions) as s:
        add_user(s, "new@example.org", Role.TECHNICIAN, [], "New Hire")
    sign_in(report_inbox.client, "new@example.org")
    response = report_inbox.client.get("/inbox/reports")
    assert response.status_code == 403
    assert "You do not belong to a pharmacy yet" in response.text
