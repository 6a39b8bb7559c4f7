"""A partner's "recommended projects" scores every open line of its streets at once.

Under 50-100 logged-in users (benchmarks/web_load_roles.py) ``/recommended`` was the slowest page a partner
opens: 2.8 s at the median, 8.8 s at p95, and 1.1-1.4 s alone on a street of 569 open lines, because each
line was ranked on its own (one text vectorisation per line: 80% of the page). The lines are now ranked
together (``OfferIndex.rank_many``: one text product for all of them), with the same suggestions.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.recommend import for_me
from matching.offers import OfferIndex
from matching.text import TextSpace
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, make_org, make_user

TITLES = [
    "楼道",
    "屋顶",
    "院墙",
    "车棚",
    "花坛",
    "台阶",
    "围栏",
    "路面",
    "门廊",
    "走廊",
    "广场",
    "凉亭",
    "步道",
    "水池",
]


def _street_of_lines(session: Session) -> tuple[Any, list[int]]:
    grid = make_grid(session)
    organization = make_org(session, name="铺路合伙人")
    partner = make_user(session, Role.PARTNER, organization_id=organization.id)
    mf.offer_of(session, partner, remaining="500", title="透水砖")
    needs = []
    for number, place in enumerate(TITLES):
        need = mf.project(session, grid, title=f"{place}铺设透水砖")
        mf.line(session, need, str(5 + number))
        needs.append(need.id or 0)
    return partner, needs


def test_the_recommended_projects_page_vectorises_the_lines_once_not_once_per_line(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner, needs = _street_of_lines(session)
    calls: list[int] = []
    embed = TextSpace.embed

    def counted(self: TextSpace, texts: Any) -> Any:
        calls.append(len(list(texts)))
        return embed(self, texts)

    monkeypatch.setattr(TextSpace, "embed", counted)
    client.cookies.clear()
    assert login(client, partner.username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = client.get("/recommended")

    assert page.status_code == 200
    shown = [need for need in needs if f'href="/projects/{need}/take-part"' in page.text]
    assert len(shown) == for_me.SHOWN  # 14 open lines, the best 10 shown
    # Building the index vectorises the offer; the 14 lines then go through together (was 15 calls: one a line).
    assert len(calls) <= 3, calls


def test_ranking_the_lines_together_suggests_what_ranking_each_alone_did(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner, _needs = _street_of_lines(session)
    together = for_me.projects_for_partner(session, partner.organization_id)

    def one_by_one(self: Any, lines: Any, now: Any, k: int = 10, weights: Any = None, **_: Any) -> list[Any]:
        return [self.rank(line, now, k, weights) for line in lines]

    monkeypatch.setattr(OfferIndex, "rank_many", one_by_one)
    alone = for_me.projects_for_partner(session, partner.organization_id)

    def seen(suggestions: list[for_me.Suggestion]) -> list[tuple[Any, ...]]:
        return [
            (s.need.id, s.line.id if s.line else None, round(s.score, 9), s.offer_title, s.reasons) for s in suggestions
        ]

    assert len(together) == for_me.SHOWN
    assert seen(together) == seen(alone)
