"""The one exception of the plan arithmetic."""


class PlanError(ValueError):
    """Bad input to the plan arithmetic; the message is a sentence a pharmacist can act on."""
