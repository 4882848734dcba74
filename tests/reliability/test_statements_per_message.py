"""The number of SQL statements one inbound text costs, pinned as an upper bound.

The figures come from tests/bench/statements.py. Lower a bound when the hot path gets cheaper;
a change that needs a higher one should say why in review (ARCHITECTURE.md: a handful of
statements per message; the benchmark issue's goal is 4 or fewer).
"""

from __future__ import annotations

from sqlalchemy import make_url

from tests.bench.statements import per_message

# A phone's first text costs one statement more than later ones (the conversation is created
# after looking for it): later texts are the many, so they got the saving.
AT_MOST = {
    "sqlite": {
        "hi (the offer)": 13,
        "yes": 14,
        "a pickup day": 15,
        "a retried MessageSid": 4,
        "an unknown sender": 13,
    },
    # No BEGIN IMMEDIATE statement: PostgreSQL's transactions begin implicitly.
    "postgresql": {
        "hi (the offer)": 12,
        "yes": 13,
        "a pickup day": 14,
        "a retried MessageSid": 3,
        "an unknown sender": 12,
    },
}


def test_statements_per_inbound_text_do_not_grow(db_url: str) -> None:
    figures = per_message(db_url)
    bounds = AT_MOST[make_url(db_url).get_backend_name()]
    assert figures.keys() == bounds.keys()
    over = {
        label: (figures[label], bounds[label]) for label in bounds if figures[label] > bounds[label]
    }
    assert not over, f"more SQL statements per message than before (found, bound): {over}"
    # A retry is answered from the stored reply, before any dialog work.
    assert figures["a retried MessageSid"] < figures["a pickup day"]
