"""The inbox in a real browser (Debian's Chromium, driven by Playwright) against a real server:
two staff members see each other's decisions and a patient's new text live; a pharmacist
triages ten items with the keyboard alone; every page fits a 390 px phone and passes axe-core
(vendored from npm under tests/inbox/vendor) with no serious or critical violation.
Screenshots at 1366 and 390 px go to tests/artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.imports import demo
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AuditEvent, ReviewItem, ReviewStatus
from tests.helpers import NOW, PHARMACY_NUMBER, TOKEN, new_sid
from tests.inbox.conftest import ADA, DANA
from tests.inbox.factories import (
    PASSWORD,
    add_user,
    main_pharmacy,
    new_enrollment,
    patient,
    written_item,
)
from tests.inbox.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _need_a_browser
from tests.serving import running_app

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# Ten routine enrollments (P1009's number did not import: it has no patient row).
ENROLLED = [*(f"P100{n}" for n in range(1, 9)), "P1011", "P1012"]
WRITER = "P1010"  # a patient who wrote and writes again while staff look


@dataclass
class Served:
    base: str
    db_url: str
    enrollments: list[int]
    written: int
    writer_id: int
    writer_phone: str


@pytest.fixture
def served(sqlite_url: str) -> Iterator[Served]:
    _need_a_browser()
    sessions = make_sessionmaker(make_engine(sqlite_url))
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        main = main_pharmacy(session)
        add_user(session, DANA, Role.PHARMACIST, [main.id], "Dana Reyes")
        add_user(session, ADA, Role.ADMIN, [], "Ada Admin")
        # Routine: P1003's expired metoprolol would open a renewal item at approval, which
        # the queue then offers next (tests/inbox/test_decisions.py); here it was stopped.
        lan = patient(session, "P1003")
        for rx in lan.prescriptions:
            if rx.rx_number == "RX700302":
                rx.status = "discontinued"
        enrollments = [new_enrollment(session, patient(session, p)).id for p in ENROLLED]
        writer = patient(session, WRITER)
        written = written_item(session, main.id, "Is my order ready?", writer).id
        writer_id, writer_phone = writer.id, writer.phone
    with running_app(sqlite_url) as base:
        yield Served(base, sqlite_url, enrollments, written, writer_id, writer_phone)


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/inbox")


def _text_from(served: Served, body: str) -> None:
    """The patient's phone texts the pharmacy: Twilio's signed webhook, to the live server."""
    url = f"{served.base}/twilio/sms"
    form = {
        "MessageSid": new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": served.writer_phone,
        "To": PHARMACY_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    answer = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200, answer.text


def _watch_csp(page: Any, problems: list[str]) -> None:
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )


def test_two_staff_members_see_texts_and_each_others_decisions_live(served: Served) -> None:
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            dana = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            ada = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            for page, who in ((dana, DANA), (ada, ADA)):
                _watch_csp(page, blocked)
                _sign_in(page, served.base, who)
            row = ada.locator(f'tr[data-item-id="{served.written}"]')
            expect(row).to_contain_text("Is my order ready?")
            expect(row.locator(".badge.unread")).to_be_visible()
            dana.goto(f"{served.base}/inbox/items/{served.written}")
            dana.wait_for_function("() => window.htmx !== undefined")
            ada.wait_for_function("() => window.htmx !== undefined")
            time.sleep(0.3)  # both streams connected

            # A new text reaches both screens within a second of arriving.
            # The clock starts once the webhook has answered: the text is stored (committed)
            # just before that answer; the dialog's own work before it is not the live path.
            _text_from(served, "I feel a bit dizzy <b>today</b>")
            started = time.monotonic()
            expect(row).to_contain_text("I feel a bit dizzy <b>today</b>", timeout=1000)
            assert time.monotonic() - started < 1.0
            expect(dana.locator("#item-live")).to_contain_text("new text", timeout=1000)

            # Ada closes the item Dana is looking at: Dana is told before she acts.
            ada.goto(f"{served.base}/inbox/items/{served.written}")
            ada.get_by_label("Nothing more to do, because").fill("Answered by phone.")
            ada.get_by_role("button", name="Close item").click()
            notice = dana.locator("#item-live [data-decided]")
            expect(notice).to_contain_text("Ada Admin closed this item", timeout=2000)
            expect(dana.get_by_role("link", name="Next item").first).to_be_visible()
            expect(dana.get_by_role("button", name="Close item")).to_be_disabled()
            # And the other way round: Dana's approval leaves Ada's queue while she looks.
            ada.goto(f"{served.base}/inbox")
            expect(ada.locator(f'tr[data-item-id="{served.written}"]')).to_have_count(0)
            first = served.enrollments[0]
            dana.goto(f"{served.base}/inbox/items/{first}")
            dana.get_by_role("button", name="Approve enrollment").click()
            expect(ada.locator(f'tr[data-item-id="{first}"]')).to_have_count(0, timeout=2000)
        finally:
            browser.close()
    assert blocked == []


def test_a_pharmacist_triages_ten_items_with_the_keyboard_alone(served: Served) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            _sign_in(page, served.base, DANA)
            page.wait_for_function("() => window.htmx !== undefined")
            page.keyboard.press("Tab")
            expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
            page.keyboard.press("?")
            expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
            page.keyboard.press("Escape")
            expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
            page.keyboard.press("/")
            expect(page.get_by_label("Search")).to_be_focused()
            page.keyboard.press("Escape")
            # The written item is flagged (first in the queue): j goes to it, j again to the
            # first enrollment, k back.
            page.keyboard.press("j")
            page.keyboard.press("j")
            page.keyboard.press("k")
            page.keyboard.press("j")
            expect(
                page.locator(f'a.item-link[data-item-id="{served.enrollments[0]}"]')
            ).to_be_focused()
            page.keyboard.press("Enter")
            for item_id in served.enrollments:
                page.wait_for_url(f"{served.base}/inbox/items/{item_id}")
                page.wait_for_function("() => window.htmx !== undefined")
                page.keyboard.press("a")
                # After the decision: the next item (the flagged one wraps round last).
            page.wait_for_url(f"{served.base}/inbox/items/{served.written}")
            expect(page.locator(".notice.ok")).to_contain_text("Enrollment approved")
        finally:
            browser.close()
    sessions = make_sessionmaker(make_engine(served.db_url))
    with transaction(sessions) as session:
        statuses = session.scalars(
            select(ReviewItem.status).where(ReviewItem.id.in_(served.enrollments))
        ).all()
        assert set(statuses) == {ReviewStatus.APPROVED} and len(statuses) == 10
        approvals = session.scalars(
            select(AuditEvent.subject).where(AuditEvent.action == "approve")
        ).all()
        assert sorted(approvals) == sorted(f"review_item:{i}" for i in served.enrollments)


PAGES = [
    ("queue", "/inbox"),
    ("search", "/inbox?q=okafor"),
    ("item", "/inbox/items/{written}"),
    ("patient", "/patients/{writer_id}"),
    ("reports", "/inbox/reports"),
    ("audit", "/audit"),
    ("languages", "/inbox/languages"),
    ("staff", "/inbox/staff"),
    ("second-factor", "/account/second-factor"),
]


def _fits_and_passes_axe(page: Any, name: str, width: int) -> list[str]:
    problems: list[str] = []
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    if wide > width:
        problems.append(f"{name} at {width} px is {wide} px wide")
    page.screenshot(path=str(ARTIFACTS / f"inbox-{name}-{width}.png"), full_page=True)
    if width == 1366 or name in ("queue", "login"):
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target).join(', '))"""
        )
        problems.extend(f"{name} at {width} px: {v}" for v in found)
    return problems


def test_every_page_fits_a_phone_and_passes_axe(served: Served) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width, height in ((1366, 900), (390, 844)):
                # axe is injected as a script tag: this context alone sets the CSP aside.
                page = browser.new_context(
                    viewport={"width": width, "height": height}, bypass_csp=True
                ).new_page()
                page.goto(f"{served.base}/login")
                problems += _fits_and_passes_axe(page, "login", width)
                _sign_in(page, served.base, ADA)
                for name, path in PAGES:
                    page.goto(served.base + path.format(**vars(served)))
                    problems += _fits_and_passes_axe(page, name, width)
                if width == 390:
                    filters = page.locator("details.filters")
                    page.goto(f"{served.base}/inbox")
                    assert filters.get_attribute("open") is None  # folded on a phone
                    assert page.locator("table.items").bounding_box()["y"] < 844
        finally:
            browser.close()
    assert problems == []
