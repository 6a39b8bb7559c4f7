"""Why approving a pending match might fail or be unwise, computed for the review queue."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from marketplace.db.types import utcnow
from marketplace.i18n import N_
from marketplace.matches import compatibility
from marketplace.matches.models import Match, MatchKind
from marketplace.needs.models import ResourceLine, Shift
from marketplace.offers.lifecycle import effective_status
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.volunteers.models import ShiftSignup


@dataclass(frozen=True)
class ConflictNote:
    code: str
    message: str  # an English msgid; pages translate it, the API returns code + message
    detail: str = ""


MESSAGES = {
    "offer_short": N_("Not enough left on the offer"),
    "line_short": N_("The resource line needs less than this"),
    "offer_expired": N_("The offer is no longer active"),
    "organization_not_approved": N_("The organization is not approved"),
    "shift_full": N_("The shift is full"),
    "shift_overlap": N_("The volunteer is confirmed for an overlapping shift"),
    "shift_over": N_("The shift is over"),
    "incompatible": N_("The offer cannot serve this resource line"),
}


def _note(code: str, detail: str = "") -> ConflictNote:
    return ConflictNote(code, MESSAGES[code], detail)


@dataclass(frozen=True)
class Subject:
    """A pending match with the rows its conflicts are judged on (loaded together, for a whole page at once)."""

    match: Match
    organization: Organization | None = None
    offer: Offer | None = None
    line: ResourceLine | None = None
    shift: Shift | None = None
    overlap: Shift | None = None  # a confirmed shift of the same volunteer that overlaps this one


def notes_of(subject: Subject, now: datetime) -> list[ConflictNote]:
    """The conflicts of one match, from its rows alone (no query)."""
    match, notes = subject.match, []
    if match.organization_id is not None:
        organization = subject.organization
        if organization is None or organization.status is not OrganizationStatus.APPROVED:
            notes.append(_note("organization_not_approved"))
    if match.kind is MatchKind.OFFER_LINE:
        offer, line, quantity = subject.offer, subject.line, match.quantity or 0
        if offer is not None and line is not None:
            found = compatibility.verdict(offer, line)
            if not found.ok:  # approval would be refused: the queue says so before anyone tries
                notes.append(_note("incompatible", compatibility.reason(found)))
        if offer is not None:
            if effective_status(offer, now) not in (OfferStatus.ACTIVE, OfferStatus.EXHAUSTED):
                notes.append(_note("offer_expired", effective_status(offer, now).value))
            if offer.remaining_quantity < quantity:
                notes.append(_note("offer_short", f"{offer.remaining_quantity} {offer.unit}"))
        if line is not None and line.still_needed < quantity:
            notes.append(_note("line_short", f"{line.still_needed} {line.unit}"))
    if match.kind is MatchKind.VOLUNTEER_SHIFT and subject.shift is not None:
        shift = subject.shift
        if shift.confirmed_count >= shift.slots:
            notes.append(_note("shift_full", f"{shift.confirmed_count}/{shift.slots}"))
        if shift.ends_at <= now:
            notes.append(_note("shift_over"))
        if subject.overlap is not None:
            notes.append(_note("shift_overlap", f"{subject.overlap.title} (#{subject.overlap.id})"))
    return notes


def overlaps_of(db: Session, matches: list[Match]) -> dict[int, Shift]:
    """For each volunteer sign-up among ``matches``, a confirmed shift of the same volunteer overlapping it
    (the earliest), in one query."""
    from marketplace.matches.signups import SLOT_HOLDERS  # avoid an import cycle

    ids = [m.id for m in matches if m.kind is MatchKind.VOLUNTEER_SHIFT and m.id is not None]
    if not ids:
        return {}
    this = aliased(Shift)
    rows = db.execute(
        sa.select(Match.id, Shift)
        .join(this, this.id == Match.shift_id)
        .join(
            ShiftSignup,
            sa.and_(
                ShiftSignup.volunteer_id == Match.volunteer_id,
                col(ShiftSignup.status).in_(SLOT_HOLDERS),
            ),
        )
        .join(
            Shift,
            sa.and_(
                col(Shift.id) == ShiftSignup.shift_id,
                col(Shift.id) != this.id,
                col(Shift.starts_at) < this.ends_at,
                col(Shift.ends_at) > this.starts_at,
            ),
        )
        .where(col(Match.id).in_(ids))
        .order_by(col(Match.id), col(Shift.starts_at), col(Shift.id))
    ).all()
    found: dict[int, Shift] = {}
    for match_id, shift in rows:
        found.setdefault(match_id, shift)
    return found


def _by_id(db: Session, model: Any, ids: set[int | None]) -> dict[int, Any]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    return {row.id: row for row in db.execute(sa.select(model).where(model.id.in_(wanted))).scalars()}


def conflicts_for(db: Session, matches: list[Match]) -> dict[int, list[ConflictNote]]:
    """The conflicts of every match, keyed by match id; a fixed number of queries however many matches."""
    organizations = _by_id(db, Organization, {m.organization_id for m in matches})
    offers = _by_id(db, Offer, {m.offer_id for m in matches if m.kind is MatchKind.OFFER_LINE})
    lines = _by_id(db, ResourceLine, {m.resource_line_id for m in matches if m.kind is MatchKind.OFFER_LINE})
    shifts = _by_id(db, Shift, {m.shift_id for m in matches if m.kind is MatchKind.VOLUNTEER_SHIFT})
    overlaps = overlaps_of(db, matches)
    now = utcnow()
    return {
        match.id or 0: notes_of(
            Subject(
                match,
                organizations.get(match.organization_id or 0),
                offers.get(match.offer_id or 0),
                lines.get(match.resource_line_id or 0),
                shifts.get(match.shift_id or 0),
                overlaps.get(match.id or 0),
            ),
            now,
        )
        for match in matches
    }


def conflicts_of(db: Session, match: Match) -> list[ConflictNote]:
    return conflicts_for(db, [match]).get(match.id or 0, [])
