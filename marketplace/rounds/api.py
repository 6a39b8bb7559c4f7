"""Matching rounds as JSON (admins): list and read them (``jobs:read``), start them (``jobs:write``).

The same rules as the pages: a street admin sees and starts only their street's rounds (another street's
round is a 404); a city admin sees every street's and starts one street's round or one for every street
(``street``: a street code, or ``all``, the default), each its own round and job. 409 when the street's
round is still live (for ``all``: when every street's is).
"""

from typing import Annotated, Any, Literal

from litestar import Controller, get, post, put
from litestar.datastructures import State
from litestar.exceptions import ClientException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_409_CONFLICT
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from marketplace.db.deps import ReaderSession
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.jobs import services as jobs
from marketplace.jobs import services as jobs_services
from marketplace.places.models import Street
from marketplace.places.services import admin_street_ids, street_by_code
from marketplace.rounds import jobs as round_jobs
from marketplace.rounds import schedule, services
from marketplace.rounds.models import MatchRound, RoundMethod
from marketplace.rounds.scope import EVERY_STREET, streets_of, visible_round
from marketplace.rounds.view import ScheduleView, schedule_views
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import admin_only, token_scope
from marketplace.security.identity import CurrentUser
from marketplace.validation import TYPED_INTEGER

StreetCode = Annotated[str | None, QueryParameter(max_length=32, description="Only this street's rounds (its code)")]


class RoundBusyConflict(ClientException):
    status_code = HTTP_409_CONFLICT


class RoundStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["optimal", "greedy"] = "optimal"
    k: Annotated[int, TYPED_INTEGER] = Field(default=20, ge=1, le=services.MAX_K)
    street: str = Field(default=EVERY_STREET, min_length=1, max_length=32, description="A street code, or all")


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="Start the street's rounds on this schedule; false keeps it but stops it")
    weekdays: list[str] = Field(
        default_factory=list, max_length=7, description="Days it runs: mon, tue, wed, thu, fri, sat, sun"
    )
    at: str = Field(default="09:00", max_length=5, description="Time of day on the street's clock, HH:MM")
    method: Literal["optimal", "greedy"] = "optimal"
    k: Annotated[int, TYPED_INTEGER] = Field(default=20, ge=1, le=services.MAX_K)


def schedule_out(view: ScheduleView) -> dict[str, Any]:
    return {
        "street": view.street.code,
        "enabled": view.enabled,
        "weekdays": view.weekdays,
        "at": view.at,
        "method": view.method,
        "k": view.k,
        "next_at": view.next_at.isoformat() if view.next_at else None,
        "last_round_id": view.last_round_id,
    }


def schedule_refused(problem: schedule.ScheduleProblem) -> ValidationException:
    entry = {"key": problem.field, "code": problem.code, "message": problem.message, "source": "body"}
    return ValidationException(f"{problem.field}: {problem.message}", extra=[entry])


def round_out(row: MatchRound, street: Street | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "street_id": row.street_id,
        "street": street.code if street is not None else None,  # None: the round planned every street at once
        "status": row.status.value,
        "stage": row.stage,
        "done": row.done,
        "total": row.total,
        "method": row.method.value,
        "k": row.k,
        "lines": row.lines,
        "shifts": row.shifts,
        "line_proposals": row.line_proposals,
        "shift_proposals": row.shift_proposals,
        "skipped": row.skipped,
        "objective": row.objective,
        "seconds": row.seconds or {},
        "duration_seconds": round(row.duration, 3) if row.duration is not None else None,
        "error": row.error,
        "created_at": row.created_at.isoformat(),
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }


def _out(reader: Session, rows: list[MatchRound]) -> list[dict[str, Any]]:
    streets = {row.street_id: reader.get(Street, row.street_id) for row in rows if row.street_id is not None}
    return [round_out(row, streets.get(row.street_id)) for row in rows]


def _street_filter(reader: Session, actor: CurrentUser, code: str | None) -> frozenset[int] | None:
    street_ids = admin_street_ids(actor)
    if code is None:
        return street_ids
    street = street_by_code(reader, code)
    if street is None or (street_ids is not None and street.id not in street_ids):
        raise ValidationException(
            "street: no such street", extra=[{"key": "street", "message": "no such street", "source": "query"}]
        )
    return frozenset({street.id or 0})


class RoundApiController(Controller):
    path = "/api/v1/rounds"
    tags = ["rounds"]

    @get(
        "/",
        operation_id="listRounds",
        summary="Matching rounds (admins)",
        description="Newest first (50): each round's street, status, progress, figures and duration. A street "
        "admin sees their street's rounds; a city admin every street's, or one street's with street=CODE.",
        guards=[admin_only, token_scope("jobs:read")],
        sync_to_thread=True,
    )
    def list_rounds(self, reader: ReaderSession, actor: Actor, street: StreetCode = None) -> dict[str, Any]:
        rows = services.recent(reader, 50, _street_filter(reader, actor, street))
        if street is not None:  # a street's rounds, without the whole-deployment ones
            rows = [row for row in rows if row.street_id is not None]
        return {"items": _out(reader, rows)}

    @get(
        "/{round_id:int}",
        operation_id="getRound",
        summary="One matching round (admins)",
        guards=[admin_only, token_scope("jobs:read")],
        sync_to_thread=True,
    )
    def get_round(self, reader: ReaderSession, actor: Actor, round_id: FromPath[int]) -> dict[str, Any]:
        return _out(reader, [visible_round(reader, actor, round_id)])[0]

    @post(
        "/",
        operation_id="startRounds",
        summary="Start a matching round for a street, or one for every street (admins)",
        description="Body: method (optimal|greedy), k (1-50), street (a code, or all: one round per street). "
        "Answers the rounds started and the streets whose round was still live; 409 if none could start.",
        guards=[admin_only, token_scope("jobs:write")],
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
    )
    def start_rounds(
        self,
        state: State,
        reader: ReaderSession,
        actor: Actor,
        client_address: ClientAddress,
        data: JSONBody[RoundStart],
    ) -> dict[str, Any]:
        streets = streets_of(reader, actor)
        if data.street == EVERY_STREET:
            targets: list[int | None] = [street.id for street in streets] or (
                [None] if admin_street_ids(actor) is None else []
            )
        else:
            targets = [street.id for street in streets if street.code == data.street]
            if not targets:
                raise ValidationException(
                    "street: no such street", extra=[{"key": "street", "message": "no such street", "source": "body"}]
                )
        method = RoundMethod(data.method)
        with session_scope(state.session_factory) as db:
            rows, busy = services.start_streets(
                db, targets, method=method, k=data.k, started_by_id=actor.id, actor_role=actor.role.value
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
            started = [row.id or 0 for row in rows]
        live = [{"round_id": refused.round_id, "street_id": refused.street_id} for refused in busy]
        if not started:
            raise RoundBusyConflict("A matching round is still running there.", extra={"busy": live})
        for job_id in job_ids:
            jobs_services.submit(state.settings, state.session_factory, state.reader_factory, job_id)
        reader.rollback()
        rounds = [reader.get(MatchRound, round_id) for round_id in started]
        return {"rounds": _out(reader, [row for row in rounds if row is not None]), "busy": live}

    @get(
        "/schedules",
        operation_id="listRoundSchedules",
        summary="Each street's round schedule (admins)",
        description="A street admin's street, or every street for a city admin: whether its rounds start on a "
        "schedule, on which weekdays and at what time (street clock), the plan and k, when the next one starts.",
        guards=[admin_only, token_scope("jobs:read")],
        sync_to_thread=True,
    )
    def list_schedules(self, reader: ReaderSession, actor: Actor) -> dict[str, Any]:
        views = schedule_views(reader, streets_of(reader, actor), utcnow())
        return {"items": [schedule_out(view) for view in views]}

    @put(
        "/schedules/{street:str}",
        operation_id="setRoundSchedule",
        summary="Set a street's round schedule (admins)",
        description="Body: enabled, weekdays (mon..sun), at (HH:MM, street clock), method, k. The first "
        "scheduled round starts at the next time due, not at once. 400 naming the field when it is wrong.",
        guards=[admin_only, token_scope("jobs:write")],
        sync_to_thread=True,
    )
    def set_schedule(
        self, state: State, reader: ReaderSession, actor: Actor, street: FromPath[str], data: JSONBody[ScheduleIn]
    ) -> dict[str, Any]:
        chosen = [row for row in streets_of(reader, actor) if row.code == street]
        if not chosen:
            raise ValidationException(
                "street: no such street",
                extra=[{"key": "street", "code": "unknown_street", "message": "no such street", "source": "path"}],
            )
        try:
            wanted = schedule.choice(
                data.enabled,
                schedule.weekday_bits(data.weekdays),
                schedule.minute_of_day(data.at),
                RoundMethod(data.method),
                data.k,
            )
        except schedule.ScheduleProblem as problem:
            raise schedule_refused(problem) from None
        with session_scope(state.session_factory) as db:
            schedule.save(db, chosen[0].id or 0, wanted, actor_id=actor.id, actor_role=actor.role.value)
        reader.rollback()
        return schedule_out(schedule_views(reader, chosen, utcnow())[0])
