"""A shift named to a volunteer or to staff is named by its name and its time on the street's clock, never by its
bare number: three shifts of one name in the verification blockers are three different sentences ("班次“秩序维护”
（12月9日周三 09:00–12:00）尚未结束。"), and a sign-up released because its shift moved onto another says which
of the volunteer's shifts by name and start ("…您的班次秩序维护（12月9日周三 09:00）…"), not "秩序维护（#1）"."""

import html
from datetime import datetime
from typing import Any

import pytest
from babel.dates import format_skeleton, format_time
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Need
from marketplace.street_clock import street_time
from tests import matches_factories as mf
from tests.needs_helpers import staff_with_token
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, reading

LANGS = {"zh_CN": "zh-CN", "en": "en"}


def _day(moment: datetime, lang: str) -> str:
    return format_skeleton("MMMEd", street_time(moment), locale=lang)


def _time(moment: datetime, lang: str) -> str:
    return format_time(street_time(moment), format="HH:mm", locale=lang)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_three_shifts_of_one_name_not_over_are_three_sentences_with_their_times(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="老旧小区改造")
    shifts = [mf.shift(session, need, starts_in_hours=24 * day, title="改造现场秩序维护") for day in (1, 2, 3)]
    boss = mf.admin(session)
    refused = client.post(
        f"/api/v1/needs/{need.id}/verify",
        json={"satisfaction": 5},
        headers=boss.headers | {"Accept-Language": LANGS[lang]},
    )
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    for shift in shifts:
        day, start, end = _day(shift.starts_at, lang), _time(shift.starts_at, lang), _time(shift.ends_at, lang)
        said = {
            "zh_CN": f"班次“改造现场秩序维护”（{day} {start}–{end}）尚未结束。",
            "en": f"Shift “改造现场秩序维护” on {day}, {start}–{end}, is not over yet.",
        }[lang]
        assert detail.count(said) == 1, detail
    assert refused.json()["extra"]["blockers"] == [f"shift #{shift.id} is not over" for shift in shifts]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_sign_up_released_by_a_moved_shift_names_the_other_shift_by_its_time(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="老旧小区改造")
    first = mf.shift(session, need, slots=2, starts_in_hours=24, title="改造现场秩序维护")
    second = mf.shift(session, need, slots=2, starts_in_hours=48, title="改造现场秩序维护")
    person, _profile = mf.volunteer(session, grid)
    for shift in (first, second):
        assert client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).status_code == 201
    staff = staff_with_token(session, grid)
    with reading(session) as fresh:
        version = fresh.get(Need, need.id).version  # type: ignore[union-attr]
    onto = {"version": version, "starts_at": first.starts_at.isoformat(), "ends_at": first.ends_at.isoformat()}
    moved = client.patch(f"/api/v1/needs/{need.id}/shifts/{second.id}", json=onto, headers=staff.headers)
    assert moved.status_code == 200, moved.text

    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)
    page = html.unescape(client.get("/signups").text)
    day, start = _day(first.starts_at, lang), _time(first.starts_at, lang)
    said = {
        "zh_CN": f"该班次改到了与您的班次改造现场秩序维护（{day} {start}）重叠的时间。",
        "en": f"The shift moved to a time that overlaps your shift 改造现场秩序维护 on {day} at {start}.",
    }[lang]
    assert said in page
    assert f"（#{first.id}）" not in page and f"(#{first.id})" not in page
