"""The history of decisions on a patient, as the item page and the patient page list it: one
line per audit event, its action in words and the note behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.models import AuditEvent


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    actor: str
    action: str
    subject: str
    note: str


ACTION_WORDS = {
    "approve": "Approved",
    "decline": "Declined",
    "called_patient": "Called the patient",
    "prescription_status": "Prescription status changed",
    "disenroll_missed_cycles": "Disenrolled (missed pickups)",
    "close": "Closed",
    "reply": "Replied by text",
    "edit_anchor_day": "Changed the pickup day",
    "opt_out": "Opted the patient out",
}


def history_lines(events: list[AuditEvent]) -> list[HistoryLine]:
    lines = []
    for event in events:
        after = event.after or {}
        note = ""
        item = after.get("review_item")
        if isinstance(item, dict):
            note = str(item.get("note") or "")
        if event.action == "called_patient":
            note = str(after.get("note") or "")
        if event.action == "prescription_status":  # issue 16: the export or --full
            was = (event.before or {}).get("status")
            note = (
                f"{after.get('rx_number')}: {was} → {after.get('status')} ({after.get('because')})"
            )
        if event.action == "disenroll_missed_cycles":
            note = f"{after.get('missed_in_a_row')} pickups in a row not picked up"
        if event.action == "edit_anchor_day":
            before = (event.before or {}).get("enrollment") or {}
            now = after.get("enrollment") or {}
            note = f"Day {before.get('anchor_day')} → day {now.get('anchor_day')}"
        lines.append(
            HistoryLine(
                event.created_at,
                event.actor,
                ACTION_WORDS.get(event.action, event.action.replace("_", " ")),
                event.subject,
                note,
            )
        )
    return lines
