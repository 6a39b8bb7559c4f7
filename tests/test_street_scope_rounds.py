"""Matching rounds across two streets: a street admin's round plans only their street (its needs, the
volunteers and organizations serving it), even when another street's candidate would score higher; a
volunteer serving both streets is proposed in both; a city admin starts one street's round or one for
every street, which run side by side; another street's round looks missing (404), a street's live round
refuses a second start (409); the command line plans one street or every street."""

import json
from collections.abc import Iterator
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource
from marketplace.needs.models import Shift, ShiftSkill
from marketplace.offers.models import OfferGrid
from marketplace.organizations.models import Organization
from marketplace.places.models import Grid, Street
from marketplace.recommend import services as recommend_service
from marketplace.rounds import inputs, worker
from marketplace.rounds.cli import round_command
from marketplace.rounds.models import MatchRound, RoundStatus, street_scope
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from marketplace.vocabulary import Urgency
from marketplace.volunteers.models import (
    AvailabilitySlot,
    Skill,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
    VolunteerStreet,
)
from matching.round import plan_round
from tests import matches_factories as mf
from tests.factories import make_offer
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    default_street,
    fetch,
    login,
    make_community,
    make_grid,
    make_org,
    make_user,
    post_form,
    reading,
)

_serial = count(1)


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    recommend_service.forget()
    yield
    worker.wait(timeout=60)  # no round thread outlives its test's database
    recommend_service.forget()


def _volunteer(session: Session, grid: Grid, name: str, skills: list[Skill], also: Street | None = None) -> int:
    user = make_user(session, Role.VOLUNTEER, display_name=name)
    profile = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    session.add_all([VolunteerSkill(volunteer_id=profile.id or 0, skill_id=skill.id or 0) for skill in skills])
    session.add_all(
        [
            AvailabilitySlot(volunteer_id=profile.id or 0, weekday=day, start_minute=0, end_minute=1440)
            for day in range(7)
        ]
    )
    if also is not None:
        session.add(VolunteerStreet(volunteer_id=profile.id or 0, street_id=also.id or 0))
    session.commit()
    return profile.id or 0


def _two_streets(session: Session) -> dict[str, Any]:
    """Street A (the default street) and street B, each with a need holding a 5,000 m² line and a
    two-place first-aid shift. Organization A (street A) offers 1,000 m² for A's grid; organization B
    (street B) offers 5,000 m² for both grids, though it serves only street B. Volunteers: 甲 lives in A
    without first aid; 乙 lives in B with first aid; 丙 lives in B with first aid and serves A as well."""
    a = default_street(session)
    n = next(_serial)
    b = Street(code=f"rounds-b-{n}", name="第二街道", name_en="Second Street", district="市北区", city="青岛市")
    session.add(b)
    session.flush()
    grid_a = make_grid(session)
    grid_b = make_grid(session, make_community(session, b))
    skill = Skill(code=f"first-aid-{n}", group="medical", name="急救", name_en="First aid")
    session.add(skill)
    session.commit()
    world: dict[str, Any] = {"a": a, "b": b, "grid_a": grid_a, "grid_b": grid_b}
    for key, grid, hours in (("a", grid_a, 24), ("b", grid_b, 48)):
        need = mf.project(session, grid, title=f"{key}街道改造", urgency=Urgency.HIGH)
        world[f"need_{key}"] = need
        world[f"line_{key}"] = mf.line(session, need, "5000")
        shift = mf.shift(session, need, slots=2, starts_in_hours=hours, requires_approval=True)
        session.add(ShiftSkill(shift_id=shift.id or 0, skill_id=skill.id or 0))
        world[f"shift_{key}"] = shift
    org_a = make_org(session, name="甲街道建材")
    org_b = make_org(session, name="乙街道建材")
    session.execute(sa.update(Organization).where(Organization.id == org_b.id).values(street_id=b.id))
    offer_a = make_offer(session, org_a, title="透水砖", remaining_quantity=Decimal(1000))
    offer_b = make_offer(session, org_b, title="透水砖", quantity=Decimal(5000), remaining_quantity=Decimal(5000))
    session.add_all(
        [
            OfferGrid(offer_id=offer_a.id or 0, grid_id=grid_a.id or 0),
            OfferGrid(offer_id=offer_b.id or 0, grid_id=grid_a.id or 0),
            OfferGrid(offer_id=offer_b.id or 0, grid_id=grid_b.id or 0),
        ]
    )
    session.commit()
    world |= {"offer_a": offer_a.id, "offer_b": offer_b.id, "org_a": org_a.id, "org_b": org_b.id}
    world["v_a"] = _volunteer(session, grid_a, "甲", [])
    world["v_b"] = _volunteer(session, grid_b, "乙", [skill])
    world["v_both"] = _volunteer(session, grid_b, "丙", [skill], also=a)
    return world


def _admin(session: Session, street: Street | None, username: str) -> User:
    """A street admin of ``street``, or a city admin (no street) when None."""
    user = make_user(session, Role.ADMIN, username=username)
    session.execute(sa.update(User).where(User.id == user.id).values(street_id=street.id if street else None))
    session.commit()
    return user


def _sign_in(client: TestClient[Any], user: User) -> None:
    client.cookies.clear()
    response = login(client, user.username, DEFAULT_PASSWORD)
    assert response.status_code in (302, 303), response.text
    client.cookies.set("lang", "en")


def _round_matches(session: Session) -> list[Match]:
    with reading(session) as db:
        query = sa.select(Match).where(Match.source == MatchSource.MATCHING_ROUND).order_by(Match.id)
        return list(db.execute(query).scalars())


def _rounds(session: Session) -> list[MatchRound]:
    with reading(session) as db:
        return list(db.execute(sa.select(MatchRound).order_by(MatchRound.id)).scalars())


def _pairs(matches: list[Match], kind: MatchKind) -> set[tuple[int, int]]:
    if kind is MatchKind.OFFER_LINE:
        return {(m.resource_line_id or 0, m.offer_id or 0) for m in matches if m.kind is kind}
    return {(m.shift_id or 0, m.volunteer_id or 0) for m in matches if m.kind is kind}


def test_a_street_admins_round_plans_only_their_street_even_against_better_candidates_elsewhere(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    world = _two_streets(session)
    line_a, shift_a = world["line_a"].id, world["shift_a"].id
    now = utcnow()
    with reading(session) as db:
        # Planned for the whole deployment, street B's offer and volunteer would win street A's line and shift.
        everything = inputs.load(db, now)
        whole = plan_round(
            [line for line in everything.lines if line.id == line_a],
            [shift for shift in everything.shifts if shift.id == shift_a],
            offer_index=recommend_service.index_for(db, "offers"),
            volunteer_index=recommend_service.index_for(db, "volunteers"),
            now=now,
            offers=everything.offers,
            volunteers=everything.volunteers,
            busy=everything.busy,
        )
        street_a = inputs.load(db, now, world["a"].id)
    assert world["offer_b"] in {p.candidate_id for p in whole.lines}
    assert world["v_b"] in {p.candidate_id for p in whole.shifts}
    # What street A's round plans with: its own need, its own organization's offer, the volunteers serving it.
    assert {line.id for line in street_a.lines} == {line_a} and {s.id for s in street_a.shifts} == {shift_a}
    assert {offer.id for offer in street_a.offers} == {world["offer_a"]}
    assert {v.id for v in street_a.volunteers} == {world["v_a"], world["v_both"]}

    _sign_in(client, _admin(session, world["a"], "admin-a"))
    started = post_form(client, settings, "/rounds", {"method": "optimal", "k": "20"})
    assert started.status_code == 303, started.text
    round_id = int(started.headers["location"].rsplit("/", 1)[1])
    assert worker.wait(timeout=60)
    row = fetch(session, MatchRound, round_id)
    assert row.status is RoundStatus.FINISHED, row.error
    assert (row.street_id, row.scope, row.lines, row.shifts) == (world["a"].id, street_scope(world["a"].id), 1, 1)
    assert row.duration is not None
    matches = _round_matches(session)
    assert {m.need_id for m in matches} == {world["need_a"].id}
    assert _pairs(matches, MatchKind.OFFER_LINE) == {(line_a, world["offer_a"])}
    shift_pairs = _pairs(matches, MatchKind.VOLUNTEER_SHIFT)
    assert (shift_a, world["v_both"]) in shift_pairs
    assert {volunteer for _shift, volunteer in shift_pairs} <= {world["v_a"], world["v_both"]}
    page = client.get(f"/rounds/{round_id}")
    assert page.status_code == 200 and "Finished" in page.text


def test_a_city_admins_every_street_start_runs_one_round_per_street_side_by_side(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    world = _two_streets(session)
    city = _admin(session, None, "city-admin")
    _sign_in(client, city)
    page = client.get("/rounds")
    assert page.status_code == 200 and 'name="street"' in page.text
    assert "Every street (one round each)" in page.text and "Second Street" in page.text
    started = post_form(client, settings, "/rounds", {"method": "optimal", "k": "20", "street": "all"})
    assert started.status_code == 303 and started.headers["location"] == "/rounds", started.text
    assert worker.wait(timeout=90)
    rounds = _rounds(session)
    assert sorted((r.street_id or 0, r.scope) for r in rounds) == sorted(
        (s.id, street_scope(s.id)) for s in (world["a"], world["b"])
    )
    assert all(r.status is RoundStatus.FINISHED and r.duration is not None for r in rounds), [r.error for r in rounds]
    of_round = {r.street_id: r.id for r in rounds}
    matches = _round_matches(session)
    for key in ("a", "b"):
        mine = [m for m in matches if m.round_id == of_round[world[key].id]]
        assert {m.need_id for m in mine} == {world[f"need_{key}"].id}
    # The volunteer serving both streets is proposed in both; each street's line gets its own street's offers.
    shift_pairs = _pairs(matches, MatchKind.VOLUNTEER_SHIFT)
    assert {(world["shift_a"].id, world["v_both"]), (world["shift_b"].id, world["v_both"])} <= shift_pairs
    assert (world["shift_a"].id, world["v_b"]) not in shift_pairs
    assert (world["shift_b"].id, world["v_a"]) not in shift_pairs
    assert (world["line_a"].id, world["offer_b"]) not in _pairs(matches, MatchKind.OFFER_LINE)
    assert (world["line_b"].id, world["offer_a"]) not in _pairs(matches, MatchKind.OFFER_LINE)

    # The city admin sees both rounds, each with its street named; each street admin only their own.
    listing = client.get("/rounds").text
    assert "Second Street" in listing and "Hudao Street" in listing
    for round_id in of_round.values():
        assert client.get(f"/rounds/{round_id}").status_code == 200
    _sign_in(client, _admin(session, world["b"], "admin-b"))
    own, other = of_round[world["b"].id], of_round[world["a"].id]
    listing = client.get("/rounds").text
    assert f'href="/rounds/{own}"' in listing and f'href="/rounds/{other}"' not in listing
    assert client.get(f"/rounds/{own}").status_code == 200
    assert client.get(f"/rounds/{other}").status_code == 404
    assert client.get(f"/rounds/{other}/progress", headers={"HX-Request": "true"}).status_code == 404
    assert client.get("/rounds/2147483648").status_code == 404


def test_a_streets_live_round_refuses_a_second_start_there_but_not_elsewhere(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    world = _two_streets(session)
    a, b = world["a"], world["b"]
    running = MatchRound(status=RoundStatus.RUNNING, scope=street_scope(a.id), street_id=a.id, started_at=utcnow())
    session.add(running)
    session.commit()
    form = {"method": "optimal", "k": "20"}

    _sign_in(client, _admin(session, a, "admin-a"))
    assert 'action="/rounds"' not in client.get("/rounds").text  # their street's round runs: nothing to start
    refused = post_form(client, settings, "/rounds", form)
    assert refused.status_code == 409 and f"Round #{running.id} is still running" in refused.text

    _sign_in(client, _admin(session, b, "admin-b"))
    assert 'action="/rounds"' in client.get("/rounds").text
    assert post_form(client, settings, "/rounds", form | {"street": a.code}).status_code == 400  # not their street

    _sign_in(client, _admin(session, None, "city-admin"))
    assert post_form(client, settings, "/rounds", form | {"street": a.code}).status_code == 409
    unknown = post_form(client, settings, "/rounds", form | {"street": "no-such-street"})
    assert unknown.status_code == 400 and "Choose one of your streets" in unknown.text
    every = post_form(client, settings, "/rounds", form | {"street": "all"})
    assert every.status_code == 303 and every.headers["location"] == "/rounds"
    assert worker.wait(timeout=60)
    later = [r for r in _rounds(session) if r.id != running.id]
    assert [(r.street_id, r.status) for r in later] == [(b.id, RoundStatus.FINISHED)]

    session.add(MatchRound(status=RoundStatus.QUEUED, scope=street_scope(b.id), street_id=b.id))
    session.commit()
    assert post_form(client, settings, "/rounds", form | {"street": "all"}).status_code == 409
    assert len(_rounds(session)) == 3


def _cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    return CliRunner().invoke(round_command, list(args), catch_exceptions=False)


def test_the_command_line_plans_one_street_or_every_street(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _two_streets(session)
    unknown = _cli(settings, monkeypatch, "--street", "no-such-street")
    assert unknown.exit_code == 2 and "--street" in unknown.output and "no-such-street" in unknown.output
    assert _rounds(session) == []

    one = _cli(settings, monkeypatch, "--json", "--street", world["b"].code)
    assert one.exit_code == 0, one.output
    summary = json.loads(one.stdout)
    assert (summary["street"], summary["street_id"], summary["status"]) == (world["b"].code, world["b"].id, "finished")

    every = _cli(settings, monkeypatch, "--greedy")
    assert every.exit_code == 0, every.output
    assert f"(street {world['a'].code})" in every.output and f"(street {world['b'].code})" in every.output
    assert every.output.count("finished in") == 2
    assert sorted(r.street_id or 0 for r in _rounds(session)) == sorted([world["b"].id, world["a"].id, world["b"].id])


def _bearer(session: Session, user: User, *scopes: str) -> dict[str, str]:
    secret, _ = create_api_token(session, user_id=user.id or 0, name="rounds", scopes=list(scopes), created_by_id=None)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_the_api_starts_one_street_or_every_street_and_keeps_each_street_to_itself(
    client: TestClient[Any], session: Session
) -> None:
    world = _two_streets(session)
    a, b = world["a"], world["b"]
    city = _bearer(session, _admin(session, None, "city-api"), "jobs:read", "jobs:write")
    street_b = _bearer(session, _admin(session, b, "admin-b-api"), "jobs:read", "jobs:write")
    reader_only = _bearer(session, _admin(session, a, "admin-a-api"), "jobs:read")

    assert client.post("/api/v1/rounds", json={}, headers=reader_only).status_code == 403
    for body, field in (({"k": 0}, "k"), ({"method": "lottery"}, "method"), ({"street": "nowhere"}, "street")):
        refused = client.post("/api/v1/rounds", json=body, headers=city)
        assert refused.status_code == 400 and field in refused.text, (body, refused.text)
    assert client.post("/api/v1/rounds", json={"street": a.code}, headers=street_b).status_code == 400

    started = client.post("/api/v1/rounds", json={"street": "all", "k": 10}, headers=city)
    assert started.status_code == 202, started.text
    answer = started.json()
    assert sorted(r["street"] for r in answer["rounds"]) == sorted([a.code, b.code]) and answer["busy"] == []
    assert worker.wait(timeout=90)
    of_street = {r["street"]: r["id"] for r in answer["rounds"]}

    listed = client.get("/api/v1/rounds", headers=city).json()["items"]
    assert {r["street"] for r in listed} == {a.code, b.code}
    assert all(r["status"] == "finished" and r["duration_seconds"] is not None for r in listed)
    only_b = client.get("/api/v1/rounds", params={"street": b.code}, headers=city).json()["items"]
    assert [r["id"] for r in only_b] == [of_street[b.code]]
    assert client.get("/api/v1/rounds", params={"street": "nowhere"}, headers=city).status_code == 400

    assert [r["id"] for r in client.get("/api/v1/rounds", headers=street_b).json()["items"]] == [of_street[b.code]]
    assert client.get(f"/api/v1/rounds/{of_street[b.code]}", headers=street_b).status_code == 200
    assert client.get(f"/api/v1/rounds/{of_street[a.code]}", headers=street_b).status_code == 404
    assert client.get("/api/v1/rounds", params={"street": a.code}, headers=street_b).status_code == 400

    session.add(MatchRound(status=RoundStatus.RUNNING, scope=street_scope(b.id), street_id=b.id))
    session.commit()
    busy = client.post("/api/v1/rounds", json={}, headers=street_b)
    assert busy.status_code == 409, busy.text
    partly = client.post("/api/v1/rounds", json={"street": "all"}, headers=city)
    assert partly.status_code == 202
    assert [r["street"] for r in partly.json()["rounds"]] == [a.code]
    assert [r["street_id"] for r in partly.json()["busy"]] == [b.id]
    assert worker.wait(timeout=60)


def test_a_round_writing_after_another_streets_round_promises_no_unit_or_hour_twice(session: Session) -> None:
    """Two streets' rounds planned side by side from the same state: the second to write skips what the
    first took (the offer both may use, the volunteer serving both at an overlapping hour)."""
    from marketplace.rounds import proposals
    from matching.round import Proposal, RoundPlan, RoundStats

    world = _two_streets(session)
    shift_a, shift_b = world["shift_a"], world["shift_b"]
    with Session(session.get_bind()) as db:  # street B's shift at the same hour as street A's
        db.execute(
            sa.update(Shift).where(Shift.id == shift_b.id).values(starts_at=shift_a.starts_at, ends_at=shift_a.ends_at)
        )
        db.commit()
    offer = world["offer_b"]  # 5,000 m²
    first = RoundPlan(
        lines=[Proposal("line", world["need_b"].id, world["line_b"].id, offer, 0.9, 1, (), 4000.0)],
        shifts=[Proposal("shift", world["need_a"].id, shift_a.id, world["v_both"], 0.9, 1, ())],
        stats=RoundStats(),
    )
    second = RoundPlan(
        lines=[Proposal("line", world["need_a"].id, world["line_a"].id, offer, 0.8, 1, (), 2000.0)],
        shifts=[
            Proposal("shift", world["need_b"].id, shift_b.id, world["v_both"], 0.8, 1, ()),
            Proposal("shift", world["need_b"].id, shift_b.id, world["v_b"], 0.7, 2, ()),
        ],
        stats=RoundStats(),
    )
    author = proposals.Author(None, "cli")
    with Session(session.get_bind()) as db:
        done = proposals.write(db, first, author)
        db.commit()
    assert (done.lines, done.shifts, done.skipped) == (1, 1, 0)
    with Session(session.get_bind()) as db:
        later = proposals.write(db, second, author)
        db.commit()
    # 1,000 m² are left of the offer, not 2,000; 丙 already holds street A's shift at that hour; 乙 is free.
    assert (later.lines, later.shifts, later.skipped) == (0, 1, 2)
    assert (shift_b.id, world["v_b"]) in _pairs(_round_matches(session), MatchKind.VOLUNTEER_SHIFT)
