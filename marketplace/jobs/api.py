"""Background jobs as JSON (admins): list and read them (``jobs:read``), queue a failed one again (``jobs:write``)."""

from typing import Annotated, Any, Literal

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT
from pydantic import BaseModel, Field

from marketplace.db.deps import ReaderSession
from marketplace.db.engine import session_scope
from marketplace.jobs import backends, services
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schemas import job_out
from marketplace.places.services import find_street, is_city_admin
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, token_scope
from marketplace.security.identity import CurrentUser

Kind = Annotated[str | None, QueryParameter(max_length=64, description="A job kind, e.g. match.round")]
Page = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]
Street = Annotated[str | None, QueryParameter(max_length=32, description="A street code, e.g. 370203-hudao")]
PageSize = Annotated[int, QueryParameter(ge=1, le=services.MAX_PAGE_SIZE, description="Jobs per page")]


class JobNotRetryable(ClientException):
    status_code = HTTP_409_CONFLICT


class JobAlreadyLive(ClientException):
    status_code = HTTP_409_CONFLICT


class TrainingArguments(BaseModel):
    kind: Literal["all", "volunteers", "offers"] = Field(
        default="all", description="Which learned ranker to fit: volunteers (for shifts), offers (for lines), or all"
    )


class JobIn(BaseModel):
    kind: Literal["match.train"] = Field(
        description="What to run. match.train fits the learned rankers on the decisions so far, as "
        "marketplace match train does; one at a time (409 names the live one)."
    )
    arguments: TrainingArguments = Field(default_factory=TrainingArguments)


def already_live(error: services.AlreadyLive) -> JobAlreadyLive:
    return JobAlreadyLive(
        f"A {error.kind} job is already queued or running: job {error.job_id}.",
        extra={"job_id": error.job_id},
    )


def _get(reader: Any, job_id: int, viewer: CurrentUser) -> Job:
    """The job, or 404: also another street's job for a street admin (it is not there for them)."""
    try:
        return services.visible_job(reader, job_id, viewer)
    except LookupError:
        raise NotFoundException("No such job.") from None


def _street_id(reader: Any, viewer: CurrentUser, code: str | None) -> int | None:
    """A city admin's street filter (a street code), or a 400 naming it; a street admin sees their street's anyway."""
    if not code or not is_city_admin(viewer):
        return None
    street = find_street(reader, code)
    if street is None:
        raise ValidationException(
            "street: no such street", extra=[{"key": "street", "message": "no such street", "source": "query"}]
        )
    return street.id


class JobApiController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get(
        "/",
        operation_id="listJobs",
        summary="Background jobs (admins)",
        description="Newest first: matching rounds, training, sweeps and scheduled runs, with status, progress, "
        "attempts and error. status and kind filter; queue_depth counts the jobs waiting and running. A street "
        "admin sees their street's jobs and those they started; a city admin every job (street_id null: "
        "deployment-wide work such as the scheduled sweeps), filtered by street (a street code) if given.",
        guards=[admin_only, token_scope("jobs:read")],
        sync_to_thread=True,
    )
    def list_jobs(
        self,
        reader: ReaderSession,
        actor: Actor,
        status: FromQuery[JobStatus | None] = None,
        kind: Kind = None,
        street: Street = None,
        page: Page = 1,
        page_size: PageSize = 50,
    ) -> dict[str, Any]:
        filters = services.JobFilters(status, kind, _street_id(reader, actor, street))
        rows, total = services.list_jobs(reader, filters, page=page, page_size=page_size, viewer=actor)
        return {
            "total": total,
            "page": page,
            "queue_depth": services.queue_depth(reader, actor),
            "failed": services.failed_count(reader, actor),
            "items": [job_out(row) for row in rows],
        }

    @post(
        "/",
        operation_id="startJob",
        summary="Start a background job (admins)",
        description="Queues the job and answers it (201); follow it at GET /api/v1/jobs/{job_id} or its page "
        "/admin/jobs/{job_id}. kind match.train: one training at a time, 409 (with job_id) while one is queued "
        "or running; it covers every street, so only a city admin starts it (a street admin: 403, extra.code "
        "every_street_job).",
        guards=[admin_only, token_scope("jobs:write")],
        status_code=201,
        sync_to_thread=True,
    )
    def start_job(self, state: State, actor: Actor, data: JSONBody[JobIn]) -> dict[str, Any]:
        services.check_may_start(actor, data.kind)  # 403 for a street admin: training covers every street
        try:
            with session_scope(state.session_factory) as db:
                row = services.enqueue_exclusive(db, data.kind, data.arguments.model_dump(), started_by_id=actor.id)
                job_id = row.id or 0
        except services.AlreadyLive as error:
            raise already_live(error) from None
        backends.submit(state.settings, state.session_factory, state.reader_factory, job_id)
        with state.reader_factory() as reader:
            return job_out(_get(reader, job_id, actor))

    @get(
        "/{job_id:int}",
        operation_id="getJob",
        summary="One background job (admins)",
        guards=[admin_only, token_scope("jobs:read")],
        sync_to_thread=True,
    )
    def get_job(self, reader: ReaderSession, actor: Actor, job_id: FromPath[int]) -> dict[str, Any]:
        return job_out(_get(reader, job_id, actor))

    @post(
        "/{job_id:int}/retry",
        operation_id="retryJob",
        summary="Queue a failed job again (admins)",
        description="Attempts start over; audited as job.retry. 409 unless the job failed.",
        guards=[admin_only, token_scope("jobs:write")],
        status_code=HTTP_200_OK,
        sync_to_thread=True,
    )
    def retry_job(self, state: State, actor: Actor, job_id: FromPath[int]) -> dict[str, Any]:
        with state.reader_factory() as reader:
            _get(reader, job_id, actor)  # 404 for another street's job
        try:
            with session_scope(state.session_factory) as db:
                row = services.retry(db, job_id, actor)
                db.refresh(row)
                answer = job_out(row)
        except LookupError:
            raise NotFoundException("No such job.") from None
        except services.AlreadyLive as error:
            raise already_live(error) from None
        except services.NotRetryable:
            raise JobNotRetryable("Only a failed job can be retried.") from None
        backends.submit(state.settings, state.session_factory, state.reader_factory, job_id)
        return answer
