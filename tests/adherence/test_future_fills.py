"""A fill dated after today at the pharmacy is a data error (a typo in the year), whichever
door it comes through (the fills file, a FHIR bundle, the API): the one code path,
bot/imports/dispensing.py `record_events`, rejects that event with a sentence and keeps the
others. A fill dated today is kept. The doors themselves are tested in
tests/adherence/test_dispensing_events.py (CLI) and tests/inbox/test_dispensing_api.py (HTTP)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.imports import demo
from bot.imports.dispensing import record_events
from bot.imports.dispensing_events import Event
from store.db import transaction
from store.dispensing import EventKind
from store.fills import Fill
from store.models import Pharmacy
from tests.helpers import NOW  # Nov 29, 2026, 10:00 in New York

D = dt.date


def dispensed(ref: str, fill_date: D, kind: EventKind = EventKind.DISPENSED) -> Event:
    amounts = kind is EventKind.DISPENSED
    return Event(
        ref=ref,
        patient_id="P1001",
        rx_number="RX700101",
        kind=kind,
        fill_date=fill_date,
        occurred_on=fill_date,
        event_id=f"EV-{ref}",
        days_supply=30 if amounts else None,
        quantity=Decimal(30) if amounts else None,
    )


def seeded(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        demo.seed(session, NOW)


def fill_dates(session: Session) -> set[D]:
    return set(session.scalars(select(Fill.fill_date).where(Fill.rx_number == "RX700101")))


def test_a_fill_after_today_is_rejected_and_the_others_kept(
    session_factory: sessionmaker[Session],
) -> None:
    seeded(session_factory)
    with transaction(session_factory) as session:
        pharmacy = session.scalars(select(Pharmacy)).one()
        report = record_events(
            session,
            pharmacy,
            [
                dispensed("a", D(2026, 11, 20)),
                dispensed("b", D(2027, 11, 20)),  # 2027 typed for 2026
                dispensed("c", D(2026, 11, 29)),  # today: kept
                dispensed("d", D(2027, 11, 20), EventKind.PICKED_UP),
            ],
            NOW,
            "api",
        )
        assert [(o.ref, o.status) for o in report.outcomes] == [
            ("a", "recorded"),
            ("b", "rejected"),
            ("c", "recorded"),
            ("d", "rejected"),
        ]
        assert report.outcomes[1].reason == (
            "fill_date '2027-11-20' is after today (2026-11-29): a fill cannot be in the "
            "future (a typo in the year?)"
        )
        assert report.outcomes[3].reason == report.outcomes[1].reason
        dates = fill_dates(session)
        assert {D(2026, 11, 20), D(2026, 11, 29)} <= dates
        assert D(2027, 11, 20) not in dates


def test_today_is_the_pharmacys_date(session_factory: sessionmaker[Session]) -> None:
    """At 01:00 UTC on Nov 30 it is still Nov 29 in New York: a fill dated Nov 30 is refused,
    one dated Nov 29 (today there) is kept."""
    seeded(session_factory)
    late = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)
    with transaction(session_factory) as session:
        pharmacy = session.scalars(select(Pharmacy)).one()
        report = record_events(
            session,
            pharmacy,
            [dispensed("a", D(2026, 11, 30)), dispensed("b", D(2026, 11, 29))],
            late,
            "file",
        )
        assert [o.status for o in report.outcomes] == ["rejected", "recorded"]
        assert report.outcomes[0].reason is not None
        assert report.outcomes[0].reason.startswith(
            "fill_date '2026-11-30' is after today (2026-11-29)"
        )
        assert report.fills_created == 1


def test_a_pickup_dated_after_today_is_rejected(session_factory: sessionmaker[Session]) -> None:
    """The fill is in the past but the pickup's own date is not: a typo too, refused with its
    own sentence; the fill itself and a pickup dated today are kept."""
    seeded(session_factory)
    fill = D(2026, 11, 20)
    with transaction(session_factory) as session:
        pharmacy = session.scalars(select(Pharmacy)).one()
        report = record_events(
            session,
            pharmacy,
            [
                dispensed("a", fill),
                replace(dispensed("b", fill, EventKind.PICKED_UP), occurred_on=D(2027, 11, 21)),
                replace(dispensed("c", fill, EventKind.PICKED_UP), occurred_on=D(2026, 11, 29)),
            ],
            NOW,
            "api",
        )
        assert [(o.ref, o.status) for o in report.outcomes] == [
            ("a", "recorded"),
            ("b", "rejected"),
            ("c", "recorded"),
        ]
        assert report.outcomes[1].reason == (
            "event_date '2027-11-21' is after today (2026-11-29): an event cannot be in the "
            "future (a typo in the year?)"
        )
        picked = session.scalars(
            select(Fill.picked_up_on).where(Fill.rx_number == "RX700101", Fill.fill_date == fill)
        ).one()
        assert picked == D(2026, 11, 29)
