"""The fills benchmark runs end to end on a few rows, so the script does not rot."""

from __future__ import annotations

import pytest

from tests.bench import fills_import


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_fills_benchmark_reports_each_step(database: str, request: pytest.FixtureRequest) -> None:
    if database == "postgresql":
        request.getfixturevalue("postgres_ready")  # the server is up (or the reason why not)
    lines: list[str] = []
    fills_import.main([database, "--fills", "60"], lines.append)
    assert lines[0].startswith("Import of ") and f"fills (3 patients) on {database}" in lines[0]
    first, again, changed, program = lines[1:5]
    assert "0 updated, 0 unchanged" in first and "0 fills created" not in first
    assert "0 fills created, 0 updated" in again
    assert "0 fills created" in changed and "0 unchanged" in changed
    assert "patient-class rows" in program


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_dispensing_benchmark_reports_each_step(
    database: str, request: pytest.FixtureRequest
) -> None:
    from tests.bench import dispensing

    if database == "postgresql":
        request.getfixturevalue("postgres_ready")
    lines: list[str] = []
    dispensing.main([database, "--events", "100", "--fhir", "10"], lines.append)
    assert lines[0].startswith("Import of ") and f"on {database}:" in lines[0]
    first, again, reversed_, fhir = lines[1:5]
    assert "0 seen before (unchanged)" in first and " 0 dispensing events recorded" not in first
    assert "0 fills created, 0 updated" in again and "0 dispensing events recorded" in again
    assert "0 fills created" in reversed_ and "created, 0 updated" not in reversed_
    assert "10 MedicationDispense" in fhir and "Recorded 10 dispensing events" in fhir
