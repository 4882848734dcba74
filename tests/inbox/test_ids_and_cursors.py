"""Issue 17 finding: "500s on oversized ids: /inbox/items/99999999999999999999, /patients/9999…,
?after= and the API cursor overflow".

Every route with an id in its address is tried, signed in (and with a token for the API),
with ids no row can have: too large for the database's integers, zero, negative, not a
number. Pages answer their 404 page; the API its 422 for an id outside its schema (before any
data is read, as the fuzzing expects); cursors that are not ours 400. Never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from bot.settings import Settings
from bot.web.app import create_app
from bot.web.tokens import create_token
from store.accounts import User
from store.db import transaction
from tests.helpers import NOW
from tests.inbox.conftest import ADA, Inbox, csrf_from

BAD_IDS = ["99999999999999999999", "2147483648", "0", "-1", "abc", "1e3"]


def _routes(routes: list[object]) -> Iterator[APIRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def routes_with_ids() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://", sender="null", secret_key="k" * 32))
    found = []
    for route in _routes(list(app.routes)):
        if "_id}" in route.path:
            for method in sorted(route.methods):
                found.append((method, route.path))
    return found


ROUTES = routes_with_ids()


def test_the_walk_finds_the_routes_with_ids() -> None:
    paths = {path for _, path in ROUTES}
    assert "/inbox/items/{item_id}" in paths and "/patients/{patient_id}" in paths
    assert "/api/v1/review-items/{item_id}" in paths and len(ROUTES) >= 20


def _fill(path: str, value: str) -> str:
    import re

    return re.sub(r"\{\w+_id\}", value, path)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_an_impossible_id_is_not_found_never_a_500(inbox: Inbox, method: str, path: str) -> None:
    client = inbox.sign_in(ADA)
    with transaction(inbox.sessions) as s:
        admin = s.scalars(select(User).where(User.email == ADA)).one()
        bearer = {"Authorization": f"Bearer {create_token(s, admin, 'ids', NOW)[1]}"}
    token = csrf_from(client.get("/inbox").text)
    for value in BAD_IDS:
        url = _fill(path, value)
        if path.startswith("/api/"):
            response = client.request(method, url, headers=bearer, json={"action": "done"})
            assert response.status_code in (404, 422), (url, response.status_code)
        elif method == "POST":
            response = client.post(url, data={"csrf_token": token}, follow_redirects=False)
            assert response.status_code == 404, (url, response.status_code)
        else:
            response = client.get(url, follow_redirects=False)
            assert response.status_code == 404, (url, response.status_code)
        assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "cursor",
    [
        "0_0_1764428400000000_99999999999999999999",
        "0_99999999999999999999_1764428400000000_1",
        "7_0_1764428400000000_1",
        "0_0_99999999999999999999999999_1",
        "1_1_1_1_1",
        "abc",
        "",
    ],
)
def test_a_cursor_we_did_not_make_is_a_400_or_ignored(inbox: Inbox, cursor: str) -> None:
    client = inbox.sign_in(ADA)
    for query in (f"/inbox?after={cursor}", f"/inbox?before={cursor}"):
        response = client.get(query)
        assert response.status_code in (200, 400), (query, response.status_code)
    with transaction(inbox.sessions) as s:
        admin = s.scalars(select(User).where(User.email == ADA)).one()
        bearer = {"Authorization": f"Bearer {create_token(s, admin, 'cursor', NOW)[1]}"}
    response = client.get(f"/api/v1/review-items?cursor={cursor}", headers=bearer)
    assert response.status_code in (200, 400), response.text
