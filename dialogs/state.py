"""A conversation's state between turns: versioned JSON, so a deploy never strands a dialog.

Like goflow's flow migrations: every stored state carries `version`; `load` upgrades old
shapes step by step before the engine sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

VERSION = 1


@dataclass(frozen=True)
class State:
    # Which dialog is waiting for an answer, and at which step ("question id").
    dialog: str | None = None
    step: str | None = None
    # Unclear answers to the current step so far (re-asked once, then staff are asked to call).
    retries: int = 0
    # The patient this conversation is about (a phone can belong to several patients).
    subject: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def at(self, step: str | None, **data: Any) -> State:
        """Move to another step of the same dialog, with fresh retries and merged data (what
        the patient wrote to the step just answered is left behind)."""
        kept = {k: v for k, v in self.data.items() if k != "unclear_wrote"}
        return replace(self, step=step, retries=0, data={**kept, **data})

    def idle(self) -> State:
        """No dialog is waiting for an answer."""
        return State(subject=self.subject)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "dialog": self.dialog,
            "step": self.step,
            "retries": self.retries,
            "subject": self.subject,
            "data": dict(self.data),
        }


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    # 0 -> 1: the unversioned shape of early development had no "subject".
    0: lambda old: {**old, "subject": old.get("subject"), "version": 1},
}


def load(raw: Mapping[str, Any] | None) -> State:
    if not raw:
        return State()
    doc = dict(raw)
    version = int(doc.get("version", 0))
    while version < VERSION:
        doc = UPGRADES[version](doc)
        version = int(doc["version"])
    return State(
        dialog=doc.get("dialog"),
        step=doc.get("step"),
        retries=int(doc.get("retries", 0)),
        subject=doc.get("subject"),
        data=dict(doc.get("data") or {}),
    )
