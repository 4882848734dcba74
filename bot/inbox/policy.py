"""Who may do what: one table, read by the inbox's routes, the API and `medsync user roles`,
and written out in docs/ROLES.md (a test keeps the two the same).

Technicians read the queue and patients' pages, text and call patients, and settle what
needs no clinical judgement. A pharmacist's judgement is needed to approve or decline what a
patient answered, to read "stop" in a patient's own words as an opt-out (it may be about a
medicine: "I want to stop the lisinopril"), to let a caregiver hear about a patient, to put
drug names in texts, and to link people into a household. Admins may do all that, and read
the audit trail and manage staff. Whatever lowers what is disclosed (removing a caregiver,
turning detailed messages off) anyone may do at the patient's word.
"""

from __future__ import annotations

import enum

from store.accounts import Role

ANYONE = frozenset(Role)
CLINICAL = frozenset({Role.PHARMACIST, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


class Permission(enum.StrEnum):
    VIEW_PATIENTS = "view_patients"
    REPLY = "reply"
    LOG_CALL = "log_call"
    CLOSE_ITEM = "close_item"
    DECIDE = "decide"
    CHANGE_PICKUP_DAY = "change_pickup_day"
    CONFIRM_OPT_OUT = "confirm_opt_out"
    ADD_CAREGIVER = "add_caregiver"
    REMOVE_CAREGIVER = "remove_caregiver"
    DETAILED_MESSAGES_ON = "detailed_messages_on"
    CHANGE_PREFERENCES = "change_preferences"
    LINK_HOUSEHOLDS = "link_households"
    SEND_CAMPAIGNS = "send_campaigns"
    LANGUAGE_SWITCHES = "language_switches"
    READ_AUDIT = "read_audit"
    MANAGE_STAFF = "manage_staff"


# What each permission lets one do, as the refusal and docs/ROLES.md say it.
WORDS: dict[Permission, str] = {
    Permission.VIEW_PATIENTS: "read the queue, review items and patients' pages",
    Permission.REPLY: "text a patient from a review item",
    Permission.LOG_CALL: "log a call to a patient",
    Permission.CLOSE_ITEM: "close an item that needs no clinical decision",
    Permission.DECIDE: "approve or decline an enrollment or a flagged check-in",
    Permission.CHANGE_PICKUP_DAY: "change a patient's pickup day",
    Permission.CONFIRM_OPT_OUT: "confirm that a patient's words were an opt-out",
    Permission.ADD_CAREGIVER: "add a caregiver",
    Permission.REMOVE_CAREGIVER: "remove a caregiver",
    Permission.DETAILED_MESSAGES_ON: "turn on detailed messages (drug names in texts)",
    Permission.CHANGE_PREFERENCES: "change other preferences, or turn detailed messages off",
    Permission.LINK_HOUSEHOLDS: "link or unlink a household",
    Permission.SEND_CAMPAIGNS: "send a campaign",
    Permission.LANGUAGE_SWITCHES: "turn a pharmacy's languages on or off",
    Permission.READ_AUDIT: "read or export the audit trail",
    Permission.MANAGE_STAFF: "add, disable and change staff accounts",
}

POLICY: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_PATIENTS: ANYONE,
    Permission.REPLY: ANYONE,
    Permission.LOG_CALL: ANYONE,
    Permission.CLOSE_ITEM: ANYONE,
    Permission.DECIDE: CLINICAL,
    Permission.CHANGE_PICKUP_DAY: CLINICAL,
    Permission.CONFIRM_OPT_OUT: CLINICAL,
    Permission.ADD_CAREGIVER: CLINICAL,
    Permission.REMOVE_CAREGIVER: ANYONE,
    Permission.DETAILED_MESSAGES_ON: CLINICAL,
    Permission.CHANGE_PREFERENCES: ANYONE,
    Permission.LINK_HOUSEHOLDS: CLINICAL,
    Permission.SEND_CAMPAIGNS: CLINICAL,
    Permission.LANGUAGE_SWITCHES: CLINICAL,
    Permission.READ_AUDIT: ADMINS,
    Permission.MANAGE_STAFF: ADMINS,
}

ORDER = (Role.TECHNICIAN, Role.PHARMACIST, Role.ADMIN)


def allows(role: Role, permission: Permission) -> bool:
    return role in POLICY[permission]


def who_may(permission: Permission) -> str:
    roles = [r.value for r in ORDER if r in POLICY[permission]]
    if len(roles) == len(ORDER):
        return "anyone on staff"
    return " or ".join(f"an {r}" if r[0] in "aeiou" else f"a {r}" for r in roles)


def refusal(role: Role, permission: Permission) -> str | None:
    """None when the role may; else the sentence staff read (and the audit row's reason)."""
    if allows(role, permission):
        return None
    who = who_may(permission)
    return f"Only {who} may {WORDS[permission]}."


def table_rows() -> list[tuple[str, ...]]:
    """The policy as docs/ROLES.md shows it: what, then yes/no per role."""
    return [(WORDS[p], *("yes" if r in POLICY[p] else "no" for r in ORDER)) for p in Permission]


def markdown_table() -> str:
    lines = [
        "| What | technician | pharmacist | admin |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in table_rows()),
    ]
    return "\n".join(lines) + "\n"
