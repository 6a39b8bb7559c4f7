"""The review inbox as JSON: the pending items filtered, sorted and paged with their counts, and bulk
approval and rejection of chosen ids or of every item matching a filter (documented in OpenAPI)."""

from datetime import date
from typing import Annotated, Any, Self

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.matches import inbox, review
from marketplace.matches.api import READ, WRITE, match_out
from marketplace.matches.inbox import Answer, ConflictFilter, Due, InboxCard, InboxFilters, InboxSort
from marketplace.matches.models import MatchKind, MatchSource
from marketplace.matches.services import field_problem
from marketplace.query_filters import InvalidFilter, invalid_filter_response
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only
from marketplace.security.identity import CurrentUser
from marketplace.validation import TYPED_FLOAT, Id, Reason, require

Score = Annotated[float, Field(ge=-inbox.MAX_SCORE, le=inbox.MAX_SCORE, allow_inf_nan=False), TYPED_FLOAT]
Search = Annotated[str, StringConstraints(strip_whitespace=True, max_length=inbox.MAX_SEARCH)]


class InboxFilterIn(BaseModel):
    """The inbox's filters, as the GET parameters name them; an unknown key is refused, so a misspelt
    filter never widens a bulk decision to everything."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: MatchKind | None = None
    community: Id | None = None
    grid: Id | None = None
    need: Id | None = None
    round: Id | None = None
    source: MatchSource | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    score: Score | None = None
    conflict: ConflictFilter | None = None
    answer: Answer | None = None
    due: Due | None = None
    q: Search | None = None

    def filters(self) -> InboxFilters:
        try:
            return _filters(**{name: getattr(self, name) for name in type(self).model_fields})
        except InvalidFilter as problem:
            raise field_problem(f"filter.{problem.parameter}", problem.message, "invalid_filter") from None


class BulkIn(BaseModel):
    """Either ``ids`` or ``filter`` (every pending item matching it, at most 500 a request, none newer
    than ``upto`` when given: the newest id the admin saw)."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[Id], Field(min_length=1, max_length=review.BULK_LIMIT)] | None = None
    filter: InboxFilterIn | None = None
    sort: InboxSort = InboxSort.DUE
    upto: Id | None = None

    @model_validator(mode="after")
    def _ids_or_filter(self) -> Self:
        require((self.ids is None) != (self.filter is None), type(self), "ids", "give either ids or filter", None)
        return self


class BulkRejectIn(BulkIn):
    reason: Reason


def _filters(
    *,
    kind: MatchKind | None = None,
    community: int | None = None,
    grid: int | None = None,
    need: int | None = None,
    round: int | None = None,
    source: MatchSource | None = None,
    from_: date | None = None,
    to: date | None = None,
    score: float | None = None,
    conflict: ConflictFilter | None = None,
    answer: Answer | None = None,
    due: Due | None = None,
    q: str | None = None,
) -> InboxFilters:
    return InboxFilters(
        kind=kind,
        community_id=community,
        grid_id=grid,
        need_id=need,
        round_id=round,
        source=source,
        proposed_from=from_,
        proposed_to=to,
        min_score=score,
        conflict=conflict.value if conflict is not None else None,
        answer=answer,
        due_today=due is Due.TODAY,
        q=q or None,
    )


def _chosen(db: Session, actor: CurrentUser, data: BulkIn) -> tuple[list[int], int]:
    """The ids a bulk request decides, and how many it matched (more than decided when over the limit)."""
    if data.ids is not None:
        return data.ids, len(set(data.ids))
    assert data.filter is not None
    filters = data.filter.filters().within(actor)  # a street admin's "every matching item" is their street's
    ids = inbox.matching_ids(db, filters, data.sort, upto=data.upto, limit=review.BULK_LIMIT + 1)
    if len(ids) <= review.BULK_LIMIT:
        return ids, len(ids)
    return ids[: review.BULK_LIMIT], inbox.count_matching(db, filters, upto=data.upto)


def _item_out(card: InboxCard) -> dict[str, Any]:
    line, offer, shift = card.line, card.offer, card.shift
    return match_out(card.match) | {
        "need_title": card.need.title,
        "need_reference": card.reference,
        "urgency": card.need.urgency.value,
        "due_date": card.need.due_date.isoformat() if card.need.due_date else None,
        "community": {"id": card.community.id, "name": card.community.name} if card.community else None,
        "grid": {"id": card.grid.id, "name": card.grid.name} if card.grid else None,
        "candidate": card.who,
        "line": (
            {"id": line.id, "category": line.category.value, "unit": line.unit, "still_needed": str(line.still_needed)}
            if line
            else None
        ),
        "offer": (
            {"id": offer.id, "title": offer.title, "unit": offer.unit, "remaining": str(offer.remaining_quantity)}
            if offer
            else None
        ),
        "shift": (
            {
                "id": shift.id,
                "title": shift.title,
                "starts_at": shift.starts_at.isoformat(),
                "ends_at": shift.ends_at.isoformat(),
                "confirmed": shift.confirmed_count,
                "slots": shift.slots,
            }
            if shift
            else None
        ),
        "due_today": card.due_today,
        "conflicts": [{"code": c.code, "message": c.message, "detail": c.detail} for c in card.conflicts],
    }


class ReviewInboxApiController(Controller):
    path = "/api/v1"
    tags = ["review"]
    exception_handlers = {InvalidFilter: invalid_filter_response}

    @get(
        "/review",
        operation_id="reviewQueue",
        summary="Pending claims, sign-ups and proposals: filtered, sorted, paged, with counts and conflicts",
        description="Admins. Filters combine (AND); empty means any. `from`/`to` are street days (Asia/Shanghai) "
        "the item was proposed on; `conflict` is one conflict the database can tell, or `any`; `answer` is where "
        "a matching round's proposal stands with its candidate; `due=today` keeps items due today (a shift "
        "starting today or earlier, a need due today or overdue, critical urgency); `q` finds a need by its "
        "reference number (XQ-000123), or searches the need's and offer's titles and the organization's and "
        "volunteer's names. `counts` gives, for each value of a filter, how many items the other filters leave; "
        "`upto` is the newest matching id, to pass to a bulk decision on this filter.",
        guards=[admin_only, READ],
        sync_to_thread=True,
    )
    def queue(
        self,
        reader: ReaderSession,
        actor: Actor,
        kind: FromQuery[MatchKind | None] = None,
        community: Annotated[int | None, QueryParameter(ge=1, le=inbox.MAX_INT)] = None,
        grid: Annotated[int | None, QueryParameter(ge=1, le=inbox.MAX_INT)] = None,
        need: Annotated[int | None, QueryParameter(ge=1, le=inbox.MAX_INT)] = None,
        round_id: Annotated[int | None, QueryParameter(name="round", ge=1, le=inbox.MAX_INT)] = None,
        source: FromQuery[MatchSource | None] = None,
        proposed_from: Annotated[date | None, QueryParameter(name="from", description="Street day")] = None,
        proposed_to: Annotated[date | None, QueryParameter(name="to", description="Street day, inclusive")] = None,
        score: Annotated[float | None, QueryParameter(ge=-inbox.MAX_SCORE, le=inbox.MAX_SCORE)] = None,
        conflict: FromQuery[ConflictFilter | None] = None,
        answer: FromQuery[Answer | None] = None,
        due: FromQuery[Due | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=inbox.MAX_SEARCH)] = None,
        sort: FromQuery[InboxSort] = InboxSort.DUE,
        page: Annotated[int, QueryParameter(ge=1, le=inbox.MAX_PAGE)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=inbox.MAX_PAGE_SIZE)] = inbox.PAGE_SIZE,
    ) -> dict[str, Any]:
        filters = _filters(
            kind=kind,
            community=community,
            grid=grid,
            need=need,
            round=round_id,
            source=source,
            from_=proposed_from,
            to=proposed_to,
            score=score,
            conflict=conflict,
            answer=answer,
            due=due,
            q=(q or "").strip() or None,
        )
        view = inbox.inbox_page(reader, filters.within(actor), sort, page, page_size)
        counts = view.counts
        return {
            "total": counts.total,
            "page": view.page,
            "pages": view.pages,
            "page_size": view.page_size,
            "sort": view.sort.value,
            "upto": counts.upto,
            "counts": {
                "kind": {kind.value: counts.kinds.get(kind, 0) for kind in MatchKind},
                "source": {source.value: counts.sources.get(source, 0) for source in MatchSource},
                "answer": {answer.value: counts.answers.get(answer, 0) for answer in Answer},
                "conflict": counts.conflicts,
                "due_today": counts.due_today,
                "community": [{"id": key, "count": value} for key, value in sorted(counts.communities.items())],
                "round": [{"id": key, "count": value} for key, value in counts.rounds],
            },
            "items": [_item_out(card) for card in view.cards],
        }

    @post(
        "/matches/bulk-approve",
        operation_id="bulkApproveMatches",
        summary="Approve several proposed matches (ids, or every one matching a filter); each is decided on its own",
        description="Admins. Give `ids` or `filter` (the GET /api/v1/review filters as an object; an unknown key "
        "is a 400). At most 500 items a request, in `sort` order; `remaining` says how many matched beyond. "
        "Each item is decided in its own savepoint: `failed` names each one not approved and why (decided "
        "already, not enough left, full, waiting for the candidate's answer).",
        guards=[admin_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def bulk_approve(self, db: DbSession, actor: Actor, data: JSONBody[BulkIn]) -> dict[str, Any]:
        ids, matched = _chosen(db, actor, data)
        result = review.bulk_approve(db, actor, ids)
        return {
            "approved": result.approved,
            "failed": [{"id": i, "reason": why, "code": result.code_of(i)} for i, why in result.failed],
            "matched": matched,
            "remaining": max(0, matched - len(set(ids))),
        }

    @post(
        "/matches/bulk-reject",
        operation_id="bulkRejectMatches",
        summary="Reject several proposed matches with one reason (ids, or every one matching a filter)",
        description="Admins. As bulk-approve, with a `reason` (1 to 500 characters) that every candidate is told, "
        "as for a single rejection. Items decided already are listed under `failed`.",
        guards=[admin_only, WRITE],
        status_code=200,
        sync_to_thread=True,
    )
    def bulk_reject(self, db: DbSession, actor: Actor, data: JSONBody[BulkRejectIn]) -> dict[str, Any]:
        ids, matched = _chosen(db, actor, data)
        result = review.bulk_reject(db, actor, ids, data.reason)
        return {
            "rejected": result.rejected,
            "failed": [{"id": i, "reason": why, "code": result.code_of(i)} for i, why in result.failed],
            "matched": matched,
            "remaining": max(0, matched - len(set(ids))),
        }
