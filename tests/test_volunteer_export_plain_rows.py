"""The volunteers' file reads its rows as plain columns (``exchange.volunteers.plain_rows``), not as the
directory's ORM rows: each row holds what the directory's row (``directory.export_listing``, the ORM reading the
export used before) holds, for every sort, in the same order, across pages; names and phones masked alike."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.types import utcnow
from marketplace.exchange import paging
from marketplace.exchange.paging import Key, keyset_pages
from marketplace.exchange.volunteers import volunteer_pages
from marketplace.security.identity import load_current_user
from marketplace.vocabulary import Category
from marketplace.volunteers.directory import export_listing, parse_filters
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerInterest, VolunteerSkill
from tests import factories
from tests.security_helpers import default_street, make_community, make_grid, make_user


def _world(session: Session) -> Any:
    grid = make_grid(session, make_community(session, default_street(session)))
    skills = [factories.make_skill(session, name=f"技能{n}", name_en="" if n else "Skill") for n in range(2)]
    need = factories.make_need(session, grid)
    past = factories.add_shift(session, need, 5, starts_at=utcnow() - timedelta(days=3))
    made = []
    for n in range(7):
        volunteer = factories.make_volunteer(
            session, grid, hours=str(n * 2), reliability_rate=None if n % 3 == 0 else 0.5
        )
        user = session.get(User, volunteer.user_id)
        assert user is not None
        user.display_name = f"同名志愿者{n % 2}"
        user.phone = None if n == 3 else f"1380013{n:04d}"
        user.is_active = n != 4
        for skill in skills[: n % 3]:
            session.add(VolunteerSkill(volunteer_id=volunteer.id or 0, skill_id=skill.id or 0))
        for category in [Category.HEALTH, Category.RENOVATION][: n % 3]:
            session.add(VolunteerInterest(volunteer_id=volunteer.id or 0, category=category))
        if n % 2:
            session.add(
                ShiftSignup(
                    shift_id=past.id or 0,
                    volunteer_id=volunteer.id or 0,
                    status=SignupStatus.COMPLETED,
                    hours_credited=Decimal("1.5"),
                )
            )
        made.append(volunteer)
    session.commit()
    return made


@pytest.mark.parametrize("sort", ["name", "hours", "last_service", "reliability"])
def test_plain_rows_hold_what_the_directorys_orm_rows_held(
    session: Session, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    monkeypatch.setattr(paging, "PAGE_ROWS", 3)
    _world(session)
    admin = make_user(session, Role.ADMIN)
    viewer = load_current_user(session, admin.id or 0)
    assert viewer is not None
    filters = parse_filters({"sort": sort})

    statement, order, finish = export_listing(viewer, filters)  # the ORM reading, as the export read it before
    before = [
        row
        for page in keyset_pages(session, statement, [Key(expr, descending) for expr, descending in order])
        for row in finish(session, page)
    ]
    after = [row for page in volunteer_pages(session, viewer, filters) for row in page]

    assert len(after) == len(before) == 7
    for old, new in zip(before, after, strict=True):
        assert new.id == old.id and new.name_masked == old.name_masked and new.phone_masked == old.phone_masked
        assert (new.grid_code, new.grid_name, new.grid_name_en) == (old.grid.code, old.grid.name, old.grid.name_en)
        assert (new.segment, new.is_party_member, new.is_active) == (old.segment, old.is_party_member, old.is_active)
        assert new.skills == [(skill.name, skill.name_en) for skill in old.skills]
        assert new.interests == old.interests
        assert new.hours_this_year == old.hours_this_year
        assert (new.hours_credited, new.shifts_completed) == (old.hours.credited, old.hours.shifts)
        assert (new.hours_before_platform, new.hours_all_time) == (old.hours.before_platform, old.hours.all_time)
        assert new.last_service == old.last_service and new.reliability == old.reliability
