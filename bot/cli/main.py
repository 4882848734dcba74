"""The `medsync` command: the group, and every command group of bot/cli/ added to it."""

from __future__ import annotations

import click

from bot.cli.accounts import token_group, user_group
from bot.cli.assessments import assessments, pharmacy_questions
from bot.cli.audit import audit_group
from bot.cli.caregivers import caregiver
from bot.cli.errors import Guarded
from bot.cli.households import household
from bot.cli.languages import catalogs, pharmacy_languages
from bot.cli.outreach import campaign, scheduler, worker
from bot.cli.patients import checkin, import_, plan, queue
from bot.cli.pharmacy import pharmacy
from bot.cli.preferences import preferences_command
from bot.cli.priority import adherence, candidates_command
from bot.cli.reports import report
from bot.cli.server import chat, db, serve
from bot.cli.voice import call, phone
from bot.cli.worklist import worklist_command


@click.group(cls=Guarded)
def main() -> None:
    """MedSync: a pharmacy's medication synchronization program over SMS."""


for command in (
    serve,
    db,
    pharmacy,
    import_,
    checkin,
    plan,
    queue,
    chat,
    user_group,
    token_group,
    worker,
    scheduler,
    campaign,
    report,
    call,
    phone,
    catalogs,
    assessments,
    adherence,
    caregiver,
    preferences_command,
    household,
    worklist_command,
    audit_group,
):
    main.add_command(command)
pharmacy.add_command(pharmacy_languages)
pharmacy.add_command(pharmacy_questions)
campaign.add_command(candidates_command)
