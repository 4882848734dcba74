"""When an unprompted message may go: quiet hours, frequency caps and throughput.

Quiet hours are in the recipient's local time: the patient's stored zone and the zones of
the number's area code (phonenumbers), else the pharmacy's; the window ends earlier in the
states that say so (the number's state or the pharmacy's). Where several apply, the
stricter wins: a time must be allowed in every one of them. A message that may not go now
gets the next time it may; only a question the patient has answered meanwhile is dropped
then (bot/outreach/send_checks.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as number_timezone
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bot.languages import segments
from bot.program.preferences import PREFERRED_HOURS
from bot.settings.outreach import OutreachSettings
from store.models import Direction, Message, MessageStatus

# A message counts against the caps once its send was attempted and it may have arrived.
COUNTED = (
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
)
NOT_AUTOMATED = "pharmacist"  # Message.purpose of a pharmacist's own message
STAFF_REPLY = "review:%:reply:%"  # the inbox's key for a pharmacist's reply (bot/inbox)


def is_automated(message: Message) -> bool:
    """A pharmacist's own message is not automated outreach: the caps do not count it."""
    key = message.idempotency_key or ""
    by_staff = key.startswith("review:") and ":reply:" in key
    return message.purpose != NOT_AUTOMATED and not by_staff


_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH",
    "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN",
    "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA",
    "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY", "Washington D.C.": "DC",
}  # fmt: skip


# ---------------------------------------------------------------------- quiet hours


@dataclass(frozen=True)
class Window:
    """Hours a message may arrive, in one zone."""

    zone: str
    start: dt.time
    end: dt.time

    def allows(self, at: dt.datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.zone)).time()
        return self.start <= local < self.end

    def next_start(self, at: dt.datetime) -> dt.datetime:
        """The next time this window opens after `at` (aware UTC), DST included."""
        tz = ZoneInfo(self.zone)
        local = at.astimezone(tz)
        day = local.date() if local.time() < self.start else local.date() + dt.timedelta(days=1)
        opening = dt.datetime.combine(day, self.start, tzinfo=tz)
        # A start inside a spring-forward gap does not exist: the round trip moves it on.
        return opening.astimezone(dt.UTC)


@functools.lru_cache(maxsize=1024)
def _valid_zone(name: str | None) -> str | None:
    """The name if it is a time zone (remembered: an unknown name is looked for on disk
    each time, a known one rebuilt once nothing holds it; 40% of a number's facts)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


@functools.lru_cache(maxsize=65536)
def number_facts(e164: str) -> tuple[tuple[str, ...], str | None]:
    """The zones of a number's area code and its US state, when phonenumbers knows them
    (remembered per number: a worker sending a campaign asks about each many times)."""
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return (), None
    zones = tuple(
        z for z in number_timezone.time_zones_for_number(number) if _valid_zone(z) is not None
    )
    place = geocoder.description_for_number(number, "en")
    state = place.rsplit(", ", 1)[1] if ", " in place else _STATES.get(place)
    if state is not None and (len(state) != 2 or not state.isupper()):
        state = None
    return zones, state


def windows_for(
    phone: str,
    patient_zone: str | None,
    pharmacy_zone: str,
    pharmacy_state: str | None,
    settings: OutreachSettings,
) -> list[Window]:
    area_zones, number_state = number_facts(phone)
    zones = [z for z in (_valid_zone(patient_zone), *area_zones) if z is not None]
    if not zones:
        zones = [pharmacy_zone]
    end = settings.sending_hours_end
    for state in (number_state, pharmacy_state):
        if state and state.upper() in settings.sending_hours_end_by_state:
            end = min(end, settings.sending_hours_end_by_state[state.upper()])
    return [Window(zone, settings.sending_hours_start, end) for zone in dict.fromkeys(zones)]


def next_allowed(at: dt.datetime, windows: Sequence[Window]) -> dt.datetime:
    """`at` if every window allows it, else the first later time all of them allow."""
    candidate = at
    for _ in range(16):  # US zones overlap within a few steps; the bound only guards bad data
        closed = [w for w in windows if not w.allows(candidate)]
        if not closed:
            return candidate
        candidate = max(w.next_start(candidate) for w in closed)
    return candidate


def with_preferred_time(windows: Sequence[Window], time_of_day: str | None) -> list[Window]:
    """The legal windows plus the patient's preferred part of the day, in their own zone
    (the first window's), cut to the legal hours; unchanged when nothing is left of it."""
    hours = PREFERRED_HOURS.get(time_of_day or "")
    if hours is None or not windows:
        return list(windows)
    first = windows[0]
    start, end = max(first.start, hours[0]), min(first.end, hours[1])
    if start >= end:
        return list(windows)
    return [*windows, Window(first.zone, start, end)]


def next_preferred(
    at: dt.datetime, windows: Sequence[Window], time_of_day: str | None
) -> dt.datetime:
    """Like `next_allowed`, inside the preferred part of the day when the legal hours of every
    zone leave room for it; else the legal hours alone."""
    narrowed = with_preferred_time(windows, time_of_day)
    when = next_allowed(at, narrowed)
    if all(w.allows(when) for w in narrowed):
        return when
    return next_allowed(at, windows)


# ---------------------------------------------------------------------- caps


def counted_automated_sends(since: dt.datetime) -> list[ColumnElement[bool]]:
    """The conditions on a message row that make it count against a patient's caps."""
    return [
        Message.direction == Direction.OUTBOUND,
        Message.status.in_(COUNTED),
        Message.sent_at.is_not(None),
        Message.sent_at > since,
        (Message.purpose.is_(None)) | (Message.purpose != NOT_AUTOMATED),
        (Message.idempotency_key.is_(None)) | (Message.idempotency_key.not_like(STAFF_REPLY)),
    ]


def automated_sends(
    session: Session,
    patient_id: int,
    since: dt.datetime,
    excluding: int | None = None,
    phone: str | None = None,
) -> list[dt.datetime]:
    """When this patient's automated messages went out since `since`, oldest first (to
    `phone` only, when given: a caregiver's copy does not use up the patient's own caps)."""
    query = select(Message.sent_at).where(
        Message.patient_id == patient_id, *counted_automated_sends(since)
    )
    if excluding is not None:
        query = query.where(Message.id != excluding)
    if phone is not None:
        query = query.where(Message.phone == phone)
    return sorted(t for t in session.scalars(query) if t is not None)


def cap_free_at(
    session: Session,
    patient_id: int,
    now: dt.datetime,
    settings: OutreachSettings,
    excluding: int | None = None,
    phone: str | None = None,
) -> dt.datetime | None:
    """None if another automated message may go now, else when the caps allow one."""
    sent = automated_sends(session, patient_id, now - dt.timedelta(days=7), excluding, phone)
    return cap_free_from(sent, now, settings)


def cap_free_from(
    sent: Sequence[dt.datetime], now: dt.datetime, settings: OutreachSettings
) -> dt.datetime | None:
    """`cap_free_at` for sends already read (the past week's, any order)."""
    day, week = dt.timedelta(days=1), dt.timedelta(days=7)
    sent = sorted(sent)
    free: list[dt.datetime] = []
    for window, cap in ((day, settings.cap_per_day), (week, settings.cap_per_week)):
        inside = [t for t in sent if t > now - window]
        if len(inside) >= cap:
            # The oldest messages leave the window one by one; one more may go when enough have.
            free.append(inside[len(inside) - cap] + window)
    return max(free) if free else None


# ---------------------------------------------------------------------- throughput


class Throttle(Protocol):
    def reserve(self, sender: str, segments: int, now: float | None = None) -> float:
        """Book `segments` of the sender's throughput; return the seconds to wait first."""
        ...


def reserve_many(throttle: Throttle, sender: str, segments: Sequence[int]) -> list[float]:
    """Book several texts back to back in one go (one Redis round trip where the throttle
    can); the seconds to wait before each."""
    many = getattr(throttle, "reserve_many", None)
    if many is not None:
        return list(many(sender, segments))
    return [throttle.reserve(sender, n) for n in segments]


class LocalThrottle:
    """In one process (the embedded default): a virtual schedule per sending number."""

    def __init__(self, per_second: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.timer = timer
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, sender: str, segments: int, now: float | None = None) -> float:
        now = self.timer() if now is None else now
        with self._lock:
            start = max(now, self._next.get(sender, now))
            self._next[sender] = start + segments / self.per_second
        return start - now


_RESERVE = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local start = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if start < now then start = now end
local keep = math.ceil((start + cost - now) * 1000) + 1000
redis.call('SET', KEYS[1], tostring(start + cost), 'PX', keep)
return tostring(start - now)
"""


_RESERVE_MANY = """
local now = tonumber(ARGV[1])
local start = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if start < now then start = now end
local waits = {}
for i = 2, #ARGV do
  waits[#waits + 1] = tostring(start - now)
  start = start + tonumber(ARGV[i])
end
local keep = math.ceil((start - now) * 1000) + 1000
redis.call('SET', KEYS[1], tostring(start), 'PX', keep)
return waits
"""


class RedisThrottle:
    """Across every worker: the same schedule kept in Redis, booked atomically."""

    def __init__(self, connection: object, per_second: float) -> None:
        self.per_second = per_second
        self._script = connection.register_script(_RESERVE)  # type: ignore[attr-defined]
        self._many = connection.register_script(_RESERVE_MANY)  # type: ignore[attr-defined]

    def reserve_many(
        self, sender: str, segments: Sequence[int], now: float | None = None
    ) -> list[float]:
        if not segments:
            return []
        now = time.time() if now is None else now
        waits = self._many(
            keys=[f"medsync:throughput:{sender}"],
            args=[repr(now), *(repr(n / self.per_second) for n in segments)],
        )
        return [max(0.0, float(w)) for w in waits]

    def reserve(self, sender: str, segments: int, now: float | None = None) -> float:
        now = time.time() if now is None else now
        wait = self._script(
            keys=[f"medsync:throughput:{sender}"],
            args=[repr(now), repr(segments / self.per_second)],
        )
        return max(0.0, float(wait))


# ---------------------------------------------------------------------- segments


@functools.lru_cache(maxsize=4096)
def sms_segments(body: str) -> int:
    """Segments a carrier bills for `body` (an empty text still goes out as one)."""
    return max(1, segments.count(body).count)


def strictest(windows: Iterable[Window]) -> str:
    """The windows in words, for staff: "8:00-20:00 America/New_York"."""
    return ", ".join(f"{w.start:%H:%M}-{w.end:%H:%M} {w.zone}" for w in windows)
