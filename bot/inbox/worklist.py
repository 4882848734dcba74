"""The prep-day worklist page (/inbox/worklist): what to fill on a preparation day at one of the
signed-in person's pharmacies, printable (the print stylesheet drops the menu and forms) and
as CSV; each fill ticked off with a button (recorded and audited: store/worklist.py). Viewing
and exporting are audited too: the list names patients and medicines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bot.inbox.auth import CurrentActor
from bot.inbox.csrf import CsrfChecked
from bot.inbox.languages import NotYours, _pharmacies
from bot.inbox.staff import Actor
from bot.inbox.web import flash, now_of, page, secure, see_other, sessions_of, today_at
from bot.program import worklist as work
from bot.program import worklist_export, worklist_ticks
from store import queries
from store.audit import record
from store.db import transaction

router = APIRouter(include_in_schema=False)


class BadDate(ValueError):
    pass


def _day(raw: str | None, default: dt.date) -> dt.date:
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise BadDate(f"{raw[:20]!r} is not a date: use YYYY-MM-DD.") from None


def _refused(request: Request, actor: Actor, text: str, status_code: int) -> Response:
    return page(
        request,
        "message.html",
        {"title": "Worklist", "staff": actor, "heading": "Worklist", "text": text},
        status_code=status_code,
    )


@router.get("/inbox/worklist")
def worklist_page(
    request: Request, actor: CurrentActor, pharmacy: str | None = None, date: str | None = None
) -> Response:
    try:
        with transaction(sessions_of(request)) as session:
            chosen, mine = _pharmacies(session, actor, pharmacy)
            day = _day(date, today_at(request, chosen.timezone))
            listed = work.worklist(session, chosen, day)
            record(
                session,
                actor.audit_name,
                "view_worklist",
                f"pharmacy:{chosen.id}",
                now_of(request),
                after={"date": day.isoformat()},
                patients=[p.patient_id for d in listed.days for p in d.patients],
            )
            context = {
                "title": f"Worklist {day.isoformat()}",
                "staff": actor,
                "pharmacy": chosen,
                "pharmacies": mine,
                "listed": listed,
                "day": day,
                "previous": day - dt.timedelta(days=1),
                "next": day + dt.timedelta(days=1),
            }
    except NotYours as problem:
        return _refused(request, actor, str(problem), 403)
    except BadDate as problem:
        return _refused(request, actor, str(problem), 400)
    return page(request, "worklist.html", context)


@router.get("/inbox/worklist.csv")
def worklist_csv(
    request: Request, actor: CurrentActor, pharmacy: str | None = None, date: str | None = None
) -> Response:
    try:
        with transaction(sessions_of(request)) as session:
            chosen, _mine = _pharmacies(session, actor, pharmacy)
            day = _day(date, today_at(request, chosen.timezone))
            listed = work.worklist(session, chosen, day)
            text = worklist_export.as_csv(listed)
            record(
                session,
                actor.audit_name,
                "export_worklist",
                f"pharmacy:{chosen.id}",
                now_of(request),
                after={"date": day.isoformat()},
                patients=[p.patient_id for d in listed.days for p in d.patients],
            )
    except (NotYours, BadDate) as problem:
        status = 403 if isinstance(problem, NotYours) else 400
        return secure(Response(str(problem) + "\n", status_code=status, media_type="text/plain"))
    response = Response(text, media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="medsync-worklist-{day.isoformat()}.csv"'
    )
    return secure(response)


@router.post("/inbox/worklist/tick")
def tick_fill(
    request: Request,
    actor: CurrentActor,
    _: CsrfChecked,
    pharmacy: Annotated[str, Form()] = "",
    date: Annotated[str, Form()] = "",
    patient: Annotated[str, Form()] = "",
    rx_number: Annotated[str, Form()] = "",
    undo: Annotated[str, Form()] = "",
) -> Response:
    try:
        with transaction(sessions_of(request)) as session:
            chosen, _mine = _pharmacies(session, actor, pharmacy or "-")
            day = _day(date, today_at(request, chosen.timezone))
            back = f"/inbox/worklist?pharmacy={chosen.id}&date={day.isoformat()}"
            listed = work.worklist(session, chosen, day)
            found = work.on_list(listed, patient, rx_number)
            stored = queries.patient_by_external_id(session, chosen.id, patient)
            if found is None or stored is None:
                raise worklist_ticks.WorklistError("That patient is not on this day's worklist.")
            done = worklist_ticks.tick(
                session,
                chosen,
                stored,
                rx_number,
                found.anchor_date,
                found.pickup_date,
                actor.audit_name,
                now_of(request),
                undo=bool(undo),
                listed={f.rx_number for f in found.fills},
            )
    except NotYours as problem:
        return _refused(request, actor, str(problem), 403)
    except BadDate as problem:
        return _refused(request, actor, str(problem), 400)
    except worklist_ticks.WorklistError as problem:
        said = str(problem)
        if (patient and patient in said) or (rx_number and rx_number in said):
            # The notice rides in the readable session cookie: no patient's or fill's ids.
            said = "That prescription is not this patient's on this worklist."
        flash(request, "error", f"{said} Nothing was ticked.")
        return see_other(back)
    if not done:
        flash(request, "ok", "Nothing changed: that fill was already so.")
    return see_other(f"{back}#patient-{patient}")
