"""A partner whose recommended projects are empty is shown the way forward that fits their organization.

Walking as a newly approved partner with no offer yet, /recommended said "Publish an offer, or look at the
project board" but linked only to the board: the offer form was nowhere on the page. A partner whose
organization still waits for the street's review (the page is reachable by address) was told to publish an
offer, which they may not do yet; they now read why there is nothing and are led to their organization.
Since the eighth probe that reading is the standing refusal (403) every partner-only page gives."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.organizations.models import OrganizationStatus
from tests.security_helpers import make_org, sign_in_as


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_an_approved_partner_without_suggestions_is_led_to_the_offer_form(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    sign_in_as(client, session, Role.PARTNER)
    client.cookies.set("lang", lang)
    page = client.get("/recommended")
    assert page.status_code == 200
    empty = page.text.split('class="review-empty"', 1)[1].split("</p>", 1)[0]
    assert 'href="/offers/new"' in empty
    assert 'href="/"' in empty


# What the standing refusal says for each status, in each language: why there is nothing (the heading) and
# what the partner waits for (approval; the street's reason for a suspension).
WHY = {
    (OrganizationStatus.PENDING, "en"): ["Your organization is awaiting approval", "Once it is approved"],
    (OrganizationStatus.PENDING, "zh_CN"): ["贵单位正在等待审核", "审核通过后"],
    (OrganizationStatus.SUSPENDED, "en"): ["Your organization is suspended", "资料不全"],
    (OrganizationStatus.SUSPENDED, "zh_CN"): ["贵单位已被暂停", "资料不全"],
}


@pytest.mark.parametrize("status", [OrganizationStatus.PENDING, OrganizationStatus.SUSPENDED])
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_partner_not_yet_approved_is_not_told_to_publish_an_offer(
    client: TestClient[Any], session: Session, lang: str, status: OrganizationStatus
) -> None:
    """Since the eighth probe (docs/SECURITY.md) /recommended gives such a partner the standing refusal, a 403:
    it still says why there is nothing and leads to their organization, and never to the offer form."""
    org = make_org(session, status)
    session.commit()
    sign_in_as(client, session, Role.PARTNER, organization_id=org.id)
    client.cookies.set("lang", lang)
    page = client.get("/recommended")
    assert page.status_code == 403
    why = page.text.split('class="error-page organization-standing"', 1)[1].split("</section>", 1)[0]
    assert 'href="/offers/new"' not in page.text.split("<main", 1)[1]
    assert 'href="/organization"' in why
    assert "Publish an offer" not in why and ">发布资源<" not in why
    for words in WHY[status, lang]:
        assert words in why
    assert org.name in why
