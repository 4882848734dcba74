"""Generated HTTP requests (schemathesis) against the JSON API and the Twilio endpoints.

The JSON API describes itself (FastAPI's OpenAPI document). The Twilio endpoints read a
signed form that FastAPI cannot describe, so `TWILIO_OPENAPI` below describes what Twilio
posts: every field a string, the known values (the demo's phones and pharmacy number, the
words the parsers know, keypad digits, statuses) mixed with any string. `signed` is the hook
that signs a generated request exactly as Twilio does, over the URL and the form as the
server will see them, so the request reaches the dialogs; without it the answer must be 403.

Used by tests/reliability/test_http_fuzz.py (hundreds of requests in the suite) and run
directly for thousands:

    .venv/bin/python -m tests.reliability.http_fuzz 5000            # SQLite
    .venv/bin/python -m tests.reliability.http_fuzz 5000 postgresql # the local server
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation.case import Case
from schemathesis.generation.modes import GenerationMode
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.clock import FrozenClock
from bot.web.app import create_app
from bot.web.tokens import create_token
from store.accounts import Role
from store.db import make_engine, make_sessionmaker, transaction, upgrade
from store.models import Patient
from tests.helpers import NOW, PHARMACY_NUMBER, PUBLIC_URL, TOKEN, seeded, settings_for
from tests.inbox.factories import (
    add_user,
    flagged_check_in,
    main_pharmacy,
    new_enrollment,
    patient,
    written_item,
)

PHONES = ["+12125550123", "+13055550147", "+17135550111", "+16175550122", "+19175550000"]
WORDS = ["YES", "no", "STOP", "START", "HELP", "15", "the 15th", "quince", "Español",
         "pharmacist", "call me", "", "ok", "1", "9", "0", "#", "12#"]  # fmt: skip
STATUSES = ["queued", "sent", "delivered", "undelivered", "failed", "received", "read"]
CALL_STATUSES = ["ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"]


def _one_of(*known: str) -> dict[str, Any]:
    return {"anyOf": [{"type": "string", "enum": list(known)}, {"type": "string"}]}


_STRING = {"type": "string"}
_SMS_FORM = {
    "MessageSid": _one_of("SM" + "0" * 32),
    "SmsSid": _STRING,
    "AccountSid": _one_of("AC" + "1" * 32),
    "From": _one_of(*PHONES),
    "To": _one_of(PHARMACY_NUMBER),
    "Body": _one_of(*WORDS),
    "NumMedia": _one_of("0", "1", "3"),
    "OptOutType": _one_of("STOP", "START", "HELP"),
}
_STATUS_FORM = {
    "MessageSid": _one_of("SM" + "0" * 32),
    "SmsSid": _STRING,
    "MessageStatus": _one_of(*STATUSES),
    "SmsStatus": _STRING,
    "ErrorCode": _one_of("21610", "30006", "30003", "30007"),
    "To": _one_of(*PHONES),
    "From": _one_of(PHARMACY_NUMBER),
}
_CALL_FORM = {
    "CallSid": _one_of("CA" + "0" * 32, "CA" + "1" * 32),
    "AccountSid": _one_of("AC" + "1" * 32),
    "From": _one_of(*PHONES),
    "To": _one_of(PHARMACY_NUMBER),
    "CallStatus": _one_of(*CALL_STATUSES),
    "AnsweredBy": _one_of("human", "machine_start", "machine_end_beep", "fax", "unknown"),
    "Digits": _one_of("1", "2", "9", "0", "15#", "*", "hangup"),
    "SpeechResult": _one_of(*WORDS),
    "Confidence": _one_of("0.9", "0.2", "1"),
    "DialCallStatus": _one_of("completed", "busy", "no-answer"),
    "RecordingSid": _one_of("RE" + "0" * 32),
    "RecordingUrl": _one_of("https://api.twilio.com/recordings/RE1"),
    "RecordingStatus": _one_of("completed", "failed", "absent"),
    "RecordingDuration": _one_of("12", "0", "-1"),
    "CallDuration": _one_of("30", "0"),
}


def _post(form: dict[str, Any], query: list[str], answer: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": form, "additionalProperties": False}
                }
            },
        },
        "responses": {answer: {"description": "answered"}, "403": {"description": "unsigned"}},
    }
    if query:
        operation["parameters"] = [
            {"name": name, "in": "query", "schema": _one_of("1", "0", "-1", "99999999999", "1e3")}
            for name in query
        ]
    return {"post": operation}


TWILIO_OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "What Twilio posts to MedSync", "version": "1"},
    "paths": {
        "/twilio/sms": _post(_SMS_FORM, [], "200"),
        "/twilio/status": _post(_STATUS_FORM, ["message"], "204"),
        "/twilio/voice": _post(_CALL_FORM, [], "200"),
        "/twilio/voice/outbound": _post(_CALL_FORM, ["call"], "200"),
        "/twilio/voice/answer": _post(_CALL_FORM, ["step"], "200"),
        "/twilio/voice/status": _post(_CALL_FORM, ["call"], "204"),
        "/twilio/voice/recording": _post(_CALL_FORM, [], "204"),
    },
}

_VALIDATOR = RequestValidator(TOKEN)


def build(client: TestClient, case: Case, headers: dict[str, str] | None = None) -> httpx.Request:
    """The request schemathesis generated, as the test client will send it."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    return client.build_request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        data=kwargs.get("data"),
        content=kwargs.get("content"),
        json=kwargs.get("json"),
        headers=kwargs.get("headers"),
    )


def signed(request: httpx.Request) -> httpx.Request:
    """The hook: sign the request as Twilio does (public URL + query, the form's pairs)."""
    url = PUBLIC_URL + request.url.path
    query = request.url.query.decode()
    if query:
        url += "?" + query
    form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
    request.headers["X-Twilio-Signature"] = _VALIDATOR.compute_signature(url, form)
    return request


def signature_ok(request: httpx.Request) -> bool:
    """Whether the server can check the signature as computed: a form it parses the same way
    (a repeated field or one that is not valid UTF-8 may parse otherwise, and then the right
    answer is 403, which the tests accept for those)."""
    pairs = parse_qsl(request.content.decode(), keep_blank_values=True)
    return len({k for k, _ in pairs}) == len(pairs)


@dataclass
class Tally:
    """What the generated requests were answered: status codes, and any broken answer."""

    statuses: Counter[str] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)

    def check(self, label: str, request: httpx.Request, response: httpx.Response) -> None:
        self.statuses[f"{label} {response.status_code}"] += 1
        body = response.text
        problem = None
        if response.status_code >= 500:
            problem = f"answered {response.status_code}"
        elif "Traceback" in body or 'File "/' in body:
            problem = "a stack trace in the body"
        if problem:
            self.broken.append(
                f"{request.method} {request.url} {request.content[:300]!r}: {problem}: {body[:300]}"
            )


@dataclass
class Target:
    client: TestClient
    api_token: str
    item_ids: list[int]
    patient_ids: list[int]


def seed_target(db_url: str) -> Target:
    """The demo pharmacy with an API user, a token and a few review items."""
    seeded(db_url)
    sessions = make_sessionmaker(make_engine(db_url))
    with transaction(sessions) as s:
        pharmacy = main_pharmacy(s)
        user = add_user(s, "api@example.org", Role.PHARMACIST, [pharmacy.id])
        token = create_token(s, user, "fuzz", NOW, days=3650)[1]
        items = [
            flagged_check_in(s, patient(s, "P1001")).id,
            new_enrollment(s, patient(s, "P1002")).id,
            written_item(s, pharmacy.id, "<script>alert(1)</script> call me").id,
        ]
        patients = list(s.scalars(select(Patient.id)))
    app = create_app(settings_for(db_url), clock=FrozenClock(NOW))
    return Target(TestClient(app, raise_server_exceptions=False), token, items, patients)


def api_schema(target: Target) -> Any:
    """The JSON API's own OpenAPI document, with the known ids mixed into the generated ones
    so that requests reach real rows as well as missing ones."""
    document = copy.deepcopy(target.client.app.openapi())  # type: ignore[attr-defined]
    document["paths"] = {p: v for p, v in document["paths"].items() if p.startswith("/api/")}
    known: dict[str, list[Any]] = {"item_id": target.item_ids, "patient_id": target.patient_ids}
    for operation in (op for path in document["paths"].values() for op in path.values()):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] in known:
                parameter["schema"] = {
                    "anyOf": [{"enum": known[parameter["name"]]}, parameter["schema"]]
                }
    return schemathesis.openapi.from_dict(document)


def twilio_schema() -> Any:
    return schemathesis.openapi.from_dict(TWILIO_OPENAPI)


def _run(
    strategy: st.SearchStrategy[Case],
    examples: int,
    send: Callable[[Case], None],
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case: Case) -> None:
        send(case)

    run()


def both_modes(schema: Any) -> st.SearchStrategy[Case]:
    """Requests that fit the document and requests that break it (wrong types, missing
    fields, bad values): neither may get a 500."""
    return st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )


def exercise(target: Target, examples: int, tally: Tally) -> None:
    """`examples` generated requests to the JSON API with the token and as many to the
    Twilio endpoints signed; a quarter as many to each without the token or signature."""
    client = target.client
    bearer = {"Authorization": f"Bearer {target.api_token}"}
    api = both_modes(api_schema(target))
    twilio = both_modes(twilio_schema())

    def with_token(case: Case) -> None:
        request = build(client, case, bearer)
        tally.check("api", request, client.send(request))

    def without_token(case: Case) -> None:
        request = build(client, case, {"Authorization": ""})
        response = client.send(request)
        tally.check("api-unauthenticated", request, response)
        # 401; or, for a malformed request, the 400/422 FastAPI answers before any dependency
        # runs: nothing that depends on data (no 2xx, 403, 404 or 409) without a token.
        if response.status_code not in {401, 400, 422}:
            tally.broken.append(
                f"{request.method} {request.url} without a token: {response.status_code}"
            )

    def twilio_signed(case: Case) -> None:
        request = signed(build(client, case))
        response = client.send(request)
        tally.check("twilio-signed", request, response)
        if response.status_code == 403 and signature_ok(request):
            tally.broken.append(f"{request.url} {request.content[:200]!r}: signed yet refused")

    def twilio_unsigned(case: Case) -> None:
        request = build(client, case)
        response = client.send(request)
        tally.check("twilio-unsigned", request, response)
        if response.status_code != 403:
            tally.broken.append(f"{request.url} unsigned: {response.status_code}, not 403")

    _run(api, examples, with_token)
    _run(api, max(examples // 4, 10), without_token)
    _run(twilio, examples, twilio_signed)
    _run(twilio, max(examples // 4, 10), twilio_unsigned)


def main(argv: list[str]) -> int:
    examples = int(argv[1]) if len(argv) > 1 else 1000
    kind = argv[2] if len(argv) > 2 else "sqlite"
    if kind == "postgresql":
        from sqlalchemy import text

        from tests.conftest import POSTGRES_URL, SCHEMA, SERVER_URL

        engine = make_engine(SERVER_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        db_url = POSTGRES_URL
    else:
        db_url = f"sqlite:///{tempfile.mkdtemp()}/fuzz.db"
    upgrade(db_url)
    started = time.monotonic()
    tally = Tally()
    try:
        exercise(seed_target(db_url), examples, tally)
    finally:
        if kind == "postgresql":
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    total = sum(tally.statuses.values())
    print(f"{total} generated requests on {kind} in {time.monotonic() - started:.1f} s "
          f"({dt.date.today():%Y-%m-%d}):")  # fmt: skip
    for key, count in sorted(tally.statuses.items()):
        print(f"  {key}: {count}")
    print(f"  broken answers: {len(tally.broken)}")
    for line in sorted(tally.broken, key=lambda line: "answered 5" not in line)[:20]:
        print("   ", line)
    return 1 if tally.broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
