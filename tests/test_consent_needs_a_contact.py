"""A consent to share the resident's contact is recorded only where the need holds a contact (a name, a phone
or an address): the page shows no form to record a consent to share nothing, and the API and the page refuse
it (409 ``consent_no_contact``) without writing a row; a need with a contact keeps its form."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.accounts.models import Role
from marketplace.needs.models import NeedConsent, NeedStatus
from marketplace.settings import Settings
from tests import factories
from tests.needs_helpers import token_for
from tests.security_helpers import make_grid, make_user, post_form, reading, sign_in_as


def _admin(session: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(session, make_user(session, Role.ADMIN), ['needs:write'])}"}


NO_CONTACT = {"beneficiary_name": None, "beneficiary_phone": None, "beneficiary_address": None}


@pytest.mark.parametrize("status", [NeedStatus.PUBLISHED, NeedStatus.COMPLETED])
def test_a_need_without_a_contact_has_no_consent_to_record(
    client: TestClient[Any], session: Session, settings: Settings, status: NeedStatus
) -> None:
    need = factories.make_need(session, make_grid(session), status, **NO_CONTACT)
    session.commit()
    refused = client.post(f"/api/v1/needs/{need.id}/consent", json={"method": "oral"}, headers=_admin(session))
    assert refused.status_code == 409, refused.text
    assert [(p["key"], p["code"]) for p in refused.json()["extra"]] == [("consent", "consent_no_contact")]

    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/needs/{need.id}").text
    assert 'id="consent-no-contact"' in page and "无需记录同意" in page
    assert f'action="/needs/{need.id}/consent"' not in page
    sent = post_form(client, settings, f"/needs/{need.id}/consent", {"method": "oral"})  # an old tab
    assert sent.status_code == 409 and "无需记录同意" in sent.text
    with reading(session) as fresh:
        assert fresh.exec(select(NeedConsent).where(NeedConsent.need_id == need.id)).all() == []


def test_a_need_with_only_a_phone_keeps_its_form(client: TestClient[Any], session: Session) -> None:
    need = factories.make_need(
        session, make_grid(session), NeedStatus.PUBLISHED, beneficiary_name=None, beneficiary_address=None
    )
    session.commit()
    made = client.post(f"/api/v1/needs/{need.id}/consent", json={"method": "oral"}, headers=_admin(session))
    assert made.status_code in (200, 201), made.text
