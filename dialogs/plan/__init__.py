"""The sync-plan arithmetic: pure functions of a patient's prescriptions, settings and today.

See docs/SYNC_PLAN.md for the rules, the defaults and the judgment calls.
"""

from dialogs.plan.day_plan import first_pickup
from dialogs.plan.model import Medication, PayerKind, PlanError, ProgramSettings, SyncLaw
from dialogs.plan.open_days import ALWAYS_OPEN, US_FEDERAL_HOLIDAYS, MovedDate, OpenDays
from dialogs.plan.plan import NotEligible, PlanLine, SyncPlan, build_plan
from dialogs.plan.reconcile import SyncStatus
from dialogs.plan.trips import SyncVisit, Trip, TripFill

__all__ = [
    "ALWAYS_OPEN",
    "US_FEDERAL_HOLIDAYS",
    "Medication",
    "MovedDate",
    "NotEligible",
    "OpenDays",
    "PayerKind",
    "PlanError",
    "PlanLine",
    "ProgramSettings",
    "SyncLaw",
    "SyncPlan",
    "SyncStatus",
    "SyncVisit",
    "Trip",
    "TripFill",
    "build_plan",
    "first_pickup",
]
