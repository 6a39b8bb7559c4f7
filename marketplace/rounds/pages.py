"""The matching rounds pages, for admins: start a round, watch its progress, see past rounds' figures.

A street admin plans and sees their own street's rounds (another street's round is a 404); a city admin
sees every street's, each named, and starts one street's round or one round for every street (``street``:
a street code, or ``all``, the default). POST /rounds queues the round(s) (409 with the running one named
if the street's round is live, or every street's; 400 naming the field for a bad k, method or street) and
redirects to the round's page (to the list when several started); each round runs as its own background
job (marketplace/jobs/). The round's page polls /rounds/{id}/progress with htmx every second until the
round ends; without JavaScript the page offers a refresh link instead.
"""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.db.deps import ReaderSession
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.forms import FormData, many, one
from marketplace.i18n import gettext as _
from marketplace.jobs import services as jobs
from marketplace.jobs import services as jobs_services
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context, wants_fragment
from marketplace.places.models import Street
from marketplace.places.services import admin_street_ids
from marketplace.rounds import jobs as round_jobs
from marketplace.rounds import schedule, services
from marketplace.rounds.api import RoundApiController
from marketplace.rounds.models import WHOLE_DEPLOYMENT, MatchRound, RoundMethod, street_scope
from marketplace.rounds.scope import EVERY_STREET, streets_of, visible_round
from marketplace.rounds.view import STAGES, RoundView, schedule_views, street_name, view_of
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import admin_only, sessions_only
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.services import WEEKDAYS
from marketplace.whole_numbers import whole_number


def _form_problems(data: dict[str, Any]) -> tuple[RoundMethod, int, dict[str, str]]:
    problems: dict[str, str] = {}
    method_value = one(data, "method") or RoundMethod.OPTIMAL.value
    method = next((m for m in RoundMethod if m.value == method_value), RoundMethod.OPTIMAL)
    if method.value != method_value:
        problems["method"] = _("Choose the exactly optimal plan or the greedy baseline.")
    k_value = one(data, "k").strip() or "20"
    k = whole_number(k_value, maximum=services.MAX_K) or 0
    if not 1 <= k <= services.MAX_K:
        problems["k"] = _("Enter a whole number from 1 to %(max)d.") % {"max": services.MAX_K}
    return method, k, problems


def _targets(reader: Session, actor: CurrentUser, data: dict[str, Any], problems: dict[str, str]) -> list[int | None]:
    """The streets to plan, from the form's ``street`` (a code, or ``all``); None plans a deployment
    without streets. A street the admin does not work in is unknown to them."""
    streets = streets_of(reader, actor)
    code = one(data, "street").strip()
    if code and code != EVERY_STREET:
        chosen = [street.id for street in streets if street.code == code]
        if not chosen:
            problems["street"] = _("Choose one of your streets, or every street.")
        return list(chosen)
    if not streets:
        return [None] if admin_street_ids(actor) is None else []
    return [street.id for street in streets]


class RoundPagesController(Controller):
    path = "/rounds"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="rounds:index", sync_to_thread=True)
    def index(self, reader: ReaderSession, actor: Actor, saved: FromQuery[str | None] = None) -> Template:
        return _index_page(reader, actor, saved=(saved or "")[:32] or None)

    @post("/", name="rounds:start", sync_to_thread=True)
    def start(
        self, state: State, reader: ReaderSession, actor: Actor, client_address: ClientAddress, data: FormData
    ) -> Template | Redirect:
        method, k, problems = _form_problems(data)
        targets = _targets(reader, actor, data, problems)
        if problems:
            return _index_page(reader, actor, problems=problems, form=data, status_code=HTTP_400_BAD_REQUEST)
        # Its own transaction (the rounds and their jobs), committed before the jobs are handed over, so
        # whoever runs one finds both rows.
        with session_scope(state.session_factory) as db:
            rows, busy = services.start_streets(
                db, targets, method=method, k=k, started_by_id=actor.id, actor_role=actor.role.value
            )
            job_ids = [
                jobs.enqueue(
                    db,
                    round_jobs.KIND,
                    round_jobs.arguments(row.id or 0, client_address),
                    started_by_id=actor.id,
                    street_id=row.street_id,
                ).id
                or 0
                for row in rows
            ]
            round_ids = [row.id for row in rows]
        if not round_ids:
            live = reader.get(MatchRound, busy[0].round_id) if busy and busy[0].round_id else None
            return _index_page(reader, actor, busy=live, form=data, status_code=HTTP_409_CONFLICT)
        for job_id in job_ids:
            jobs_services.submit(state.settings, state.session_factory, state.reader_factory, job_id)
        path = f"/rounds/{round_ids[0]}" if len(round_ids) == 1 and len(targets) == 1 else "/rounds"
        return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)

    @post("/schedule", name="rounds:schedule", sync_to_thread=True)
    def set_schedule(self, state: State, reader: ReaderSession, actor: Actor, data: FormData) -> Template | Redirect:
        code = one(data, "street").strip()
        streets = [street for street in streets_of(reader, actor) if street.code == code]
        if not streets:
            problems = {"schedule-street": _("Choose one of your streets.")}
            return _index_page(reader, actor, problems=problems, status_code=HTTP_400_BAD_REQUEST)
        try:
            wanted = _schedule_choice(data)
        except schedule.ScheduleProblem as problem:
            return _index_page(
                reader,
                actor,
                problems={f"schedule-{problem.field}": problem.message},
                schedule_form=(code, data),
                status_code=HTTP_400_BAD_REQUEST,
            )
        with session_scope(state.session_factory) as db:
            schedule.save(db, streets[0].id or 0, wanted, actor_id=actor.id, actor_role=actor.role.value)
        return Redirect(path=f"/rounds?saved={code}#schedule-{code}", status_code=HTTP_303_SEE_OTHER)

    @get("/{round_id:int}", name="rounds:detail", sync_to_thread=True)
    def detail(
        self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor, round_id: FromPath[int]
    ) -> Template:
        view = _view(reader, actor, round_id)
        if wants_fragment(request):
            return Template("rounds/progress.html", context={"view": view, "oob": True})
        context = page_context(reader, view=view, show_streets=admin_street_ids(actor) is None, active_page="rounds")
        return Template("rounds/round.html", context=context)

    @get("/{round_id:int}/progress", name="rounds:progress", sync_to_thread=True)
    def progress(self, reader: ReaderSession, actor: Actor, round_id: FromPath[int]) -> Template:
        # oob: the fragment also refreshes the status badge in the page heading.
        return Template("rounds/progress.html", context={"view": _view(reader, actor, round_id), "oob": True})


def _schedule_choice(data: dict[str, Any]) -> schedule.ScheduleChoice:
    """The schedule form's fields, each checked: ScheduleProblem names the first that is wrong."""
    method, k, problems = _form_problems(data)
    if "method" in problems:
        raise schedule.ScheduleProblem("method", "unknown_method", problems["method"])
    if "k" in problems:
        raise schedule.ScheduleProblem("k", "k_out_of_range", problems["k"])
    weekdays = schedule.weekday_bits([str(value) for value in many(data, "weekdays")])
    at_minute = schedule.minute_of_day(one(data, "at") or "")
    return schedule.choice(one(data, "enabled") == "on", weekdays, at_minute, method, k)


def _view(reader: Session, actor: CurrentUser, round_id: int) -> RoundView:
    return view_of(reader, visible_round(reader, actor, round_id))


def _index_page(
    reader: Session,
    actor: CurrentUser,
    *,
    problems: dict[str, str] | None = None,
    busy: MatchRound | None = None,
    form: dict[str, Any] | None = None,
    schedule_form: tuple[str, dict[str, Any]] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> Template:
    street_ids = admin_street_ids(actor)
    views = [view_of(reader, row) for row in services.recent(reader, street_ids=street_ids)]
    lives = [view_of(reader, row) for row in services.live_rounds(reader, street_ids)]
    polling = [view for view in lives if view.polling]
    live_scopes = {view.row.scope for view in polling}
    streets = streets_of(reader, actor)
    if WHOLE_DEPLOYMENT in live_scopes:
        startable: list[Street] = []
    else:
        startable = [street for street in streets if street_scope(street.id) not in live_scopes]
    # With no streets at all (a bare deployment) a city admin plans the whole deployment.
    may_start = bool(startable) or (not streets and street_ids is None and not polling)
    context = page_context(
        reader,
        views=views,
        lives=polling,
        busy=view_of(reader, busy) if busy is not None else None,
        problems=problems or {},
        form={
            "method": one(form or {}, "method") or "optimal",
            "k": one(form or {}, "k") or "20",
            "street": one(form or {}, "street") or EVERY_STREET,
        },
        may_start=may_start,
        street_choices=[street_name(street) for street in startable],
        every_street=EVERY_STREET,
        show_streets=street_ids is None,
        max_k=services.MAX_K,
        methods=list(RoundMethod),
        stages=STAGES,
        schedules=schedule_views(reader, streets, utcnow()),
        schedule_form=_schedule_form_values(schedule_form),
        saved=saved,
        weekdays=list(zip(schedule.WEEKDAY_CODES, WEEKDAYS, strict=True)),
        active_page="rounds",
    )
    return Template("rounds/index.html", context=context, status_code=status_code)


def _schedule_form_values(schedule_form: tuple[str, dict[str, Any]] | None) -> dict[str, Any] | None:
    """A refused schedule form's values, shown again for the street it was for."""
    if schedule_form is None:
        return None
    code, data = schedule_form
    return {
        "street": code,
        "enabled": one(data, "enabled") == "on",
        "weekdays": [str(value) for value in many(data, "weekdays")],
        "at": one(data, "at"),
        "method": one(data, "method") or "optimal",
        "k": one(data, "k") or "20",
    }


ROUND_HANDLERS: list[Any] = [RoundPagesController, RoundApiController]
