"""The item page in Debian's Chromium (issue 18): a long conversation opens at its newest message
beside the decision at 1366 px; at 390 px nothing scrolls sideways and the bar at the bottom
reaches the decision without scrolling past the thread. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.imports import demo
from bot.languages.segments import count
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction
from store.models import Channel, Direction, Message, MessageStatus
from tests.helpers import NOW, new_sid
from tests.inbox.conftest import DANA
from tests.inbox.factories import PASSWORD, add_user, flagged_check_in, main_pharmacy, patient
from tests.inbox.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _need_a_browser
from tests.serving import running_app

LAST_WORDS = "Last one: please call me after 3pm"
SAMPLES = [
    "",
    "Your order is ready.",
    "x" * 160,
    "x" * 161,
    "€" * 80,
    "€" * 81,
    "Su pedido está listo.",
    "í" * 70,
    "í" * 71,
    "好" * 134,
    "好" * 135,
    "😀" * 35,
    "a" + "😀" * 33,
    "Ça va? [oui] {non} ~ |",
]


@pytest.fixture
def long_thread(sqlite_url: str) -> Iterator[tuple[str, int]]:
    """A flagged check-in whose patient has texted 120 times."""
    _need_a_browser()
    sessions = make_sessionmaker(make_engine(sqlite_url))
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        pharmacy = main_pharmacy(session)
        add_user(session, DANA, Role.PHARMACIST, [pharmacy.id], "Dana Reyes")
        margaret = patient(session, "P1001")
        start = NOW - dt.timedelta(days=30)
        for i in range(120):
            inbound = i % 2 == 0
            body = f"Message {i}: " + ("a longer line of text " * (i % 5))
            session.add(
                Message(
                    pharmacy_id=pharmacy.id,
                    patient_id=margaret.id,
                    direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                    channel=Channel.SMS,
                    sid=new_sid(),
                    phone=margaret.phone,
                    body=LAST_WORDS if i == 118 else body,
                    status=MessageStatus.RECEIVED if inbound else MessageStatus.SENT,
                    created_at=start + dt.timedelta(hours=6 * i),
                )
            )
        item_id = flagged_check_in(session, margaret).id
    with running_app(sqlite_url) as base:
        yield base, item_id


def test_the_thread_is_in_view_beside_the_decision_on_a_desktop_and_a_phone(
    long_thread: tuple[str, int],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, item_id = long_thread
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/login?next=/inbox/items/{item_id}")
            page.get_by_label("Email").fill(DANA)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{base}/inbox/items/{item_id}")

            latest = page.locator("#thread-end")
            expect(latest).to_contain_text("Message 119")
            expect(page.get_by_text(LAST_WORDS)).to_be_in_viewport()
            expect(latest).to_be_in_viewport()
            expect(page.get_by_label("Your reply")).to_be_in_viewport()
            expect(page.get_by_role("heading", name="Decide")).to_be_in_viewport()
            expect(page.get_by_text("What the patient answered")).to_be_in_viewport()
            box = page.locator("#thread").bounding_box()
            decide = page.locator(f"#decide-{item_id}").bounding_box()
            assert box is not None and decide is not None
            assert decide["x"] > box["x"] + box["width"] - 1  # beside, not below
            # The counter counts as the patient types (GSM-7 here; a Chinese letter: UCS-2).
            page.get_by_label("Your reply").fill("x" * 161)
            expect(page.locator("#reply-segments")).to_contain_text("2 segments (GSM-7)")
            page.get_by_label("Your reply").fill("好")
            expect(page.locator("#reply-segments")).to_contain_text("1 segment (UCS-2)")
            # The page's counter agrees with bot/languages/segments.py.
            for text in SAMPLES:
                found = page.evaluate("t => window.medsyncSegments(t)", text)
                expected = count(text)
                assert (found["encoding"], found["segments"]) == (
                    expected.encoding,
                    expected.count,
                ), text
            page.screenshot(path=str(ARTIFACTS / "item-1366.png"))
            page.get_by_role("navigation", name="On this item").get_by_role(
                "link", name="Decide"
            ).click()
            expect(page.get_by_role("button", name="Approve: fill proceeds")).to_be_in_viewport()

            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{base}/inbox/items/{item_id}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width} px wide at 390 px"
            expect(page.locator("#thread-end")).to_be_in_viewport()
            bar = page.get_by_role("navigation", name="On this item")
            expect(bar).to_be_in_viewport()
            page.screenshot(path=str(ARTIFACTS / "item-390.png"))
            bar.get_by_role("link", name="Decide").click()
            expect(page.get_by_role("button", name="Approve: fill proceeds")).to_be_in_viewport()
            expect(bar).to_be_in_viewport()
            page.screenshot(path=str(ARTIFACTS / "item-390-decide.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            browser.close()
    assert (ARTIFACTS / "item-390.png").stat().st_size > 10_000
