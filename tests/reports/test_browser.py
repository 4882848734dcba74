"""A real browser (Debian's Chromium, driven by Playwright) against a real server: a
pharmacist signs in, opens the program report, sees the charts drawn beside their tables,
and the page prints black on white without the menu. Screenshots go to pytest's tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from tests.inbox.conftest import DANA
from tests.inbox.factories import PASSWORD, add_user
from tests.inbox.test_browser import CHROMIUM, CHROMIUM_ARGS, _need_a_browser
from tests.reports import expected, program
from tests.reports.program import NOW, PERIOD
from tests.serving import running_app


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, list[int]]]:
    """A server on a free port over the generated program, with Dana at Riverside."""
    _need_a_browser()
    sessions = make_sessionmaker(make_engine(sqlite_url))
    with transaction(sessions) as session:
        made = program.build(session)
        add_user(session, DANA, Role.PHARMACIST, [made.pharmacy_id], "Dana Reyes")
    funnel = [len(v) for v in expected.funnel(made.patients).values()]
    with running_app(sqlite_url, NOW) as base:
        yield base, funnel


def test_a_pharmacist_reads_the_program_report_with_its_charts(
    served: tuple[str, list[int]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, funnel = served
    report = f"/inbox/reports?{urlencode(PERIOD)}"
    screen, printed = tmp_path / "report.png", tmp_path / "report-print.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(base + report)
            expect(page).to_have_url(f"{base}/login?next={quote(report, safe='/')}")
            page.get_by_label("Email").fill(DANA)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(base + report)
            expect(page.get_by_role("heading", name="Program report")).to_be_visible()
            expect(page.get_by_role("link", name="Reports")).to_be_visible()
            funnel_table = page.locator("#table-funnel table")
            expect(funnel_table.locator("tbody tr")).to_have_count(5)
            counts = funnel_table.locator("tbody tr td:nth-child(2)").all_inner_texts()
            assert [int(c) for c in counts] == funnel
            images = page.locator("img")
            expect(images).to_have_count(3)
            for n in range(3):
                image = images.nth(n)
                image.scroll_into_view_if_needed()
                expect(image).to_be_visible()
                # A broken image has no natural width: every chart really loaded.
                expect(image).not_to_have_js_property("naturalWidth", 0)
            page.screenshot(path=str(screen), full_page=True)
            page.emulate_media(media="print")
            expect(page.get_by_role("link", name="Reports")).to_be_hidden()
            expect(page.get_by_role("button", name="Show")).to_be_hidden()
            page.screenshot(path=str(printed), full_page=True)
        finally:
            browser.close()
    print(f"\nreport screenshot: {screen}\nprinted report screenshot: {printed}")
    assert screen.stat().st_size > 50_000 and printed.stat().st_size > 50_000
