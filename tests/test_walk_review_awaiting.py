"""The review inbox offers Approve only on what an admin can approve: a proposal the candidate has not accepted
yet says it waits for them instead.

Found walking the demo: an admin opening /review for a project saw Approve on every card; on a matching
round's proposal still awaiting the partner's or volunteer's answer the click came back with "The candidate has
not accepted this proposal yet" and nothing else changed.
"""

import re

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.busy_street import finished_round
from tests.security_helpers import sign_in_as
from tests.test_review_inbox import Inbox, inbox  # noqa: F401  (the fixture: a street with pending items)

WAITING = "The candidate has not accepted this proposal yet; it can be approved once they do."


def card_of(page: str, match_id: int) -> str:
    found = re.search(
        rf'<li class="review-card[^"]*" id="item-{match_id}".*?</li>\s*(?=<li class="review-card|</ol>)', page, re.S
    )
    assert found, f"no card for #{match_id}"
    return found.group(0)


def test_a_proposal_awaiting_its_candidate_has_no_approve_button_and_says_why(
    client: TestClient[Litestar],
    session: Session,
    inbox: Inbox,  # noqa: F811
) -> None:
    need = inbox.need(title="楼道照明改造")
    match_round = finished_round(session, inbox.admin.user)
    waiting = inbox.round_proposal(need, match_round.id or 0, accepted=False)
    accepted = inbox.round_proposal(need, match_round.id or 0, accepted=True)

    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get("/review").text

    waiting_card = card_of(page, waiting.id or 0)
    assert f'action="/review/{waiting.id}/approve"' not in waiting_card
    assert WAITING in waiting_card
    assert f'action="/review/{waiting.id}/reject"' in waiting_card  # it can still be turned down

    accepted_card = card_of(page, accepted.id or 0)
    assert f'action="/review/{accepted.id}/approve"' in accepted_card and WAITING not in accepted_card

    client.cookies.set("lang", "zh_CN")
    assert "对方尚未接受该推荐，接受后才能批准。" in card_of(client.get("/review").text, waiting.id or 0)
