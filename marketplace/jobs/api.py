"""Background jobs as JSON (admins): list and read them (``jobs:read``), queue a failed one again (``jobs:write``)."""

from typing import Annotated, Any, Literal

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT
from pydantic import BaseModel, Field

from marketplace.db.deps import ReaderSession
from marketplace.db.engine import session_scope
from marketplace.jobs import backends, services
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schemas import job_out
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, token_scope

MAX_ID = 2**31 - 1
Kind = Annotated[str | None, QueryParameter(max_length=64, description="A job kind, e.g. match.round")]
Page = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]
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


def _get(reader: Any, job_id: int) -> Job:
    row = reader.get(Job, job_id) if 1 <= job_id <= MAX_ID else None
    if row is None:
        raise NotFoundException("No such job.")
    return row  # type: ignore[no-any-return]


class JobApiController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get(
        "/",
        operation_id="listJobs",
        summary="Background jobs (admins)",
        description="Newest first: matching rounds, training, sweeps and scheduled runs, with status, progress, "
        "attempts and error. status and kind filter; queue_depth counts the jobs waiting and running.",
        guards=[admin_only, token_scope("jobs:read")],
        sync_to_thread=True,
    )
    def list_jobs(
        self,
        reader: ReaderSession,
        status: FromQuery[JobStatus | None] = None,
        kind: Kind = None,
        page: Page = 1,
        page_size: PageSize = 50,
    ) -> dict[str, Any]:
        rows, total = services.list_jobs(reader, services.JobFilters(status, kind), page=page, page_size=page_size)
        return {
            "total": total,
            "page": page,
            "queue_depth": services.queue_depth(reader),
            "failed": services.failed_count(reader),
            "items": [job_out(row) for row in rows],
        }

    @post(
        "/",
        operation_id="startJob",
        summary="Start a background job (admins)",
        description="Queues the job and answers it (201); follow it at GET /api/v1/jobs/{job_id} or its page "
        "/admin/jobs/{job_id}. kind match.train: one training at a time, 409 (with job_id) while one is queued "
        "or running.",
        guards=[admin_only, token_scope("jobs:write")],
        status_code=201,
        sync_to_thread=True,
    )
    def start_job(self, state: State, actor: Actor, data: JSONBody[JobIn]) -> dict[str, Any]:
        try:
            with session_scope(state.session_factory) as db:
                row = services.enqueue_exclusive(db, data.kind, data.arguments.model_dump(), started_by_id=actor.id)
                job_id = row.id or 0
        except services.AlreadyLive as error:
            raise already_live(error) from None
        backends.submit(state.settings, state.session_factory, state.reader_factory, job_id)
        with state.reader_factory() as reader:
            return job_out(_get(reader, job_id))

    @get(
        "/{job_id:int}",
        operation_id="getJob",
        summary="One background job (admins)",
        guards=[admin_only, token_scope("jobs:read")],
        sync_to_thread=True,
    )
    def get_job(self, reader: ReaderSession, job_id: FromPath[int]) -> dict[str, Any]:
        return job_out(_get(reader, job_id))

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
        if not 1 <= job_id <= MAX_ID:
            raise NotFoundException("No such job.")
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
