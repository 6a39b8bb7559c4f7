"""Hours and dates you can trust: one definition of credited hours everywhere, the rule for short stays,
one check-in at a time (also under concurrent requests), buttons only when the moment allows them, and
dates that are the street's days (an offer valid until 2027-06-30 reads 2027-06-30 everywhere)."""

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from marketplace.accounts.models import Role
from marketplace.dashboard.figures import street_figures
from marketplace.needs.escalation import escalate_overdue
from marketplace.needs.models import Need, Shift
from marketplace.offers.models import Offer
from marketplace.offers.schemas import OfferCreate
from marketplace.settings import Settings
from marketplace.street_clock import day_end, day_start, last_day, street_day
from marketplace.volunteers.hours import credit_for
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from tests import factories
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    csrf_for,
    fetch,
    login,
    make_grid,
    post_form,
    reading,
    sign_in_as,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def _as(client: TestClient[Any], person: mf.Person, lang: str = "en") -> None:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def _signup(session: Session, shift_id: int | None, volunteer_id: int | None) -> ShiftSignup:
    with reading(session) as fresh:
        row = fresh.exec(
            select(ShiftSignup).where(ShiftSignup.shift_id == shift_id, ShiftSignup.volunteer_id == volunteer_id)
        ).first()
    assert row is not None
    return row


def _rewind_check_in(session: Session, signup_id: int | None, minutes: float) -> None:
    row = session.get(ShiftSignup, signup_id)
    assert row is not None
    row.checked_in_at = datetime.now(UTC) - timedelta(minutes=minutes)
    session.add(row)
    session.commit()


def _now() -> datetime:
    """The clock when a row is written: NOW is fixed at import, long before a test runs in a busy suite."""
    return datetime.now(UTC).replace(microsecond=0)


def _shift(session: Session, need: Any, starts_in_minutes: float, minutes: float, title: str) -> Shift:
    starts = _now() + timedelta(minutes=starts_in_minutes)
    row = factories.add_shift(session, need, starts_at=starts, ends_at=starts + timedelta(minutes=minutes), title=title)
    session.commit()
    return row


# --- the rule --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(0, "0"), (7, "0"), (8, "0.25"), (22, "0.25"), (23, "0.5"), (47, "0.75"), (60, "1"), (172, "2.75")],
)
def test_time_within_the_shift_is_rounded_to_the_nearest_quarter_hour(minutes: int, hours: str) -> None:
    start = NOW
    credit = credit_for(start, start + timedelta(hours=4), start, start + timedelta(minutes=minutes, seconds=59))
    assert credit.hours == Decimal(hours) and credit.minutes == minutes
    assert credit.too_short is (Decimal(hours) == 0)


def test_time_before_the_start_or_after_the_end_is_not_counted() -> None:
    start, end = NOW, NOW + timedelta(hours=2)
    early_and_late = credit_for(start, end, start - timedelta(hours=1), end + timedelta(hours=3))
    assert (
        early_and_late.hours == Decimal(2) and early_and_late.counted_from == start and early_and_late.counted_to == end
    )
    gone_before_start = credit_for(start, end, start - timedelta(hours=1), start - timedelta(minutes=1))
    assert gone_before_start.hours == 0 and gone_before_start.too_short


# --- one definition, everywhere --------------------------------------------------------------------------


def test_hours_agree_on_every_page_the_api_the_export_and_the_figures(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    person, profile = mf.volunteer(session, grid)
    # Three past shifts checked out (2.5 h, 3 h, 0.75 h), a no-show, one still to come, and 7.5 h from the
    # street's paper records before the platform: hours_total holds the all-time figure, as check-out keeps it.
    past = [("楼道粉刷", 50, "2.5"), ("垃圾分类宣传", 30, "3"), ("核酸检测秩序", 10, "0.75"), ("未到班次", 5, "0")]
    for title, days_ago, hours in past:
        starts = NOW - timedelta(days=days_ago)
        shift = factories.add_shift(
            session, need, 3, starts_at=starts, ends_at=starts + timedelta(hours=4), title=title
        )
        completed = hours != "0"
        session.add(
            ShiftSignup(
                shift_id=shift.id,  # type: ignore[arg-type]
                volunteer_id=profile.id,  # type: ignore[arg-type]
                status=SignupStatus.COMPLETED if completed else SignupStatus.NO_SHOW,
                checked_in_at=starts if completed else None,
                checked_out_at=starts + timedelta(hours=float(hours)) if completed else None,
                hours_credited=Decimal(hours),
            )
        )
    stored = session.get(VolunteerProfile, profile.id)
    assert stored is not None
    stored.hours_total = Decimal("7.5") + Decimal("6.25")
    session.add(stored)
    session.commit()
    # One more shift through the real check-in and check-out: 1 h 40 min on site credits 1.75 h.
    running = mf.shift(session, need, starts_in_hours=-2, title="今日值守")
    signup = mf_signup(client, person, running.id)
    assert client.post(f"/api/v1/signups/{signup}/check-in", headers=person.headers).status_code == 200
    _rewind_check_in(session, signup, minutes=100)
    out = client.post(f"/api/v1/signups/{signup}/check-out", headers=person.headers)
    assert out.status_code == 200 and out.json()["hours_credited"] == "1.75"
    credited, before = Decimal("8"), Decimal("7.5")  # 2.5 + 3 + 0.75 + 1.75; the paper records
    assert fetch(session, VolunteerProfile, profile.id).hours_total == credited + before

    me = client.get("/api/v1/volunteers/me", headers=person.headers).json()
    assert (me["hours_credited"], me["hours_before_platform"], me["hours_all_time"]) == ("8.00", "7.50", "15.50")
    assert me["shifts_completed"] == 4

    _as(client, person)
    own = client.get("/volunteer/hours").text
    assert "<strong>8</strong>hours credited" in own and "<strong>7.5</strong>hours recorded before the platform" in own
    assert "rounded to the nearest quarter hour" in own

    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    listed = client.get("/volunteers").text
    row = listed[listed.index(f'href="/volunteers/{profile.id}"') :].split("</tr>")[0]
    assert '<td class="num">8</td>' in row and '<td class="num">7.5</td>' in row
    detail = client.get(f"/volunteers/{profile.id}").text
    assert "<strong>8</strong>hours credited" in detail and "<strong>7.5</strong>" in detail

    export = client.get("/volunteers/export?format=csv")
    assert export.status_code == 200
    lines = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    mine = next(line for line in lines if line["ID"] == str(profile.id))
    assert (mine["Hours credited"], mine["Hours before the platform"], mine["Hours in all"]) == ("8", "7.5", "15.5")
    assert mine["Shifts completed"] == "4"

    with reading(session) as fresh:
        figures = street_figures(fresh)
    assert figures.hours.total == figures.volunteer_hours_credited == 8.0
    assert figures.hours.before_platform == figures.volunteer_hours_before_platform == 7.5
    assert figures.volunteer_hours == 15.5
    stats = client.get("/api/v1/stats").json()
    assert (stats["hours"]["total"], stats["volunteer_hours"]) == (8.0, 15.5)
    page = client.get("/figures").text
    assert "Volunteer hours, all time" in page and "Hours credited on the platform, all time" in page
    assert "hours credited on the platform (8) + hours recorded before the platform (7.5)" in page


def mf_signup(client: TestClient[Any], person: mf.Person, shift_id: int | None) -> int:
    made = client.post(f"/api/v1/shifts/{shift_id}/signups", headers=person.headers)
    assert made.status_code in (200, 201), made.text
    return int(made.json()["id"])


# --- short stays, told at check-out ----------------------------------------------------------------------


def test_check_out_says_what_was_credited_and_why(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    first = _shift(session, need, -60, 120, "社区义诊")
    second = _shift(session, need, 70, 60, "晚间巡逻")  # later, not overlapping
    person, profile = mf.volunteer(session, grid)
    _as(client, person)
    post_form(client, settings, f"/shifts/{first.id}/sign-up")
    signup = _signup(session, first.id, profile.id)
    assert post_form(client, settings, f"/signups/{signup.id}/check-in").status_code == 303
    _rewind_check_in(session, signup.id, minutes=47)
    done = post_form(client, settings, f"/signups/{signup.id}/check-out")
    assert done.status_code == 303 and done.headers["location"] == f"/signups?done=checked_out&signup={signup.id}"
    page = client.get(done.headers["location"]).text
    assert "Checked out. 0.75 h credited for “社区义诊”." in page
    assert "Counted: 47 minutes within the shift" in page and "rounded to the nearest quarter hour" in page

    # A stay of a few seconds credits 0 h, and the page says why instead of a silent 0.
    post_form(client, settings, f"/shifts/{second.id}/sign-up")
    later = _signup(session, second.id, profile.id)
    row = session.get(Shift, second.id)  # move the second shift to now: checked in and out at once
    assert row is not None
    row.starts_at, row.ends_at = _now() - timedelta(minutes=5), _now() + timedelta(minutes=55)
    session.add(row)
    session.commit()
    post_form(client, settings, f"/signups/{later.id}/check-in")
    client.cookies.set("lang", "zh_CN")
    short = client.get(post_form(client, settings, f"/signups/{later.id}/check-out").headers["location"]).text
    assert "“晚间巡逻”计入0小时：您在班次时段内停留不足8分钟" in short
    assert "0小时——停留不足8分钟" in short  # the past table too
    assert fetch(session, ShiftSignup, later.id).hours_credited == 0


# --- one shift at a time ---------------------------------------------------------------------------------


def test_a_second_check_in_is_refused_naming_the_shift(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    first = _shift(session, need, -90, 100, "早班：垃圾分类督导")  # running, ends in 10 minutes
    second = _shift(session, need, 20, 60, "午班：敬老院探访")  # check-in open, not overlapping
    person, _profile = mf.volunteer(session, grid)
    one, two = mf_signup(client, person, first.id), mf_signup(client, person, second.id)
    assert client.post(f"/api/v1/signups/{one}/check-in", headers=person.headers).status_code == 200
    refused = client.post(f"/api/v1/signups/{two}/check-in", headers=person.headers)
    assert refused.status_code == 409 and "早班：垃圾分类督导" in refused.text
    assert refused.json()["extra"]["shift_id"] == first.id
    assert fetch(session, ShiftSignup, two).status is SignupStatus.CONFIRMED

    _as(client, person)
    page = client.get("/signups").text
    assert f'action="/signups/{two}/check-in"' not in page
    assert "You are checked in to “早班：垃圾分类督导”. Check out there before you check in here." in page
    old_page = post_form(client, settings, f"/signups/{two}/check-in")  # a page loaded before the first check-in
    assert old_page.status_code == 409 and "You are checked in to “早班：垃圾分类督导”" in old_page.text
    assert "<h1>My shifts</h1>" in old_page.text  # the page again, not an error page

    assert post_form(client, settings, f"/signups/{one}/check-out").status_code == 303
    assert post_form(client, settings, f"/signups/{two}/check-in").status_code == 303
    assert fetch(session, ShiftSignup, two).status is SignupStatus.CHECKED_IN


def test_concurrent_check_ins_to_several_shifts_let_exactly_one_through(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    # Five short shifts in the next hour, none overlapping: check-in is open for all of them now.
    shifts = [_shift(session, need, 5 + 11 * n, 10, f"接力班次{n}") for n in range(5)]
    person, profile = mf.volunteer(session, grid)
    with live_app.client(token=person.token) as api:
        signups = []
        for shift in shifts:
            made = api.post(f"/api/v1/shifts/{shift.id}/signups")
            assert made.status_code == 201, made.text
            signups.append(made.json()["id"])
    barrier = threading.Barrier(len(signups))

    def check_in(signup_id: int) -> httpx.Response:
        with live_app.client() as api:
            barrier.wait(timeout=30)
            return api.post(f"/api/v1/signups/{signup_id}/check-in", headers=person.headers)

    with ThreadPoolExecutor(max_workers=len(signups)) as pool:
        responses = list(pool.map(check_in, signups))
    codes = sorted(r.status_code for r in responses)
    print(f"\n[5 check-ins at once] status codes: {codes}")
    assert codes == [200, 409, 409, 409, 409], [r.text[:200] for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    winner_title = next(shift.title for shift in shifts if shift.id == winner["shift_id"])
    assert all(winner_title in r.text for r in responses if r.status_code == 409)
    assert "database is locked" not in live_app.log() and "Traceback" not in live_app.log()
    with reading(session) as fresh:
        checked_in = fresh.exec(
            select(ShiftSignup).where(
                ShiftSignup.volunteer_id == profile.id, ShiftSignup.status == SignupStatus.CHECKED_IN
            )
        ).all()
    assert len(checked_in) == 1


# --- buttons only when the moment allows them ------------------------------------------------------------


def test_buttons_follow_the_check_in_window_and_the_shift_start(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    soon = _shift(session, need, 30, 60, "即将开始")  # check-in open, check-out not yet
    later = _shift(session, need, 180, 60, "下午班")  # check-in opens in two hours
    person, profile = mf.volunteer(session, grid)
    _as(client, person)
    post_form(client, settings, f"/shifts/{soon.id}/sign-up")
    post_form(client, settings, f"/shifts/{later.id}/sign-up")
    first, second = _signup(session, soon.id, profile.id), _signup(session, later.id, profile.id)
    page = client.get("/signups").text
    assert f'action="/signups/{first.id}/check-in"' in page
    assert f'action="/signups/{second.id}/check-in"' not in page and "Check-in opens at" in page

    assert post_form(client, settings, f"/signups/{first.id}/check-in").status_code == 303
    page = client.get("/signups").text
    assert f'action="/signups/{first.id}/check-out"' not in page
    assert "You can check out from" in page and "when the shift starts" in page
    early = post_form(client, settings, f"/signups/{first.id}/check-out")  # an old page, or a hand-made request
    assert early.status_code == 409 and "You can check out from" in early.text and "<h1>My shifts</h1>" in early.text
    assert fetch(session, ShiftSignup, first.id).status is SignupStatus.CHECKED_IN
    client.cookies.set("lang", "zh_CN")
    assert "签退" in client.get("/signups").text and "（班次开始时）签退" in client.get("/signups").text
    assert "签到将于" in client.get("/signups").text

    row = session.get(Shift, soon.id)  # the shift has started
    assert row is not None
    row.starts_at = _now() - timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert f'action="/signups/{first.id}/check-out"' in client.get("/signups").text


# --- street days -----------------------------------------------------------------------------------------


def test_street_day_and_stored_instant_are_a_pair() -> None:
    day = datetime(2027, 6, 30).date()
    assert day_end(day) == datetime(2027, 6, 30, 16, 0, tzinfo=UTC)  # midnight in Qingdao
    assert day_start(day) == datetime(2027, 6, 29, 16, 0, tzinfo=UTC)
    assert last_day(day_end(day)) == day and street_day(day_start(day)) == day
    assert street_day(datetime(2027, 6, 30, 17, 0, tzinfo=UTC)).isoformat() == "2027-07-01"
    api = OfferCreate.model_validate(
        {"kind": "material", "category": "renovation", "title": "t", "quantity": "1", "unit": "个"}
        | {"grid_ids": [1], "valid_until": "2027-06-30"}
    )
    assert api.valid_until == day_end(day)


def test_an_offer_valid_until_june_30_reads_june_30_everywhere(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    form = {
        "kind": "material",
        "category": "renovation",
        "title": "再生透水砖",
        "description": "",
        "quantity": "3200",
        "unit": "m²",
        "valid_from": "2026-12-01",
        "valid_until": "2027-06-30",
        "grid_ids": str(grid.id),
    }
    made = post_form(client, settings, "/offers/new", form)
    assert made.status_code == 303, made.text[:2000]
    imported = client.post(
        "/api/v1/offers/import",
        files={
            "file": (
                "offers.csv",
                (
                    "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"
                    f"material,renovation,LED声控灯,,40,盏,,2026-12-01,2027-06-30,{grid.code}\n"
                ).encode(),
                "text/csv",
            )
        },
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert imported.status_code in (200, 201), imported.text
    with reading(session) as fresh:
        offers = fresh.exec(select(Offer).order_by(Offer.id)).all()  # type: ignore[arg-type]
    assert len(offers) == 2
    for offer in offers:
        assert offer.valid_until == datetime(2027, 6, 30, 16, 0, tzinfo=UTC)  # the end of the street's June 30
    assert client.get(f"/api/v1/offers/{offers[0].id}").json()["valid_until_day"] == "2027-06-30"

    for lang, shown, wrong in (("zh_CN", "2027年6月30日", "2027年7月1日"), ("en", "Jun 30, 2027", "Jul 1, 2027")):
        client.cookies.set("lang", lang)
        for path in (f"/offers/{offers[0].id}", f"/offers/{offers[1].id}", "/offers"):
            text = client.get(path).text
            assert shown in text and wrong not in text, (lang, path)
        export = client.get("/offers/export?format=csv").content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(export)))
        until = rows[0].index("有效期至" if lang == "zh_CN" else "Valid until")
        assert [row[until] for row in rows[1:]] == ["2027-06-30", "2027-06-30"], lang
        edit = client.get(f"/offers/{offers[0].id}/edit").text
        assert 'value="2027-06-30"' in edit


def test_exported_moments_are_street_days(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    # Published at 20:00 UTC on June 1: already June 2 in Qingdao.
    need = mf.project(session, grid, published_at=datetime(2026, 6, 1, 20, 0, tzinfo=UTC), title="晚间发布的项目")
    client.cookies.set("lang", "en")
    export = client.get("/projects/export?format=csv").content.decode("utf-8-sig")
    row = next(line for line in csv.DictReader(io.StringIO(export)) if line["ID"] == str(need.id))
    assert row["Published"] == "2026-06-02"


def test_a_need_is_overdue_from_midnight_on_the_street_not_in_utc(session: Session) -> None:
    need = mf.project(session, make_grid(session), due_date=datetime(2026, 6, 30).date())
    need_id = need.id
    session.commit()
    # 07:59 on July 1 in Qingdao is still June 30 in UTC: the street's June 30 is over, the need is overdue.
    assert escalate_overdue(session, datetime(2026, 6, 30, 23, 59, tzinfo=UTC) - timedelta(hours=16)) == 0
    assert escalate_overdue(session, datetime(2026, 6, 30, 23, 59, tzinfo=UTC)) == 1
    session.commit()
    with reading(session) as fresh:
        row = fresh.get(Need, need_id)
        assert row is not None and row.escalation_level is not None
