"""Outreach priority: scores, explanations and order on known data, and `--top N` through the
CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.outreach import priority
from bot.outreach.priority import Reason, candidates, score, trips_needed
from store.models import AuditEvent, Enrollment, EnrollmentStatus
from store.outreach import Campaign, CampaignRecipient
from tests.adherence.world import (
    D,
    cli_db,  # noqa: F401 (a fixture)
    enroll,
    every,
    invoke,
    medsync,
    patient,
    pharmacy,
    rx_row,
    session_for,
    write_export,
    write_fills,
)

TODAY = D(2026, 11, 29)
AS_OF = ("--as-of", "2026-11-29")


def test_score_and_explanation() -> None:
    total, reasons = score(4, [("statins", Decimal("62.1"))], 3)
    assert total == 9
    assert "; ".join(map(str, reasons)) == (
        "4 maintenance medicines (+4); statins PDC 62% (+3); 3 separate trips a month (+2)"
    )
    assert score(1, [], 1) == (1, (Reason("1 maintenance medicine", 1),))
    total, reasons = score(2, [("statins", Decimal("79.5")), ("RAS antagonists", Decimal("40"))], 2)
    assert total == 2 + 3 + 3 + 1
    assert [r.text for r in reasons][1:3] == ["statins PDC 79%", "RAS antagonists PDC 40%"]
    assert priority.WEIGHT_PER_LOW_PDC_CLASS == 3  # the documented weights


def test_trips_count_distinct_due_dates_in_the_next_30_days() -> None:
    due = [D(2026, 11, 19), D(2026, 11, 25), D(2026, 12, 3), D(2026, 12, 3), D(2026, 12, 28)]
    assert trips_needed(due, TODAY) == 3  # overdue ones are one trip today; Dec 3; Dec 28
    assert trips_needed([D(2026, 12, 29)], TODAY) == 0  # day 31 is outside the window
    assert trips_needed([], TODAY) == 0


@pytest.fixture
def world(cli_db: str, tmp_path: Path) -> str:  # noqa: F811
    def three(pid: str, n: int) -> list[dict[str, str]]:
        return [
            rx_row(pid, n, f"RX{n}1", "Levothyroxine 50 mcg tablet", D(2026, 11, 15)),
            rx_row(pid, n, f"RX{n}2", "Omeprazole 20 mg capsule", D(2026, 11, 15)),
            rx_row(pid, n, f"RX{n}3", "Sertraline 50 mg tablet", D(2026, 11, 15)),
        ]

    rows = [
        # P1: four maintenance medicines due Dec 7, Dec 3, Nov 19 (overdue) and Dec 7.
        rx_row("P1", 1, "RX11", "Atorvastatin 40 mg tablet", D(2026, 11, 7)),
        rx_row("P1", 1, "RX12", "Lisinopril 10 mg tablet", D(2026, 11, 3)),
        rx_row("P1", 1, "RX13", "Metformin 500 mg tablet", D(2026, 10, 20)),
        rx_row("P1", 1, "RX14", "Amlodipine 5 mg tablet", D(2026, 11, 7)),
        # P2: two, one due Dec 21, the other (90 days) Dec 30, outside the 30 days.
        rx_row("P2", 2, "RX21", "Simvastatin 20 mg tablet", D(2026, 11, 21)),
        rx_row("P2", 2, "RX22", "Losartan 50 mg tablet", D(2026, 10, 1), 90),
        # P3 and P4: three due the same day, and an acute course that does not count.
        *three("P3", 3),
        rx_row("P3", 3, "RX34", "Amoxicillin 500 mg capsule", D(2026, 11, 20), 10, False),
        *three("P4", 4),
        # Not candidates: opted out, enrolled, one medicine only, declined recently.
        *three("X5", 5),
        *three("X6", 6),
        rx_row("X7", 7, "RX71", "Atorvastatin 40 mg tablet", D(2026, 11, 1)),
        *three("X8", 8),
    ]
    fills = [
        # P1's statin from Jun 1 to Nov 29 (182 days): Jun 1-30, Jul 25 - Aug 23,
        # Sep 20 - Oct 19, Nov 7-29 = 30 + 30 + 30 + 23 = 113 days = 62.1%.
        *(("P1", "RX11", d, 30) for d in (D(2026, 6, 1), D(2026, 7, 25), D(2026, 9, 20))),
        ("P1", "RX11", D(2026, 11, 7), 30),
        # P2's statin every 30 days from May 25: 100%.
        *(("P2", "RX21", d, 30) for d in every(D(2026, 5, 25), 30, 7)),
        # X7's only medicine, badly taken: still not eligible.
        *(("X7", "RX71", d, 30) for d in every(D(2026, 3, 1), 30, 4, step=60)),
    ]
    medsync("import", str(write_export(tmp_path / "export.csv", rows)))
    medsync("import", str(write_fills(tmp_path / "fills.csv", fills)))
    with session_for(cli_db) as session:
        patient(session, "X5").opted_out = True
        enroll(session, "X6", dt.datetime(2026, 10, 1, 15, tzinfo=dt.UTC))
        session.add(
            Enrollment(
                patient_id=patient(session, "X8").id,
                status=EnrollmentStatus.DECLINED,
                declined_until=D(2027, 3, 1),
                updated_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
            )
        )
    return cli_db


EXPECTED = [
    "4 candidates for an invitation, as of Nov 29, 2026:",
    "1. P1 Pat1 Test: score 9: 4 maintenance medicines (+4); statins PDC 62% (+3); "
    "3 separate trips a month (+2)",
    "2. P3 Pat3 Test: score 3: 3 maintenance medicines (+3)",
    "3. P4 Pat4 Test: score 3: 3 maintenance medicines (+3)",
    "4. P2 Pat2 Test: score 2: 2 maintenance medicines (+2)",
]


def test_candidates_in_order_with_reasons(world: str) -> None:
    with session_for(world) as session:
        found = candidates(session, pharmacy(session), TODAY)
        assert [(c.external_id, c.score) for c in found] == [
            ("P1", 9), ("P3", 3), ("P4", 3), ("P2", 2),
        ]  # fmt: skip
        assert found[0].explanation == (
            "4 maintenance medicines (+4); statins PDC 62% (+3); 3 separate trips a month (+2)"
        )
        assert [c.external_id for c in candidates(session, pharmacy(session), TODAY, 2)] == [
            "P1",
            "P3",
        ]
    assert medsync("campaign", "candidates", *AS_OF).splitlines() == EXPECTED
    assert medsync("campaign", "candidates", "--top", "1", *AS_OF).splitlines() == [
        "1 candidate for an invitation, as of Nov 29, 2026:",
        EXPECTED[1],
    ]


def test_a_campaign_for_the_top_n(world: str, tmp_path: Path) -> None:
    created = medsync("campaign", "create", "Top two", "--top", "2", *AS_OF)
    assert "Campaign 'Top two' created: 2 to invite, 0 on landlines" in created
    with session_for(world) as session:
        chosen = session.scalars(
            select(CampaignRecipient.patient_id).order_by(CampaignRecipient.patient_id)
        ).all()
        assert chosen == sorted([patient(session, "P1").id, patient(session, "P3").id])
        campaign = session.scalars(select(Campaign)).one()
        assert campaign.audience == "the top 2 candidates by priority on 2026-11-29"
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "campaign_create")
        ).one()
        assert audit.after is not None and audit.after["audience"] == campaign.audience
        assert audit.actor.startswith("cli")
    # Patients waiting in a campaign are no longer candidates, until it is cancelled.
    assert medsync("campaign", "candidates", *AS_OF).splitlines()[1:] == [
        "1. P4 Pat4 Test: score 3: 3 maintenance medicines (+3)",
        "2. P2 Pat2 Test: score 2: 2 maintenance medicines (+2)",
    ]
    medsync("campaign", "cancel", "Top two")
    assert medsync("campaign", "candidates", *AS_OF).splitlines() == EXPECTED

    ids = tmp_path / "ids.csv"
    ids.write_text("P1\n", encoding="utf-8")
    both = invoke("campaign", "create", "X", "--top", "2", "--patients", str(ids))
    assert both.exit_code == 1 and "either --patients or --top" in both.output
    lonely = invoke("campaign", "create", "X", *AS_OF)
    assert lonely.exit_code == 1 and "give --top too" in lonely.output
    zero = invoke("campaign", "create", "X", "--top", "0")
    assert zero.exit_code == 2 and "Traceback" not in zero.output


def test_nobody_to_invite(cli_db: str, tmp_path: Path) -> None:  # noqa: F811
    rows = [rx_row("X7", 7, "RX71", "Atorvastatin 40 mg tablet", D(2026, 11, 1))]
    medsync("import", str(write_export(tmp_path / "export.csv", rows)))
    assert "No patients to invite" in medsync("campaign", "candidates")
    refused = invoke("campaign", "create", "Empty", "--top", "5")
    assert refused.exit_code == 1 and "No patients to invite" in refused.output
    with session_for(cli_db) as session:
        assert session.scalars(select(Campaign)).all() == []


def test_mail_order_and_340b_flags_score_and_explain() -> None:
    total, reasons = score(3, [], 1, mail_order=2, program_340b=1)
    assert total == 3 + priority.WEIGHT_MAIL_ORDER + priority.WEIGHT_340B == 6
    assert "; ".join(map(str, reasons)) == (
        "3 maintenance medicines (+3); 2 medicines by mail order (+2); 1 340B medicine (+1)"
    )


def test_export_flags_raise_a_candidate_through_the_cli(world: str, tmp_path: Path) -> None:
    def flagged(row: dict[str, str], **flags: str) -> dict[str, str]:
        return {**row, **flags}

    rows = [
        flagged(rx_row("P4", 4, "RX41", "Levothyroxine 50 mcg tablet", D(2026, 11, 15)),
                mail_order="Y"),
        flagged(rx_row("P4", 4, "RX42", "Omeprazole 20 mg capsule", D(2026, 11, 15)),
                program_340b="y"),
        rx_row("P4", 4, "RX43", "Sertraline 50 mg tablet", D(2026, 11, 15)),
        # An acute course by mail order is not in the program: it does not count.
        flagged(rx_row("P4", 4, "RX44", "Amoxicillin 500 mg capsule", D(2026, 11, 20), 10, False),
                mail_order="Y"),
        # A bad flag is reported for its row, the others are kept.
        flagged(rx_row("P2", 2, "RX21", "Simvastatin 20 mg tablet", D(2026, 11, 21)),
                mail_order="maybe"),
    ]  # fmt: skip
    out = medsync("import", str(write_export(tmp_path / "flags.csv", rows)))
    assert "mail_order" in out and "line 6" in out.lower()
    lines = medsync("campaign", "candidates", *AS_OF).splitlines()
    assert lines[2] == (
        "2. P4 Pat4 Test: score 6: 3 maintenance medicines (+3); 1 medicine by mail order (+2); "
        "1 340B medicine (+1)"
    )
