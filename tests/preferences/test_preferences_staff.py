"""Staff set preferences from the command line and the inbox: every change audited, the
consent for detailed messages recorded as staff's, bad values refused with a sentence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from store.db import make_engine, make_sessionmaker, transaction
from store.models import AuditEvent, ConsentEvent, ConsentKind, Patient
from store.preferences import PatientPreference, PreferenceChange
from tests.helpers import seeded
from tests.inbox.conftest import Inbox, cheap_hashes, inbox, post_form  # noqa: F401
from tests.inbox.factories import patient


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    seeded(db_url)
    monkeypatch.setenv("MEDSYNC_DATABASE_URL", db_url)
    yield db_url


def medsync(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_the_cli_sets_every_preference_and_audits_it(database: str) -> None:
    code, out = medsync(
        "preferences", "P1001",
        "--set", "delivery=yes", "--set", "channel=call",
        "--set", "time=morning", "--set", "detailed=no",
    )  # fmt: skip
    assert code == 0, out
    assert "Preferences of Margaret Okafor (P1001):" in out
    assert "  delivery: yes\n  channel: call\n  time: morning\n  detailed: no\n" in out
    sessions = make_sessionmaker(make_engine(database))
    with transaction(sessions) as s:
        margaret = s.scalars(select(Patient).where(Patient.external_id == "P1001")).one()
        pref = s.get(PatientPreference, margaret.id)
        assert pref is not None and (pref.delivery, pref.channel, pref.time_of_day) == (
            True, "call", "morning",
        )  # fmt: skip
        changes = s.scalars(select(PreferenceChange)).all()
        assert {c.name for c in changes} == {"delivery", "channel", "time"}
        assert all(c.channel == "staff" and c.changed_by.startswith("cli") for c in changes)  # type: ignore[union-attr]
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "patient.preferences"))
        assert event.subject == f"patient:{margaret.id}"
        assert event.after == {"delivery": "yes", "channel": "call", "time": "morning"}
        assert event.before == {
            "delivery": "not asked",
            "channel": "not asked",
            "time": "not asked",
        }
    code, out = medsync("preferences", "P1001", "--set", "detailed=yes")
    assert code == 0 and "detailed: yes" in out
    with transaction(sessions) as s:
        consent = s.scalars(select(ConsentEvent)).one()
        assert consent.kind == ConsentKind.DETAILED_MESSAGES_ON
        assert consent.channel.value == "staff" and consent.wording.startswith("set by cli")
    code, out = medsync("preferences", "P1001", "--set", "detailed=yes")
    assert "Nothing changed" in out


@pytest.mark.parametrize(
    ("argument", "sentence"),
    [
        ("delivery=maybe", "delivery is yes or no (got 'maybe')."),
        ("channel=pigeon", "channel is text or call (got 'pigeon')."),
        ("time=noonish", "time is morning, afternoon or evening (got 'noonish')."),
        ("colour=blue", "Unknown preference 'colour'; known: delivery, channel, time, detailed."),
        ("delivery", "Write --set NAME=VALUE (got 'delivery')."),
    ],
)
def test_the_cli_refuses_bad_values_with_a_sentence(
    database: str, argument: str, sentence: str
) -> None:
    code, out = medsync("preferences", "P1001", "--set", argument)
    assert code == 1
    assert sentence in out and "Traceback" not in out


def test_the_cli_says_when_there_is_no_such_patient(database: str) -> None:
    code, out = medsync("preferences", "P9999")
    assert code == 1 and "No patient P9999 at Main Street Pharmacy." in out


def test_the_inbox_form_changes_preferences_and_audits_them(inbox: Inbox) -> None:  # noqa: F811
    with transaction(inbox.sessions) as s:
        patient_id = patient(s, "P1001").id
    client = inbox.sign_in()
    page = f"/patients/{patient_id}"
    html = client.get(page).text
    assert f'action="/patients/{patient_id}/preferences"' in html
    assert "<dt>Delivery</dt><dd>not asked</dd>" in html
    done = post_form(client, page, f"{page}/preferences", delivery="yes", time="evening")
    assert done.status_code == 303
    shown = client.get(page).text
    assert "Preferences saved: delivery, time changed." in shown
    assert (
        "<dt>Delivery</dt><dd>yes</dd>" in shown and "<dt>Time of day</dt><dd>evening</dd>" in shown
    )
    assert "dana@example.org" in shown  # who changed it, in the history
    bad = post_form(client, page, f"{page}/preferences", channel="<script>alert(1)</script>")
    assert bad.status_code == 303
    refused = client.get(page).text
    assert (
        "channel is text or call (got &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;)." in refused
    )
    with transaction(inbox.sessions) as s:
        pref = s.get(PatientPreference, patient_id)
        assert pref is not None and (pref.delivery, pref.channel, pref.time_of_day) == (
            True, None, "evening",
        )  # fmt: skip
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "patient.preferences"))
        assert event.after == {"delivery": "yes", "time": "evening"}
        assert "dana" in event.actor


def test_the_inbox_form_needs_its_csrf_token(inbox: Inbox) -> None:  # noqa: F811
    with transaction(inbox.sessions) as s:
        patient_id = patient(s, "P1001").id
    client = inbox.sign_in()
    response = client.post(
        f"/patients/{patient_id}/preferences", data={"delivery": "yes"}, follow_redirects=False
    )
    assert response.status_code in (400, 403)
    with transaction(inbox.sessions) as s:
        assert s.get(PatientPreference, patient_id) is None
