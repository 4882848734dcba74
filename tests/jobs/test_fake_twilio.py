"""The fake Twilio API answers the real twilio client the way Twilio does."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from bot.outreach.sender import RebasedHttpClient, SendError, TwilioSender
from tests.fake_twilio import FakeTwilio, segments

ACCOUNT = "AC" + "b2" * 16


def client(fake: FakeTwilio) -> Client:
    return Client(ACCOUNT, "secret", http_client=RebasedHttpClient(fake.url))


def test_messages_are_recorded_with_their_form_and_account(fake: FakeTwilio) -> None:
    sid = TwilioSender(ACCOUNT, "secret", fake.url).send_sms(
        "+12125550123", "+12125550100", "Hello", "https://example.org/twilio/status?message=1"
    )
    assert sid.startswith("SM") and len(sid) == 34
    [sent] = fake.messages
    assert sent.account == sent.username == ACCOUNT and sent.password == "secret"
    assert sent.form == {
        "To": "+12125550123",
        "From": "+12125550100",
        "Body": "Hello",
        "StatusCallback": "https://example.org/twilio/status?message=1",
    }
    assert fake.resource(sid)["status"] == "queued"
    assert client(fake).messages(sid).fetch().body == "Hello"


@pytest.mark.parametrize(
    ("status", "code"), [(400, 21610), (400, 30006), (400, 30003), (429, 20429), (500, None)]
)
def test_scripted_errors_reach_the_client_with_their_code(
    fake: FakeTwilio, status: int, code: int | None
) -> None:
    fake.fail_next(status, code, "scripted")
    with pytest.raises(SendError) as raised:
        TwilioSender(ACCOUNT, "secret", fake.url).send_sms("+12125550123", "+12125550100", "Hi")
    assert raised.value.status == status
    assert raised.value.code == (code or status)
    assert "\033" not in str(raised.value)  # no terminal colours in what staff read
    # One failure was scripted: the next request goes through.
    TwilioSender(ACCOUNT, "secret", fake.url).send_sms("+12125550123", "+12125550100", "Hi")
    assert [r.status for r in fake.messages] == [status, 201]


def test_failures_repeat_and_can_target_one_resource(fake: FakeTwilio) -> None:
    fake.fail_next(500, times=2, resource="Calls")
    api = client(fake)
    api.messages.create(to="+12125550123", from_="+12125550100", body="not affected")
    for _ in range(2):
        with pytest.raises(TwilioRestException):
            api.calls.create(to="+12125550123", from_="+12125550100", url="https://x/voice")
    assert api.calls.create(to="+12125550123", from_="+12125550100", url="https://x/v").sid


def test_calls_accept_machine_detection_and_return_a_call_sid(fake: FakeTwilio) -> None:
    call = client(fake).calls.create(
        to="+12125550123",
        from_="+12125550100",
        url="https://pharmacy.example.org/twilio/voice",
        status_callback="https://pharmacy.example.org/twilio/call-status",
        status_callback_event=["initiated", "completed"],
        machine_detection="DetectMessageEnd",
    )
    assert call.sid.startswith("CA")
    [made] = fake.calls
    assert made.form["MachineDetection"] == "DetectMessageEnd"
    assert made.form["Url"].endswith("/twilio/voice")
    assert made.fields["StatusCallbackEvent"] == ["initiated", "completed"]


def test_listing_finds_messages_by_number(fake: FakeTwilio) -> None:
    sender = TwilioSender(ACCOUNT, "secret", fake.url)
    first = sender.send_sms("+12125550123", "+12125550100", "one")
    sender.send_sms("+13055550147", "+12125550100", "two")
    listed = client(fake).messages.list(to="+12125550123", from_="+12125550100")
    assert [m.sid for m in listed] == [first]


def test_segments_count_like_carriers() -> None:
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("ñ" * 70) == 1  # ñ is in GSM-7
    assert segments("ő" * 70) == 1 and segments("ő" * 71) == 2


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"HTTPS_PROXY": "http://proxy.example:3128", "HTTP_PROXY": "http://proxy.example:80"},
        {"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "api.twilio.com"},
        {"REQUESTS_CA_BUNDLE": "/etc/ssl/corporate.pem"},
        {"CURL_CA_BUNDLE": "/etc/ssl/curl.pem"},
    ],
)
def test_the_client_reads_the_environment_once_as_requests_would_per_request(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    import requests

    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        for spelled in (name, name.lower()):
            monkeypatch.delenv(spelled, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
    expected = requests.Session().merge_environment_settings(url, {}, None, None, None)
    ours = RebasedHttpClient("https://api.twilio.com")
    monkeypatch.setenv("HTTPS_PROXY", "http://changed-later.example:1")  # read at start only
    assert ours.session is not None and not ours.session.trust_env
    assert ours.session.merge_environment_settings(url, {}, None, None, None) == expected
