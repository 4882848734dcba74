"""Replayed Twilio webhooks answer the same and change nothing (10,000 in the script)."""

from __future__ import annotations

from tests.reliability.replays import replay


def test_replayed_webhooks_answer_the_same_and_change_nothing(db_url: str) -> None:
    before, after, different = replay(db_url, 200)
    assert different == 0
    assert sum(len(rows) for rows in before.values()) > 0
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"replays changed {changed}"
    assert before["message"] and before["consent_event"] and before["review_item"]
