"""The resource list and an offer name the partner in the reader's language.

Found walking the demo in English: the resource list read "Service · 青岛绿帆再生建材有限公司" and an offer's page
was headed by the Chinese name, though the organization has its English name (Qingdao Lvfan Recycled Building
Materials Co., Ltd.), which the organization directory already shows. An organization without one keeps its
Chinese name on English pages.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.organizations.models import Organization
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user

CHINESE = "青岛示范再生建材有限公司"
ENGLISH = "Qingdao Shifan Recycled Building Materials Co., Ltd."


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_offer_pages_name_the_partner_in_the_readers_language(
    client: TestClient[Any], session: Session, locale: str
) -> None:
    keeper = mf.partner(session)
    session.execute(
        sa.update(Organization)
        .where(Organization.id == keeper.user.organization_id)  # type: ignore[arg-type]
        .values(name=CHINESE, name_en=ENGLISH)
    )
    session.commit()
    offer = mf.offer_of(session, keeper.user, title="再生透水砖")
    staff = make_user(session, Role.ADMIN)
    session.commit()
    assert login(client, staff.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", locale)

    shown, hidden = (ENGLISH, CHINESE) if locale == "en" else (CHINESE, ENGLISH)
    for path in ("/offers", f"/offers/{offer.id}"):
        page = client.get(path)
        assert page.status_code == 200, path
        text = page.text.replace("&#39;", "'")
        assert shown in text, path
        assert hidden not in text, path
