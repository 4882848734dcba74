"""Several texts in one send job (issue 19): claimed in one transaction, sent side by side at
the sending pace, their SIDs recorded in one statement.

A send job for one text spends most of its time on RQ's bookkeeping and on three
transactions (bot/outreach/outbound.py). A batch job takes up to `BATCH_SIZE` message ids:

1. one transaction locks the rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL: a row another run
   holds is that run's), their patients, and reads for all of them at once what the rules
   need (campaign holds, preferred times, the week's sends for the caps); every rule of
   `send_checks.may_go` is checked per text as before, and each text that may go is marked
   `sending` with its place on the sending number's throttle (`sent_at` is when it will go,
   so the lease of an interrupted send counts from there);
2. the texts go to Twilio from a small pool of threads kept for the life of the worker, each
   at its booked time;
3. one statement records every SID. A refusal is handled per text, as `deliver` does.

A batch takes at most `AHEAD_SECONDS` of a number's pace (3 texts a second: 15 texts), booked
on the throttle in one round trip; the rest of its ids are handed back (`later`) to be
enqueued as another job, so a slow pace never holds many rows `sending`.
Rows an interrupted run left `sending` go through `deliver` one by one (asking Twilio first).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import requests
from sqlalchemy import Table, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.outreach.deliveries import Claim, Delivery, SendingPolicy
from bot.outreach.outbound import deliver
from bot.outreach.send_checks import Lookups, claim_row, may_go
from bot.outreach.sender import Sender, SendError
from bot.outreach.sending_rules import (
    cap_free_from,
    counted_automated_sends,
    reserve_many,
    sms_segments,
)
from bot.outreach.twilio_errors import refused
from bot.settings.outreach import OutreachSettings
from store.db import transaction
from store.models import Message, MessageStatus, Patient, Pharmacy
from store.outreach import Campaign, CampaignRecipient
from store.preferences import PatientPreference

log = logging.getLogger(__name__)

# Texts per job: RQ's own bookkeeping is a job's, so about 0.1 ms a text at 100, twice that
# at 50 (issue 19); a slow pace books only AHEAD_SECONDS of a number's texts anyway.
BATCH_SIZE = 100
AHEAD_SECONDS = 5.0  # how far ahead one batch may book a number's throttle
SENDING_THREADS = 8  # requests to Twilio in flight at once from one worker


@dataclass
class BatchResult:
    """What a batch did with each text, and the ids it left for another job."""

    deliveries: dict[int, Delivery] = field(default_factory=dict)
    later: list[int] = field(default_factory=list)

    def summary(self) -> str:
        counts: dict[str, int] = defaultdict(int)
        for delivery in self.deliveries.values():
            counts[delivery.outcome] += 1
        parts = [f"{n} {outcome}" for outcome, n in sorted(counts.items())]
        if self.later:
            parts.append(f"{len(self.later)} handed on")
        return ", ".join(parts) or "nothing to do"


@dataclass(frozen=True)
class _Planned:
    message_id: int
    claim: Claim
    due: float  # time.monotonic() at which it may go


class BatchLookups(Lookups):
    """The rules' reads for every text of a batch, three statements in all."""

    def __init__(self, session: Session, messages: list[Message], now: dt.datetime) -> None:
        super().__init__(session)
        ids = [m.id for m in messages]
        patient_ids = sorted({m.patient_id for m in messages if m.patient_id is not None})
        self._campaigns: dict[int, Campaign] = {
            message_id: campaign
            for message_id, campaign in session.execute(
                select(CampaignRecipient.message_id, Campaign)
                .join(Campaign, CampaignRecipient.campaign_id == Campaign.id)
                .where(CampaignRecipient.message_id.in_(ids))
            ).all()
            if message_id is not None
        }
        self._times: dict[int, str | None] = {}
        self._sends: dict[tuple[int, str], list[dt.datetime]] = defaultdict(list)
        if patient_ids:
            self._times = dict(
                session.execute(
                    select(PatientPreference.patient_id, PatientPreference.time_of_day).where(
                        PatientPreference.patient_id.in_(patient_ids)
                    )
                ).all()
            )
            week_ago = now - dt.timedelta(days=7)
            for patient_id, phone, sent_at in session.execute(
                select(Message.patient_id, Message.phone, Message.sent_at).where(
                    Message.patient_id.in_(patient_ids), *counted_automated_sends(week_ago)
                )
            ).all():
                if patient_id is not None and sent_at is not None:
                    self._sends[(patient_id, phone)].append(sent_at)

    def campaign(self, message: Message) -> Campaign | None:
        return self._campaigns.get(message.id)

    def time_of_day(self, patient_id: int) -> str | None:
        return self._times.get(patient_id)

    def cap_free_at(
        self, message: Message, patient_id: int, now: dt.datetime, settings: OutreachSettings
    ) -> dt.datetime | None:
        return cap_free_from(self._sends.get((patient_id, message.phone), []), now, settings)

    def claimed(self, message: Message) -> None:
        """A text of this batch now counts against its patient's caps for the next ones."""
        if message.patient_id is not None and message.sent_at is not None:
            self._sends[(message.patient_id, message.phone)].append(message.sent_at)


def deliver_many(
    sessions: sessionmaker[Session],
    sender: Sender,
    message_ids: list[int],
    clock: Clock,
    policy: SendingPolicy | None = None,
    more_to_come: bool = False,
) -> BatchResult:
    """Send these texts unless they went already or may not go now; say what happened.

    With `more_to_come` (another batch job is waiting) this returns once its last texts are
    about to go (`LEAD_SECONDS` before their booked time) rather than after: the next batch
    books the number's throttle right after these, so the pace has no gap between batches.
    The answers still out are recorded by the next batch (or, if the worker dies, settled
    with Twilio by the sweep like any interrupted send)."""
    policy = policy or SendingPolicy()
    result = BatchResult()
    _finish(sessions, clock, policy, result, wait=False)  # what the batch before left
    planned, unsettled = _claim_many(sessions, sorted(set(message_ids)), clock, policy, result)
    for message_id in unsettled:  # interrupted earlier: ask Twilio first, one by one
        result.deliveries[message_id] = deliver(sessions, sender, message_id, clock, policy)
    _start_sending(sender, planned, policy)
    if more_to_come and planned:
        last = max(plan.due for plan in planned)
        while time.monotonic() < last - LEAD_SECONDS or _outstanding() > BATCH_SIZE:
            time.sleep(0.005)
        _finish(sessions, clock, policy, result, wait=False)
    else:
        _finish(sessions, clock, policy, result, wait=True)
    return result


LEAD_SECONDS = 1.0  # how long before its last text is due a batch hands over to the next


def record_answers(
    sessions: sessionmaker[Session], clock: Clock, policy: SendingPolicy
) -> BatchResult:
    """Record the answers a batch left when it handed over (the periodic job calls it, so
    nothing waits for the next batch long)."""
    result = BatchResult()
    _finish(sessions, clock, policy, result, wait=False)
    return result


def _finish(
    sessions: sessionmaker[Session],
    clock: Clock,
    policy: SendingPolicy,
    result: BatchResult,
    wait: bool,
) -> None:
    """Record the answers that came back (all of them, waiting, with `wait`): every SID in
    one statement, each refusal as `deliver` handles it."""
    with _flight_guard:
        flights = list(_in_flight)
    if wait:
        for _, future in flights:
            future.result()
    done = [(plan, future.result()) for plan, future in flights if future.done()]
    if not done:
        return
    with _flight_guard:
        finished = {plan.message_id for plan, _ in done}
        _in_flight[:] = [f for f in _in_flight if f[0].message_id not in finished]
    sids: dict[int, str] = {}
    for plan, answer in done:
        if isinstance(answer, str):
            sids[plan.message_id] = answer
            result.deliveries[plan.message_id] = Delivery("sent", "sent")
        else:
            result.deliveries[plan.message_id] = _failed(sessions, plan, answer, clock, policy)
    if sids:
        _record_sids(sessions, sids)


def throttle_rate(policy: SendingPolicy) -> float:
    """Segments a second each sending number may take."""
    rate = getattr(policy.throttle, "per_second", None)
    return float(rate) if rate else policy.settings.segments_per_second


def _claim_many(
    sessions: sessionmaker[Session],
    ids: list[int],
    clock: Clock,
    policy: SendingPolicy,
    result: BatchResult,
) -> tuple[list[_Planned], list[int]]:
    now = clock.now()
    throttle = policy.throttle
    assert throttle is not None
    planned: list[_Planned] = []
    unsettled: list[int] = []
    with transaction(sessions) as session:
        messages = list(
            session.scalars(
                select(Message)
                .where(Message.id.in_(ids))
                .order_by(Message.id)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        )
        found = {m.id for m in messages}
        for message_id in ids:
            if message_id not in found:
                result.deliveries[message_id] = Delivery(
                    "already", "no such message, or another run is sending it"
                )
        queued = [m for m in messages if m.status == MessageStatus.QUEUED and not m.sid]
        patient_ids = sorted({m.patient_id for m in queued if m.patient_id is not None})
        patients = {
            p.id: p
            for p in (
                session.scalars(
                    select(Patient)
                    .where(Patient.id.in_(patient_ids))
                    .order_by(Patient.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
                if patient_ids
                else []
            )
        }
        lookups = BatchLookups(session, queued, now)
        budget = max(1.0, AHEAD_SECONDS * throttle_rate(policy))  # segments per number
        booked: dict[str, list[tuple[Message, int]]] = defaultdict(list)
        used: dict[str, int] = defaultdict(int)
        for message in messages:
            if message.status == MessageStatus.SENDING and not message.sid:
                unsettled.append(message.id)
                continue
            if message.status != MessageStatus.QUEUED or message.sid:
                result.deliveries[message.id] = Delivery(
                    "already", f"already {message.status.value}"
                )
                continue
            pharmacy = session.get(Pharmacy, message.pharmacy_id)
            assert pharmacy is not None
            number = pharmacy.twilio_number
            segments = sms_segments(message.body)
            if used[number] and used[number] + segments > budget:
                result.later.append(message.id)  # past what this batch books ahead
                continue
            patient = patients.get(message.patient_id) if message.patient_id else None
            held = may_go(session, message, patient, pharmacy, now, policy.settings, lookups)
            if held is not None:
                result.deliveries[message.id] = held
                continue
            claim_row(message, now)
            lookups.claimed(message)
            used[number] += segments
            booked[number].append((message, segments))
        # Each number's texts booked on its throttle in one go, back to back.
        for number, texts in booked.items():
            waits = reserve_many(throttle, number, [n for _, n in texts])
            for (message, segments), wait in zip(texts, waits, strict=True):
                message.sent_at = now + dt.timedelta(seconds=wait)
                claim = Claim(message.phone, number, message.body, segments, message.attempts)
                planned.append(_Planned(message.id, claim, time.monotonic() + wait))
    return planned, unsettled


_pool: ThreadPoolExecutor | None = None
_pool_guard = threading.Lock()


def _threads() -> ThreadPoolExecutor:
    """The sending threads, started once per worker process and kept warm."""
    global _pool
    with _pool_guard:
        if _pool is None:
            _pool = ThreadPoolExecutor(SENDING_THREADS, thread_name_prefix="medsync-send")
        return _pool


_in_flight: list[tuple[_Planned, Future[str | Exception]]] = []
_flight_guard = threading.Lock()


def _outstanding() -> int:
    with _flight_guard:
        return sum(not future.done() for _, future in _in_flight)


def _start_sending(sender: Sender, planned: list[_Planned], policy: SendingPolicy) -> None:
    """Each text to Twilio from the pool of threads, at its booked time."""

    def send(plan: _Planned) -> str | Exception:
        delay = plan.due - time.monotonic()
        if delay > 0:
            policy.sleep(delay)
        callback = (
            f"{policy.status_callback}?message={plan.message_id}"
            if policy.status_callback
            else None
        )
        claim = plan.claim
        try:
            return sender.send_sms(
                to=claim.to, from_=claim.from_, body=claim.body, status_callback=callback
            )
        except Exception as error:
            return error

    pool = _threads()
    with _flight_guard:
        _in_flight.extend((plan, pool.submit(send, plan)) for plan in planned)


def _failed(
    sessions: sessionmaker[Session],
    plan: _Planned,
    error: Exception,
    clock: Clock,
    policy: SendingPolicy,
) -> Delivery:
    """A send that did not come back with a SID, handled as `deliver` handles it."""
    if isinstance(error, SendError):
        return refused(sessions, plan.message_id, plan.claim, error, clock, policy)
    if isinstance(error, requests.exceptions.ConnectTimeout):  # nothing reached Twilio
        refusal = SendError(str(error), None, 503)
        return refused(sessions, plan.message_id, plan.claim, refusal, clock, policy)
    if not isinstance(error, requests.exceptions.RequestException):
        log.error("send of message %s failed unexpectedly", plan.message_id, exc_info=error)
    else:
        log.warning(
            "send of message %s lost its answer; it will be checked with Twilio", plan.message_id
        )
    # It may have reached Twilio: the row stays claimed and is settled by asking Twilio.
    at = clock.now() + dt.timedelta(seconds=policy.settings.send_lease_seconds)
    return Delivery("retry", "not known whether it went: checking with Twilio later", at)


def _record_sids(sessions: sessionmaker[Session], sids: dict[int, str]) -> None:
    """Every SID in one executemany; a status a callback already moved on stays."""
    table = cast(Table, Message.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("message_id"))
        .values(
            sid=func.coalesce(table.c.sid, bindparam("new_sid")),
            status=case(
                (
                    or_(  # IN cannot go in an executemany
                        table.c.status == MessageStatus.QUEUED,
                        table.c.status == MessageStatus.SENDING,
                    ),
                    bindparam("sent", MessageStatus.SENT, type_=table.c.status.type),
                ),
                else_=table.c.status,
            ),
            error=None,
        )
    )
    rows = [
        {"message_id": message_id, "new_sid": sid, "sent": MessageStatus.SENT}
        for message_id, sid in sids.items()
    ]
    with transaction(sessions) as session:
        session.execute(statement, rows)
