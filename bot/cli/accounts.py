"""`medsync user ...` and `medsync token ...`: staff accounts and API tokens.

Registered in bot/cli.py; this module does not import it (bot/cli.py imports this one).
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable

import click
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.common import Fail, sessions_for
from bot.inbox import lifecycle, passwords, secret_box, throttle
from bot.inbox.auth import PasswordTooWeak, hash_password, normalize_email
from bot.settings import get_settings
from bot.web.tokens import DEFAULT_SCOPES, create_token
from store.accounts import ApiToken, Membership, Role, Scope, User
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


def _read_password(from_stdin: bool, email: str = "") -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        passwords.check(password, email)  # the caller hashes what it stores
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
    password = _read_password(password_stdin, address)
    now = _now()
    with transaction(_sessions()) as session:
        user = User(
            email=address,
            name=name.strip()[:200],
            role=Role(role),
            password_hash=hash_password(password, address),
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


@user_group.command("roles")
def user_roles() -> None:
    """Who may do what: the role policy the inbox and the API enforce (docs/ROLES.md)."""
    from bot.inbox.policy import markdown_table

    click.echo(markdown_table(), nl=False)


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
    """Forget an account's failed sign-ins, so no delay slows its next one."""
    address = normalize_email(email)
    with transaction(_sessions()) as session:
        user = _user(session, address)
        forgotten = throttle.forget_account(session, address)
        record(
            session, _who(), "user_unlock", f"user:{user.id}", _now(), after={"failures": forgotten}
        )
    click.echo(f"{address} can sign in again.")


def _change(email: str, change: Callable[[Session, User], str]) -> None:
    with transaction(_sessions()) as session:
        user = _user(session, email)
        try:
            message = change(session, user)
        except (lifecycle.StaffChangeRefused, PasswordTooWeak) as refused:
            raise Fail(str(refused)) from None
    click.echo(message)


@user_group.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: signed out everywhere at once, its API tokens refused."""
    _change(email, lambda s, u: lifecycle.disable(s, u, _who(), _now()))


@user_group.command("enable")
@click.argument("email")
def user_enable(email: str) -> None:
    """Let a disabled account sign in again."""
    _change(email, lambda s, u: lifecycle.enable(s, u, _who(), _now()))


@user_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def user_role(email: str, role: str) -> None:
    """Change an account's role (admin, pharmacist, technician)."""
    _change(email, lambda s, u: lifecycle.set_role(s, u, Role(role), _who(), _now()))


@user_group.command("reset-password")
@click.argument("email")
@click.option(
    "--password-stdin", is_flag=True, help="Read the new password from the first line of stdin."
)
def user_reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password (asked twice, or read with --password-stdin); ends their sessions."""
    with transaction(_sessions()) as session:
        address = _user(session, email).email
    password = _read_password(password_stdin, address)
    _change(email, lambda s, u: lifecycle.reset_password(s, u, password, _who(), _now()))


@user_group.command("reset-second-factor")
@click.argument("email")
def user_reset_second_factor(email: str) -> None:
    """Remove an account's second factor (a lost phone); they set up a new one."""
    _change(email, lambda s, u: lifecycle.reset_second_factor(s, u, _who(), _now()))


# ---------------------------------------------------------------------- token


@user_group.command("reseal-second-factors")
def user_reseal_second_factors() -> None:
    """Seal every second factor with the current MEDSYNC_SECRET_KEY: after changing it, with
    the old key as MEDSYNC_PREVIOUS_SECRET_KEY; then the old key can go."""
    settings = get_settings()
    key, previous = settings.secret_key, settings.previous_secret_key
    if not secret_box.can_encrypt(key):
        raise Fail(
            "MEDSYNC_SECRET_KEY is not set, so secrets cannot be sealed: set it (and the old "
            "key as MEDSYNC_PREVIOUS_SECRET_KEY), then run `medsync user reseal-second-factors`."
        )
    sealed, unreadable = 0, []
    with transaction(_sessions()) as session:
        users = session.scalars(select(User).where(User.totp_secret.is_not(None)).order_by(User.id))
        for user in users:
            stored = user.totp_secret
            if stored is None or not secret_box.needs_sealing(stored, key):
                continue
            try:
                secret = secret_box.open_secret(stored, key, previous)
            except secret_box.SecretUnreadable:
                unreadable.append(user.email)
                continue
            user.totp_secret = secret_box.seal(secret, key)
            sealed += 1
        record(
            session, _who(), "second_factors_resealed", "staff", _now(),
            after={"sealed": sealed, "unreadable": len(unreadable)},
        )  # fmt: skip
    click.echo(f"{sealed} second factor{'s' if sealed != 1 else ''} sealed with the current key.")
    for email in unreadable:
        click.echo(
            f"{email}: neither key opens it; reset it with "
            f"`medsync user reset-second-factor {email}`."
        )
    if not unreadable:
        click.echo("None is left on an old key: MEDSYNC_PREVIOUS_SECRET_KEY can be unset.")


@click.group("token")
def token_group() -> None:
    """API tokens for pharmacy systems (the JSON API under /api/v1)."""


def _expiry(raw: str | None, now: dt.datetime, days: int) -> dt.datetime:
    """--expires: a number of days ("30"), or a date ("2027-06-30", the end of that day UTC)."""
    if raw is None:
        return now + dt.timedelta(days=days)
    text = raw.strip().lower().removesuffix("d")
    if text.isdigit() and 0 < int(text) <= 3660:
        return now + dt.timedelta(days=int(text))
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise Fail(
            f"--expires {raw!r} is neither a number of days (30) nor a date (2027-06-30)."
        ) from None
    when = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    if when <= now:
        raise Fail(f"--expires {raw} is in the past: give a later date or a number of days.")
    return when


@token_group.command("create")
@click.option("--user", "email", required=True, help="The account the token acts as.")
@click.option("--name", required=True, help="What uses it, e.g. 'pharmacy-system'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice([s.value for s in Scope]),
    help=(
        "What it may do (repeatable). Default: items:read, items:decide and patients:read; "
        "dispensing:write only when named."
    ),
)
@click.option(
    "--expires",
    default=None,
    help="Days until it expires (30) or the last day it works (2027-06-30). "
    "Default: MEDSYNC_TOKEN_DAYS (90).",
)
def token_create(email: str, name: str, scopes: tuple[str, ...], expires: str | None) -> None:
    """Create a token; it is shown once and stored only as a hash."""
    settings = get_settings()
    now = _now()
    expires_at = _expiry(expires, now, settings.token_days)
    chosen = frozenset(Scope(s) for s in scopes) if scopes else DEFAULT_SCOPES
    with transaction(_sessions()) as session:
        user = _user(session, email)
        if not user.active:
            raise Fail(f"The account {user.email} is disabled: enable it first.")
        token, secret = create_token(
            session, user, name.strip(), now, expires_at=expires_at, scopes=chosen
        )
        record(
            session,
            _who(),
            "token_create",
            f"api_token:{token.id}",
            now,
            after={
                "user": user.email,
                "name": token.name,
                "prefix": token.prefix,
                "scopes": token.scopes,
                "expires_at": expires_at.isoformat(),
            },
        )
    click.echo(
        f"Token {token.prefix}… for {user.email} ({token.name}), scopes {token.scopes}, "
        f"expires {expires_at:%Y-%m-%d %H:%M} UTC. Keep it secret:"
    )
    click.echo(secret)


@token_group.command("list")
def token_list() -> None:
    """Every token: whose, what it may do, when it expires, when and where it was last used."""
    now = _now()
    with transaction(_sessions()) as session:
        rows = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        ).all()
        if not rows:
            click.echo("No API tokens yet: make one with `medsync token create`.")
        for token, user in rows:
            if token.revoked_at is not None:
                state = f"revoked {token.revoked_at:%Y-%m-%d}"
            elif token.expires_at is None or token.expires_at <= now:
                state = "expired"
            elif not user.active:
                state = "owner disabled"
            else:
                state = "active"
            expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "-"
            used = (
                f"{token.last_used_at:%Y-%m-%d %H:%M} from {token.last_used_from}"
                if token.last_used_at
                else "never used"
            )
            click.echo(
                f"{token.prefix}…\t{token.name}\t{user.email}\t{token.scopes or '-'}\t"
                f"expires {expires}\t{used}\t{state}"
            )


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
