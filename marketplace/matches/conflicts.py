"""Why approving a pending match might fail or be unwise, computed for the review queue."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from marketplace.db.types import utcnow
from marketplace.i18n import N_, current_locale, gettext
from marketplace.matches import compatibility
from marketplace.matches.models import Match, MatchKind
from marketplace.matches.reasons import shift_named
from marketplace.needs.models import ResourceLine, Shift
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.services import effective_status
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.quantity_display import with_unit
from marketplace.volunteers.models import ShiftSignup
from matching.units import Verdict


@dataclass(frozen=True)
class ConflictNote:
    """One conflict of a pending match.

    The API returns ``code``, ``message`` (the conflict's name, an English msgid the queue's filter shows too)
    and ``detail`` (stable: "5.00 桶", "3/3", "expired", the units as stored) with ``quantity`` and ``unit``
    where the conflict is about an amount. A page shows ``said()``: one sentence in the page's language, the
    amount in the page's words ("Not enough left on the offer: 5 barrels left" / "资源剩余数量不足：仅剩5桶").
    """

    code: str
    message: str
    detail: str = ""
    quantity: Decimal | None = None  # offer_short, line_short: what is left or still needed, in ``unit``
    unit: str = ""
    status: OfferStatus | None = None  # offer_expired
    confirmed: int | None = None  # shift_full: confirmed of ``slots``
    slots: int | None = None
    shift: str = ""  # shift_overlap: the other shift, as its title and number (user data)
    verdict: Verdict | None = None  # incompatible: why, in Chinese and English

    def said(self) -> str:
        """The conflict as a sentence in the page's language."""
        from marketplace.web import format_number  # the pages' number formatting (web imports the domains)

        values: dict[str, str] = {}
        if self.quantity is not None:
            values["left" if self.code == "offer_short" else "needed"] = with_unit(self.quantity, self.unit)
        elif self.status is not None:
            values["status"] = self.status.label
        elif self.confirmed is not None and self.slots is not None:
            values = {"confirmed": format_number(self.confirmed), "slots": format_number(self.slots)}
        elif self.shift:
            values["shift"] = self.shift
        elif self.verdict is not None:
            values["reason"] = self.verdict.reason(current_locale.get())
        if not values:
            return gettext(self.message)
        return gettext(SENTENCES[self.code]) % values


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
# The conflicts with something to say beyond their name, as pages say them.
SENTENCES = {
    "offer_short": N_("Not enough left on the offer: %(left)s left"),
    "line_short": N_("The resource line needs less than this: %(needed)s still needed"),
    "offer_expired": N_("The offer is no longer active: %(status)s"),
    "shift_full": N_("The shift is full: %(confirmed)s of %(slots)s places confirmed"),
    "shift_overlap": N_("The volunteer is confirmed for an overlapping shift: %(shift)s"),
    "incompatible": N_("The offer cannot serve this resource line: %(reason)s"),
}


def _note(code: str, detail: str = "", **said: Any) -> ConflictNote:
    return ConflictNote(code, MESSAGES[code], detail, **said)


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
                # The API's detail names the units as stored, in the request's language, as before.
                stored = found.en if current_locale.get().startswith("en") else found.zh
                notes.append(_note("incompatible", stored, verdict=found))
        if offer is not None:
            status = effective_status(offer, now)
            if status not in (OfferStatus.ACTIVE, OfferStatus.EXHAUSTED):
                notes.append(_note("offer_expired", status.value, status=status))
            if offer.remaining_quantity < quantity:
                left = offer.remaining_quantity
                notes.append(_note("offer_short", f"{left} {offer.unit}", quantity=left, unit=offer.unit))
        if line is not None and line.still_needed < quantity:
            needed = line.still_needed
            notes.append(_note("line_short", f"{needed} {line.unit}", quantity=needed, unit=line.unit))
    if match.kind is MatchKind.VOLUNTEER_SHIFT and subject.shift is not None:
        shift = subject.shift
        if shift.confirmed_count >= shift.slots:
            full = {"confirmed": shift.confirmed_count, "slots": shift.slots}
            notes.append(_note("shift_full", f"{shift.confirmed_count}/{shift.slots}", **full))
        if shift.ends_at <= now:
            notes.append(_note("shift_over"))
        if subject.overlap is not None:
            other = shift_named(subject.overlap.title, subject.overlap.id)  # 接种陪同（#164）/ … (#164)
            notes.append(_note("shift_overlap", other, shift=other))
    return notes


def overlaps_of(db: Session, matches: list[Match], shifts: Mapping[int, Shift] | None = None) -> dict[int, Shift]:
    """For each volunteer sign-up among ``matches``, a confirmed shift of the same volunteer overlapping it
    (the earliest), in one query; ``shifts`` holds the sign-ups' own shifts by id (the callers have them; read
    here, in one more query, when not given).

    The query reads the slots the page's volunteers hold within the page's time span and the overlap is
    found here. Joined to the matches in SQL instead, SQLite without statistics started from every sign-up
    holding a slot (the status index) and probed the matches for each: 44-125 ms of a 100 ms review page on
    a 5,000-volunteer street, where this takes 1 ms."""
    from marketplace.matches.held_time import SLOT_HOLDERS, held_until  # avoid an import cycle

    if shifts is None:
        shifts = _by_id(db, Shift, {m.shift_id for m in matches if m.kind is MatchKind.VOLUNTEER_SHIFT})
    asked = [
        (m.id, m.volunteer_id, shifts[m.shift_id])
        for m in matches
        if m.kind is MatchKind.VOLUNTEER_SHIFT
        and m.id is not None
        and m.volunteer_id is not None
        and m.shift_id is not None
        and m.shift_id in shifts
    ]
    if not asked:
        return {}
    held: dict[int, list[tuple[Shift, datetime]]] = {}
    for volunteer_id, shift, end in db.execute(
        sa.select(ShiftSignup.volunteer_id, Shift, held_until().label("held_until"))
        .join(Shift, col(Shift.id) == ShiftSignup.shift_id)
        .where(
            col(ShiftSignup.volunteer_id).in_(sorted({volunteer for _, volunteer, _ in asked})),
            col(ShiftSignup.status).in_(SLOT_HOLDERS),
            col(Shift.starts_at) < max(own.ends_at for _, _, own in asked),
            held_until() > min(own.starts_at for _, _, own in asked),
        )
        .order_by(col(Shift.starts_at), col(Shift.id))
    ).all():
        held.setdefault(volunteer_id, []).append((shift, end))
    found: dict[int, Shift] = {}
    for match_id, volunteer_id, own in asked:
        overlapping = (
            shift
            for shift, end in held.get(volunteer_id, [])
            if shift.id != own.id and shift.starts_at < own.ends_at and end > own.starts_at
        )
        first = next(overlapping, None)
        if first is not None:
            found[match_id] = first
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
    overlaps = overlaps_of(db, matches, shifts)
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
