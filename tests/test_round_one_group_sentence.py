"""A round's page says how its shifts were planned in words that fit the count: one group is "planned as a
whole", not "fell into 1 independent group, each planned on its own" (read on a newcomer's walk)."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.rounds.models import MatchRound, RoundStatus
from tests.security_helpers import sign_in_as


def _finished(session: Session, components: int, largest: int) -> int:
    now = utcnow()
    row = MatchRound(
        status=RoundStatus.FINISHED,
        started_at=now,
        finished_at=now,
        seconds={"loading": 0.5, "shift_allocation": 1.25, "components": components, "largest_component": largest},
    )
    session.add(row)
    session.commit()
    return row.id or 0


@pytest.mark.parametrize(
    ("lang", "components", "largest", "said", "not_said"),
    [
        ("en", 1, 42, "The shifts formed one group, planned as a whole, of 42 candidate pairs.", "independent group"),
        ("zh_CN", 1, 42, "班次同属一组，整体求解，共42个候选配对。", "逐组求解"),
        ("en", 3, 42, "The shifts fell into 3 independent groups, each planned on its own", "planned as a whole"),
        ("zh_CN", 3, 42, "班次分成3个互不影响的组，逐组求解", "整体求解"),
    ],
)
def test_the_groups_sentence_fits_the_count(
    client: TestClient[Any], session: Session, lang: str, components: int, largest: int, said: str, not_said: str
) -> None:
    round_id = _finished(session, components, largest)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", lang)
    page = client.get(f"/rounds/{round_id}")
    assert page.status_code == 200, page.text
    assert said in page.text and not_said not in page.text
