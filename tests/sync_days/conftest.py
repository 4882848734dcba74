"""The inbox's seeded database (the demo pharmacy and sample export) for these tests."""

from tests.inbox.conftest import cheap_hashes, cli, inbox  # noqa: F401
