"""Who is acting: a signed-in user or an API token, with the pharmacies they may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.inbox.policy import POLICY, Permission, allows
from store.accounts import Membership, Role, User

# Approving or declining what a patient answered is a pharmacist's call (DOMAIN.md: a flagged
# check-in holds the fill "until a pharmacist reviews it"); technicians read, reply and call.
# The whole table: bot/inbox/policy.py.
CLINICAL_ROLES = POLICY[Permission.DECIDE]


@dataclass(frozen=True)
class Actor:
    user_id: int
    email: str
    label: str
    role: Role
    pharmacy_ids: frozenset[int] | None  # None: every pharmacy (admins)
    via_token: str | None = None

    @property
    def audit_name(self) -> str:
        """Who, in the audit trail: the unique email, and the token when not a browser."""
        if self.via_token:
            return f"{self.email} (API token {self.via_token})"[:200]
        return self.email

    @property
    def decided_by(self) -> str:
        """Who, as colleagues read it on an item."""
        return (f"{self.label} (via {self.via_token})" if self.via_token else self.label)[:200]

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def may_decide(self) -> bool:
        return allows(self.role, Permission.DECIDE)

    def may(self, permission: str) -> bool:
        """What the policy (bot/inbox/policy.py) lets this person do; pages ask it too."""
        return allows(self.role, Permission(permission))

    def sees(self, pharmacy_id: int) -> bool:
        return self.pharmacy_ids is None or pharmacy_id in self.pharmacy_ids


def actor_for(session: Session, user: User, via_token: str | None = None) -> Actor:
    pharmacy_ids: frozenset[int] | None = None
    if not user.is_admin:
        pharmacy_ids = frozenset(
            session.scalars(
                select(Membership.pharmacy_id).where(Membership.user_id == user.id)
            ).all()
        )
    return Actor(
        user_id=user.id,
        email=user.email,
        label=user.label,
        role=user.role,
        pharmacy_ids=pharmacy_ids,
        via_token=via_token,
    )
