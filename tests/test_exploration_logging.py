"""Exploration is logged: the recommendations mark the explored candidate, a proposal made from that list
stores ``Match.explored``, and training estimates the rank's pull (eta) from the explored decisions once
there are enough. The setting is checked at start."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.schemas import MatchCreate
from marketplace.recommend import services, training
from marketplace.settings import Settings, SettingsError
from tests.factories import add_shift, make_community, make_grid, make_need, make_street, make_volunteer
from tests.security_helpers import sign_in_as
from tests.test_recommendations_api import _need_with_shift, _volunteer

SHARE = 0.5  # the most the setting allows: half the lists have an explored slot


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with exploration on (dataclasses.replace runs the same checks)."""
    return replace(settings, match_exploration=SHARE)


def _propose(session: Session, need_id: int, shift_id: int, candidate: dict[str, Any], rank: int) -> Match:
    """What a client posts for a candidate it picked from the list: the rank it saw and the explored flag."""
    data: dict[str, Any] = {
        "need_id": need_id,
        "kind": "volunteer_shift",
        "shift_id": shift_id,
        "volunteer_id": candidate["id"],
        "shown_rank": rank,
    }
    if candidate["explored"]:
        data["explored"] = True
    match = MatchCreate.model_validate(data).to_row(proposed_by_id=None)
    session.add(match)
    session.commit()
    session.refresh(match)
    return match


def test_a_proposal_from_the_explored_slot_is_stored_explored(client: TestClient[Any], session: Session) -> None:
    services.forget()
    need, skill, grid = _need_with_shift(session)
    _volunteer(session, grid, "王急救", [skill])
    for i in range(4):
        _volunteer(session, grid, f"志愿者{i}", [])
    sign_in_as(client, session, Role.ADMIN)
    url = f"/api/v1/needs/{need.id}/recommendations"
    lists = [client.get(url, params={"kind": "volunteers", "k": 1}).json()["parts"][0] for _ in range(30)]
    explored = [part for part in lists if part["candidates"][0]["explored"]]
    plain = [part for part in lists if not part["candidates"][0]["explored"]]
    assert explored and plain  # the application's setting (0.5) explored some lists and not others
    picked = explored[0]["candidates"][0]
    stored = _propose(session, need.id or 0, explored[0]["part_id"], picked, picked["rank"])
    assert stored.explored is True and stored.shown_rank == 1
    again = session.execute(sa.select(Match.explored).where(Match.id == stored.id)).scalar_one()
    assert again is True


def test_without_exploration_lists_are_as_ranked_and_proposals_are_not_explored(session: Session) -> None:
    services.forget()
    need, skill, grid = _need_with_shift(session)
    first = _volunteer(session, grid, "王急救", [skill])
    for i in range(3):
        _volunteer(session, grid, f"志愿者{i}", [])
    rng = np.random.default_rng(0)
    parts = [services.recommend(session, need, "volunteers", 2, share=0.0, rng=rng)[0] for _ in range(10)]
    assert all(part.explored_slot is None and part.ranked[0].candidate_id == first for part in parts)
    stored = _propose(session, need.id or 0, parts[0].part_id, {"id": first, "explored": False}, 1)
    assert stored.explored is False  # the default, as for every match made any other way


def test_the_setting_is_checked_at_start(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("MARKETPLACE_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("MARKETPLACE_MATCH_EXPLORATION", raising=False)
    assert Settings.from_env().match_exploration == 0.0  # off by default
    monkeypatch.setenv("MARKETPLACE_MATCH_EXPLORATION", "0.1")
    assert Settings.from_env().match_exploration == 0.1
    for wrong in ("lots", "0.9", "-0.1", "nan"):
        monkeypatch.setenv("MARKETPLACE_MATCH_EXPLORATION", wrong)
        with pytest.raises(SettingsError, match="MARKETPLACE_MATCH_EXPLORATION must be a share from 0"):
            Settings.from_env()
    with pytest.raises(SettingsError):
        replace(settings, match_exploration=0.6)  # settings built in code follow the same rule


def test_training_estimates_eta_from_explored_decisions_once_there_are_enough(session: Session) -> None:
    street = make_street(session)
    grid = make_grid(session, make_community(session, street), 1)
    volunteers = [make_volunteer(session, grid) for _ in range(20)]
    when = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    # Explored candidates approved at rank r about 0.8 × r ** -1.5 of the time: attention falls steeply.
    for rank in (1, 2, 3, 4):
        need = make_need(session, grid)
        shift = add_shift(session, need, starts_at=when + timedelta(days=rank))
        approvals = round(20 * 0.8 * rank**-1.5)
        for i, volunteer in enumerate(volunteers):
            status = MatchStatus.APPROVED if i < approvals else MatchStatus.REJECTED
            session.add(
                Match(
                    need_id=need.id or 0,
                    kind=MatchKind.VOLUNTEER_SHIFT,
                    source=MatchSource.STAFF,
                    shift_id=shift.id,
                    volunteer_id=volunteer.id,
                    status=status,
                    decision_reason="不合适" if status == MatchStatus.REJECTED else None,
                    decided_at=when,
                    shown_rank=rank,
                    explored=True,
                )
            )
    session.commit()
    eta, why = training.position_eta(session, "volunteers", minimum=80)
    assert 1.2 <= eta <= 1.8 and "estimated from 80 explored decisions" in why
    assumed, why = training.position_eta(session, "volunteers")  # too few for the default minimum
    assert assumed == 1.0 and "assumed" in why
    assert training.position_eta(session, "offers", minimum=1)[0] == 1.0  # none for offers
