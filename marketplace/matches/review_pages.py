"""The admins' review queue as pages: pending claims and sign-ups grouped by kind, with their conflicts,
approve / reject with a reason / approve several at once. The decisions themselves live in review.py."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session, col, func, select

from marketplace.accounts.models import User
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.i18n import gettext as _
from marketplace.matches import review
from marketplace.matches.conflicts import Subject, notes_of, overlaps_of
from marketplace.matches.explanations import reasons_of
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import Conflict
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.organizations.forms import FormData, many, one
from marketplace.organizations.models import Organization
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, sessions_only
from marketplace.validation import MAX_INT
from marketplace.volunteers.models import VolunteerProfile

GROUPS = (MatchKind.WHOLE_NEED, MatchKind.OFFER_LINE, MatchKind.VOLUNTEER_SHIFT)
MAX_REASON = 500


@dataclass
class ReviewCard:
    """One pending item with everything its card shows."""

    match: Match
    need: Need
    conflicts: list[Any]
    who: str = ""
    offer: Offer | None = None
    line: ResourceLine | None = None
    shift: Shift | None = None


PAGE_SIZE = 20


@dataclass
class QueuePage:
    groups: list[tuple[MatchKind, list[ReviewCard]]] = field(default_factory=list)
    total: int = 0  # pending items of every kind
    counts: dict[MatchKind, int] = field(default_factory=dict)
    kind: MatchKind | None = None
    page: int = 1
    pages: int = 1
    need: Need | None = None  # when the queue shows one need's items only


def group_title(kind: MatchKind) -> str:
    return {
        MatchKind.WHOLE_NEED: _("Whole-project claims"),
        MatchKind.OFFER_LINE: _("Resource line claims"),
        MatchKind.VOLUNTEER_SHIFT: _("Volunteer sign-ups"),
    }[kind]


def _who(match: Match, organization: Organization | None, volunteer_name: str | None) -> str:
    if match.organization_id is not None and match.kind is not MatchKind.VOLUNTEER_SHIFT:
        return organization.name if organization else ""
    if match.volunteer_id is not None:
        return volunteer_name or ""
    return ""


def _card_rows(query: sa.Select[Any]) -> sa.Select[Any]:
    """The pending items with every row their cards show, joined in the one query that pages them."""
    return (
        query.add_columns(Organization, Offer, ResourceLine, Shift, User.display_name)
        .outerjoin(Organization, col(Organization.id) == Match.organization_id)
        .outerjoin(Offer, col(Offer.id) == Match.offer_id)
        .outerjoin(ResourceLine, col(ResourceLine.id) == Match.resource_line_id)
        .outerjoin(Shift, col(Shift.id) == Match.shift_id)
        .outerjoin(VolunteerProfile, col(VolunteerProfile.id) == Match.volunteer_id)
        .outerjoin(User, col(User.id) == VolunteerProfile.user_id)
    )


def cards_of(db: Session, rows: Sequence[sa.Row[Any]]) -> list[ReviewCard]:
    """Cards for rows of ``_card_rows``: one more query finds overlapping shifts for all of them."""
    overlaps = overlaps_of(db, [row[0] for row in rows])
    now = utcnow()
    cards = []
    for match, need, organization, offer, line, shift, volunteer_name in rows:
        subject = Subject(match, organization, offer, line, shift, overlaps.get(match.id or 0))
        cards.append(
            ReviewCard(
                match=match,
                need=need,
                conflicts=notes_of(subject, now),
                who=_who(match, organization, volunteer_name),
                offer=offer,
                line=line,
                shift=shift,
            )
        )
    return cards


def queue_page(db: Session, kind: MatchKind | None = None, page: int = 1, need_id: int | None = None) -> QueuePage:
    """One page of the pending items (of one need, when given), oldest first; conflicts are computed only
    for the items shown."""
    pending = Match.status == MatchStatus.PROPOSED
    if need_id is not None:
        pending = pending & (Match.need_id == need_id)  # type: ignore[assignment]
    counts = {
        found: number
        for found, number in db.exec(select(Match.kind, func.count()).where(pending).group_by(Match.kind)).all()
    }
    matching = counts.get(kind, 0) if kind else sum(counts.values())
    pages = max(1, -(-matching // PAGE_SIZE))
    page = min(max(page, 1), pages)
    query = sa.select(Match, Need).join(Need, col(Need.id) == Match.need_id).where(pending)
    if kind is not None:
        query = query.where(Match.kind == kind)
    query = query.order_by(col(Match.created_at), col(Match.id)).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    cards = cards_of(db, db.execute(_card_rows(query)).all())
    groups = [(group, [card for card in cards if card.match.kind is group]) for group in GROUPS]
    return QueuePage(
        groups=[(group, found) for group, found in groups if found],
        total=sum(counts.values()),
        counts=counts,
        kind=kind,
        page=page,
        pages=pages,
        need=db.get(Need, need_id) if need_id is not None else None,
    )


def where_in_queue(data: dict[str, Any]) -> tuple[MatchKind | None, int, int | None]:
    """The tab, page and need a decision was posted from (hidden fields), ignoring anything malformed."""
    kind, page, need = one(data, "kind"), one(data, "page"), one(data, "need")
    chosen = next((group for group in GROUPS if group.value == kind), None)
    number = int(page) if page.isdigit() and 1 <= int(page) <= 100_000 else 1
    return chosen, number, int(need) if need.isdigit() and 1 <= int(need) <= MAX_INT else None


def back_to_queue(data: dict[str, Any], **query: Any) -> str:
    """The queue address to come back to after a decision, keeping the reader's tab and page."""
    kind, page, need = where_in_queue(data)
    if kind is not None:
        query["kind"] = kind.value
    if page > 1:
        query["page"] = page
    if need is not None:
        query["need"] = need
    return "/review?" + urlencode(query)


def conflict_message(problem: Conflict | NotFoundException) -> str:
    """The service's English reason, said in the reader's language."""
    if isinstance(problem, NotFoundException):
        return _("This item no longer exists.")
    detail = str(problem.detail)
    if review.NOT_ENOUGH_LEFT in detail:
        return _("Not enough left to approve this claim; it stays pending.")
    if "already" in detail:
        return _("This item was decided already.")
    if "overlapping" in detail:
        return _("The volunteer is confirmed for an overlapping shift.")
    if "full" in detail:
        return _("This shift is full.")
    if "organization" in detail:
        return _("The organization is not approved.")
    return _("This item could not be approved.")


def quantity_text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


class ReviewPagesController(Controller):
    path = "/review"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _queue(
        self,
        db: Session,
        *,
        kind: MatchKind | None = None,
        page: int = 1,
        need_id: int | None = None,
        notice: str | None = None,
        item_errors: dict[int, str] | None = None,
        reason_errors: dict[int, str] | None = None,
        reasons: dict[int, str] | None = None,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        queue = queue_page(db, kind, page, need_id)
        shown = {card.match.id for _kind, cards in queue.groups for card in cards}
        item_errors = dict(item_errors or {})
        for match_id in [key for key in item_errors if key not in shown]:
            # A decided item has left the queue: its error can only be said at the top.
            problem = f"#{match_id}: {item_errors.pop(match_id)}"
        context = page_context(
            db,
            queue=queue,
            group_title=group_title,
            groups=GROUPS,
            reasons_of=reasons_of,
            quantity_text=quantity_text,
            notice=notice,
            item_errors=item_errors,
            reason_errors=reason_errors or {},
            reasons=reasons or {},
            problem=problem,
            max_reason=MAX_REASON,
            active_page="review",
        )
        return Template("review/queue.html", context=context, status_code=status_code)

    @get("/", name="review:queue", sync_to_thread=True)
    def queue(
        self,
        reader: ReaderSession,
        done: FromQuery[str | None] = None,
        id: FromQuery[int | None] = None,
        kind: FromQuery[MatchKind | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
        need: Annotated[int | None, QueryParameter(ge=1, le=MAX_INT)] = None,
    ) -> Template:
        notices = {
            "approved": _("Item #%(id)s was approved."),
            "rejected": _("Item #%(id)s was rejected."),
        }
        notice = notices.get(done or "")
        notice = notice % {"id": id or ""} if notice else None
        return self._queue(reader, kind=kind, page=page, need_id=need, notice=notice)

    @post("/{match_id:int}/approve", name="review:approve", sync_to_thread=True)
    def approve(self, db: DbSession, actor: Actor, match_id: FromPath[int], data: FormData) -> Template | Redirect:
        try:
            review.approve(db, actor, match_id)
        except Conflict as problem:
            kind, page, need = where_in_queue(data)
            return self._queue(
                db,
                kind=kind,
                page=page,
                need_id=need,
                item_errors={match_id: conflict_message(problem)},
                status_code=HTTP_409_CONFLICT,
            )
        return Redirect(back_to_queue(data, done="approved", id=match_id), status_code=HTTP_303_SEE_OTHER)

    @post("/{match_id:int}/reject", name="review:reject", sync_to_thread=True)
    def reject(self, db: DbSession, actor: Actor, match_id: FromPath[int], data: FormData) -> Template | Redirect:
        reason = one(data, "reason").strip()
        error = None
        if not reason:
            error = _("Give a reason to reject (1 to %(n)s characters).") % {"n": MAX_REASON}
        elif len(reason) > MAX_REASON:
            error = _("The reason must be at most %(n)s characters.") % {"n": MAX_REASON}
        if error:
            kind, page, need = where_in_queue(data)
            return self._queue(
                db,
                kind=kind,
                page=page,
                need_id=need,
                reason_errors={match_id: error},
                reasons={match_id: reason},
                status_code=HTTP_400_BAD_REQUEST,
            )
        try:
            review.reject(db, actor, match_id, reason)
        except Conflict as problem:
            kind, page, need = where_in_queue(data)
            return self._queue(
                db,
                kind=kind,
                page=page,
                need_id=need,
                item_errors={match_id: conflict_message(problem)},
                status_code=HTTP_409_CONFLICT,
            )
        return Redirect(back_to_queue(data, done="rejected", id=match_id), status_code=HTTP_303_SEE_OTHER)

    @post("/bulk-approve", name="review:bulk-approve", sync_to_thread=True)
    def bulk_approve(self, db: DbSession, actor: Actor, data: FormData) -> Template:
        ids = [value for value in many(data, "ids") if isinstance(value, int)][:200]
        if not ids:
            return self._queue(db, problem=_("Select at least one item to approve."), status_code=HTTP_400_BAD_REQUEST)
        result = review.bulk_approve(db, actor, ids)
        titles = _titles(db, ids)
        failed = []
        for match_id, detail in result.failed:
            problem: Conflict | NotFoundException = (
                NotFoundException(detail) if detail.startswith("No match") else Conflict(detail)
            )
            failed.append((match_id, titles.get(match_id, ""), conflict_message(problem)))
        context = page_context(
            db,
            approved=[(match_id, titles.get(match_id, "")) for match_id in result.approved],
            failed=failed,
            active_page="review",
        )
        return Template("review/bulk_result.html", context=context)


def _titles(db: Session, ids: list[int]) -> dict[int, str]:
    rows = db.execute(
        sa.select(Match.id, Need.title).join(Need, col(Need.id) == Match.need_id).where(col(Match.id).in_(ids))
    ).all()
    return {match_id: title for match_id, title in rows}
