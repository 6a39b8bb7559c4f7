"""Fifth probe: staff cannot propose the offer of an organization that is suspended (or not approved).

Before: the recommendations listed a suspended organization's offer (first, on the live demo) and proposing it
from the page or ``POST /api/v1/needs/<id>/proposals`` wrote the proposal (201) and notified the organization,
whose member accepted it; only the admin's approval then refused it. Rounds and claims already leave such
organizations out. Now the proposal is refused, 400 naming ``candidate_id`` (the page says why in the reader's
language), and nothing is written.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.recommend import services
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import post_form, sign_in_as
from tests.test_staff_proposals import _line_world, _matches


def _set_status(session: Session, organization_id: int, status: OrganizationStatus) -> None:
    organization = session.get(Organization, organization_id)
    assert organization is not None
    organization.status = status
    organization.status_reason = "投诉核查中" if status is OrganizationStatus.SUSPENDED else None
    session.add(organization)
    session.commit()


@pytest.mark.parametrize("status", [OrganizationStatus.SUSPENDED, OrganizationStatus.PENDING])
def test_the_api_refuses_an_offer_of_an_organization_not_approved(
    client: TestClient[Any], session: Session, status: OrganizationStatus
) -> None:
    services.forget()
    need, line, fitting, _, _ = _line_world(session)
    _set_status(session, fitting.organization_id, status)
    admin = mf.admin(session)
    answer = client.post(
        f"/api/v1/needs/{need.id}/proposals",
        json={"kind": "offers", "part_id": line.id, "candidate_id": fitting.id},
        headers=admin.headers,
    )
    assert answer.status_code == 400, answer.text
    assert [problem["key"] for problem in answer.json()["extra"]] == ["candidate_id"]
    assert _matches(session) == []


def test_the_page_says_why_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    services.forget()
    need, line, fitting, _, _ = _line_world(session)
    _set_status(session, fitting.organization_id, OrganizationStatus.SUSPENDED)
    sign_in_as(client, session, Role.ADMIN)
    for lang, said in (("en", "suspended or not approved"), ("zh_CN", "已被暂停或尚未通过审核")):
        client.cookies.set("lang", lang)
        body = {"kind": "offers", "part_id": str(line.id), "candidate_id": str(fitting.id), "shown_rank": "1"}
        answer = post_form(client, settings, f"/needs/{need.id}/recommendations/propose", body)
        assert answer.status_code == 400
        assert said in answer.text
    assert _matches(session) == []
