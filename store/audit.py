"""Writing and checking the audit trail: every view of a patient's data, every action (with
the record's state before and after) and every refused attempt.

AuditEvent rows are append-only (store/models.py, and on PostgreSQL the database itself:
migration 0019). They are also tamper-evident: the rows of one pharmacy form a hash chain.
Row n's `chain_hash` is SHA-256 over a canonical JSON form of the row (chain, position,
actor, action, subject, outcome, patients, before, after, time) together with row n-1's
hash. Changing, removing or inserting a row breaks every hash after it; `verify` walks each
chain and names the first row that does not fit.

Two writers never chain onto the same row: the chain's head row (AuditChain) is locked with
SELECT ... FOR UPDATE on PostgreSQL until the writer's transaction ends; SQLite transactions
here are BEGIN IMMEDIATE (store/db.py), one writer at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import AuditChain, AuditEvent, Patient, ReviewItem

GENESIS = "0" * 64
OK = "ok"
REFUSED = "refused"
NOT_FOUND = "not_found"
OUTCOMES = (OK, REFUSED, NOT_FOUND)
MAX_PATIENTS = 200  # a page shows at most this many patients; more is cut, not refused


def canonical(
    *,
    chain: int,
    seq: int,
    actor: str,
    action: str,
    subject: str,
    outcome: str,
    patients: str | None,
    before: Any,
    after: Any,
    created_at: dt.datetime,
    previous: str,
) -> bytes:
    """The bytes a row's hash is taken over: sorted keys, no spaces, UTF-8, the time in UTC
    to the microsecond (what both databases keep)."""
    when = created_at if created_at.tzinfo else created_at.replace(tzinfo=dt.UTC)
    document = {
        "chain": chain,
        "seq": seq,
        "actor": actor,
        "action": action,
        "subject": subject,
        "outcome": outcome,
        "patients": patients,
        "before": before,
        "after": after,
        "at": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "previous": previous,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(row: AuditEvent, previous: str) -> str:
    return hashlib.sha256(
        canonical(
            chain=row.chain,
            seq=row.seq,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            outcome=row.outcome,
            patients=row.patients,
            before=row.before,
            after=row.after,
            created_at=row.created_at,
            previous=previous,
        )
    ).hexdigest()


def _plain(value: dict[str, Any] | None) -> Any:
    # What the JSON column gives back (tuples as lists, keys as strings): hashed as stored.
    return None if value is None else json.loads(json.dumps(value, default=str))


def _number(subject: str, kind: str) -> int | None:
    prefix, _, rest = subject.partition(":")
    if prefix != kind or not rest.isdigit() or len(rest) > 10:
        return None
    return int(rest)


def _implied(session: Session, subject: str) -> tuple[int, set[int]]:
    """The pharmacy and patients a subject names ("patient:12", "review_item:5",
    "pharmacy:1"): usually already in the session, so no query."""
    patient_id = _number(subject, "patient")
    if patient_id is not None:
        patient = session.get(Patient, patient_id)
        return (patient.pharmacy_id if patient else 0), {patient_id}
    item_id = _number(subject, "review_item")
    if item_id is not None:
        item = session.get(ReviewItem, item_id)
        if item is None:
            return 0, set()
        return item.pharmacy_id, ({item.patient_id} if item.patient_id else set())
    pharmacy_id = _number(subject, "pharmacy")
    return (pharmacy_id or 0), set()


def patients_text(ids: Iterable[int]) -> str | None:
    """Patient ids as stored for the filter: " 12 15 " (a LIKE '% 12 %' finds 12)."""
    unique = sorted({int(i) for i in ids if i is not None})[:MAX_PATIENTS]
    return f" {' '.join(str(i) for i in unique)} " if unique else None


def _insert_head(session: Session, chain: int) -> None:
    values = {"chain": chain, "seq": 0, "head_hash": GENESIS}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql.insert(AuditChain).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(AuditChain).values(**values).on_conflict_do_nothing())


# Built once: these run on every audited request.
_HEAD = (
    select(AuditChain.seq, AuditChain.head_hash)
    .where(AuditChain.chain == bindparam("chain"))
    .with_for_update()
)
_MOVE = (
    update(AuditChain)
    .where(AuditChain.chain == bindparam("which"))
    .values(seq=bindparam("position"), head_hash=bindparam("head"))
    .execution_options(synchronize_session=False)
)


def _locked_head(session: Session, chain: int) -> tuple[int, str]:
    """The chain's last position and hash, its head row locked to the end of the
    transaction."""
    head = session.execute(_HEAD, {"chain": chain}).first()
    if head is None:
        _insert_head(session, chain)  # the chain's first row: two at once make one head
        head = session.execute(_HEAD, {"chain": chain}).one()
    return int(head.seq), str(head.head_hash)


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    pharmacy_id: int | None = None,
    patients: Iterable[int] = (),
    outcome: str = OK,
) -> AuditEvent:
    """Add one audit row in the caller's transaction: it stands or falls with the action.

    The pharmacy (whose chain the row joins) and the patient follow from the subject when
    not given. `patients` names everyone else the action showed (a queue page, household
    members). The chain's head stays locked until the caller's transaction ends."""
    row = AuditEvent(
        actor=actor,
        action=action,
        subject=subject,
        before=before,
        after=after,
        created_at=now,
        chain=pharmacy_id,
        outcome=outcome,
    )
    _chain(session, row, patients)
    session.add(row)
    return row


def _chain(session: Session, row: AuditEvent, patients: Iterable[int] = ()) -> None:
    row.actor, row.action = (row.actor or "")[:200], (row.action or "")[:64]
    row.subject = (row.subject or "")[:64]
    implied_pharmacy, implied_patients = _implied(session, row.subject)
    if row.chain is None:
        row.chain = implied_pharmacy
    if row.outcome not in OUTCOMES:
        row.outcome = OK if row.outcome is None else REFUSED
    row.before, row.after = _plain(row.before), _plain(row.after)
    listed = [int(p) for p in (row.patients or "").split() if p.isdigit() and len(p) < 11]
    row.patients = patients_text([*implied_patients, *listed, *patients])
    seq, previous = _locked_head(session, row.chain)
    row.seq = seq + 1
    row.chain_hash = row_hash(row, previous)
    session.execute(_MOVE, {"which": row.chain, "position": row.seq, "head": row.chain_hash})


@event.listens_for(Session, "before_flush")
def _chain_added_rows(session: Session, context: Any, instances: Any) -> None:
    """A row added without `record` (session.add(AuditEvent(...))) is chained all the same,
    when the session flushes it."""
    pending = [o for o in session.new if isinstance(o, AuditEvent) and o.chain_hash is None]
    if not pending:
        return
    with session.no_autoflush:
        for row in sorted(pending, key=lambda o: o.created_at):
            _chain(session, row)


# ------------------------------------------------------------------ verifying


@dataclass(frozen=True)
class ChainReport:
    chain: int
    rows: int
    head_seq: int
    head_hash: str
    problem: str | None = None  # the first broken row, in a sentence
    event_id: int | None = None  # that row's id

    @property
    def intact(self) -> bool:
        return self.problem is None


def _walk(chain: int, rows: Iterator[AuditEvent], head: AuditChain | None) -> ChainReport:
    previous, expected, count = GENESIS, 1, 0
    for row in rows:
        if row.seq != expected:
            missing = "missing" if row.seq > expected else "repeated or inserted"
            return ChainReport(
                chain, count, expected - 1, previous,
                f"row #{row.id} is at position {row.seq} where {expected} was expected: "
                f"rows before it are {missing}",
                row.id,
            )  # fmt: skip
        if row_hash(row, previous) != row.chain_hash:
            return ChainReport(
                chain, count, expected - 1, previous,
                f"row #{row.id} (position {row.seq}) does not match its hash: it was "
                "changed after it was written, or a row before it was",
                row.id,
            )  # fmt: skip
        previous, expected, count = row.chain_hash, expected + 1, count + 1
    last = expected - 1
    if head is None and count:
        return ChainReport(chain, count, last, previous, "the chain's head record is missing")
    if head is not None and (head.seq != last or head.head_hash != previous):
        return ChainReport(
            chain, count, last, previous,
            f"the chain's head says {head.seq} rows and the table ends at {last}: the last "
            "rows were removed (or the head was changed)",
        )  # fmt: skip
    return ChainReport(chain, count, last, previous)


def chains(session: Session) -> list[int]:
    found = set(session.scalars(select(AuditChain.chain)))
    found |= set(session.scalars(select(AuditEvent.chain).distinct()))
    return sorted(found)


def verify(session: Session, chain: int) -> ChainReport:
    """Walk one chain from its first row, recomputing every hash."""
    head = session.get(AuditChain, chain)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.chain == chain)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=1000)
    )
    return _walk(chain, iter(events), head)


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Filter:
    """What the /audit page and its CSV narrow the trail to; None: any."""

    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    subject: str | None = None
    chain: int | None = None
    patient_ids: tuple[int, ...] | None = None  # () matches nothing (no such patient)


def search(
    session: Session, wanted: Filter, limit: int, before_id: int | None = None
) -> Sequence[AuditEvent]:
    """The trail, newest first, paged by id."""
    query = select(AuditEvent)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if wanted.actor:
        query = query.where(AuditEvent.actor == wanted.actor)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.outcome:
        query = query.where(AuditEvent.outcome == wanted.outcome)
    if wanted.subject:
        query = query.where(AuditEvent.subject == wanted.subject)
    if wanted.chain is not None:
        query = query.where(AuditEvent.chain == wanted.chain)
    if wanted.patient_ids is not None:
        if not wanted.patient_ids:
            return []
        query = query.where(
            or_(*(AuditEvent.patients.contains(f" {p} ") for p in wanted.patient_ids[:20]))
        )
    return session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
