"""A line the street closed as enough shows what was really provided, on the public project page and in the API.

Found on the second newcomer's walk: a partner delivered 60 m² of an 80 m² line of permeable bricks and the street
closed the rest as enough; the public page then read "80/80 m² provided; the street closed it as enough" with a
full bar, since closing sets still_needed to 0 and the page counted quantity - still_needed as provided. A closed
line now counts its approved and delivered claims.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Need
from tests import matches_factories as mf
from tests.needs_helpers import staff_with_token
from tests.security_helpers import fetch, reading


def _closed_after_a_claim(client: TestClient[Any], session: Session, provided: str) -> Need:
    """A project with a 10-unit line; a partner's approved claim of ``provided``; the street closes the rest."""
    need = mf.project(session, title="楼道照明")
    line = mf.line(session, need, "10")
    from marketplace.places.models import Grid

    with reading(session) as fresh:
        grid = fresh.get(Grid, need.grid_id)
    staff, boss, keeper = staff_with_token(session, grid), mf.admin(session), mf.partner(session)
    offer = mf.offer_of(session, keeper.user, "100")
    made = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": provided},
        headers=keeper.headers,
    )
    assert made.status_code == 201, made.text
    decided = client.post(
        f"/api/v1/matches/{made.json()['id']}/decision", json={"decision": "approve"}, headers=boss.headers
    )
    assert decided.status_code == 200, decided.text
    version = int(fetch(session, Need, need.id).version)
    closed = client.post(
        f"/api/v1/needs/{need.id}/lines/{line.id}/close",
        json={"version": version, "reason": "六盏已够用"},
        headers=staff.headers,
    )
    assert closed.status_code == 200, closed.text
    return need


def test_the_public_page_counts_what_the_claims_brought_to_a_closed_line(
    client: TestClient[Any], session: Session
) -> None:
    need = _closed_after_a_claim(client, session, "6")
    client.cookies.clear()
    client.cookies.set("lang", "en")
    page = client.get(f"/projects/{need.id}").text
    # Approved, not yet delivered: promised, and the bar shows what was delivered (tests/test_promised_not_delivered).
    assert 'max="10.0" value="0.0"' in page
    assert "Closed as enough" in page and "6 " in page and "promised, 0 " in page
    assert "10 of 10" not in page


def test_the_api_names_what_a_closed_line_was_given(client: TestClient[Any], session: Session) -> None:
    need = _closed_after_a_claim(client, session, "6")
    client.cookies.clear()
    [line] = client.get(f"/api/v1/projects/{need.id}").json()["resources"]
    assert (line["closed"], line["still_needed"], line["provided"]) == (True, 0.0, 6.0)
