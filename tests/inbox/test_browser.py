"""A real browser (Debian's Chromium, driven by Playwright) against a real server: sign in,
open a flagged check-in, approve it, and keep a screenshot in tests/artifacts/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.imports import demo
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import CheckIn, CheckInStatus, Message, ReviewItem, ReviewStatus
from tests.conftest import UNDER_CI
from tests.helpers import NOW
from tests.inbox.conftest import DANA
from tests.inbox.factories import PASSWORD, add_user, flagged_check_in, main_pharmacy, patient
from tests.serving import running_app

CHROMIUM = Path(os.environ.get("MEDSYNC_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_a_browser() -> None:
    reason = ""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is missing (pip install -e '.[test]')"
    if reason:
        if UNDER_CI:
            pytest.fail(reason + "; .ci/run installs it", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, str, int]]:
    """A server on a free port, with Dana and Margaret's flagged check-in."""
    _need_a_browser()
    sessions = make_sessionmaker(make_engine(sqlite_url))
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        add_user(session, DANA, Role.PHARMACIST, [main_pharmacy(session).id], "Dana Reyes")
        item_id = flagged_check_in(session, patient(session, "P1001")).id
    with running_app(sqlite_url) as base:
        yield base, sqlite_url, item_id


def test_a_pharmacist_signs_in_opens_a_flagged_check_in_and_approves_it(
    served: tuple[str, str, int],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db_url, item_id = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{base}/inbox")
            expect(page).to_have_url(f"{base}/login?next=/inbox")
            page.get_by_label("Email").fill(DANA)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{base}/inbox")
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "inbox-queue.png"), full_page=True)

            page.get_by_role("table").get_by_role("link", name="Flagged check-in").click()
            expect(page).to_have_url(f"{base}/inbox/items/{item_id}")
            expect(page.get_by_text("What the patient answered")).to_be_visible()
            expect(page.get_by_text("<script>alert(1)</script>")).to_be_visible()  # as text
            page.get_by_role("button", name="Approve: fill proceeds").click()

            # Nothing else waits: the decision leads back to the (now clear) queue.
            expect(page).to_have_url(f"{base}/inbox")
            expect(page.get_by_text("Approved: the fill proceeds")).to_be_visible()
            page.goto(f"{base}/inbox/items/{item_id}")
            expect(page.get_by_text("Approved by Dana Reyes")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "inbox-approved.png"), full_page=True)

            page.get_by_role("link", name="Margaret Okafor").click()
            expect(page.get_by_role("heading", name="Consents and opt-outs")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "inbox-patient.png"), full_page=True)
        finally:
            browser.close()

    assert (ARTIFACTS / "inbox-approved.png").stat().st_size > 10_000
    with transaction(make_sessionmaker(make_engine(db_url))) as session:
        item = session.get(ReviewItem, item_id)
        assert item is not None and item.status == ReviewStatus.APPROVED
        assert session.scalars(select(CheckIn.status)).one() == CheckInStatus.APPROVED
        assert (
            len(session.scalars(select(Message).where(Message.direction == "outbound")).all()) == 1
        )
