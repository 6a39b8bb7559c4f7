"""The admins' review inbox as pages: pending items filtered, sorted and paged in SQL (inbox.py), with
their conflicts; approve or reject one with a reason, or many at once (ticked, the whole page, or every
item matching the filter). Filters, sort and page travel in the address and in each form's hidden
fields, so a decision comes back to the same view. The decisions themselves live in review.py."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session, col

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, many, one
from marketplace.i18n import gettext as _
from marketplace.i18n.punctuation import label_colon
from marketplace.matches import inbox, review
from marketplace.matches.explanations import reasons_of
from marketplace.matches.inbox import InboxCounts, InboxFilters, InboxSort
from marketplace.matches.models import Match, MatchKind, MatchSource
from marketplace.matches.services import Conflict
from marketplace.matches.street_scope import need_in_scope
from marketplace.needs.models import Need
from marketplace.needs.services import grids_in_scope
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import admin_street_ids, community_of_grid, community_places, grids_by_community
from marketplace.query_filters import InvalidFilter
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, sessions_only
from marketplace.security.identity import CurrentUser
from marketplace.validation import MAX_INT, has_control_characters
from marketplace.whole_numbers import whole_number

GROUPS = (MatchKind.WHOLE_NEED, MatchKind.OFFER_LINE, MatchKind.VOLUNTEER_SHIFT)
MAX_REASON = 500
# Cards on one page of the queue. Each card costs the server its rows, its conflicts, its facts and two
# decision forms: a page of 25 took about two thirds of the CPU of 50 and half the HTML
# (docs/logged_in_load.md). 24 fill the desktop's two columns evenly; the tabs' counts and the pages still
# cover every item. The API keeps its own default (inbox.PAGE_SIZE) and its page_size parameter.
QUEUE_PAGE_SIZE = 24
# Ticked boxes come from one page (24); more is a forged form, cut off rather than refused.
MAX_TICKED = 200


def group_title(kind: MatchKind) -> str:
    return {
        MatchKind.WHOLE_NEED: _("Whole-project claims"),
        MatchKind.OFFER_LINE: _("Resource line claims"),
        MatchKind.VOLUNTEER_SHIFT: _("Volunteer sign-ups"),
    }[kind]


def where_in_queue(data: Mapping[str, Any]) -> tuple[InboxFilters, InboxSort, int]:
    """The filters, sort and page a decision was posted from (hidden fields); anything malformed is dropped."""
    try:
        filters = inbox.parse_filters(data)
    except InvalidFilter:
        filters = InboxFilters()
    try:
        sort = inbox.parse_sort(data)
    except InvalidFilter:
        sort = InboxSort.DUE
    try:
        page = inbox.parse_page(data)
    except InvalidFilter:
        page = 1
    return filters, sort, page


def view_params(filters: InboxFilters, sort: InboxSort, page: int = 1) -> list[tuple[str, str]]:
    """The query parameters of one view of the inbox: its filters, its sort unless the default, its page."""
    params = filters.params()
    if sort is not InboxSort.DUE:
        params.append(("sort", sort.value))
    if page > 1:
        params.append(("page", str(page)))
    return params


def inbox_url(filters: InboxFilters, sort: InboxSort = InboxSort.DUE, page: int = 1, /, **changes: Any) -> str:
    """The inbox's address with some parameters replaced (None removes one); a new filter starts at page 1."""
    params = dict(view_params(filters, sort, page))
    for name, value in changes.items():
        params.pop(name, None)
        if value not in (None, "", False):
            params[name] = str(value)
    if "page" not in changes and any(name != "sort" for name in changes):
        params.pop("page", None)
    query = urlencode(list(params.items()))
    return f"/review?{query}" if query else "/review"


def back_to_queue(data: Mapping[str, Any], **query: Any) -> str:
    """The inbox address to come back to after a decision, keeping the reader's filters, sort and page."""
    filters, sort, page = where_in_queue(data)
    return "/review?" + urlencode([*query.items(), *view_params(filters, sort, page)])


def conflict_message(problem: Conflict | NotFoundException) -> str:
    """The service's English reason, said in the reader's language."""
    if isinstance(problem, NotFoundException):
        return _("This item no longer exists.")
    detail = str(problem.detail)
    if problem.said:  # already the reader's sentence, said once where it was raised (refusals.py)
        return detail
    return _("This item could not be decided: %(reason)s") % {"reason": detail}


def quantity_text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


class ReviewPagesController(Controller):
    path = "/review"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _inbox(
        self,
        db: Session,
        actor: CurrentUser,
        filters: InboxFilters,
        sort: InboxSort = InboxSort.DUE,
        page: int = 1,
        *,
        notice: str | None = None,
        item_errors: dict[int, str] | None = None,
        reason_errors: dict[int, str] | None = None,
        reasons: dict[int, str] | None = None,
        problem: str | None = None,
        bulk_reason: str = "",
        status_code: int = 200,
    ) -> Template:
        view = inbox.inbox_page(db, filters.within(actor), sort, page, QUEUE_PAGE_SIZE)
        shown = {card.match.id for card in view.cards}
        item_errors = dict(item_errors or {})
        for match_id in [key for key in item_errors if key not in shown]:
            # A decided item has left the inbox: its error can only be said at the top.
            problem = f"#{match_id}{label_colon()}{item_errors.pop(match_id)}"
        context = page_context(
            db,
            view=view,
            filters=filters,
            score_text=format(filters.min_score, "g") if filters.min_score is not None else "",
            need=db.get(Need, filters.need_id)
            if filters.need_id is not None and need_in_scope(db, actor, filters.need_id)
            else None,
            places=_places_of(db, actor, filters, view.counts),
            hidden=view_params(filters, sort, view.page),
            inbox_url=lambda **changes: inbox_url(filters, sort, view.page, **changes),
            group_title=group_title,
            groups=GROUPS,
            sources=list(MatchSource),
            answers=list(inbox.Answer),
            answer_labels=inbox.ANSWER_LABELS,
            conflict_codes=[inbox.ANY_CONFLICT, *inbox.SQL_CONFLICTS],
            conflict_label=inbox.conflict_label,
            sorts=list(InboxSort),
            sort_labels=inbox.SORT_LABELS,
            reasons_of=reasons_of,
            notice=notice,
            item_errors=item_errors,
            reason_errors=reason_errors or {},
            reasons=reasons or {},
            problem=problem,
            bulk_reason=bulk_reason,
            max_reason=MAX_REASON,
            bulk_limit=review.BULK_LIMIT,
            active_page="review",
        )
        return Template("review/queue.html", context=context, status_code=status_code)

    def _again(self, db: Session, actor: CurrentUser, data: Mapping[str, Any], **values: Any) -> Template:
        filters, sort, page = where_in_queue(data)
        return self._inbox(db, actor, filters, sort, page, **values)

    @get("/", name="review:queue", sync_to_thread=True)
    def queue(self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor) -> Template:
        values = request.query_params
        filters, sort, page = inbox.parse_filters(values), inbox.parse_sort(values), inbox.parse_page(values)
        done, shown_id = values.get("done") or "", values.get("id") or ""
        notice = None
        shown = whole_number(shown_id)
        if done in ("approved", "rejected") and shown is not None:
            # Which project the item was about, when it is in the admin's street: "#1174" alone names nothing.
            title = _titles(reader, actor, [shown]).get(shown)
            notices = {
                ("approved", False): _("Item #%(id)s was approved."),
                ("rejected", False): _("Item #%(id)s was rejected."),
                ("approved", True): _("Item #%(id)s (%(title)s) was approved."),
                ("rejected", True): _("Item #%(id)s (%(title)s) was rejected."),
            }
            notice = notices[(done, title is not None)] % {"id": shown_id, "title": title}
        return self._inbox(reader, actor, filters, sort, page, notice=notice)

    @post("/{match_id:int}/approve", name="review:approve", sync_to_thread=True)
    def approve(self, db: DbSession, actor: Actor, match_id: FromPath[int], data: FormData) -> Template | Redirect:
        try:
            review.approve(db, actor, match_id)
        except Conflict as problem:
            return self._again(
                db, actor, data, item_errors={match_id: conflict_message(problem)}, status_code=HTTP_409_CONFLICT
            )
        return Redirect(back_to_queue(data, done="approved", id=match_id), status_code=HTTP_303_SEE_OTHER)

    @post("/{match_id:int}/reject", name="review:reject", sync_to_thread=True)
    def reject(self, db: DbSession, actor: Actor, match_id: FromPath[int], data: FormData) -> Template | Redirect:
        reason = one(data, "reason").strip()
        error = reason_problem(reason)
        if error:
            return self._again(
                db,
                actor,
                data,
                reason_errors={match_id: error},
                reasons={match_id: reason},
                status_code=HTTP_400_BAD_REQUEST,
            )
        try:
            review.reject(db, actor, match_id, reason)
        except Conflict as problem:
            return self._again(
                db, actor, data, item_errors={match_id: conflict_message(problem)}, status_code=HTTP_409_CONFLICT
            )
        return Redirect(back_to_queue(data, done="rejected", id=match_id), status_code=HTTP_303_SEE_OTHER)

    @post("/bulk-approve", name="review:bulk-approve", sync_to_thread=True)
    def bulk_approve(self, db: DbSession, actor: Actor, data: FormData) -> Template:
        ids, matched = chosen_ids(db, actor, data)
        if not ids:
            return self._again(
                db, actor, data, problem=_("Select at least one item."), status_code=HTTP_400_BAD_REQUEST
            )
        return self._result(db, actor, data, "approve", review.bulk_approve(db, actor, ids), matched)

    @post("/bulk-reject", name="review:bulk-reject", sync_to_thread=True)
    def bulk_reject(self, db: DbSession, actor: Actor, data: FormData) -> Template:
        reason = one(data, "reason").strip()
        ids, matched = chosen_ids(db, actor, data)
        problem = None if ids else _("Select at least one item.")
        error = reason_problem(reason)
        if problem or error:
            return self._again(
                db,
                actor,
                data,
                problem=problem or error,
                bulk_reason=reason,
                status_code=HTTP_400_BAD_REQUEST,
            )
        return self._result(db, actor, data, "reject", review.bulk_reject(db, actor, ids, reason), matched, reason)

    def _result(
        self,
        db: Session,
        actor: CurrentUser,
        data: Mapping[str, Any],
        action: str,
        result: review.BulkResult,
        matched: int,
        reason: str = "",
    ) -> Template:
        decided = result.approved if action == "approve" else result.rejected
        titles = _titles(db, actor, [*decided, *(match_id for match_id, _why in result.failed)])
        failed = []
        for match_id, detail in result.failed:
            # Every reason the bulk gives with a code is said already (gone, busy, refusals.py): shown as it is.
            problem = Conflict(detail)
            problem.said = match_id in result.said
            failed.append((match_id, titles.get(match_id, ""), conflict_message(problem)))
        filters, sort, _page = where_in_queue(data)
        context = page_context(
            db,
            action=action,
            decided=[(match_id, titles.get(match_id, "")) for match_id in decided],
            failed=failed,
            reason=reason,
            remaining=max(0, matched - len(decided) - len(failed)),
            back=inbox_url(filters, sort),
            active_page="review",
        )
        return Template("review/bulk_result.html", context=context)


def reason_problem(reason: str) -> str | None:
    if not reason:
        return _("Give a reason to reject (1 to %(n)s characters).") % {"n": MAX_REASON}
    if len(reason) > MAX_REASON:
        return _("The reason must be at most %(n)s characters.") % {"n": MAX_REASON}
    if has_control_characters(reason):
        return _("Must not contain control characters.")
    return None


def chosen_ids(db: Session, actor: CurrentUser, data: Mapping[str, Any]) -> tuple[list[int], int]:
    """The items a bulk form chose and how many it matched: the ticked boxes, the page shown, or every
    item matching the posted filter (at most review.BULK_LIMIT, none newer than the page the admin saw)."""
    scope = one(data, "scope")
    if scope == "filter":
        filters, sort, _page = where_in_queue(data)
        filters = filters.within(actor)  # a street admin's "every matching item" is their street's
        upto = one(data, "upto")
        newest = whole_number(upto, maximum=MAX_INT) or 0
        ids = inbox.matching_ids(db, filters, sort, upto=newest, limit=review.BULK_LIMIT + 1)
        if len(ids) <= review.BULK_LIMIT:
            return ids, len(ids)
        return ids[: review.BULK_LIMIT], inbox.count_matching(db, filters, upto=newest)
    field = "page_ids" if scope == "page" else "ids"
    ids = [value for value in many(data, field) if isinstance(value, int) and 1 <= value <= MAX_INT]
    return ids[:MAX_TICKED], len(ids[:MAX_TICKED])


def _titles(db: Session, actor: CurrentUser, ids: list[int]) -> dict[int, str]:
    """The need titles of these matches, only those in the admin's street (another street's stay unnamed)."""
    if not ids:
        return {}
    rows = db.execute(
        sa.select(Match.id, Need.title)
        .join(Need, col(Need.id) == Match.need_id)
        .where(col(Match.id).in_(ids), grids_in_scope(actor))
    ).all()
    return {match_id: title for match_id, title in rows}


def _places_of(db: Session, actor: CurrentUser, filters: InboxFilters, counts: InboxCounts) -> list[Any]:
    """The communities and grids the filter offers: a street admin's streets' all; a city admin's, the communities
    with items pending (and the chosen one), with the grids of the chosen community only (a city has thousands)."""
    streets = admin_street_ids(actor)
    if streets is not None:
        return [group for street_id in sorted(streets) for group in grids_by_community(db, street_id)]
    chosen = filters.community_id
    if chosen is None and filters.grid_id is not None:
        chosen = community_of_grid(db, filters.grid_id)
    return community_places(db, counts.communities, chosen)
