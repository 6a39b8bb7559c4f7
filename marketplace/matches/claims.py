"""Partners' claims: the whole project, or part of a resource line from one of the partner's offers.

A claim is a proposed match that waits in the review queue. Nothing is reserved when a claim is made;
the offer's remaining quantity and the line's still-needed quantity are taken when an admin approves
(marketplace.matches.review), and given back when an approved claim is cancelled.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import sqlalchemy as sa
from litestar.exceptions import NotFoundException
from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.audit.services import record, snapshot
from marketplace.db.types import utcnow
from marketplace.i18n.numbers import format_number
from marketplace.matches import compatibility, openings, refusals, round_proposals, street_scope
from marketplace.matches import field_problems as problems
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.reasons import PARTNER_CANCELLED
from marketplace.matches.services import (
    LIVE,
    enter_open_need,
    field_problem,
    give_back_to_line,
    refresh_need_status,
    set_match_status,
)
from marketplace.needs.models import ResourceLine
from marketplace.offers.models import OfferStatus
from marketplace.offers.services import effective_status, enter_offer, release_to_offer
from marketplace.organizations.services import require_approved_organization
from marketplace.quantity_display import unit_name
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import day_start

AUDIT_FIELDS = ["id", "need_id", "kind", "status", "resource_line_id", "offer_id", "quantity", "organization_id"]


@dataclass(frozen=True)
class ClaimRequest:
    kind: str  # "whole" | "line"
    resource_line_id: int | None = None
    offer_id: int | None = None
    quantity: Decimal | None = None


def claim(db: Session, actor: CurrentUser, need_id: int, request: ClaimRequest) -> Match:
    """Make a proposed match for the actor's approved organization; 409 when the project is already claimed."""
    organization = require_approved_organization(db, actor)
    need = enter_open_need(db, need_id)  # first: a cancellation of this need waits, or is waited for
    street_scope.require_serves_need(db, organization.id or 0, need_id)  # 403 naming the street
    if request.kind == "whole":
        row = _whole(db, need_id, organization.id or 0)
    elif request.kind == "line":
        row = _line(db, need_id, organization.id or 0, request)
    else:
        raise field_problem("kind", problems.NOT_A_CLAIM_KIND, "not_a_choice")
    row.proposed_by_id = actor.id
    db.add(row)
    try:
        db.flush()
    except IntegrityError:
        # The partial unique index match_one_live_whole_claim: someone else's claim won the race.
        db.rollback()
        raise refusals.refusal("already_claimed", refusals.ALREADY_CLAIMED, need_id=need_id) from None
    record(db, "match.claim", object_type="match", object_id=row.id, after=snapshot(row, AUDIT_FIELDS), actor=actor)
    del need
    return row


def _whole(db: Session, need_id: int, organization_id: int) -> Match:
    taken = db.exec(
        select(Match.id).where(
            Match.need_id == need_id, Match.kind == MatchKind.WHOLE_NEED, col(Match.status).in_(LIVE)
        )
    ).first()
    if taken is not None:
        raise refusals.refusal("already_claimed", refusals.ALREADY_CLAIMED, need_id=need_id)
    return Match(
        need_id=need_id,
        kind=MatchKind.WHOLE_NEED,
        source=MatchSource.PARTNER_CLAIM,
        organization_id=organization_id,
        status=MatchStatus.PROPOSED,
    )


def _left(left: Decimal, unit: str) -> dict[str, str]:
    """What is left, in the reader's words: a quantity too big for a line or an offer names it."""
    return {"qty": format_number(left), "unit": unit_name(unit, left)}


def _line(db: Session, need_id: int, organization_id: int, request: ClaimRequest) -> Match:
    for name in ("resource_line_id", "offer_id", "quantity"):
        if getattr(request, name) is None:
            raise field_problem(name, problems.REQUIRED_TO_CLAIM_PART, "required")
    quantity = Decimal(request.quantity or 0)
    if quantity <= 0:
        raise field_problem("quantity", problems.NOT_POSITIVE, "not_positive")
    line = db.get(ResourceLine, request.resource_line_id)
    if line is None or line.need_id != need_id:
        raise field_problem("resource_line_id", problems.LINE_NOT_IN_PROJECT, "line_not_in_project")
    refusal = openings.line_refusal(db, line)
    if refusal is not None:
        raise refusal
    offer = enter_offer(db, request.offer_id)
    if offer is None or offer.organization_id != organization_id:
        raise field_problem("offer_id", problems.NOT_YOUR_OFFER, "not_your_offer")
    if (status := effective_status(offer)) is not OfferStatus.ACTIVE:
        said = {"status": status.label}
        raise field_problem("offer_id", problems.OFFER_NOT_ACTIVE, "offer_not_active", said, status=status.value)
    compatibility.require_serves(offer, line)  # before quantities: in another unit they do not compare
    if quantity > line.still_needed:
        left, unit = line.still_needed, line.unit
        said = _left(left, unit)
        raise field_problem(
            "quantity", problems.MORE_THAN_LINE_NEEDS, "more_than_line_needs", said, left=str(left), unit=unit
        )
    if quantity > offer.remaining_quantity:
        left, unit = offer.remaining_quantity, offer.unit
        said = _left(left, unit)
        raise field_problem(
            "quantity", problems.MORE_THAN_OFFER_HAS, "more_than_offer_has", said, left=str(left), unit=unit
        )
    return Match(
        need_id=need_id,
        kind=MatchKind.OFFER_LINE,
        source=MatchSource.PARTNER_CLAIM,
        resource_line_id=line.id,
        offer_id=offer.id,
        quantity=quantity,
        organization_id=organization_id,
        status=MatchStatus.PROPOSED,
    )


def own_claim(db: Session, actor: CurrentUser, match_id: int) -> Match:
    """The claim if it belongs to the actor's organization; 404 otherwise (another org's claim does not exist)."""
    row = db.get(Match, match_id)
    if (
        row is None
        or actor.organization_id is None
        or row.organization_id != actor.organization_id
        or row.kind is MatchKind.VOLUNTEER_SHIFT
        or round_proposals.never_accepted(row)
    ):
        # A round's proposal the partner has not accepted is not their claim: they answer it as a proposal.
        raise NotFoundException(f"No claim {match_id}")
    return row


# The street years a list of claims can be narrowed to (a bad year is a 400 naming the field, not a 500).
FIRST_YEAR, LAST_YEAR = 2000, 2100
# The statuses the claims page offers as filters (no-show is a sign-up's outcome, never a claim's).
CLAIM_STATUSES = (
    MatchStatus.PROPOSED,
    MatchStatus.APPROVED,
    MatchStatus.FULFILLED,
    MatchStatus.REJECTED,
    MatchStatus.CANCELLED,
)


@dataclass(frozen=True)
class ClaimFilters:
    """My claims narrowed to one status and/or to those delivered in one street year.

    The partner's home links each of its numbers here (``href``), so a number and its list share these
    conditions: "to deliver" is ``status=approved``, "delivered this year" ``status=fulfilled&delivered_in=2026``.
    """

    status: MatchStatus | None = None
    delivered_in: int | None = None  # a street year: delivered (fulfilled_at) on or after its 1 January

    @property
    def active(self) -> bool:
        return self.status is not None or self.delivered_in is not None

    def query_items(self) -> dict[str, str]:
        items = {"status": self.status.value} if self.status is not None else {}
        return items | ({"delivered_in": str(self.delivered_in)} if self.delivered_in is not None else {})

    @property
    def href(self) -> str:
        query = urlencode(self.query_items())
        return f"/claims?{query}" if query else "/claims"

    def apply(self, statement: Select[tuple[Match]]) -> Select[tuple[Match]]:
        if self.status is not None:
            statement = statement.where(Match.status == self.status)
        if self.delivered_in is not None:
            fulfilled = col(Match.fulfilled_at)
            starts, ends = day_start(date(self.delivered_in, 1, 1)), day_start(date(self.delivered_in + 1, 1, 1))
            statement = statement.where(fulfilled >= starts, fulfilled < ends)
        return statement


def claims_of_organization(organization_id: int) -> Select[tuple[Match]]:
    """The organization's claims, newest first (pages add the rows they show to this one query)."""
    return (
        sa.select(Match)
        .where(Match.organization_id == organization_id, Match.kind != MatchKind.VOLUNTEER_SHIFT)
        .where(~round_proposals.NEVER_ACCEPTED)  # proposals are shown as such until the partner accepts
        .order_by(col(Match.created_at).desc(), col(Match.id).desc())
    )


def list_claims(db: Session, actor: CurrentUser, filters: ClaimFilters | None = None) -> list[Match]:
    if actor.organization_id is None:
        return []
    statement = (filters or ClaimFilters()).apply(claims_of_organization(actor.organization_id))
    return list(db.execute(statement).scalars().all())


def cancel_claim(db: Session, actor: CurrentUser, match_id: int, reason: str | None = None) -> Match:
    """Withdraw a proposed or approved claim; an approved line claim gives its quantity back.

    An approved whole-project claim reserved nothing (it covers what is still needed when delivered), so
    withdrawing it gives everything back at once: the lines and shifts take claims and sign-ups again.
    """
    row = own_claim(db, actor, match_id)
    before = snapshot(row, AUDIT_FIELDS)
    was = row.status
    if not set_match_status(
        db,
        match_id,
        expected=(MatchStatus.PROPOSED, MatchStatus.APPROVED),
        status=MatchStatus.CANCELLED,
        decision_reason=(reason or PARTNER_CANCELLED)[:500],
        decided_at=utcnow(),
    ):
        db.refresh(row)
        raise refusals.in_status("claim_not_cancellable", refusals.CLAIM_NOT_CANCELLABLE, row.status)
    reopened = None
    if was is MatchStatus.APPROVED and row.kind is MatchKind.OFFER_LINE and row.quantity:
        release_to_offer(db, row.offer_id or 0, row.quantity)
        reopened = give_back_to_line(db, row.resource_line_id or 0, row.quantity)
    db.refresh(row)
    refresh_need_status(db, row.need_id)
    record(db, "match.cancel", object_type="match", object_id=row.id, before=before, after=snapshot(row, AUDIT_FIELDS))
    if reopened is not None:
        record(
            db,
            "need.line.reopen",
            object_type="resource_line",
            object_id=row.resource_line_id,
            before={"closed": True},
            after=reopened | {"need_id": row.need_id, "withdrawn_match_id": row.id},
        )
    return row
