"""A volunteer's suggestions rank their open shifts on the few columns ranking reads, and load whole Shift rows only
of the shifts shown.

On the load run's city (``benchmarks/recommended_shift_rows.py``) a visit built some 960-1,700 whole Shift objects,
of which ten are shown; the needs' and shifts' ids were bound into IN lists of up to a thousand ids. The suggestions
stay the same: ids, order, exact scores and reasons.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Shift
from marketplace.recommend import for_me
from tests import matches_factories as mf
from tests.security_helpers import default_street, make_community, make_grid, sign_in_as
from tests.test_recommendations_api import _profile_for

PLACES = ["楼道清扫", "助老陪护", "义诊值守", "垃圾分类", "图书整理", "花坛养护", "社区巡逻", "课后辅导"]


def _volunteer_with_many_shifts(client: TestClient[Any], session: Session) -> int:
    grid = make_grid(session, make_community(session, default_street(session)))
    for number, place in enumerate(PLACES):
        need = mf.project(session, grid, title=place)
        for day in range(3):  # 24 shifts to come
            mf.shift(session, need, slots=2 + day, starts_in_hours=24 + 24 * day + 3 * number, title=f"{place}{day}")
    return _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), grid, [])


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the whole Shift objects the ORM builds from rows read."""
    ids: list[int] = []

    def loaded(_session: Any, instance: Any) -> None:
        if isinstance(instance, Shift):
            ids.append(instance.id)

    event.listen(OrmSession, "loaded_as_persistent", loaded)
    yield ids
    event.remove(OrmSession, "loaded_as_persistent", loaded)


def test_only_the_shifts_shown_are_built_whole(client: TestClient[Any], session: Session, built: list[int]) -> None:
    profile_id = _volunteer_with_many_shifts(client, session)
    session.expunge_all()  # what the test made is not in the session: the ORM builds what it reads
    suggestions = for_me.tasks_for_volunteer(session, profile_id)
    assert len(suggestions) == for_me.SHOWN
    assert sorted(built) == sorted(s.shift.id for s in suggestions if s.shift)  # was all 24

    built.clear()
    session.expunge_all()
    assert len(for_me.tasks_for_volunteer(session, profile_id, limit=3)) == 3  # the home's three
    assert len(built) == 3


def test_the_shifts_shown_are_whole_and_as_ranking_them_on_whole_rows_found(
    client: TestClient[Any], session: Session
) -> None:
    profile_id = _volunteer_with_many_shifts(client, session)
    session.expunge_all()
    suggestions = for_me.tasks_for_volunteer(session, profile_id, limit=100)
    assert len(suggestions) == 24
    for suggestion in suggestions:
        assert isinstance(suggestion.shift, Shift)
        assert suggestion.shift.need_id == suggestion.need.id
        assert suggestion.shift.title.startswith(suggestion.need.title)
        assert suggestion.reasons
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    # The top ten are the first ten of the whole list, the same objects' ids, scores and reasons.
    top = for_me.tasks_for_volunteer(session, profile_id)
    shown = [(s.need.id, s.shift.id if s.shift else None, s.score, s.reasons) for s in top]
    assert shown == [(s.need.id, s.shift.id if s.shift else None, s.score, s.reasons) for s in suggestions[:10]]

    page = client.get("/recommended")
    assert page.status_code == 200
    assert all(f'href="/projects/{s.need.id}/take-part"' in page.text for s in top)


def test_no_statement_binds_the_needs_or_shifts_ids_one_by_one(client: TestClient[Any], session: Session) -> None:
    profile_id = _volunteer_with_many_shifts(client, session)
    shift_ids = set(session.execute(sa.select(Shift.id)).scalars())
    bound: list[int] = []

    def count(_conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        bound.append(sum(1 for value in values if type(value) is int and value in shift_ids))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        suggestions = for_me.tasks_for_volunteer(session, profile_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(suggestions) == for_me.SHOWN
    # Only the ten shown are asked by id (their whole rows); no statement lists the 24 shifts (or 8 needs).
    assert max(bound) <= for_me.SHOWN
