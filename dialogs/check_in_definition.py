"""The default check-in, as a question definition: pharmacies may replace it with their own."""

from dialogs import prompts
from dialogs.assessment import Assessment, Question

DEFAULT_CHECK_IN = Assessment(
    id="check_in",
    version=1,
    questions=(
        Question(
            "hospital",
            "yes_no",
            prompts.Q_HOSPITAL,
            flag="yes",
            flag_reason="hospital stay or ER visit",
            topic="hospital",
        ),
        Question(
            "changes",
            "yes_no",
            prompts.Q_CHANGES,
            flag="yes",
            flag_reason="new condition, new medicine or a doctor's change",
            topic="changes",
        ),
        Question(
            "missed_doses",
            "yes_no",
            prompts.Q_MISSED_DOSES,
            flag="yes",
            flag_reason="missed doses",
            topic="missed_doses",
        ),
        Question(
            "anything_else",
            "text_or_no",
            prompts.Q_ANYTHING_ELSE,
            flag="text",
            flag_reason="wrote something for the pharmacist",
        ),
        Question(
            "still_coming",
            "date_confirm",
            prompts.Q_STILL_COMING,
            flag="change",
            flag_reason="pickup date change",
        ),
    ),
)
