"""The need page says what verification waits for by the rule ``verify_need`` applies (one rule, over the rows
the page has read), so the page and the refusal never disagree: while a whole-project claim is approved, its
lines are that claim's to deliver, and the claim not delivered is the one thing said about them."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import NeedStatus
from tests import matches_factories as mf
from tests.security_helpers import make_grid, sign_in_as


def test_an_approved_whole_project_claim_is_what_its_lines_wait_for(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, make_grid(session), NeedStatus.MATCHED, title="修缮凉亭")
    mf.line(session, need, "50")
    partner = mf.partner(session)
    session.add(
        Match(
            kind=MatchKind.WHOLE_NEED,
            source=MatchSource.PARTNER_CLAIM,
            status=MatchStatus.APPROVED,
            need_id=need.id or 0,
            organization_id=partner.user.organization_id,
        )
    )
    session.commit()
    boss = mf.admin(session)
    refused = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 5}, headers=boss.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["extra"]["blockers"] == ["1 approved claim(s) not yet delivered"]

    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}")
    assert page.status_code == 200
    blockers = page.text.split('id="verify-blockers"', 1)[1].split("</ul>", 1)[0]
    assert "1 approved claim is not delivered yet." in blockers
    assert "still needs" not in blockers  # the line is the claim's to deliver, as the refusal says
