"""A form's action address opened as a page goes to the nearest page above it, not to a 405 error.

Found walking the demo: a refused form (a claim above what is still needed, a line change below what is
held) is shown at its action's address, such as /projects/7/claim. Switching the language there, reloading
it from the address bar or opening it again later asked that address for a page and answered "405 This
request cannot be served". It now leads to the project, the need or the queue above it; the API keeps its
405.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests import matches_factories as mf
from tests.security_helpers import make_grid, sign_in_as


@pytest.mark.parametrize(
    ("action", "page"),
    [
        ("/projects/{need}/claim", "/projects/{need}"),
        ("/needs/{need}/lines/{line}", "/needs/{need}"),
        ("/needs/{need}/publish", "/needs/{need}"),
        ("/review/{line}/reject", "/review"),
        ("/shifts/{line}/sign-up", "/"),
    ],
)
def test_a_form_address_opened_as_a_page_leads_to_the_page_above(
    client: TestClient[Any], session: Session, action: str, page: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="楼道扶手更换")
    line = mf.line(session, need, "8")
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    ids = {"need": need.id, "line": line.id}
    response = client.get(action.format(**ids), follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == page.format(**ids)
    assert client.get(page.format(**ids)).status_code == 200


def test_switching_the_language_on_a_refused_claim_shows_the_project(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, make_grid(session), title="楼道扶手更换")
    session.commit()
    switched = client.get(f"/lang/en?next=/projects/{need.id}/claim")
    assert switched.status_code == 200 and str(switched.url).endswith(f"/projects/{need.id}")
    assert "楼道扶手更换" in switched.text


def test_the_api_still_answers_405(client: TestClient[Any]) -> None:
    response = client.get("/api/v1/offers/import", follow_redirects=False)
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
