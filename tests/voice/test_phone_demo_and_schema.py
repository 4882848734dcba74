"""`medsync phone` plays a caller against the app, and the 0005_voice migration makes the
table store/calls.py describes."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import inspect

from bot.cli.voice import Handset, play_call
from store.calls import Call
from store.db import make_engine
from tests.helpers import PHARMACY_NUMBER, PUBLIC_URL, TOKEN, app_client


def _play(db_url: str, number: str, typed: list[str]) -> list[str]:
    client = app_client(db_url, verify_callers=False)
    handset = Handset("http://testserver", PUBLIC_URL, TOKEN, number, PHARMACY_NUMBER, client)
    lines: Iterator[str] = iter([f"{t}\n" for t in typed])
    heard: list[str] = []
    play_call(handset, lambda: next(lines, ""), heard.append)
    return heard


def test_a_call_played_from_the_terminal_enrolls(sqlite_url: str) -> None:
    # then the preference questions (a landline: delivery, time of day, medicine names)
    heard = _play(sqlite_url, "+16175550122", ["1", "the 12th", "2", "1#", "2"])
    assert heard[0].startswith("bot> Hi Dorothy, Main Street Pharmacy here.")
    assert any(h.startswith("bot> Your pickup day is day 12 of each month.") for h in heard)
    assert heard[-1] == "(the bot hung up)"


def test_a_played_transfer_and_message_end_the_call(sqlite_url: str) -> None:
    heard = _play(sqlite_url, "+16175550122", ["0"])
    assert "bot> Connecting you to the pharmacy. Please hold." in heard
    assert any(h.startswith("(transferred to +12125550199") for h in heard)
    assert "(a message would be recorded now; this demo records nothing)" in heard
    assert heard[-2:] == ["bot> We did not get a message. Goodbye.", "(the bot hung up)"]


def test_hanging_up_the_terminal_ends_the_call(sqlite_url: str) -> None:
    heard = _play(sqlite_url, "+16175550122", [])
    assert heard[-1] == "(you hung up)"


def test_the_migration_makes_the_phone_call_table_the_model_describes(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        inspector = inspect(engine)
        columns = {c["name"]: c for c in inspector.get_columns("phone_call")}
        indexes = {i["name"] for i in inspector.get_indexes("phone_call")}
        uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("phone_call")}
    finally:
        engine.dispose()
    model = Call.__table__.columns
    assert set(columns) == {c.name for c in model}
    for column in model:
        assert columns[column.name]["nullable"] == column.nullable, column.name
    assert {"ix_phone_call_phone", "ix_phone_call_due"} <= indexes
    assert {("call_sid",), ("idempotency_key",)} <= uniques
