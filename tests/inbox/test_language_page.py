"""The pharmacy's language switches in the inbox (/inbox/languages, issue 20): each language
says "draft" while a qualified translator has reviewed less than the set share of it, with what
that means; pharmacists and admins turn a language off or on (audited, as the CLI does); a
technician reads; nobody reaches another pharmacy's switches."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.languages import catalogs as i18n
from locales import review
from store.db import transaction
from store.models import AuditEvent, Pharmacy
from tests.inbox.conftest import DANA, SQLITE_ONLY, TOM, UMA, Inbox, csrf_from, post_form


def _overrides(inbox: Inbox, pharmacy_id: int) -> dict[str, bool]:
    with transaction(inbox.sessions) as s:
        found = s.get(Pharmacy, pharmacy_id)
        assert found is not None
        return dict(found.language_overrides or {})


def _switch(inbox: Inbox, language: str, setting: str, pharmacy_id: int | None = None):  # type: ignore[no-untyped-def]
    pharmacy = str(pharmacy_id or inbox.ids["main"])
    return post_form(
        inbox.client,
        "/inbox/languages",
        "/inbox/languages",
        pharmacy=pharmacy,
        language=language,
        setting=setting,
    )


def test_every_draft_language_says_draft_and_what_it_means(inbox: Inbox) -> None:
    inbox.sign_in(DANA)
    response = inbox.client.get("/inbox/languages")
    assert response.status_code == 200
    rows = {row.language: row for row in response.context["rows"]}  # type: ignore[attr-defined]
    shares = review.review_shares()
    assert (
        {tag for tag, row in rows.items() if row.draft}
        == {tag for tag, counted in shares.items() if counted.is_draft(review.DRAFT_BELOW)}
        == set(shares)
    )  # no catalog is reviewed in full yet
    html = response.text
    assert html.count('<span class="badge warn">Draft</span>') == len(shares)
    assert "Draft: a qualified medical translator has not yet reviewed all" in html
    assert "or turn the language off: its patients then get English." in html
    spanish = html.split('id="language-es"')[1].split("</tr>")[0]
    assert f"{shares['es'].counts['checked']} checked, a second reader needed" in spanish
    assert "Turn off" in spanish
    haitian = html.split('id="language-ht"')[1].split("</tr>")[0]
    assert "Calls: keypad only" in haitian
    english = html.split('id="language-en"')[1].split("</tr>")[0]
    assert "the source" in english and "Turn off" not in english


def test_a_pharmacist_turns_a_language_off_and_back_audited(inbox: Inbox) -> None:
    inbox.sign_in(DANA)
    off = _switch(inbox, "ko", "off")
    assert off.status_code == 303
    assert _overrides(inbox, inbox.ids["main"]) == {"ko": False}
    shown = inbox.client.get(off.headers["location"]).text
    assert "Korean is now off (its patients get English) at Main Street Pharmacy." in shown
    korean = shown.split('id="language-ko"')[1].split("</tr>")[0]
    assert "OFF (English)" in korean and "set here" in korean and "Turn on" in korean
    back = _switch(inbox, "ko", "default")
    assert "Korean follows MedSync&#39;s default again at Main Street Pharmacy: on." in (
        inbox.client.get(back.headers["location"]).text
    )
    assert _overrides(inbox, inbox.ids["main"]) == {}
    again = _switch(inbox, "ko", "default")
    assert (
        "Nothing changed: Korean was already on" in inbox.client.get(again.headers["location"]).text
    )
    with transaction(inbox.sessions) as s:
        audit = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "pharmacy.languages")
            .order_by(AuditEvent.id)
        ).all()
    assert [(a.actor, a.before, a.after) for a in audit] == [
        (DANA, {"language_overrides": {}}, {"language_overrides": {"ko": False}}),
        (DANA, {"language_overrides": {"ko": False}}, {"language_overrides": {}}),
    ]


@SQLITE_ONLY
def test_english_cannot_be_turned_off_and_a_bad_setting_changes_nothing(inbox: Inbox) -> None:
    inbox.sign_in(DANA)
    for language, setting, sentence in [
        ("en", "off", "English cannot be turned off"),
        ("xx", "off", "No language &#39;xx&#39;"),
        ("ko", "maybe", "Choose on, off or MedSync&#39;s default"),
    ]:
        refused = _switch(inbox, language, setting)
        assert refused.status_code == 303
        assert sentence in inbox.client.get(refused.headers["location"]).text
    assert _overrides(inbox, inbox.ids["main"]) == {}


@SQLITE_ONLY
def test_a_technician_reads_and_cannot_switch(inbox: Inbox) -> None:
    inbox.sign_in(TOM)
    page = inbox.client.get("/inbox/languages")
    assert page.status_code == 200
    assert "Draft" in page.text and "Turn off" not in page.text
    token = csrf_from(page.text)
    refused = inbox.client.post(
        "/inbox/languages",
        data={
            "csrf_token": token,
            "pharmacy": str(inbox.ids["main"]),
            "language": "ko",
            "setting": "off",
        },
    )
    assert refused.status_code == 403
    assert "Only a pharmacist or an admin may turn a language on or off" in refused.text
    assert _overrides(inbox, inbox.ids["main"]) == {}


def test_another_pharmacys_switches_are_out_of_reach(inbox: Inbox) -> None:
    inbox.sign_in(UMA)  # a pharmacist at Uptown only
    own = inbox.client.get("/inbox/languages")
    assert own.status_code == 200 and "Uptown" in own.text
    other = inbox.client.get(f"/inbox/languages?pharmacy={inbox.ids['main']}")
    assert other.status_code == 403
    assert "You do not belong to that pharmacy." in other.text
    refused = _switch(inbox, "ko", "off", inbox.ids["main"])
    assert refused.status_code == 403
    assert _overrides(inbox, inbox.ids["main"]) == {}


@SQLITE_ONLY
def test_a_catalog_reviewed_in_full_is_no_longer_a_draft(
    inbox: Inbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES, copy)
    catalog = review.read_catalog("ko", copy)
    translated = [m.id for m in catalog if isinstance(m.id, str) and m.id and m.string]
    review.mark(catalog, translated, "reviewed", "Ji-won Park (CCHI)", dt.date(2027, 1, 15))
    review.write_catalog("ko", catalog, copy)
    monkeypatch.setattr(i18n, "LOCALES", copy)
    inbox.sign_in(DANA)
    html = inbox.client.get("/inbox/languages").text
    korean = html.split('id="language-ko"')[1].split("</tr>")[0]
    assert "Reviewed" in korean and "Draft" not in korean
    assert f"{len(translated)} of {len(translated)} entries reviewed" in korean
    spanish = html.split('id="language-es"')[1].split("</tr>")[0]
    assert "Draft" in spanish
