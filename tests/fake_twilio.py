"""A fake Twilio REST API served on 127.0.0.1 for tests: Messages.json and Calls.json.

Point the real twilio client at it (MEDSYNC_TWILIO_API_URL = fake.url, or
RebasedHttpClient(fake.url)). It records every request (form fields and the basic-auth
account), answers with resources shaped like Twilio's, and can answer scripted errors:

    with FakeTwilio() as fake:
        fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
        ...
        assert fake.messages[0].form["To"] == "+12125550123"

`on_request` runs after a request is recorded and before it is answered (the tests use it to
kill a worker mid-send: Twilio has the message, the worker never hears back).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

_ROUTE = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)"
    r"(?:/(?P<sid>[^/.]+))?\.json$"
)
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def segments(body: str) -> int:
    """Roughly what Twilio bills: GSM-7 160/153 characters a segment, else UCS-2 70/67."""
    single, multi = (160, 153) if set(body) <= _GSM else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


@dataclass
class Recorded:
    """One request the fake received, and what it answered."""

    method: str
    path: str
    resource: str  # "Messages" or "Calls"
    account: str  # the AccountSid in the URL
    username: str  # the basic-auth user (the account SID, or an API key)
    password: str
    form: dict[str, str]
    fields: dict[str, list[str]]  # every value of repeated fields (StatusCallbackEvent...)
    status: int = 0
    sid: str | None = None
    error_code: int | None = None


@dataclass
class _Failure:
    status: int
    code: int | None
    message: str
    resource: str | None
    times: int


@dataclass
class _Store:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Recorded] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class FakeTwilio:
    def __init__(self) -> None:
        self._store = _Store()
        self.on_request: Callable[[Recorded], None] | None = None
        # Twilio's own clock for date_created (tests with a frozen clock set theirs).
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    # The test-facing API ---------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self._store.lock:
            return list(self._store.requests)

    @property
    def messages(self) -> list[Recorded]:
        """Every attempt to create a message (accepted or refused)."""
        return [r for r in self.requests if r.resource == "Messages" and r.method == "POST"]

    @property
    def accepted_messages(self) -> list[Recorded]:
        return [r for r in self.messages if r.sid is not None]

    @property
    def calls(self) -> list[Recorded]:
        return [r for r in self.requests if r.resource == "Calls" and r.method == "POST"]

    def fail_next(
        self,
        status: int,
        code: int | None = None,
        message: str = "",
        times: int = 1,
        resource: str | None = None,
    ) -> None:
        """Answer the next `times` create requests (of `resource`, or any) with this error."""
        with self._store.lock:
            text = message or f"Scripted error {code or status}"
            self._store.failures.append(_Failure(status, code, text, resource, times))

    def resource(self, sid: str) -> dict[str, Any]:
        """The JSON resource the fake holds for a SID."""
        with self._store.lock:
            return dict(self._store.resources[sid])

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    # The server ------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_GET(self) -> None:
                fake._serve(self, "GET")

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(handler.path)
        match = _ROUTE.match(url.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        if match is None:
            _answer(handler, 404, {"code": 20404, "message": "Not found", "status": 404})
            return
        fields = parse_qs(raw if method == "POST" else url.query, keep_blank_values=True)
        username, password = _basic_auth(handler.headers.get("Authorization", ""))
        record = Recorded(
            method=method,
            path=url.path,
            resource=match["resource"],
            account=match["account"],
            username=username,
            password=password,
            form={k: v[0] for k, v in fields.items()},
            fields=fields,
        )
        if method == "GET":
            self._read(handler, record, match["sid"])
            return
        with self._store.lock:
            self._store.requests.append(record)
            failure = self._take_failure(record.resource)
            if failure is None:
                body = self._create(record)
                record.status, record.sid = 201, body["sid"]
            else:
                record.status, record.error_code = failure.status, failure.code
                body = {"message": failure.message, "status": failure.status}
                if failure.code is not None:
                    body |= {"code": failure.code, "more_info": _more_info(failure.code)}
        if self.on_request is not None:
            self.on_request(record)
        _answer(handler, record.status, body)

    def _take_failure(self, resource: str) -> _Failure | None:
        for failure in self._store.failures:
            if failure.resource in (None, resource):
                failure.times -= 1
                if failure.times <= 0:
                    self._store.failures.remove(failure)
                return failure
        return None

    def _create(self, record: Recorded) -> dict[str, Any]:
        now = email.utils.format_datetime(self.clock().astimezone(dt.UTC), usegmt=True)
        number = next(self._store.ids)
        form = record.form
        common = {
            "account_sid": record.account,
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "from": form.get("From"),
            "to": form.get("To"),
        }
        if record.resource == "Messages":
            sid = f"SM{number:032x}"
            body = form.get("Body", "")
            resource = common | {
                "sid": sid,
                "body": body,
                "status": "queued",
                "direction": "outbound-api",
                "num_segments": str(segments(body)),
                "num_media": "0",
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "price": None,
                "price_unit": "USD",
                "uri": f"/2010-04-01/Accounts/{record.account}/Messages/{sid}.json",
            }
        else:
            sid = f"CA{number:032x}"
            resource = common | {
                "sid": sid,
                "status": "queued",
                "direction": "outbound-api",
                "to_formatted": form.get("To"),
                "from_formatted": form.get("From"),
                "answered_by": None,
                "start_time": None,
                "end_time": None,
                "duration": None,
                "price": None,
                "price_unit": "USD",
                "uri": f"/2010-04-01/Accounts/{record.account}/Calls/{sid}.json",
            }
        self._store.resources[sid] = resource
        return resource

    def _read(self, handler: BaseHTTPRequestHandler, record: Recorded, sid: str | None) -> None:
        with self._store.lock:
            self._store.requests.append(record)
            if sid is not None:
                found = self._store.resources.get(sid)
                record.status = 200 if found else 404
                body = found or {"code": 20404, "message": "Not found", "status": 404}
            else:
                prefix = "SM" if record.resource == "Messages" else "CA"
                wanted = {k.lower(): v for k, v in record.form.items() if k in ("To", "From")}
                items = [
                    r
                    for r in reversed(self._store.resources.values())
                    if r["sid"].startswith(prefix) and all(r.get(k) == v for k, v in wanted.items())
                ]
                key = record.resource.lower()
                record.status = 200
                body = {
                    key: items,
                    "first_page_uri": record.path,
                    "next_page_uri": None,
                    "previous_page_uri": None,
                    "page": 0,
                    "page_size": len(items),
                    "start": 0,
                    "end": max(len(items) - 1, 0),
                    "uri": record.path,
                }
        _answer(handler, record.status, body)


def _basic_auth(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def _more_info(code: int) -> str:
    return f"https://www.twilio.com/docs/errors/{code}"


def _answer(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client went away (a killed worker): Twilio keeps what it made all the same
