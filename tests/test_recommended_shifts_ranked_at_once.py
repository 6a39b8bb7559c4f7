"""A volunteer's ``/recommended`` scores their open shifts at every time in one ranking call.

``VolunteerIndex.rank_many`` groups shifts by their half-hours (and week), and the volunteer is a candidate of a
group or not; one volunteer's index made one ``_rank_chunk`` call per group, some 30-50 for a busy volunteer of the
load run's city (``benchmarks/web_load_reads.py``), about a third of the page. Groups with the same few candidates
are now scored together (``matching.volunteers._same_candidates``), with the same suggestions to the last bit.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.recommend import for_me
from matching import VolunteerIndex
from tests import matches_factories as mf
from tests.security_helpers import default_street, make_community, make_grid, sign_in_as
from tests.test_matching_volunteers import COMMUNITY_GRIDS, random_street
from tests.test_recommendations_api import _profile_for

PLACES = ["楼道清扫", "助老陪护", "义诊值守", "垃圾分类", "图书整理", "花坛养护", "社区巡逻", "课后辅导"]


def _volunteer_with_shifts_at_many_times(client: TestClient[Any], session: Session) -> int:
    grid = make_grid(session, make_community(session, default_street(session)))
    for number, place in enumerate(PLACES):
        need = mf.project(session, grid, title=place)
        for day in range(2):  # 16 shifts, each at a time of its own
            mf.shift(session, need, slots=3, starts_in_hours=24 + 24 * day + 3 * number, title=f"{place}岗位")
    return _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), grid, [])


def _chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = VolunteerIndex._rank_chunk

    def counted(self: Any, shifts: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(shifts))
        return real(self, shifts, *args, **kwargs)

    monkeypatch.setattr(VolunteerIndex, "_rank_chunk", counted)
    return calls


def _shown(suggestions: list[for_me.Suggestion]) -> list[tuple[Any, ...]]:
    return [(s.need.id, s.shift.id if s.shift else None, s.score, s.reasons) for s in suggestions]


def test_the_shifts_at_every_time_are_ranked_in_one_call(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile_id = _volunteer_with_shifts_at_many_times(client, session)
    calls = _chunks(monkeypatch)
    suggestions = for_me.tasks_for_volunteer(session, profile_id)
    assert len(suggestions) == for_me.SHOWN
    assert calls == [16]  # was 16 calls of one shift each

    calls.clear()
    page = client.get("/recommended")
    assert page.status_code == 200
    assert all(f'href="/projects/{s.need.id}/take-part"' in page.text for s in suggestions)
    assert calls == [16]


def test_ranking_them_together_suggests_what_ranking_each_shift_alone_did(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile_id = _volunteer_with_shifts_at_many_times(client, session)
    together = for_me.tasks_for_volunteer(session, profile_id)

    def one_by_one(self: Any, shifts: Any, k: int = 10, weights: Any = None, **_: Any) -> list[Any]:
        return [self.rank(shift, k, weights) for shift in shifts]

    monkeypatch.setattr(VolunteerIndex, "rank_many", one_by_one)
    alone = for_me.tasks_for_volunteer(session, profile_id)
    assert len(together) == for_me.SHOWN
    assert _shown(together) == _shown(alone)


@pytest.mark.parametrize("seed", range(4))
def test_a_few_volunteers_ranked_against_shifts_at_many_times_get_exactly_their_rank_lists(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library alone: indexes of one to a few volunteers, whose groups of shifts share their candidates (or
    have none), give every shift exactly ``rank()``'s list: candidates, scores to the last bit, reasons."""
    street, shifts = random_street(seed)
    calls = _chunks(monkeypatch)
    for size in (1, 3, 12):
        # One always free (random_street's twins come last), the others drawn: some of them never available.
        people = [street.volunteers[-1 - seed]] + [
            street.volunteers[(seed * 17 + i * 31) % 250] for i in range(size - 1)
        ]
        groups = {1: "care", 2: "care", 3: "repair", 4: "repair", 5: "talk", 40: "talk"}  # as random_street's
        scales = {"elderly_care": 1.0, "sanitation": 5.0}
        index = VolunteerIndex(people, COMMUNITY_GRIDS, street.text_space, skill_groups=groups, proximity_km=scales)
        expected = [index.rank(s, k=5) for s in shifts]
        assert sum(len(found) for found in expected) > 0
        calls.clear()
        assert index.rank_many(shifts, k=5) == expected
        assert index.rank_many(shifts, k=5, chunk_pairs=7) == expected  # merged groups split into blocks too
        assert calls
