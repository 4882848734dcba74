"""Realistic replies that need the reader of issue 15 (dialogs/reading.py, on branch
work-reader), over the signed webhook: each is recorded with the value the SAFETY RULE
gives it (docs/UNDERSTANDING.md) and with the patient's own words, and the pharmacist sees
both ("Yes — wrote: 'No overnight stay but I did go to the ER Saturday'").

- A no joined to content on the question's own topic is the flagged value, never the clear
  one: an ER visit for the hospital question, a dose or a doctor's change for the changes
  question, any missed dose for the adherence question.
- "No, but I need test strips" at "anything else?" is a message that reaches the pharmacist;
  "I'm good" and "that's all" are a no.
- A reply that only begins with the language's no-word ("no sé": I don't know) is never the
  clear value.

These fail on main until the reader is merged; the integrator runs them after the merge.
The replies read right today are in test_webhook_words.py.
"""

from __future__ import annotations

import pytest

from tests.understanding.webhook_harness import NOT_CLEAR, Desk, Sample, check, desk_fixture  # noqa: F401

NEEDS_THE_READER = [
    # typos and slang at the invitation
    Sample("invitation", "en", "yse", "yes"),
    Sample("invitation", "es", "siii", "yes"),
    # the hospital question: a no joined to an ER visit is a yes
    Sample("hospital", "en", "No overnight stay but I did go to the ER Saturday", "yes"),
    Sample("hospital", "es", "no pero fui a urgencias el sábado", "yes"),
    Sample("hospital", "en", "I was in the hospital last week for my heart", "yes"),
    Sample("hospital", "en", "they admitted me for pneumonia 2 wks ago", "yes"),
    Sample("hospital", "es", "me internaron una semana por neumonía", "yes"),
    Sample("hospital", "en", "I did", "yes"),
    Sample("hospital", "en", "i did not", "no"),
    Sample("hospital", "en", "haven't been to the hospital", "no"),
    Sample("hospital", "en", "not that I know of", "no"),
    Sample("hospital", "en", "\N{THUMBS DOWN SIGN}", "no"),
    Sample("hospital", "es", "no sé", NOT_CLEAR),
    # the changes question: a no joined to a dose or a doctor's change is a yes
    Sample("changes", "en", "No new meds but the dr changed my metformin dose", "yes"),
    Sample("changes", "es", "no, pero el doctor me cambió la dosis de metformina", "yes"),
    Sample("changes", "en", "They changed my lisinopril to 20mg", "yes"),
    # missed doses: any missed, forgotten or skipped dose is a yes; none is a no
    Sample("missed_doses", "en", "Not really, maybe one", "yes"),
    Sample("missed_doses", "en", "missed 2 or 3", "yes"),
    Sample("missed_doses", "en", "forgot a couple times", "yes"),
    Sample("missed_doses", "en", "only once", "yes"),
    Sample("missed_doses", "es", "se me olvidó dos veces", "yes"),
    Sample("missed_doses", "en", "0", "no"),
    Sample("missed_doses", "en", "haven't missed any", "no"),
    # anything else: content reaches the pharmacist, even after a no; "I'm good" is a no
    Sample("anything_else", "en", "No but I need more test strips",
           "No but I need more test strips"),
    Sample("anything_else", "es", "no, pero necesito más tiras reactivas",
           "no, pero necesito más tiras reactivas"),
    Sample("anything_else", "en", "I'm good", "no"),
    Sample("anything_else", "en", "that's all", "no"),
    Sample("anything_else", "es", "todo bien, gracias", "no"),
]  # fmt: skip


@pytest.mark.parametrize("sample", NEEDS_THE_READER, ids=lambda s: s.id)
def test_realistic_replies_are_read_to_the_safety_rule(desk: Desk, sample: Sample) -> None:
    check(desk, sample)
