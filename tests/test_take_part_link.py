"""The public project page leads each visitor to their way of taking part."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import NeedStatus
from tests import matches_factories as mf
from tests.security_helpers import make_org, sign_in_as


def test_each_visitor_is_shown_their_way_in(client: TestClient[Any], session: Session) -> None:
    project = mf.project(session)
    client.cookies.set("lang", "en")
    anonymous = client.get(f"/projects/{project.id}").text
    assert f'href="/login?next=/projects/{project.id}/take-part"' in anonymous
    sign_in_as(client, session, Role.PARTNER, organization_id=make_org(session).id)
    partner = client.get(f"/projects/{project.id}").text
    assert f'href="/projects/{project.id}/take-part"' in partner and "Claim the whole project" in partner
    assert client.get(f"/projects/{project.id}/take-part").status_code == 200
    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    admin = client.get(f"/projects/{project.id}").text
    assert f'href="/needs/{project.id}"' in admin and f'href="/needs/{project.id}/recommendations"' in admin


def test_a_finished_project_offers_no_way_in(client: TestClient[Any], session: Session) -> None:
    done = mf.project(session, status=NeedStatus.VERIFIED)
    page = client.get(f"/projects/{done.id}")
    assert page.status_code == 200 and "take-part" not in page.text
