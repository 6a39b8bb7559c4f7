"""The learned ranker trains on admins' verdicts only: a proposed claim released because staff changed its need
(the line no longer needs it) is shown to the partner as rejected with the change's reason, but it judged
nothing about the offer, so it is no decision to learn from."""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.db.migrate import downgrade, upgrade
from marketplace.matches.models import Match, MatchStatus
from marketplace.recommend import training
from tests import matches_factories as mf
from tests.security_helpers import fetch, reading
from tests.test_need_changes import _approve, _claim, _line_api, _staff, _version

BEFORE_THE_FLAG = "8b9c0d1e2f3a"  # the revision before match.released_by_change


def _judge_one_release_one(client: TestClient[Any], session: Session, change: str) -> dict[str, Match]:
    """A line of 10 with an approved claim of 4 and two proposed ones: an admin rejects one, then staff lower
    the line to 4 or close it as enough, which releases the other. The three claims as they are then."""
    need = mf.project(session, title="小区道路透水砖")
    line = mf.line(session, need, "10")
    staff, boss = _staff(session, need), mf.admin(session)
    kept_by, judged_by, released_by = mf.partner(session), mf.partner(session), mf.partner(session)
    kept_id = _claim(client, session, kept_by, need, line, "4")
    _approve(client, boss, kept_id)
    judged_id = _claim(client, session, judged_by, need, line, "3")
    released_id = _claim(client, session, released_by, need, line, "5")

    rejected = client.post(
        f"/api/v1/matches/{judged_id}/decision",
        json={"decision": "reject", "reason": "砖的规格不符"},
        headers=boss.headers,
    )
    assert rejected.status_code == 200, rejected.text
    if change == "lowered":  # 10 → 4: the approved claim covers it all, nothing is still needed
        answer = client.patch(
            _line_api(need, line),
            json={"version": _version(session, need.id), "quantity": "4", "reason": "居民自购了一部分"},
            headers=staff.headers,
        )
    else:
        answer = client.post(
            f"{_line_api(need, line)}/close",
            json={"version": _version(session, need.id), "reason": "居民自购了一部分"},
            headers=staff.headers,
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["adjusted"]["claims_released"] == [released_id]
    return {
        name: fetch(session, Match, i)
        for name, i in (("kept", kept_id), ("judged", judged_id), ("released", released_id))
    }


def _training_outcomes(session: Session) -> dict[tuple[int, int], str]:
    with reading(session) as db:
        return {(d.need_part_id, d.candidate_id): d.outcome for d in training.decisions(db, "offers")}


@pytest.mark.parametrize("change", ["lowered", "closed"])
def test_a_claim_released_by_a_need_change_is_not_an_admins_rejection(
    client: TestClient[Any], session: Session, change: str
) -> None:
    claims = _judge_one_release_one(client, session, change)
    kept, judged, released = claims["kept"], claims["judged"], claims["released"]

    # The partner still sees the claim rejected with the change's reason; only the flag tells it apart.
    assert released.status is MatchStatus.REJECTED and released.decision_reason == "居民自购了一部分"
    assert released.released_by_change
    assert judged.status is MatchStatus.REJECTED and not judged.released_by_change

    line_id = released.resource_line_id
    assert _training_outcomes(session) == {
        (line_id, kept.offer_id): "approved",
        (line_id, judged.offer_id): "rejected",
    }


def test_the_migration_flags_claims_released_before_it_from_the_audit_log(
    client: TestClient[Any], session: Session, database_url: str, clean_engine: sa.Engine
) -> None:
    claims = _judge_one_release_one(client, session, "lowered")
    session.close()
    clean_engine.dispose()  # no pooled connection holds the table while its column is dropped and added back
    try:
        downgrade(database_url, BEFORE_THE_FLAG)
    finally:
        upgrade(database_url)
    assert fetch(session, Match, claims["released"].id).released_by_change
    assert not fetch(session, Match, claims["judged"].id).released_by_change
    assert (claims["released"].resource_line_id, claims["released"].offer_id) not in _training_outcomes(session)
