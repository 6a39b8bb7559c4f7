"""The seeded street's round proposals come from recorded rounds: the demo's review queue holds proposals a
round made the day before, so /rounds lists that round (with its figures) instead of saying no round has run,
and each proposal names its round and is dated when the round finished."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.places.models import Street
from marketplace.rounds import services as rounds
from marketplace.rounds.models import MatchRound, RoundStatus, street_scope
from seeds import empty_database
from seeds.hudao import seed_hudao

TODAY = date(2026, 5, 1)


def test_every_seeded_round_proposal_belongs_to_a_finished_round_of_its_street(clean_engine: sa.Engine) -> None:
    empty_database(clean_engine)
    seed_hudao(clean_engine, today=TODAY)
    with Session(clean_engine) as db:
        street_id = db.execute(sa.select(Street.id)).scalars().one()
        shown = rounds.recent(db, street_ids=frozenset({street_id}))
        assert shown, "/rounds would say that no round has run"
        proposals = list(db.execute(sa.select(Match).where(Match.source == MatchSource.MATCHING_ROUND)).scalars())
        assert any(match.status == MatchStatus.PROPOSED for match in proposals)
        by_round: dict[int, list[Match]] = {}
        for match in proposals:
            assert match.round_id is not None, match.id
            by_round.setdefault(match.round_id, []).append(match)
        for row in db.execute(sa.select(MatchRound)).scalars():
            written = by_round.pop(row.id or 0)
            assert row.status == RoundStatus.FINISHED and row.scope == street_scope(street_id)
            assert row.started_by_id is not None and row.started_at is not None and row.finished_at is not None
            assert row.started_at < row.finished_at
            assert all(match.created_at == row.finished_at for match in written)
            assert row.line_proposals == sum(match.kind == MatchKind.OFFER_LINE for match in written)
            assert row.shift_proposals == sum(match.kind == MatchKind.VOLUNTEER_SHIFT for match in written)
        assert by_round == {}
        others = db.execute(
            sa.select(sa.func.count()).where(Match.source != MatchSource.MATCHING_ROUND, Match.round_id.is_not(None))
        )
        assert others.scalar() == 0
