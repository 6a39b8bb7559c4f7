"""Sixth probe: no recommendation offers the offers of an organization not in good standing.

Before: the recommendation index of offers was cached under a signature of the offers' own rows (max id, last
update, last match), which a suspension does not touch: the staff recommendations page and its API kept listing
a suspended organization's offer (first), and in a one-street deployment every offer was ranked whatever its
organization's standing; a member of a suspended, pending or rejected organization signing in again got
"recommended projects" for its offers. Now ``offer_records`` reads only offers of organizations in good standing
(``organizations.standing.in_good_standing``, the rule ``require_approved_organization`` asks), and the index's
signature includes every organization's standing, so a suspension is seen on the next request, however large
the street. Rounds already left such offers out; they now read the same rule.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchSource
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.recommend import services
from marketplace.security.tokens import create_api_token
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user, reading, sign_in_as
from tests.test_round_proposals import _run_round, fresh_indexes  # noqa: F401  (autouse fixture)
from tests.test_staff_proposals import _line_world


def _admin_headers(session: Session) -> dict[str, str]:
    admin = make_user(session, Role.ADMIN)
    secret, _ = create_api_token(
        session, user_id=admin.id or 0, name="probe", scopes=["needs:read"], created_by_id=None
    )
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


NOT_IN_GOOD_STANDING = [OrganizationStatus.SUSPENDED, OrganizationStatus.PENDING, OrganizationStatus.REJECTED]


def _set_status(session: Session, organization_id: int, status: OrganizationStatus) -> None:
    organization = session.get(Organization, organization_id)
    assert organization is not None
    organization.status = status
    organization.status_reason = None if status is OrganizationStatus.PENDING else "投诉核查中"
    session.add(organization)
    session.commit()


def _api_offer_ids(client: TestClient[Any], headers: dict[str, str], need_id: int) -> set[int]:
    answer = client.get(f"/api/v1/needs/{need_id}/recommendations?kind=offers", headers=headers)
    assert answer.status_code == 200, answer.text
    return {candidate["id"] for part in answer.json()["parts"] for candidate in part["candidates"]}


@pytest.mark.parametrize("status", NOT_IN_GOOD_STANDING)
def test_staff_page_and_api_drop_the_offer_at_once(
    client: TestClient[Any], session: Session, status: OrganizationStatus
) -> None:
    services.forget()
    need, _line, fitting, _lamps, _partner = _line_world(session)
    headers = _admin_headers(session)
    # Cached first, as on a live server: the index holds the offer while its organization is approved.
    assert fitting.id in _api_offer_ids(client, headers, need.id or 0)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    assert f'name="candidate_id" value="{fitting.id}"' in client.get(f"/needs/{need.id}/recommendations").text

    _set_status(session, fitting.organization_id, status)
    page = client.get(f"/needs/{need.id}/recommendations?kind=offers")
    assert page.status_code == 200
    assert "绿帆建材" not in page.text and "No active offer fits this line yet." in page.text
    client.cookies.clear()
    assert fitting.id not in _api_offer_ids(client, headers, need.id or 0)

    # Reinstated: offered again on the next request.
    _set_status(session, fitting.organization_id, OrganizationStatus.APPROVED)
    assert fitting.id in _api_offer_ids(client, headers, need.id or 0)


def test_a_large_streets_index_is_not_served_stale_after_a_suspension(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A street of ``SYNC_LIMIT`` candidates or more keeps serving its index while it rebuilds in the background;
    a change of standing is not waited out that way."""
    monkeypatch.setattr(services, "SYNC_LIMIT", 1)
    monkeypatch.setattr(services, "REBUILD_INTERVAL", 3600.0)
    services.forget()
    need, _line, fitting, _lamps, _partner = _line_world(session)
    headers = _admin_headers(session)
    assert fitting.id in _api_offer_ids(client, headers, need.id or 0)
    _set_status(session, fitting.organization_id, OrganizationStatus.SUSPENDED)
    assert fitting.id not in _api_offer_ids(client, headers, need.id or 0)


def test_a_round_never_proposes_it(session: Session, session_factory: sessionmaker[Session]) -> None:
    services.forget()
    _need, line, fitting, _lamps, _partner = _line_world(session)
    _set_status(session, fitting.organization_id, OrganizationStatus.SUSPENDED)
    _run_round(session_factory)
    with reading(session) as db:
        offered = set(
            db.execute(
                sa.select(Match.offer_id).where(
                    Match.source == MatchSource.MATCHING_ROUND, Match.resource_line_id == line.id
                )
            ).scalars()
        )
    assert fitting.id not in offered


@pytest.mark.parametrize("status", NOT_IN_GOOD_STANDING)
def test_the_members_recommended_projects_are_empty(
    client: TestClient[Any], session: Session, status: OrganizationStatus
) -> None:
    services.forget()
    need, _line, fitting, _lamps, partner = _line_world(session)
    assert login(client, partner.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    assert need.title in client.get("/recommended").text
    _set_status(session, fitting.organization_id, status)
    page = client.get("/recommended")
    # Since the eighth probe: the standing refusal (403), which says why and lists no project.
    assert page.status_code == 403 and need.title not in page.text
    why = page.text.split('class="error-page organization-standing"', 1)[1].split("</section>", 1)[0]
    headline = {
        OrganizationStatus.PENDING: "Your organization is awaiting approval",
        OrganizationStatus.SUSPENDED: "Your organization is suspended",
        OrganizationStatus.REJECTED: "Your organization's registration was not approved",
    }[status]
    assert headline in why
    if status is not OrganizationStatus.PENDING:
        assert "投诉核查中" in why  # the street's reason
    assert 'class="recommend-list"' not in page.text and "/claim" not in page.text.split("<main", 1)[1]
