"""Why approving a pending match might fail or be unwise, computed for the review queue."""

from dataclasses import dataclass

from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.i18n import N_
from marketplace.matches.models import Match, MatchKind
from marketplace.needs.models import ResourceLine, Shift
from marketplace.offers.lifecycle import effective_status
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus


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
}


def _note(code: str, detail: str = "") -> ConflictNote:
    return ConflictNote(code, MESSAGES[code], detail)


def conflicts_of(db: Session, match: Match) -> list[ConflictNote]:
    notes: list[ConflictNote] = []
    if match.organization_id is not None:
        organization = db.get(Organization, match.organization_id)
        if organization is None or organization.status is not OrganizationStatus.APPROVED:
            notes.append(_note("organization_not_approved"))
    if match.kind is MatchKind.OFFER_LINE:
        offer = db.get(Offer, match.offer_id)
        line = db.get(ResourceLine, match.resource_line_id)
        quantity = match.quantity or 0
        if offer is not None:
            if effective_status(offer) not in (OfferStatus.ACTIVE, OfferStatus.EXHAUSTED):
                notes.append(_note("offer_expired", effective_status(offer).value))
            if offer.remaining_quantity < quantity:
                notes.append(_note("offer_short", f"{offer.remaining_quantity} {offer.unit}"))
        if line is not None and line.still_needed < quantity:
            notes.append(_note("line_short", f"{line.still_needed} {line.unit}"))
    if match.kind is MatchKind.VOLUNTEER_SHIFT:
        from marketplace.matches.signups import overlapping_confirmed  # avoid an import cycle

        shift = db.get(Shift, match.shift_id)
        if shift is not None:
            if shift.confirmed_count >= shift.slots:
                notes.append(_note("shift_full", f"{shift.confirmed_count}/{shift.slots}"))
            if shift.ends_at <= utcnow():
                notes.append(_note("shift_over"))
            other = overlapping_confirmed(db, match.volunteer_id or 0, shift.starts_at, shift.ends_at, shift.id or 0)
            if other is not None:
                notes.append(_note("shift_overlap", f"{other.title} (#{other.id})"))
    return notes
