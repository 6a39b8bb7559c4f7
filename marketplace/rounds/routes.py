"""The matching rounds pages, for admins: start a round, watch its progress, see past rounds' figures.

POST /rounds queues a round (409 with the running one named if one is live; 400 naming the field for a
bad k or method) and redirects to its page; the work runs as a background job (marketplace/jobs/). The round's page
polls /rounds/{id}/progress with htmx every second until the round ends; without JavaScript the page
offers a refresh link instead.
"""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.db.deps import ReaderSession
from marketplace.db.engine import session_scope
from marketplace.i18n import gettext as _
from marketplace.jobs import backends
from marketplace.jobs import services as jobs
from marketplace.organizations.forms import FormData, one
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context, wants_fragment
from marketplace.rounds import jobs as round_jobs
from marketplace.rounds import service
from marketplace.rounds.models import MatchRound, RoundMethod
from marketplace.rounds.view import STAGES, RoundView, view_of
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import admin_only, sessions_only


def _form_problems(data: dict[str, Any]) -> tuple[RoundMethod, int, dict[str, str]]:
    problems: dict[str, str] = {}
    method_value = one(data, "method") or RoundMethod.OPTIMAL.value
    method = next((m for m in RoundMethod if m.value == method_value), RoundMethod.OPTIMAL)
    if method.value != method_value:
        problems["method"] = _("Choose the exactly optimal plan or the greedy baseline.")
    k_value = one(data, "k").strip() or "20"
    k = int(k_value) if k_value.isdigit() else 0
    if not 1 <= k <= service.MAX_K:
        problems["k"] = _("Enter a whole number from 1 to %(max)d.") % {"max": service.MAX_K}
    return method, k, problems


class RoundPagesController(Controller):
    path = "/rounds"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="rounds:index", sync_to_thread=True)
    def index(self, reader: ReaderSession) -> Template:
        return _index_page(reader)

    @post("/", name="rounds:start", sync_to_thread=True)
    def start(
        self, state: State, reader: ReaderSession, actor: Actor, client_address: ClientAddress, data: FormData
    ) -> Template | Redirect:
        method, k, problems = _form_problems(data)
        if problems:
            return _index_page(reader, problems=problems, form=data, status_code=HTTP_400_BAD_REQUEST)
        # Its own transaction (the round and its job), committed before the job is handed over, so
        # whoever runs it finds both rows.
        try:
            with session_scope(state.session_factory) as db:
                row = service.start(db, method=method, k=k, started_by_id=actor.id, actor_role=actor.role.value)
                job = jobs.enqueue(
                    db, round_jobs.KIND, round_jobs.arguments(row.id or 0, client_address), started_by_id=actor.id
                )
        except service.RoundBusy as busy:
            reader.rollback()
            live = reader.get(MatchRound, busy.round_id) if busy.round_id else None
            return _index_page(reader, busy=live, form=data, status_code=HTTP_409_CONFLICT)
        backends.submit(state.settings, state.session_factory, state.reader_factory, job.id or 0)
        return Redirect(path=f"/rounds/{row.id}", status_code=HTTP_303_SEE_OTHER)

    @get("/{round_id:int}", name="rounds:detail", sync_to_thread=True)
    def detail(self, request: Request[Any, Any, Any], reader: ReaderSession, round_id: FromPath[int]) -> Template:
        view = _view(reader, round_id)
        if wants_fragment(request):
            return Template("rounds/progress.html", context={"view": view, "oob": True})
        return Template("rounds/round.html", context=page_context(reader, view=view, active_page="rounds"))

    @get("/{round_id:int}/progress", name="rounds:progress", sync_to_thread=True)
    def progress(self, reader: ReaderSession, round_id: FromPath[int]) -> Template:
        # oob: the fragment also refreshes the status badge in the page heading.
        return Template("rounds/progress.html", context={"view": _view(reader, round_id), "oob": True})


def _view(reader: Session, round_id: int) -> RoundView:
    row = reader.get(MatchRound, round_id)
    if row is None:
        raise NotFoundException(_("No such matching round."))
    return view_of(reader, row)


def _index_page(
    reader: Session,
    *,
    problems: dict[str, str] | None = None,
    busy: MatchRound | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    rounds = service.recent(reader)
    views = [view_of(reader, row) for row in rounds]
    live = next((view for view in views if view.polling), None)
    context = page_context(
        reader,
        views=views,
        live=live,
        busy=view_of(reader, busy) if busy is not None else None,
        problems=problems or {},
        form={"method": one(form or {}, "method") or "optimal", "k": one(form or {}, "k") or "20"},
        max_k=service.MAX_K,
        methods=list(RoundMethod),
        stages=STAGES,
        active_page="rounds",
    )
    return Template("rounds/index.html", context=context, status_code=status_code)


ROUND_HANDLERS: list[Any] = [RoundPagesController]
