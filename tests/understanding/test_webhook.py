"""The reader through the signed SMS webhook: a sample of the corpus's replies, sent as texts
to a check-in the runtime opened, recorded in the store as the dialogs read them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from store.db import make_engine, make_sessionmaker, transaction
from store.models import CheckIn
from tests.helpers import Phone, app_client

MARGARET = "+12125550123"  # P1001, English
JOSE = "+13055550147"  # P1002, Spanish


def _checking_in(sqlite_url: str, number: str, external_id: str, *joining: str) -> Phone:
    client: TestClient = app_client(sqlite_url)
    phone = Phone(client, number)
    for body in joining:
        phone.text(body)
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.open_check_in(1, external_id) is not None
    return phone


def _answers(sqlite_url: str) -> tuple[str, dict[str, object], list[str]]:
    with transaction(make_sessionmaker(make_engine(sqlite_url))) as s:
        check_in = s.scalars(select(CheckIn)).one()
        return check_in.status.value, dict(check_in.answers), list(check_in.flags)


def test_the_issues_misreadings_hold_the_fill_over_the_webhook(sqlite_url: str) -> None:
    phone = _checking_in(sqlite_url, MARGARET, "P1001", "hi", "yes", "15")
    (changes,) = phone.text("No overnight stay but I did go to the ER Saturday")
    assert "new medicines" in changes
    phone.text("No new meds but the dr changed my metformin dose")
    phone.text("Not really, maybe one")
    phone.text("No but I need more test strips")
    phone.text("yes")
    status, answers, flags = _answers(sqlite_url)
    assert status == "flagged"
    assert answers["hospital"] == answers["changes"] == answers["missed_doses"] == "yes"
    assert answers["anything_else"] == "No but I need more test strips"
    assert {"hospital", "changes", "missed_doses", "anything_else"} <= set(flags)


def test_several_answers_in_one_spanish_text(sqlite_url: str) -> None:
    phone = _checking_in(sqlite_url, JOSE, "P1002", "hola", "sí", "15")
    (reply,) = phone.text("no, ni hospital ni medicinas nuevas, pero se me olvidaron 2 pastillas")
    assert "Anotado: sin medicamentos nuevos ni cambios." in reply
    assert "Anotado: dejó de tomar algunas dosis." in reply
    assert "¿Algo más para el farmacéutico?" in reply
    _, answers, _ = _answers(sqlite_url)
    assert answers == {"hospital": "no", "changes": "no", "missed_doses": "yes"}


def test_who_is_this_is_answered_and_the_question_asked_again(sqlite_url: str) -> None:
    phone = _checking_in(sqlite_url, MARGARET, "P1001", "hi", "yes", "15")
    (reply,) = phone.text("who is this?")
    assert "This is Main Street Pharmacy, your pharmacy" in reply and "(212) 555-0199" in reply
    assert "have you stayed in a hospital" in reply
    (unsure,) = phone.text("I don't think so")
    assert unsure.startswith("Just to be sure: were you in a hospital or ER")
    _, answers, _ = _answers(sqlite_url)
    assert "hospital" not in answers


def _consents(sqlite_url: str) -> list[str]:
    from store.models import ConsentEvent

    with transaction(make_sessionmaker(make_engine(sqlite_url))) as s:
        return [str(c.kind) for c in s.scalars(select(ConsentEvent).order_by(ConsentEvent.id))]


def test_a_yes_on_a_condition_or_with_a_question_is_no_consent_yet(sqlite_url: str) -> None:
    client: TestClient = app_client(sqlite_url)
    phone = Phone(client, MARGARET)
    phone.text("hi")
    (conditional,) = phone.text("Yes, if it's free")
    assert "Reply YES or NO" in conditional and "pickup day" not in conditional
    (asked,) = phone.text("yes but how much does it cost?")
    assert "$" in asked and "Reply YES or NO" in asked  # her estimate, then ours again
    assert _consents(sqlite_url) == []
    (joined,) = phone.text("yes")
    assert "pickup day" in joined
    assert _consents(sqlite_url) == ["enrollment_accepted"]


def test_naming_the_pickup_day_at_the_last_question_confirms_it(sqlite_url: str) -> None:
    """A patient naming the pickup's own day ("see you on the 15th") keeps it; another day
    asks to move it (held for staff)."""
    phone = _checking_in(sqlite_url, MARGARET, "P1001", "hi", "yes", "15")
    for body in ("no", "no", "no", "no"):
        phone.text(body)
    phone.text("see you on the 15th!")
    status, answers, flags = _answers(sqlite_url)
    assert answers["still_coming"] == "yes"
    assert (status, flags) == ("ready", [])
