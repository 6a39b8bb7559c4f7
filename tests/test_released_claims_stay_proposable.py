"""A claim released because staff changed its need was refused by no one: when the line needs more again, a
matching round may propose that offer for it again, while a pair an admin rejected stays refused."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import MatchKind
from marketplace.rounds.inputs import refused_pairs
from tests.security_helpers import reading
from tests.test_training_ignores_released_claims import _judge_one_release_one


def test_a_released_claims_pair_is_not_refused_but_an_admins_rejection_is(
    client: TestClient[Any], session: Session
) -> None:
    claims = _judge_one_release_one(client, session, "lowered")
    judged, released = claims["judged"], claims["released"]
    with reading(session) as db:
        refused = refused_pairs(db, MatchKind.OFFER_LINE)
    assert (judged.resource_line_id, judged.offer_id) in refused
    assert (released.resource_line_id, released.offer_id) not in refused
