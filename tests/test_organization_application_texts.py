"""The organization's application reads right in both languages: the admin correcting it reads "What the
organization can offer" (the applicant reads "What your organization can offer"), and a reason follows its
label as the language writes it (理由：资料不全, Reason: 资料不全; a change list's 名称：…), never a half-width
space after a Chinese colon."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.orgs_helpers import sign_in
from tests.security_helpers import make_user
from tests.test_organization_resubmit import rejected_org_with_manager


def _page(client: TestClient[Any], path: str, lang: str) -> str:
    client.cookies.set("lang", lang)
    page = client.get(path)
    assert page.status_code == 200, page.text[-2000:]
    return page.text


def test_the_admin_correcting_an_application_reads_about_the_organization(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    org_id, _manager, _grids = rejected_org_with_manager(session)
    admin = make_user(session, Role.ADMIN)
    session.commit()
    sign_in(client, session, admin, settings)
    english = _page(client, f"/admin/organizations/{org_id}/application", "en")
    assert "What the organization can offer" in english and "What your organization can offer" not in english
    chinese = _page(client, f"/admin/organizations/{org_id}/application", "zh_CN")
    assert "可提供的资源和服务" in chinese and "What" not in chinese.split("<main", 1)[-1]


def test_the_applicant_reads_about_their_own_organization_and_the_reason_after_a_colon(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _org_id, manager, _grids = rejected_org_with_manager(session)
    sign_in(client, session, manager, settings)
    assert "What your organization can offer" in _page(client, "/organization/application", "en")
    assert "Reason: 资料不全" in _page(client, "/organization", "en")
    chinese = _page(client, "/organization", "zh_CN")
    assert "理由：资料不全" in chinese and "理由： " not in chinese


def test_the_admins_organization_page_writes_the_reason_after_the_chinese_colon(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    org_id, _manager, _grids = rejected_org_with_manager(session)
    admin = make_user(session, Role.ADMIN)
    session.commit()
    sign_in(client, session, admin, settings)
    chinese = _page(client, f"/admin/organizations/{org_id}", "zh_CN")
    assert "理由：资料不全" in chinese and "理由： " not in chinese
    assert "Reason: 资料不全" in _page(client, f"/admin/organizations/{org_id}", "en")
