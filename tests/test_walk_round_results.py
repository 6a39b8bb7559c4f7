"""A finished matching round's page leads to that round's proposals and says who answers them first.

Found walking the demo as the admin: the round page said "160 proposals are waiting in the review queue"
and its buttons opened the whole queue (270 items, mixed with earlier claims and sign-ups), where every one
of the round's proposals read "the candidate has not accepted this proposal yet". The buttons now filter the
queue to the round (by kind as well), and the page says the partners and volunteers answer first.
"""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches import claims
from marketplace.matches.claims import ClaimRequest
from tests import matches_factories as mf
from tests.busy_street import actor_of
from tests.security_helpers import make_user, sign_in_as
from tests.test_rounds import (
    _finish,
    _start,
    _street,
    fresh_indexes,  # noqa: F401  (fixture)
)


def test_the_round_page_opens_the_queue_on_its_own_proposals(
    client: TestClient[Any], session: Session, settings: Any
) -> None:
    world = _street(session)
    # A partner's claim on another project already waits in the queue before the round.
    partner = make_user(session, Role.PARTNER, organization_id=world["offers"][0].organization_id)
    other = mf.project(session, world["grid"], title="另一个项目")
    claims.claim(session, actor_of(partner), other.id or 0, ClaimRequest("whole"))
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    round_id = _start(client, settings)
    _finish(client, round_id)

    page = client.get(f"/rounds/{round_id}")
    assert page.status_code == 200
    assert "Finished: 4 proposals are waiting in the review queue." in page.text
    assert "Each partner or volunteer first accepts or declines what is proposed to them" in page.text
    links = dict(re.findall(r'<a class="button[^"]*" href="(/review[^"]*)">([^<]+)</a>', page.text))
    assert links == {
        f"/review?round={round_id}": "Open the review queue",
        f"/review?round={round_id}&amp;kind=offer_line": "Resource line claims",
        f"/review?round={round_id}&amp;kind=volunteer_shift": "Volunteer sign-ups",
    }

    whole_queue = client.get("/review")
    assert "5 items pending" in whole_queue.text
    this_round = client.get(f"/review?round={round_id}")
    assert this_round.status_code == 200
    assert "4 items pending" in this_round.text and "另一个项目" not in this_round.text
    lines_of_round = client.get(f"/review?round={round_id}&kind=offer_line")
    assert "2 items pending" in lines_of_round.text

    client.cookies.set("lang", "zh_CN")
    assert "每条建议先由相应的合伙人或志愿者接受或谢绝" in client.get(f"/rounds/{round_id}").text
