"""A street's round and a street's index read only that street's candidates: in a city of a hundred
streets, reading every volunteer for each street's round made one round take minutes."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import make_session_factory
from marketplace.db.types import utcnow
from marketplace.recommend import records as rows
from marketplace.recommend import services
from marketplace.recommend.services import serving_candidates, serving_query
from marketplace.rounds import inputs
from marketplace.settings import DatabaseSettings, Settings
from tests.conftest import empty_all_tables
from tests.street_fixtures import TwoStreets, build_two_streets


@pytest.fixture
def world(database_url: str, engine: sa.Engine, tmp_path: Any) -> Iterator[tuple[TwoStreets, sessionmaker[Session]]]:
    settings = Settings(database=DatabaseSettings(url=database_url), secret_key="x" * 32, var_dir=tmp_path)
    empty_all_tables(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        yield build_two_streets(session, factory, settings), factory
    empty_all_tables(engine)


def test_a_street_s_candidates_are_read_alone_and_as_the_whole_city_reads_them(world: Any) -> None:
    two, factory = world
    now = utcnow()
    with factory() as db:
        for kind, read in (
            ("volunteers", lambda among: rows.volunteer_records(db, now, among=among)),
            ("offers", lambda among: rows.offer_records(db, now, among=among)),
        ):
            everyone = {record.id: record for record in read(None)}
            for side in (two.a, two.b):
                serving = serving_candidates(db, kind, side.street.id)
                alone = read(serving_query(kind, side.street.id))
                assert alone and {record.id for record in alone} == serving & set(everyone)
                # The same record as the city-wide read: the street's index scores exactly as before.
                assert all(record == everyone[record.id] for record in alone)


def test_a_street_s_round_plans_its_own_needs_among_its_own_candidates(world: Any) -> None:
    two, factory = world
    with factory() as db:
        for side, other in ((two.a, two.b), (two.b, two.a)):
            found = inputs.load(db, utcnow(), side.street.id)
            volunteers = serving_candidates(db, "volunteers", side.street.id)
            offers = serving_candidates(db, "offers", side.street.id)
            assert {v.id for v in found.volunteers} <= volunteers
            assert {o.id for o in found.offers} <= offers
            assert side.line.id in {line.id for line in found.lines} or side.shift.id in {s.id for s in found.shifts}
            assert other.line.id not in {line.id for line in found.lines}
            assert other.shift.id not in {shift.id for shift in found.shifts}
            assert side.profile.id in volunteers and other.profile.id not in volunteers


def test_writing_a_plan_reads_the_live_pairs_of_its_own_lines_only(world: Any) -> None:
    """Writing a street's plan checks again which of its lines' pairs are taken, without reading the city's."""
    two, factory = world
    with factory() as db:
        everyone = inputs.live_line_pairs(db)
        for side in (two.a, two.b):
            own = inputs.live_line_pairs(db, lines={side.line.id})
            assert own and own == {pair for pair in everyone if pair[0] == side.line.id}
            assert everyone - own  # the other street's claims exist, and were left out


def _sign_up(db: Session, side: Any) -> None:
    """A new sign-up of this street's volunteer, to another shift of its project (as a volunteer would)."""
    from marketplace.needs.models import Shift
    from marketplace.volunteers.models import ShiftSignup, SignupStatus

    later = Shift(
        need_id=side.project.id,
        title="下周同一时间",
        starts_at=side.shift.starts_at + timedelta(days=7),
        ends_at=side.shift.ends_at + timedelta(days=7),
        slots=3,
    )
    db.add(later)
    db.flush()
    db.add(ShiftSignup(shift_id=later.id, volunteer_id=side.profile.id, status=SignupStatus.CONFIRMED))
    db.commit()


def test_a_street_s_index_changes_with_its_own_candidates_only(world: Any) -> None:
    """Under a city's load several sign-ups a second land somewhere; each one made every street rebuild."""
    two, factory = world
    with factory() as db:
        before = {side.key: services._signature(db, "volunteers", side.street.id) for side in (two.a, two.b)}
        _sign_up(db, two.b)
        after = {side.key: services._signature(db, "volunteers", side.street.id) for side in (two.a, two.b)}
    assert after["A"] == before["A"]  # B's volunteer, B's shift: A's index still stands
    assert after["B"] != before["B"]


def test_a_street_s_index_holds_the_grids_it_ranks_over_only(world: Any) -> None:
    two, factory = world
    with factory() as db:
        for side, other in ((two.a, two.b), (two.b, two.a)):
            index, _size = services._build(db, "volunteers", side.street.id)
            held = set(index.distances.index)
            homes = {
                v.home_grid_id
                for v in rows.volunteer_records(db, utcnow(), among=serving_query("volunteers", side.street.id))
            }
            assert held == {grid.id for grid in side.grids} | homes
            assert not ({grid.id for grid in other.grids} - homes) & held
            # Ranking the street's own shift works on it as on the index of every grid.
            assert services.index_for(db, "volunteers", side.street.id) is not None


def test_a_city_warms_no_index_of_every_candidate(world: Any) -> None:
    """In a city each need is ranked among its own street's candidates: a city-wide index served nobody."""
    _two, factory = world
    services.forget()
    services.warm_in_background(factory).join(timeout=60)
    assert not [key for key in services._CACHE.entries if len(key) == 2]  # (database, kind): the city-wide ones
