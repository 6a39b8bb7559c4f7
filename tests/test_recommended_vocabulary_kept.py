"""A volunteer's suggestions no longer fit their text vocabulary at every visit: the vocabulary fitted on a
visit's texts (the open shifts' and the volunteer's) is kept and used again by the next visit bringing the same
texts (``recommend.for_me._text_space``), with the same suggestions to the last bit; a new shift's text makes a
new one."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.recommend import for_me
from matching import text as matching_text
from tests import matches_factories as mf
from tests.security_helpers import default_street, make_community, make_grid, sign_in_as
from tests.test_recommendations_api import _profile_for


def _fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = matching_text.TextSpace.__init__

    def counted(self: Any, corpus: Any) -> None:
        calls.append(len(corpus))
        real(self, corpus)

    monkeypatch.setattr(matching_text.TextSpace, "__init__", counted)
    return calls


def _shown(suggestions: list[for_me.Suggestion]) -> list[tuple[Any, ...]]:
    return [(s.need.id, s.shift.id if s.shift else None, s.score, s.reasons) for s in suggestions]


def test_the_vocabulary_is_fitted_once_for_the_same_texts_and_again_for_new_ones(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(for_me, "_spaces", type(for_me._spaces)())
    grid = make_grid(session, make_community(session, default_street(session)))
    for title in ("楼道清扫", "助老陪护", "义诊值守"):
        mf.shift(session, mf.project(session, grid, title=title), slots=3, title=f"{title}岗位")
    profile_id = _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), grid, [])
    fits = _fits(monkeypatch)

    first = for_me.tasks_for_volunteer(session, profile_id)
    assert first and len(fits) == 1
    again = for_me.tasks_for_volunteer(session, profile_id)
    assert len(fits) == 1  # kept: not fitted again
    assert _shown(again) == _shown(first)

    # Fitted at every visit (nothing kept): the same suggestions, to the last bit.
    monkeypatch.setattr(for_me, "_spaces", type(for_me._spaces)())
    assert _shown(for_me.tasks_for_volunteer(session, profile_id)) == _shown(first)
    assert len(fits) == 2

    mf.shift(session, mf.project(session, grid, title="垃圾分类宣传"), slots=2, title="宣传岗位")
    newer = for_me.tasks_for_volunteer(session, profile_id)
    assert len(fits) == 3 and len(newer) == len(first) + 1  # a new text: a new vocabulary


def test_the_page_shows_the_same_suggestions_on_a_second_visit(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(for_me, "_spaces", type(for_me._spaces)())
    grid = make_grid(session, make_community(session, default_street(session)))
    need = mf.project(session, grid, title="楼道清扫")
    mf.shift(session, need, slots=3, title="清扫岗位")
    _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), grid, [])
    fits = _fits(monkeypatch)
    pages = [client.get("/recommended") for _ in range(2)]
    assert all(page.status_code == 200 for page in pages)
    assert f'href="/projects/{need.id}/take-part"' in pages[0].text and len(fits) == 1
