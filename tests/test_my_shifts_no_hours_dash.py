"""My shifts: a sign-up that earned no hours by its nature (cancelled, no-show) reads '–' in the hours column,
as on the staff's page of the volunteer, not '0' as if the volunteer had served and earned nothing; a completed
shift keeps its hours.

Walking as a newly registered volunteer, the shift cancelled a minute earlier stood in 'Past and cancelled'
with '0' hours beside a completed shift's '0 h — stayed less than 8 minutes'."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid


def _hours_cell(page: str, title: str) -> str:
    row = next(row for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S) if title in row)
    return re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1]).strip()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_cancelled_and_missed_shifts_show_no_hours_and_completed_ones_their_hours(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    person, profile = mf.volunteer(session, grid)
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    rows = {
        "取消的班次": SignupStatus.CANCELLED,
        "缺席的班次": SignupStatus.NO_SHOW,
        "完成的班次": SignupStatus.COMPLETED,
    }
    for n, (title, status) in enumerate(rows.items()):
        starts = past + timedelta(hours=4 * n)
        shift = factories.add_shift(
            session, need, 3, starts_at=starts, ends_at=starts + timedelta(hours=2), title=title
        )
        hours = Decimal("2") if status is SignupStatus.COMPLETED else Decimal("0")
        session.add(ShiftSignup(shift_id=shift.id, volunteer_id=profile.id, status=status, hours_credited=hours))  # type: ignore[arg-type]
    session.commit()
    login(client, person.user.username, DEFAULT_PASSWORD)
    client.cookies.set("lang", lang)

    page = client.get("/signups")
    assert page.status_code == 200
    assert _hours_cell(page.text, "取消的班次") == "–"
    assert _hours_cell(page.text, "缺席的班次") == "–"
    assert _hours_cell(page.text, "完成的班次") == "2"
