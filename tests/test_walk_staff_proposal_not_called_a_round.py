"""A proposal a staff member made from a need's recommendations is not called a matching round's on My claims: the
section says "The street proposes your offers for these projects" (街道推荐用您的资源对接以下项目). Found walking the
demo as a new partner whose offer a staff member had just proposed: My claims said "The street's matching round
proposes your offers", though no round had run.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login


def test_my_claims_does_not_call_a_staff_proposal_a_rounds(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, title="楼道照明改造")
    line = mf.line(session, need, "10")
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="10", title="LED灯泡捐赠")
    boss = mf.admin(session)
    body = {"kind": "offers", "part_id": line.id, "candidate_id": offer.id, "shown_rank": 1}
    assert client.post(f"/api/v1/needs/{need.id}/proposals", json=body, headers=boss.headers).status_code == 201
    assert login(client, partner.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")
    english = client.get("/claims").text
    assert "The street proposes your offers for these projects." in english
    assert "matching round" not in english
    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/claims").text
    assert "街道推荐用您的资源对接以下项目。" in chinese and "匹配轮次" not in chinese and "一轮匹配" not in chinese
