"""schemathesis against the JSON API (its own OpenAPI document) and the Twilio endpoints
(tests/reliability/http_fuzz.py describes what Twilio posts): no 500 and no stack trace for
any generated request, signed requests reach the dialogs, unsigned ones get 403, requests
without an API token get 401. About 300 requests per database here; the script runs
thousands."""

from __future__ import annotations

from sqlalchemy import func, select

from store.db import make_engine, make_sessionmaker, transaction
from store.models import Direction, Message
from tests.helpers import PHARMACY_NUMBER
from tests.reliability.http_fuzz import Tally, exercise, seed_target, signed

EXAMPLES = 120  # per block: 2.5 blocks' worth of requests per database


def test_generated_requests_never_get_a_500_or_a_stack_trace(db_url: str) -> None:
    target = seed_target(db_url)
    tally = Tally()
    exercise(target, EXAMPLES, tally)
    assert tally.broken == []
    assert sum(tally.statuses.values()) >= 2 * EXAMPLES
    # The signing hook works: generated Twilio requests got past the signature check...
    assert tally.statuses["twilio-signed 200"] + tally.statuses["twilio-signed 204"] > 0
    # ...and reached the dialogs: generated texts were stored.
    with transaction(make_sessionmaker(make_engine(db_url))) as session:
        stored = session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == Direction.INBOUND)
        )
    assert stored and stored > 0
    assert tally.statuses["api 200"] > 0  # the token was accepted for some reads
    assert tally.statuses["twilio-unsigned 403"] > 0
    assert tally.statuses["api-unauthenticated 401"] > 0


def test_the_tally_catches_a_500_and_a_stack_trace(sqlite_url: str) -> None:
    """The check the fuzzing relies on can fail: a route that raises is reported."""
    target = seed_target(sqlite_url)
    app = target.client.app

    @app.post("/twilio/boom")  # type: ignore[attr-defined, untyped-decorator]
    def boom() -> None:
        raise RuntimeError("boom")

    tally = Tally()
    request = signed(target.client.build_request("POST", "/twilio/boom", data={"Body": "hi"}))
    tally.check("twilio-signed", request, target.client.send(request))
    assert tally.broken and "answered 500" in tally.broken[0]


# The 500s schemathesis found, each kept as a plain case: oversized numbers and strings that
# reached 32-bit integer and 20/64-character columns on PostgreSQL (and SQLite's 64 bits).
BIG = "9" * 12
FOUND = [
    ("GET", "/api/v1/patients/89533923631378825216", None, 422),
    ("GET", "/api/v1/review-items/4294967296", None, 422),
    ("GET", "/api/v1/review-items?pharmacy_id=99999999999", None, 422),
    ("POST", "/twilio/sms", {"From": "(\x7f|\\" + "x" * 40, "Body": "hi"}, 200),
    ("POST", "/twilio/sms", {"MessageSid": "SM" + "f" * 90, "Body": "hi"}, 200),
    ("POST", "/twilio/sms", {"NumMedia": "99999999999", "Body": "hi"}, 200),
    ("POST", "/twilio/status?message=99999999999", {"MessageSid": "SMx", "ErrorCode": BIG}, 204),
    ("POST", "/twilio/voice/status?call=99999999999", {"CallSid": "CAx", "CallDuration": BIG}, 204),
    ("POST", "/twilio/status", {"MessageSid": "SM\x00x", "MessageStatus": "sent"}, 204),
    ("POST", "/twilio/voice/recording", {"CallSid": "CAx", "RecordingDuration": BIG}, 204),
    ("POST", "/twilio/voice/answer?step=99999999999", {"CallSid": "CAx", "Confidence": "nan"}, 200),
]  # fmt: skip


def test_what_the_fuzzing_found_is_answered_plainly(db_url: str) -> None:
    target = seed_target(db_url)  # once: seeding hashes a password, slow on a busy machine
    answered = []
    for method, path, form, _ in FOUND:
        if path.startswith("/api/"):
            headers = {"Authorization": f"Bearer {target.api_token}"}
            response = target.client.request(method, path, headers=headers)
        else:
            base = {"From": "+12125550123", "To": PHARMACY_NUMBER, "MessageSid": f"SM{'a' * 32}"}
            request = target.client.build_request(method, path, data={**base, **(form or {})})
            response = target.client.send(signed(request))
        assert "Traceback" not in response.text
        answered.append(response.status_code)
    assert answered == [expected for *_, expected in FOUND]
