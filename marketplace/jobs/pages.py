"""The admins' jobs pages (/admin/jobs): every background job with its status, progress and error,
filtered by status and kind; a failed one can be queued again (CSRF-checked, audited).

For admins signed in with a browser session only. A live job's page polls its progress fragment
every second with htmx, as the rounds page does; without JavaScript it offers a refresh link.
"""

from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import File, Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_403_FORBIDDEN, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.db.deps import ReaderSession
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.exchange import services as exchange_services
from marketplace.exchange.services import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from marketplace.forms import FormData
from marketplace.i18n import gettext as _
from marketplace.jobs import backends, services
from marketplace.jobs.kinds import KINDS
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schemas import JobView, ScheduledKind, job_link, kind_label
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, html_error_page, page_context, wants_fragment
from marketplace.places.services import StreetRef, find_street, is_city_admin, list_streets
from marketplace.query_filters import InvalidFilter
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser

PAGE_SIZE = 50
MAX_ID = services.MAX_ID
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]


class NotRetryableHere(ClientException):
    status_code = HTTP_409_CONFLICT


TRAINING_CHOICES = ("all", "volunteers", "offers")


def views_of(reader: Session, rows: list[Job], streets: dict[int, StreetRef] | None = None) -> list[JobView]:
    """Each job with its kind's label, who started it (one query for the names) and its street (from
    ``streets`` when the caller has them, else one query)."""
    ids = {row.started_by_id for row in rows if row.started_by_id}
    names: dict[int, str] = {}
    if ids:
        found = reader.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))  # type: ignore[union-attr]
        names = {int(user_id): str(name) for user_id, name in found.all()}
    if streets is None and any(row.street_id for row in rows):
        streets = {street.id: street for street in list_streets(reader)}
    return [
        JobView(
            row,
            kind_label(row.kind),
            names.get(row.started_by_id or 0, _("the system") if row.started_by_id is None else "?"),
            job_link(row),
            (streets or {}).get(row.street_id) if row.street_id is not None else None,
        )
        for row in rows
    ]


def schedule_panel(
    reader: Session, schedule: tuple[tuple[str, str], ...], viewer: CurrentUser, streets: list[StreetRef] | None
) -> list[ScheduledKind]:
    """What runs on the clock, each kind with its last run and next due time (one query for the last runs).
    Every scheduled kind sweeps the whole deployment, so each concerns every street admin; their last run
    is one of the viewer's (services.last_scheduled_runs), its figures and page a city admin's only."""
    if not schedule:
        return []
    from marketplace.jobs.embedded_schedule import next_due  # croniter: only when something is scheduled

    now = utcnow()
    last = services.last_scheduled_runs(reader, [kind for kind, _cron in schedule], viewer)
    views = {view.row.kind: view for view in views_of(reader, list(last.values()), {s.id: s for s in streets or []})}
    return [
        ScheduledKind(kind, kind_label(kind), cron, next_due(cron, now), views.get(kind)) for kind, cron in schedule
    ]


def _status(value: str | None) -> JobStatus | None:
    if not value:
        return None
    try:
        return JobStatus(value)
    except ValueError:
        raise InvalidFilter("status", _("Choose a valid value.")) from None


def _kind(value: str | None) -> str | None:
    if not value:
        return None
    if value not in KINDS:
        raise InvalidFilter("kind", _("Choose a valid value."))
    return value


def _one(reader: Session, job_id: int, viewer: CurrentUser) -> JobView:
    """A job's page: a city admin's every job, a street admin's their street's and their own, staff their
    own (an import, an export). A job someone else may see is not there for this viewer: the same 404 as a
    missing one (services.visible_job)."""
    try:
        row = services.visible_job(reader, job_id, viewer)
    except LookupError:
        raise NotFoundException(_("No such job.")) from None
    return views_of(reader, [row])[0]


def _street_filter(reader: Session, code: str | None) -> tuple[int | None, StreetRef | None]:
    """The street filter (a street code): its id and street, or a 400 naming the field."""
    if not code:
        return None, None
    street = find_street(reader, code)
    if street is None:
        raise InvalidFilter("street", _("Choose a valid value."))
    return street.id, street


def refused_page(request: Request[Any, Any, Any], exc: Exception) -> Template | Redirect:
    """A 403 page; work covering every street asked by a street admin has the reason as its headline.
    (Litestar picks a handler by status code before the exception's class: this one is keyed 403.)"""
    page = html_error_page(request, exc)
    if isinstance(exc, services.EveryStreetJob) and isinstance(page, Template):
        page.context["headline"] = exc.detail
    return page


class JobPagesController(Controller):
    path = "/admin/jobs"
    # The list, training and retries are the admins'; a job's page is also its starter's (staff's imports).
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = {**PAGE_EXCEPTION_HANDLERS, HTTP_403_FORBIDDEN: refused_page}

    @get("/", name="jobs:list", guards=[admin_only], sync_to_thread=True)
    def list_jobs(
        self,
        state: State,
        reader: ReaderSession,
        actor: Actor,
        status: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        street: FromQuery[str | None] = None,
        page: PageNumber = 1,
    ) -> Template:
        # A city admin sees every street's jobs (a street column, a street filter); a street admin their own's.
        city = is_city_admin(actor)
        street_id, _street = _street_filter(reader, street) if city else (None, None)
        filters = services.JobFilters(_status(status), _kind(kind), street_id)
        rows, total = services.list_jobs(reader, filters, page=page, page_size=PAGE_SIZE, viewer=actor)
        streets = list_streets(reader) if city else []
        context = page_context(
            reader,
            admin_section="jobs",
            views=views_of(reader, rows, {ref.id: ref for ref in streets} if city else None),
            show_streets=city,
            streets=streets,
            street_code=street if street_id is not None else "",
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            filters=filters,
            statuses=list(JobStatus),
            kinds=[(name, kind_label(name)) for name in KINDS],
            depth=services.queue_depth(reader, actor),
            failed=services.failed_count(reader, actor),
            training=services.live_job_id(reader, "match.train"),
            may_train=services.may_start_every_street_job(actor),
            every_street_refusal=services.EveryStreetJob("match.train").detail,
            filtered=bool(filters.status or filters.kind or street_id is not None),
            schedule=schedule_panel(reader, state.settings.schedule, actor, streets if city else None),
        )
        return Template("jobs/list.html", context=context)

    @get("/{job_id:int}", name="jobs:detail", sync_to_thread=True)
    def detail(
        self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor, job_id: FromPath[int]
    ) -> Template:
        view = _one(reader, job_id, actor)
        mine = view.row.started_by_id == actor.id
        if wants_fragment(request):
            return Template("jobs/progress.html", context={"view": view, "oob": True, "mine": mine})
        context = page_context(reader, admin_section="jobs", view=view, mine=mine)
        return Template("jobs/detail.html", context=context)

    @get("/{job_id:int}/download", name="jobs:download", sync_to_thread=True)
    def download(self, state: State, reader: ReaderSession, actor: Actor, job_id: FromPath[int]) -> File:
        """A finished export's file, for the person who asked only (it holds what their scope shows)."""
        view = _one(reader, job_id, actor)
        row = view.row
        if row.started_by_id != actor.id:  # the file holds what its asker's scope shows: not there for others
            raise NotFoundException(_("No such job."))
        result = row.result or {}
        path = exchange_services.export_file(state.settings, job_id, str(result.get("format", "")))
        if view.download is None or not path.is_file():
            raise NotFoundException(_("This export's file is gone: exports are kept for a day. Ask for it again."))
        media = XLSX_MEDIA_TYPE if result.get("format") == "xlsx" else CSV_MEDIA_TYPE
        return File(
            path=path,
            filename=str(result.get("file") or path.name),
            media_type=media,
            headers={"Cache-Control": "no-store"},
        )

    @get("/{job_id:int}/progress", name="jobs:progress", sync_to_thread=True)
    def progress(self, reader: ReaderSession, actor: Actor, job_id: FromPath[int]) -> Template:
        # oob: the fragment also refreshes the status badge in the page heading; an export's file is offered
        # in it to whoever asked, once the job is done.
        view = _one(reader, job_id, actor)
        mine = view.row.started_by_id == actor.id
        return Template("jobs/progress.html", context={"view": view, "oob": True, "mine": mine})

    @post("/train", name="jobs:train", guards=[admin_only], sync_to_thread=True)
    def train(self, state: State, actor: Actor, data: FormData) -> Redirect:
        """The "Train the rankers" button: queue match.train, or show the training already live."""
        services.check_may_start(actor, "match.train")  # it covers every street: a city admin's
        which = str(data.get("kind") or "all")
        if which not in TRAINING_CHOICES:
            raise InvalidFilter("kind", _("Choose a valid value."))
        try:
            with session_scope(state.session_factory) as db:
                job_id = services.enqueue_exclusive(db, "match.train", {"kind": which}, started_by_id=actor.id).id or 0
        except services.AlreadyLive as error:  # one training at a time: its page, not a second one
            return Redirect(path=f"/admin/jobs/{error.job_id or ''}", status_code=HTTP_303_SEE_OTHER)
        backends.submit(state.settings, state.session_factory, state.reader_factory, job_id)
        return Redirect(path=f"/admin/jobs/{job_id}", status_code=HTTP_303_SEE_OTHER)

    @post("/{job_id:int}/retry", name="jobs:retry", sync_to_thread=True)
    def retry(self, state: State, actor: Actor, job_id: FromPath[int]) -> Redirect:
        if not 1 <= job_id <= MAX_ID:
            raise NotFoundException(_("No such job."))
        # Staff retry the jobs they started (an import, an export); a street admin their street's and theirs.
        with state.reader_factory() as reader:
            _one(reader, job_id, actor)
        # Its own transaction, committed before the job is handed over, so whoever runs it finds it queued.
        try:
            with session_scope(state.session_factory) as db:
                services.retry(db, job_id, actor)
        except LookupError:
            raise NotFoundException(_("No such job.")) from None
        except services.AlreadyLive as error:
            raise NotRetryableHere(
                _("Another job of this kind is already queued or running: job #%(id)s.", id=error.job_id)
            ) from None
        except services.NotRetryable:
            raise NotRetryableHere(_("Only a failed job can be retried.")) from None
        backends.submit(state.settings, state.session_factory, state.reader_factory, job_id)
        return Redirect(path=f"/admin/jobs/{job_id}", status_code=HTTP_303_SEE_OTHER)


JOB_PAGE_HANDLERS: list[Any] = [JobPagesController]
