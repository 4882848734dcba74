"""Realistic replies over the signed webhook, checked where the pharmacist reads them.

One pharmacy (the demo's), one patient per reply, each brought to the step the reply answers
through the same paths as in production: the invitation and the check-in are written by the
runtime (as a campaign and the scheduler do), every answer before the sample's is a text to
`POST /twilio/sms` signed with Twilio's RequestValidator. After the sample reply the rest of
the dialog is answered plainly, so the answer lands where staff see it: a review item (page
and /api/v1) or, for an all-clear check-in, the patient's page.

The expectations follow the safety rule (docs/UNDERSTANDING.md): a no joined to content on the
question's own topic is the flagged value, with the patient's words; "no, but I need test
strips" at "anything else?" is a message for the pharmacist.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.sms import render_sms
from bot.clock import FrozenClock
from bot.conversation.runtime import Runtime
from bot.imports import demo
from bot.web.app import create_app
from bot.web.tokens import create_token
from dialogs.state import load
from store.accounts import Role, User
from store.db import make_engine, make_sessionmaker, transaction
from store.models import (
    CheckIn,
    ConsentEvent,
    ConsentKind,
    Conversation,
    Enrollment,
    EnrollmentStatus,
    Patient,
    ReviewItem,
    ReviewKind,
)
from tests.helpers import NOW, Phone
from tests.inbox import factories
from tests.inbox.conftest import DANA, settings_for, sign_in

ANCHOR = dt.date(2026, 12, 15)
CHECK_IN_STEPS = ("hospital", "changes", "missed_doses", "anything_else", "still_coming")
# What a patient who has nothing to report answers at each step of the check-in.
PLAIN = {
    "hospital": "no",
    "changes": "no",
    "missed_doses": "no",
    "anything_else": "no",
    "still_coming": "yes",
    "delivery_address": "yes",
}
SHOWN = {"yes": "Yes", "no": "No"}
_numbers = itertools.count(1)


NOT_CLEAR = "(anything but the clear value)"


@dataclass(frozen=True)
class Sample:
    """One reply: at which step, in which language, what the patient wrote, and the value
    that must be recorded ("yes", "no", a day of the month for the pickup day, the text
    itself for a message, {"day": n} to move the pickup). NOT_CLEAR: the reply must not be
    recorded as the question's clear value (asking again, or the flagged value, are right)."""

    step: str  # "invitation", "pickup_day", or a check-in question id
    language: str
    text: str
    value: Any

    @property
    def id(self) -> str:
        return f"{self.step}-{self.language}-{self.text[:40]}"


@dataclass
class Desk:
    """The pharmacy's side: the webhook, the inbox signed in as a pharmacist, an API token."""

    sessions: sessionmaker[Session]
    client: TestClient
    runtime: Runtime
    pharmacy_id: int
    token: str

    # ------------------------------------------------------------ a patient at a step

    def patient_at(self, sample: Sample) -> Patient:
        number = next(_numbers)
        with transaction(self.sessions) as session:
            person = Patient(
                pharmacy_id=self.pharmacy_id,
                external_id=f"S{number:04d}",
                first_name="Sam",
                last_name=f"Sample{number}",
                birth_date=dt.date(1950, 1, 1),
                phone=f"+1212555{number:04d}"[:12],
                phone_type="mobile",
                language=sample.language,
                language_confirmed=True,
                opted_out=False,
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(person)
            if sample.step in CHECK_IN_STEPS:
                session.flush()
                factories.enroll(session, person, EnrollmentStatus.ACTIVE, ANCHOR.day, ANCHOR)
        with transaction(self.sessions) as session:
            found = session.get(Patient, person.id)
            assert found is not None
            session.expunge(found)
        phone = self.phone(found)
        if sample.step in ("invitation", "pickup_day"):
            self.runtime.invite(self.pharmacy_id, found.external_id, f"sample:{found.id}")
            if sample.step == "pickup_day":
                phone.text("yes")
        else:
            self.runtime.open_check_in(self.pharmacy_id, found.external_id, ANCHOR)
            for step in CHECK_IN_STEPS[: CHECK_IN_STEPS.index(sample.step)]:
                phone.text(PLAIN[step])
        assert self.waiting_at(found) == _dialog_step(sample.step), "not at the sample's step"
        return found

    def phone(self, patient: Patient) -> Phone:
        return Phone(self.client, patient.phone)

    def waiting_at(self, patient: Patient) -> tuple[str | None, str | None]:
        with transaction(self.sessions) as session:
            state = session.scalar(
                select(Conversation.state).where(Conversation.phone == patient.phone)
            )
        loaded = load(state)
        return loaded.dialog, loaded.step

    def finish(self, patient: Patient) -> None:
        """Answer what is still open plainly (a day for a pickup day asked again is 15)."""
        phone = self.phone(patient)
        for _ in range(10):
            dialog, step = self.waiting_at(patient)
            if dialog == "check_in" and step in PLAIN:
                phone.text(PLAIN[step])
            elif dialog == "anchor":
                phone.text("15")
            else:
                return
        raise AssertionError("the dialog never ended")

    # ------------------------------------------------------------ what was recorded

    def check_in(self, patient: Patient) -> CheckIn:
        with transaction(self.sessions) as session:
            found = session.scalar(select(CheckIn).where(CheckIn.patient_id == patient.id))
            assert found is not None
            session.expunge(found)
            return found

    def consent(self, patient: Patient) -> ConsentEvent | None:
        with transaction(self.sessions) as session:
            found = session.scalar(
                select(ConsentEvent)
                .where(ConsentEvent.patient_id == patient.id)
                .order_by(ConsentEvent.id.desc())
            )
            if found is not None:
                session.expunge(found)
            return found

    def enrollment(self, patient: Patient) -> Enrollment | None:
        with transaction(self.sessions) as session:
            found = session.scalar(select(Enrollment).where(Enrollment.patient_id == patient.id))
            if found is not None:
                session.expunge(found)
            return found

    def item(self, patient: Patient, kind: ReviewKind) -> ReviewItem | None:
        with transaction(self.sessions) as session:
            found = session.scalar(
                select(ReviewItem)
                .where(ReviewItem.patient_id == patient.id, ReviewItem.kind == kind)
                .order_by(ReviewItem.id.desc())
            )
            if found is not None:
                session.expunge(found)
            return found

    # ------------------------------------------------------------ what staff see

    def page_lines(self, path: str) -> list[str]:
        """The answers table of an inbox page, each row as one line of plain text."""
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        table = re.search(r'<table class="answers">(.*?)</table>', response.text, re.S)
        assert table is not None, f"no answers on {path}"
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
        return [_plain(row) for row in rows]

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return str(response.text)

    def api_item(self, item_id: int) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/review-items/{item_id}", headers={"Authorization": f"Bearer {self.token}"}
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


def _dialog_step(step: str) -> tuple[str, str]:
    if step == "invitation":
        return "enrollment", "consent"
    if step == "pickup_day":
        return "anchor", "day"
    return "check_in", step


def _plain(fragment: str) -> str:
    text = re.sub(r"<[^>]+>", " ", fragment)
    return " ".join(html.unescape(text).split())


def shown(value: Any) -> str:
    """A recorded value as the inbox writes it."""
    if isinstance(value, dict) and "day" in value:
        return f"Asked to move the pickup to day {value['day']}"
    return SHOWN.get(str(value), str(value))


def with_words(value: Any, text: str) -> str:
    """ "No — wrote: 'no hospital but my doctor added lisinopril'" """
    answer = shown(value)
    return answer if text.strip() == answer else f"{answer} — wrote: '{text.strip()}'"


@pytest.fixture(scope="module", name="desk")
def desk_fixture(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Desk]:
    """One pharmacy for the module's replies (each has a patient of its own): SQLite, since
    the subject is reading and showing, not the database (tests/understanding/
    test_words_stored.py stores words on both databases)."""
    path = tmp_path_factory.mktemp("sample") / "medsync.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        demo.seed(session, NOW)
        main = factories.main_pharmacy(session)
        factories.add_user(session, DANA, Role.PHARMACIST, [main.id], "Dana Reyes")
        session.flush()
        user = session.scalars(select(User).where(User.email == DANA)).one()
        token = create_token(session, user, "sample", NOW)[1]
        pharmacy_id = main.id
    clock = FrozenClock(NOW)
    client = TestClient(create_app(settings_for(url), clock=clock), base_url="https://testserver")
    sign_in(client, DANA)
    runtime = Runtime(sessions, clock, render_sms=render_sms)
    yield Desk(sessions, client, runtime, pharmacy_id, token)
    client.close()
    engine.dispose()


FLAGGED_WHEN = {
    "hospital": lambda v: v == "yes",
    "changes": lambda v: v == "yes",
    "missed_doses": lambda v: v == "yes",
    "anything_else": lambda v: v != "no",
    "still_coming": lambda v: v != "yes",
}


def check(desk: Desk, sample: Sample) -> Patient:
    """Send the reply; the value and the words are recorded, and shown side by side."""
    patient = desk.patient_at(sample)
    desk.phone(patient).text(sample.text)
    words = sample.text.strip()
    if sample.step == "invitation":
        _check_invitation(desk, sample, patient, words)
    elif sample.step == "pickup_day":
        enrollment = desk.enrollment(patient)
        assert enrollment is not None and enrollment.anchor_day == sample.value, sample
        item = desk.item(patient, ReviewKind.NEW_ENROLLMENT)
        assert item is not None
        line = f"Pickup day {with_words(f'Day {sample.value}', words)}"
        assert line in desk.page_lines(f"/inbox/items/{item.id}")
        assert line.removeprefix("Pickup day ") in _api_shown(desk, item.id)
    else:
        _check_check_in(desk, sample, patient, words)
    return patient


def _check_invitation(desk: Desk, sample: Sample, patient: Patient, words: str) -> None:
    consent = desk.consent(patient)
    assert consent is not None, f"no consent recorded for {sample}"
    joined = (
        ConsentKind.ENROLLMENT_ACCEPTED
        if sample.value == "yes"
        else (ConsentKind.ENROLLMENT_DECLINED)
    )
    assert (consent.kind, consent.wording) == (joined, words), sample
    if sample.value != "yes":
        assert html.escape(words, quote=False) in desk.page(f"/patients/{patient.id}")
        return
    desk.finish(patient)
    item = desk.item(patient, ReviewKind.NEW_ENROLLMENT)
    assert item is not None
    line = f"Join med sync? {with_words('yes', words)}"
    assert line in desk.page_lines(f"/inbox/items/{item.id}")
    assert line.removeprefix("Join med sync? ") in _api_shown(desk, item.id)


def _check_check_in(desk: Desk, sample: Sample, patient: Patient, words: str) -> None:
    recorded = desk.check_in(patient)
    if sample.value == NOT_CLEAR:
        clear = PLAIN[sample.step]
        assert recorded.answers.get(sample.step) != clear, (sample, recorded.answers)
        return
    assert recorded.answers.get(sample.step) == sample.value, (sample, recorded.answers)
    assert (recorded.words.get(sample.step) or "").strip() == words, (sample, recorded.words)
    desk.finish(patient)
    expected = with_words(sample.value, words)
    flagged = FLAGGED_WHEN[sample.step](sample.value)
    item = desk.item(patient, ReviewKind.FLAGGED_CHECK_IN)
    if not flagged:
        assert item is None, f"{sample} held the fill"
        lines = desk.page_lines(f"/patients/{patient.id}")
        assert any(line.endswith(expected) for line in lines), (expected, lines)
        return
    assert item is not None, f"{sample} did not reach the pharmacist"
    lines = desk.page_lines(f"/inbox/items/{item.id}")
    assert any(line.endswith(f"{expected} Holds the fill") for line in lines), (expected, lines)
    body = desk.api_item(item.id)
    assert body["answers"][sample.step] == sample.value
    assert body["words"][sample.step].strip() == words
    assert expected in [a["shown"] for a in body["answer_lines"] if a["flagged"]]


def _api_shown(desk: Desk, item_id: int) -> list[str]:
    return [a["shown"] for a in desk.api_item(item_id)["answer_lines"]]
