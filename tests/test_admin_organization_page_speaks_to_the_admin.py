"""The admin's page of an organization describes it in the third person: a newcomer reading it as the admin in
English found "What your organization can offer", the registrant's own wording, above another organization's
description. The Chinese label was neutral already (可提供的资源和服务) and stays so."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.organizations.models import OrganizationStatus
from tests.security_helpers import make_org, sign_in_as


def test_the_admin_reads_what_the_organization_can_offer(client: TestClient[Any], session: Session) -> None:
    organization = make_org(session, OrganizationStatus.PENDING)
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    english = client.get(f"/admin/organizations/{organization.id}")
    assert english.status_code == 200
    assert "What the organization can offer" in english.text and "What your organization" not in english.text
    client.cookies.set("lang", "zh_CN")
    assert "可提供的资源和服务" in client.get(f"/admin/organizations/{organization.id}").text
