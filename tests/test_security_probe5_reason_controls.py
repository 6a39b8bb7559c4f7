"""Fifth probe: a reason typed on a page (cancelling a claim, rejecting in the review queue) follows the one
rule for control characters, direction overrides included.

Before: ``matches/page_forms.py`` kept its own pattern that let U+202E (RIGHT-TO-LEFT OVERRIDE) and the other
embeddings and isolates through, and the review queue's reject form checked none at all: a partner's
cancellation reason or an admin's rejection reason "\u202e..." was stored and turned the text after it around
on the partner's claims, the need's page and in notifications. Both now ask ``validation.has_control_characters``
and answer 400 naming the reason, nothing changed.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches.models import Match, MatchStatus
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, fetch, login, post_form, sign_in_as
from tests.test_review_pages import _line_claims

HOSTILE = ["\u202eredro gnivom", "理由\u2067长", "理由\x01"]


@pytest.mark.parametrize("reason", HOSTILE)
def test_rejecting_in_the_review_queue_refuses_a_reason_with_a_direction_control(
    client: TestClient[Any], session: Session, settings: Settings, reason: str
) -> None:
    ids, _, _ = _line_claims(client, session, 1, "10")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "zh_CN")
    answer = post_form(client, settings, f"/review/{ids[0]}/reject", {"reason": reason})
    assert answer.status_code == 400, answer.text[:300]
    assert "控制字符" in answer.text
    assert fetch(session, Match, ids[0]).status is MatchStatus.PROPOSED
    bulk = post_form(client, settings, "/review/bulk-reject", {"ids": str(ids[0]), "reason": reason})
    assert bulk.status_code == 400
    assert fetch(session, Match, ids[0]).status is MatchStatus.PROPOSED


@pytest.mark.parametrize("reason", HOSTILE[:2])
def test_cancelling_a_claim_on_the_page_refuses_a_reason_with_a_direction_control(
    client: TestClient[Any], session: Session, settings: Settings, reason: str
) -> None:
    ids, _, _ = _line_claims(client, session, 1, "10")
    claimant = fetch(session, User, fetch(session, Match, ids[0]).proposed_by_id)
    assert login(client, claimant.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "zh_CN")
    answer = post_form(client, settings, f"/claims/{ids[0]}/cancel", {"reason": reason})
    assert answer.status_code == 400, answer.text[:300]
    assert "控制字符" in answer.text
    assert fetch(session, Match, ids[0]).status is MatchStatus.PROPOSED
    # An ordinary reason still cancels.
    assert post_form(client, settings, f"/claims/{ids[0]}/cancel", {"reason": "计划有变"}).status_code == 303
