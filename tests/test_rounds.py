"""Matching rounds in the app: an admin starts one, it runs off the request with its progress on the page,
its proposals land in the review queue (approving one works), one round at a time, admins only, and the
command line runs the same round."""

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.types import utcnow
from marketplace.matches import round_proposals
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import ResourceLine, Shift, ShiftSkill
from marketplace.offers.models import Offer, OfferGrid
from marketplace.places.models import Grid
from marketplace.recommend import services as recommend_service
from marketplace.rounds import services as rounds_service
from marketplace.rounds import worker
from marketplace.rounds.cli import round_command
from marketplace.rounds.models import MatchRound, RoundStatus
from marketplace.security.identity import CurrentUser
from marketplace.settings import Settings
from marketplace.vocabulary import Urgency
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
)
from tests import matches_factories as mf
from tests.factories import BENEFICIARY_PHONE, make_offer
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    audit_events,
    csrf_from,
    fetch,
    make_grid,
    make_org,
    make_user,
    post_form,
    sign_in_as,
)


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    # Each test builds a new database that may reuse the previous one's address and ids.
    recommend_service.forget()
    yield
    worker.wait(timeout=60)  # no round thread outlives its test's database
    recommend_service.forget()


def _volunteer(session: Session, grid: Grid, name: str, skills: list[Skill]) -> int:
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
    session.commit()
    return profile.id or 0


def _street(session: Session) -> dict[str, Any]:
    """A published need with a 5,000 m² line and a two-place shift; two offers; three volunteers."""
    grid = make_grid(session)
    skill = Skill(code="first-aid", group="medical", name="急救", name_en="First aid")
    session.add(skill)
    session.commit()
    need = mf.project(session, grid, title="老旧小区改造", urgency=Urgency.HIGH)
    line = mf.line(session, need, "5000")
    shift = mf.shift(session, need, slots=2, requires_approval=True)
    session.add(ShiftSkill(shift_id=shift.id or 0, skill_id=skill.id or 0))
    organization = make_org(session, name="绿帆建材")
    bricks = make_offer(session, organization, title="透水砖", remaining_quantity=Decimal(3200))
    more = make_offer(session, organization, title="透水砖（二批）", remaining_quantity=Decimal(1000))
    session.add_all([OfferGrid(offer_id=o.id or 0, grid_id=grid.id or 0) for o in (bricks, more)])
    session.commit()
    people = [_volunteer(session, grid, name, [skill]) for name in ("王急救", "李护士", "赵医生")]
    return {"grid": grid, "need": need, "line": line, "shift": shift, "offers": (bricks, more), "people": people}


def _finish(client: TestClient[Any], round_id: int, timeout: float = 60) -> str:
    """Poll the progress fragment as the page does, until the round is no longer live; the last fragment."""
    deadline = time.monotonic() + timeout
    while True:
        fragment = client.get(f"/rounds/{round_id}/progress", headers={"HX-Request": "true"})
        assert fragment.status_code == 200, fragment.text
        if 'hx-trigger="every 1s"' not in fragment.text:
            return fragment.text
        assert time.monotonic() < deadline, fragment.text
        time.sleep(0.2)


def _start(client: TestClient[Any], settings: Settings, **form: str) -> int:
    response = post_form(client, settings, "/rounds", {"method": "optimal", "k": "20"} | form)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/rounds/")
    return int(location.rsplit("/", 1)[1])


def _round_matches(session: Session) -> list[Match]:
    with Session(session.get_bind()) as fresh:
        query = sa.select(Match).where(Match.source == MatchSource.MATCHING_ROUND).order_by(Match.id)
        return list(fresh.execute(query).scalars())


def test_a_round_proposes_the_best_plan_and_approving_a_proposal_works(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    world = _street(session)
    admin = sign_in_as(client, session, Role.ADMIN)
    page = client.get("/rounds")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text and 'action="/rounds"' in page.text
    round_id = _start(client, settings)
    final = _finish(client, round_id)
    assert "/review" in final

    row = fetch(session, MatchRound, round_id)
    assert row.status is RoundStatus.FINISHED, row.error
    assert (row.lines, row.shifts, row.line_proposals, row.shift_proposals, row.skipped) == (1, 1, 2, 2, 0)
    assert row.started_by_id == admin.id and row.duration is not None and row.seconds["shift_allocation"] >= 0

    matches = _round_matches(session)
    lines = sorted((m for m in matches if m.kind is MatchKind.OFFER_LINE), key=lambda m: -(m.quantity or 0))
    # 5,000 m² still needed: split across the 3,200 and the 1,000 offer.
    assert [(m.offer_id, m.quantity) for m in lines] == [
        (world["offers"][0].id, Decimal("3200.00")),
        (world["offers"][1].id, Decimal("1000.00")),
    ]
    shifts = [m for m in matches if m.kind is MatchKind.VOLUNTEER_SHIFT]
    assert len(shifts) == 2 and {m.volunteer_id for m in shifts} <= set(world["people"])
    for match in matches:
        assert match.status is MatchStatus.PROPOSED and match.proposed_by_id == admin.id
        assert match.score and match.score > 0 and match.shown_rank is not None and match.shown_rank >= 1
        assert match.explanation and {"feature", "value", "contribution", "zh", "en"} <= set(match.explanation[0])
    assert sorted(m.shown_rank for m in shifts) == [1, 2]
    # Each volunteer proposal has the pending sign-up the review flow confirms.
    with Session(session.get_bind()) as fresh:
        signups = list(fresh.execute(sa.select(ShiftSignup)).scalars())
    assert {(s.match_id, s.status) for s in signups} == {(m.id, SignupStatus.PENDING) for m in shifts}

    client.cookies.set("lang", "en")
    queue = client.get("/review")
    assert queue.status_code == 200 and "老旧小区改造" in queue.text
    assert "still needed" in queue.text  # the library's own English sentence, from the stored explanation
    assert BENEFICIARY_PHONE not in client.get(f"/rounds/{round_id}").text

    # A round's proposal is an offer to its candidate: approved only once the volunteer or partner accepted it.
    waiting = post_form(client, settings, f"/review/{shifts[0].id}/approve")
    assert waiting.status_code == 409 and "has not accepted this proposal yet" in waiting.text
    with Session(session.get_bind()) as db:
        round_proposals.accept(db, _candidate(db, shifts[0]), shifts[0].id or 0)
        round_proposals.accept(db, _candidate(db, lines[0]), lines[0].id or 0)
        db.commit()
    approved = post_form(client, settings, f"/review/{shifts[0].id}/approve")
    assert approved.status_code == 303, approved.text
    assert fetch(session, Shift, world["shift"].id).confirmed_count == 1
    with Session(session.get_bind()) as fresh:
        signup = fresh.execute(sa.select(ShiftSignup).where(ShiftSignup.match_id == shifts[0].id)).scalar_one()
    assert signup.status is SignupStatus.CONFIRMED
    assert post_form(client, settings, f"/review/{lines[0].id}/approve").status_code == 303
    assert fetch(session, Offer, world["offers"][0].id).remaining_quantity == Decimal("0.00")
    assert fetch(session, ResourceLine, world["line"].id).still_needed == Decimal("1800.00")

    actions = [event.action for event in audit_events(session)]
    assert actions.count("match.propose") == 4 and "round.start" in actions and "round.finish" in actions


def _candidate(db: Session, match: Match) -> CurrentUser:
    """The volunteer or partner a proposal was made to, as the signed-in user who answers it."""
    if match.volunteer_id is not None:
        profile = db.get(VolunteerProfile, match.volunteer_id)
        user = db.get(User, profile.user_id if profile else 0)
    else:
        user = make_user(db, Role.PARTNER, organization_id=match.organization_id)
    assert user is not None and user.id is not None
    return CurrentUser(user.id, user.username, user.display_name, user.role, user.organization_id)


def test_a_second_round_proposes_nothing_twice(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _street(session)
    sign_in_as(client, session, Role.ADMIN)
    _finish(client, _start(client, settings))
    assert len(_round_matches(session)) == 4
    second = _start(client, settings)
    _finish(client, second)
    # What the first round proposed still holds its units, places and pairs while it waits for review.
    assert len(_round_matches(session)) == 4
    row = fetch(session, MatchRound, second)
    assert row.status is RoundStatus.FINISHED and row.proposals == 0


def test_a_volunteer_busy_elsewhere_then_is_not_proposed(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    world = _street(session)
    shift = world["shift"]
    # 王急救 is confirmed for another shift at the same hour.
    other_need = mf.project(session, world["grid"], title="另一项目")
    other = mf.shift(session, other_need, slots=3)
    with Session(session.get_bind()) as db:
        row = db.get(Shift, other.id)
        assert row is not None
        row.starts_at, row.ends_at = shift.starts_at, shift.ends_at
        db.add(ShiftSignup(shift_id=other.id or 0, volunteer_id=world["people"][0], status=SignupStatus.CONFIRMED))
        row.confirmed_count = 1
        db.commit()
    sign_in_as(client, session, Role.ADMIN)
    _finish(client, _start(client, settings))
    proposed = {(m.shift_id, m.volunteer_id) for m in _round_matches(session) if m.kind is MatchKind.VOLUNTEER_SHIFT}
    assert (shift.id, world["people"][0]) not in proposed and (other.id, world["people"][0]) not in proposed


def test_the_page_shows_progress_while_a_round_runs_and_polls_until_it_ends(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    running = MatchRound(status=RoundStatus.RUNNING, stage="shifts", done=30, total=120, started_at=utcnow())
    session.add(running)
    session.commit()
    client.cookies.set("lang", "en")
    page = client.get("/rounds")
    assert page.status_code == 200
    assert f'hx-get="/rounds/{running.id}/progress"' in page.text and 'hx-trigger="every 1s"' in page.text
    assert "Step 3 of 5" in page.text and "Ranking volunteers for the shifts" in page.text and "30 / 120" in page.text
    assert 'value="25"' in page.text  # the stage's progress bar
    assert 'action="/rounds"' not in page.text  # no start form while one runs
    client.cookies.set("lang", "zh_CN")
    assert "正在为班次排序候选志愿者" in client.get(f"/rounds/{running.id}").text
    with Session(session.get_bind()) as db:
        db.execute(
            sa.update(MatchRound)
            .where(MatchRound.id == running.id)
            .values(status=RoundStatus.FINISHED, line_proposals=3, shift_proposals=4, finished_at=utcnow())
        )
        db.commit()
    client.cookies.set("lang", "en")
    done = client.get(f"/rounds/{running.id}/progress", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' not in done.text and "7 proposals are waiting" in done.text
    # The heading's status badge follows, swapped out of band.
    assert f'id="round-{running.id}-status"' in done.text and 'hx-swap-oob="true"' in done.text
    assert "Finished" in done.text.split(f'id="round-{running.id}-status"')[1].split("</span>")[0]
    assert f'href="/review?round={running.id}&amp;kind=volunteer_shift"' in done.text  # this round's only


def test_a_start_while_a_round_runs_is_refused_with_409_naming_it(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    running = MatchRound(status=RoundStatus.RUNNING, stage="allocation", started_at=utcnow())
    session.add(running)
    session.commit()
    client.cookies.set("lang", "en")
    refused = post_form(client, settings, "/rounds", {"method": "optimal", "k": "20"})
    assert refused.status_code == 409
    assert f"Round #{running.id} is still running" in refused.text and f'href="/rounds/{running.id}"' in refused.text
    with Session(session.get_bind()) as db:
        assert db.execute(sa.select(sa.func.count()).select_from(MatchRound)).scalar() == 1


def test_the_database_refuses_a_second_live_round(session: Session) -> None:
    session.add(MatchRound(status=RoundStatus.RUNNING))
    session.commit()
    session.add(MatchRound(status=RoundStatus.QUEUED))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(MatchRound(status=RoundStatus.FINISHED))  # finished ones do not count
    session.commit()


def test_a_round_whose_heartbeat_stopped_does_not_block_the_next(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    stale = MatchRound(status=RoundStatus.RUNNING, heartbeat_at=utcnow() - timedelta(minutes=30))
    session.add(stale)
    session.commit()
    client.cookies.set("lang", "en")
    page = client.get("/rounds")
    assert 'action="/rounds"' in page.text and 'hx-trigger="every 1s"' not in page.text
    assert "stopped answering" in client.get(f"/rounds/{stale.id}").text
    new = _start(client, settings)
    _finish(client, new)
    old = fetch(session, MatchRound, stale.id)
    assert old.status is RoundStatus.FAILED and "interrupted" in (old.error or "")
    assert fetch(session, MatchRound, new).status is RoundStatus.FINISHED


def test_k_and_method_are_checked_and_named(client: TestClient[Any], session: Session, settings: Settings) -> None:
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    for form, field in (({"k": "0"}, "k"), ({"k": "many"}, "k"), ({"k": "51"}, "k"), ({"method": "lottery"}, "method")):
        response = post_form(client, settings, "/rounds", {"method": "optimal", "k": "20"} | form)
        assert response.status_code == 400, form
        assert "has-error" in response.text
        if field == "k":
            assert 'aria-invalid="true"' in response.text and "from 1 to 50" in response.text
    with Session(session.get_bind()) as db:
        assert db.execute(sa.select(sa.func.count()).select_from(MatchRound)).scalar() == 0


@pytest.mark.parametrize("role", [Role.STAFF, Role.VOLUNTEER, Role.PARTNER])
def test_only_admins_see_or_start_rounds(
    client: TestClient[Any], session: Session, settings: Settings, role: Role
) -> None:
    sign_in_as(client, session, role)
    assert client.get("/rounds").status_code == 403
    assert post_form(client, settings, "/rounds", {"method": "optimal", "k": "20"}).status_code == 403
    with Session(session.get_bind()) as db:
        assert db.execute(sa.select(sa.func.count()).select_from(MatchRound)).scalar() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient[Any]) -> None:
    response = client.get("/rounds", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_concurrent_starts_run_one_round_and_refuse_the_others_with_409(
    live_app: LiveApp,  # noqa: F811
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_run = rounds_service.run

    def run_after_a_pause(*args: Any, **kwargs: Any) -> Any:
        # A round on a street this small ends in milliseconds; under load the last presses could arrive
        # after it ended and rightly start a second one. The pause keeps the first round live during the race.
        time.sleep(3)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(rounds_service, "run", run_after_a_pause)
    _street(session)
    make_user(session, Role.ADMIN, username="round-admin")
    clients = [live_app.client() for _ in range(8)]
    try:
        tokens = []
        for http in clients:
            page = http.get("/login")
            signed = http.post(
                "/login",
                data={"username": "round-admin", "password": DEFAULT_PASSWORD, "csrf_token": csrf_from(page.text)},
            )
            assert signed.status_code in (200, 303), signed.text
            tokens.append(csrf_from(http.get("/rounds").text))
        barrier = threading.Barrier(len(clients))
        answers: list[int] = []

        def press(http: httpx.Client, token: str) -> None:
            barrier.wait()
            response = http.post(
                "/rounds", data={"method": "optimal", "k": "20", "csrf_token": token}, follow_redirects=False
            )
            answers.append(response.status_code)

        threads = [threading.Thread(target=press, args=pair) for pair in zip(clients, tokens, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(answers) == [303] + [409] * 7, answers
        # Not round 1 by id: on PostgreSQL the refused inserts draw from the sequence too, so the winner's
        # id depends on which press reached the database first.
        deadline = time.monotonic() + 60
        while (started := _only_round(session)) is None or started.is_live:
            assert time.monotonic() < deadline, started
            time.sleep(0.2)
    finally:
        for http in clients:
            http.close()
    with Session(session.get_bind()) as db:
        rounds = list(db.execute(sa.select(MatchRound)).scalars())
    assert [r.status for r in rounds] == [RoundStatus.FINISHED] and rounds[0].proposals == 4
    assert "Traceback" not in live_app.log() and "database is locked" not in live_app.log()


def _only_round(session: Session) -> MatchRound | None:
    with Session(session.get_bind()) as db:
        rows = list(db.execute(sa.select(MatchRound)).scalars())
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def _cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    return CliRunner().invoke(round_command, list(args), catch_exceptions=False)


def test_the_command_line_runs_a_round_and_prints_json(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _street(session)
    result = _cli(settings, monkeypatch, "--json", "--k", "5")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished" and summary["k"] == 5 and summary["method"] == "optimal"
    assert (summary["line_proposals"], summary["shift_proposals"]) == (2, 2)
    assert summary["seconds"]["shift_allocation"] >= 0
    matches = _round_matches(session)
    assert len(matches) == 4 and all(m.proposed_by_id is None for m in matches)
    assert [e.actor_role for e in audit_events(session, "round.start")] == ["cli"]


def test_the_command_line_shows_progress_and_refuses_while_a_round_runs(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _street(session)
    result = _cli(settings, monkeypatch, "--greedy")
    assert result.exit_code == 0, result.output
    assert "greedy" in result.output and "finished in" in result.output and "shift_allocation" in result.output
    session.add(MatchRound(status=RoundStatus.RUNNING))
    session.commit()
    busy = _cli(settings, monkeypatch, "--json")
    assert busy.exit_code != 0 and "still running" in busy.output


def test_a_failed_round_says_so_and_frees_the_way(
    client: TestClient[Any], session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one stand-in of this file: nothing real makes the solver fail on demand.
    def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the solver gave up")

    _street(session)
    sign_in_as(client, session, Role.ADMIN)
    monkeypatch.setattr("marketplace.rounds.services.plan_round", explode)
    failed = _start(client, settings)
    client.cookies.set("lang", "en")
    final = _finish(client, failed)
    assert "The round failed; nothing was proposed." in final and "the solver gave up" in final
    row = fetch(session, MatchRound, failed)
    assert row.status is RoundStatus.FAILED and row.finished_at is not None
    assert _round_matches(session) == [] and [e.object_id for e in audit_events(session, "round.fail")] == [failed]
    monkeypatch.undo()
    _finish(client, _start(client, settings))
    assert len(_round_matches(session)) == 4


def test_a_pair_taken_after_planning_is_skipped_not_failed(session: Session) -> None:
    from marketplace.rounds import proposals
    from matching.round import Proposal, RoundPlan, RoundStats

    world = _street(session)
    shift, (first, second, _third) = world["shift"], world["people"]
    plan = RoundPlan(
        lines=[],
        shifts=[
            Proposal("shift", world["need"].id, shift.id, first, 0.9, 1, ()),
            Proposal("shift", world["need"].id, shift.id, second, 0.8, 2, ()),
        ],
        stats=RoundStats(),
    )
    # While the round was planning, the first volunteer signed up for the shift themselves.
    session.add(ShiftSignup(shift_id=shift.id or 0, volunteer_id=first, status=SignupStatus.PENDING))
    session.commit()
    with Session(session.get_bind()) as db:
        written = proposals.write(db, plan, proposals.Author(None, "cli"))
        db.commit()
    assert (written.shifts, written.skipped) == (1, 1)
    assert [m.volunteer_id for m in _round_matches(session)] == [second]
