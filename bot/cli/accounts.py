"""`medsync user ...` and `medsync token ...`: staff accounts and API tokens.

Registered in bot/cli.py; this module does not import it (bot/cli.py imports this one).
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys

import click
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.common import Fail, sessions_for
from bot.inbox.auth import PasswordTooWeak, hash_password, normalize_email
from bot.settings import get_settings
from bot.web.api import create_token
from store.accounts import ApiToken, LoginFailure, Membership, Role, User
from store.audit import record
from store.db import transaction
from store.models import Pharmacy


def _who() -> str:
    """The audit trail's actor for a terminal command: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sessions() -> sessionmaker[Session]:
    return sessions_for(get_settings())


def _pharmacies(session: Session, names: tuple[str, ...]) -> list[Pharmacy]:
    found = []
    for which in names:
        pharmacy = session.scalar(
            select(Pharmacy).where(
                or_(
                    Pharmacy.name == which,
                    Pharmacy.twilio_number == which,
                    Pharmacy.id == (int(which) if which.isdigit() else -1),
                )
            )
        )
        if pharmacy is None:
            raise Fail(
                f"No pharmacy called, numbered or with id {which!r}: see `medsync pharmacy list`."
            )
        found.append(pharmacy)
    return found


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise Fail(f"No account for {email}: add one with `medsync user add {email}`.")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        hash_password(password)  # only to check it; the caller hashes what it stores
    except PasswordTooWeak as weak:
        raise Fail(str(weak)) from None
    return password


# ---------------------------------------------------------------------- user


@click.group("user")
def user_group() -> None:
    """Staff accounts for the pharmacist's inbox."""


@user_group.command("add")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.PHARMACIST.value,
    show_default=True,
    help="Admins see every pharmacy and the audit trail; technicians cannot approve.",
)
@click.option("--name", default="", help="How colleagues see this person, e.g. 'Dana Reyes'.")
@click.option(
    "--pharmacy",
    "pharmacies",
    multiple=True,
    help="Name, Twilio number or id of a pharmacy this person works at (repeatable).",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def user_add(
    email: str, role: str, name: str, pharmacies: tuple[str, ...], password_stdin: bool
) -> None:
    """Add an account (the password is asked, or read with --password-stdin)."""
    address = normalize_email(email)
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise Fail(f"{email!r} is not an email address.")
    with transaction(_sessions()) as session:
        if session.scalar(select(User.id).where(User.email == address)) is not None:
            raise Fail(f"There is already an account for {address}.")
        chosen = _pharmacies(session, pharmacies)
        if not chosen and role != Role.ADMIN.value:
            all_pharmacies = list(session.scalars(select(Pharmacy).limit(2)))
            if len(all_pharmacies) != 1:
                raise Fail(
                    "Say which pharmacy this person works at with --pharmacy "
                    "(or make them an admin, who sees every pharmacy)."
                )
            chosen = all_pharmacies
    password = _read_password(password_stdin)
    now = _now()
    with transaction(_sessions()) as session:
        user = User(
            email=address,
            name=name.strip()[:200],
            role=Role(role),
            password_hash=hash_password(password),
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        session.flush()
        for pharmacy in chosen:
            session.add(Membership(user_id=user.id, pharmacy_id=pharmacy.id))
        record(
            session,
            _who(),
            "user_add",
            f"user:{user.id}",
            now,
            after={"email": address, "role": role, "pharmacies": [p.id for p in chosen]},
        )
    where = ", ".join(p.name for p in chosen) if chosen else "every pharmacy"
    click.echo(f"Added {address} ({role}) for {where}. Sign in at /login.")


@user_group.command("list")
def user_list() -> None:
    """List the accounts."""
    with transaction(_sessions()) as session:
        for user in session.scalars(select(User).order_by(User.email)):
            ids = [m.pharmacy_id for m in user.memberships]
            where = "all pharmacies" if user.is_admin else f"pharmacies {ids}"
            state = "" if user.active else " (disabled)"
            click.echo(f"{user.id}\t{user.email}\t{user.role.value}\t{where}{state}")


@user_group.command("unlock")
@click.argument("email")
def user_unlock(email: str) -> None:
    """Clear the failed sign-ins that locked an account."""
    address = normalize_email(email)
    with transaction(_sessions()) as session:
        user = _user(session, address)
        session.execute(delete(LoginFailure).where(LoginFailure.email == address))
        record(session, _who(), "user_unlock", f"user:{user.id}", _now())
    click.echo(f"{address} can sign in again.")


# ---------------------------------------------------------------------- token


@click.group("token")
def token_group() -> None:
    """API tokens for pharmacy systems (the JSON API under /api/v1)."""


@token_group.command("create")
@click.option("--user", "email", required=True, help="The account the token acts as.")
@click.option("--name", required=True, help="What uses it, e.g. 'pharmacy-system'.")
def token_create(email: str, name: str) -> None:
    """Create a token; it is shown once and stored only as a hash."""
    with transaction(_sessions()) as session:
        user = _user(session, email)
        if not user.active:
            raise Fail(f"The account {user.email} is disabled.")
        token, secret = create_token(session, user, name.strip(), _now())
        record(
            session,
            _who(),
            "token_create",
            f"api_token:{token.id}",
            _now(),
            after={"user": user.email, "name": token.name, "prefix": token.prefix},
        )
    click.echo(f"Token {token.prefix}… for {user.email} ({token.name}). Keep it secret:")
    click.echo(secret)


@token_group.command("revoke")
@click.argument("prefix")
def token_revoke(prefix: str) -> None:
    """Revoke a token by the first characters shown when it was made."""
    with transaction(_sessions()) as session:
        tokens = list(
            session.scalars(
                select(ApiToken).where(
                    ApiToken.prefix.startswith(prefix.rstrip("…"), autoescape=True)
                )
            )
        )
        if len(tokens) != 1:
            raise Fail(f"{len(tokens)} tokens start with {prefix!r}; give more characters.")
        token = tokens[0]
        if token.revoked_at is None:
            token.revoked_at = _now()
            record(session, _who(), "token_revoke", f"api_token:{token.id}", _now())
    click.echo(f"Token {token.prefix}… is revoked.")
