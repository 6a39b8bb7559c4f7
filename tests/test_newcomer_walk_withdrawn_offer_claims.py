"""My claims says when a waiting claim comes from an offer the partner withdrew: the street cannot approve it.

Found walking the demo as a partner: after "Withdraw offer" (answered only "The offer was withdrawn."), My claims
still read "Waiting for the street's review. Nothing is reserved yet." under the claims made from that offer, and
a round's proposal from it could still be accepted; the street's approval of either is refused (an approval
reserves from an active offer only). The card now says why and what to do.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, post_form


def test_a_claim_from_a_withdrawn_offer_says_the_street_cannot_approve_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, title="楼道照明改造")
    line = mf.line(session, need, "100")
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="10", title="LED灯泡捐赠")
    made = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"},
        headers=partner.headers,
    )
    assert made.status_code == 201, made.text
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303

    client.cookies.set("lang", "en")
    page = client.get("/claims").text
    assert "Waiting for the street's review. Nothing is reserved yet." in page
    assert "was withdrawn" not in page

    assert post_form(client, settings, f"/offers/{offer.id}/withdraw").status_code == 303
    page = client.get("/claims").text
    assert (
        "Your offer “LED灯泡捐赠” was withdrawn, so the street cannot approve this claim. "
        "Cancel it, or claim again from an active offer."
    ) in page
    assert "Waiting for the street's review" not in page
    client.cookies.set("lang", "zh_CN")
    assert "您的资源“LED灯泡捐赠”已撤回，街道无法批准这项认领。" in client.get("/claims").text
