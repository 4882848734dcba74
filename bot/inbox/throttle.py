"""Slowing down password guessing without letting a stranger lock a pharmacist out.

Three delays, each counted over the last hour of failures (a wrong password, an unknown
email, a wrong second-factor code); the longest applies. While one runs, a sign-in is answered
"wait N seconds" without the password being checked or the try counted, so hammering does not
lengthen it; once it has passed, a right password signs in.

- **Per account**: after 3 failures, 5 s, then doubling with each further failure, at most
  5 minutes. A browser that has signed in to the account before (a signed "known browser"
  cookie) is counted apart: a stranger's failures never delay the account's own browsers,
  and theirs never delay each other's strangers. Nothing ever locks an account for good.
- **Per address**: after 10 failures from one address over any accounts, the same growing
  delay for that address (browsers known to the account they sign in to are not slowed).
- **Spraying** (one password tried over many accounts from many addresses): once 10 different
  accounts have failed, a browser unknown to its account may try only 10 s after the last
  failure anywhere.

`medsync user unlock EMAIL` forgets an account's failures.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.accounts import LoginFailure

# Longer than the capped delay many times over, so a patient attacker stays at the cap
# (about 12 guesses an hour per account) instead of sliding back to the free tries.
WINDOW = dt.timedelta(hours=1)
BASE_DELAY = dt.timedelta(seconds=5)
MAX_DELAY = dt.timedelta(minutes=5)
FREE_PER_ACCOUNT = 3
FREE_PER_ADDRESS = 10
SPRAY_ACCOUNTS = 10
SPRAY_PACE = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class Attempt:
    email: str
    address: str
    known_browser: bool  # this browser signed in to this account before


@dataclass(frozen=True)
class Wait:
    seconds: int
    reason: str  # "account", "address" or "spraying": for the audit trail, not the page


def delay_after(failures: int, free: int) -> dt.timedelta:
    """The growing, capped delay after `failures` failures when `free` cost nothing."""
    if failures <= free:
        return dt.timedelta(0)
    grown: dt.timedelta = BASE_DELAY * 2 ** min(failures - free - 1, 16)
    return min(grown, MAX_DELAY)


def _count_and_last(session: Session, *where: object) -> tuple[int, dt.datetime | None]:
    row = session.execute(
        select(func.count(), func.max(LoginFailure.created_at)).where(*where)  # type: ignore[arg-type]
    ).one()
    return int(row[0] or 0), row[1]


def wait_for(session: Session, attempt: Attempt, now: dt.datetime) -> Wait | None:
    """How long this attempt must wait, or None when it may be checked now."""
    since = now - WINDOW
    waits: list[Wait] = []

    def left(last: dt.datetime | None, delay: dt.timedelta, reason: str) -> None:
        if last is None or not delay:
            return
        remaining = (last + delay - now).total_seconds()
        if remaining > 0:
            waits.append(Wait(math.ceil(remaining), reason))

    failures, last = _count_and_last(
        session,
        LoginFailure.email == attempt.email,
        LoginFailure.known_browser == attempt.known_browser,
        LoginFailure.created_at > since,
    )
    left(last, delay_after(failures, FREE_PER_ACCOUNT), "account")
    if not attempt.known_browser:
        failures, last = _count_and_last(
            session,
            LoginFailure.address == attempt.address,
            LoginFailure.known_browser.is_(False),
            LoginFailure.created_at > since,
        )
        left(last, delay_after(failures, FREE_PER_ADDRESS), "address")
        accounts = session.scalar(
            select(func.count(func.distinct(LoginFailure.email))).where(
                LoginFailure.known_browser.is_(False), LoginFailure.created_at > since
            )
        )
        if int(accounts or 0) >= SPRAY_ACCOUNTS:
            _, last = _count_and_last(
                session, LoginFailure.known_browser.is_(False), LoginFailure.created_at > since
            )
            left(last, SPRAY_PACE, "spraying")
    return max(waits, key=lambda w: w.seconds) if waits else None


def note_failure(session: Session, attempt: Attempt, now: dt.datetime) -> None:
    session.add(
        LoginFailure(
            email=attempt.email,
            address=attempt.address[:64],
            known_browser=attempt.known_browser,
            created_at=now,
        )
    )
    session.flush()


def forget_after_success(session: Session, attempt: Attempt) -> None:
    """A right password: the failures it could have made are forgotten (this known browser's,
    or this address's unknown ones); a stranger's elsewhere still count."""
    where = [LoginFailure.email == attempt.email]
    if attempt.known_browser:
        where.append(LoginFailure.known_browser.is_(True))
    else:
        where += [LoginFailure.known_browser.is_(False), LoginFailure.address == attempt.address]
    session.execute(delete(LoginFailure).where(*where))


def forget_account(session: Session, email: str) -> int:
    """Every failure on the account (`medsync user unlock`, a password reset)."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    return int(getattr(result, "rowcount", 0) or 0)
