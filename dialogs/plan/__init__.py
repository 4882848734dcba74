"""The sync-plan arithmetic: pure functions of a patient's prescriptions, settings and today.

See docs/SYNC_PLAN.md for the rules, the defaults and the judgment calls.
"""

from dialogs.plan.model import Medication, PlanError, ProgramSettings
from dialogs.plan.plan import NotEligible, PlanLine, SyncPlan, build_plan
from dialogs.plan.reconcile import SyncStatus

__all__ = [
    "Medication",
    "NotEligible",
    "PlanError",
    "PlanLine",
    "ProgramSettings",
    "SyncPlan",
    "SyncStatus",
    "build_plan",
]
