"""The resident's contact for the partner or volunteer who delivers: only with consent, every showing audited.

Who: an approved partner organization (not a suspended one) whose claim on the need is **approved** (it is
delivering; a proposed claim may still be rejected, a fulfilled or cancelled one has nothing left to deliver),
and a volunteer **confirmed** or checked in on one of the need's shifts. When: only while staff have the
resident's consent on record (``marketplace.needs.consent``); without it they are told where the street office
can be reached.
How: a deliberate request (a button, ``POST .../contact``), never a list, so each showing writes one
``need.contact_shared`` audit row naming the claim or sign-up and the consent it relied on.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from litestar.exceptions import PermissionDeniedException
from sqlmodel import Session

from marketplace.audit.services import record
from marketplace.matches import claims, signups
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, NeedConsent, Shift
from marketplace.needs.services import Contact, Office, contact_of, live_consent, live_consents
from marketplace.organizations.services import require_approved_organization
from marketplace.places.models import Community, Grid, ServiceStation
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus

SHARED_CLAIMS = (MatchStatus.APPROVED,)
SHARED_SIGNUPS = (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN)

NOT_DELIVERING = "is not an approved claim or a confirmed sign-up: the contact is shared only with those who deliver"
NO_CONSENT = "the resident has not agreed to share their contact; the street office keeps it"


class ContactWithheld(PermissionDeniedException):
    """403 naming why: the claim or sign-up does not deliver (``key``), or no consent is recorded (``consent``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}", extra=[{"key": key, "message": message}])
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Sharing:
    """What a claim's or sign-up's card says about the resident's contact."""

    consented: bool  # the resident's consent is on record: the card offers to show the contact
    office: Office  # where to reach the street office otherwise


def sharing_of(db: Session, needs: Iterable[Need | None]) -> dict[int, Sharing]:
    """For each need (by id): whether its contact may be shown to those who deliver, and its office (one query)."""
    need_ids = sorted({need.id for need in needs if need is not None and need.id is not None})
    if not need_ids:
        return {}
    live = sa.and_(NeedConsent.need_id == Need.id, NeedConsent.withdrawn_at.is_(None))  # type: ignore[union-attr]
    rows = db.execute(
        sa.select(Need.id, NeedConsent.id, Grid, Community, ServiceStation)
        .join(Grid, Grid.id == Need.grid_id)  # type: ignore[arg-type]
        .outerjoin(Community, Community.id == Grid.community_id)  # type: ignore[arg-type]
        .outerjoin(ServiceStation, ServiceStation.grid_id == Grid.id)  # type: ignore[arg-type]
        .outerjoin(NeedConsent, live)
        .where(Need.id.in_(need_ids))  # type: ignore[union-attr]
    ).all()
    return {
        need_id: Sharing(consent_id is not None, Office(grid, community, station))
        for need_id, consent_id, grid, community, station in rows
    }


def consented_needs(db: Session, need_ids: Iterable[int]) -> set[int]:
    """The needs among these whose resident's consent is on record."""
    return set(live_consents(db, need_ids))


def _shared(db: Session, actor: CurrentUser, need_id: int, about: dict[str, int | None]) -> Contact:
    consent = live_consent(db, need_id)
    if consent is None:
        raise ContactWithheld("consent", NO_CONSENT)
    need = db.get(Need, need_id)
    assert need is not None  # a match and a shift always belong to a need (foreign keys)
    after = about | {"consent_id": consent.id}
    record(db, "need.contact_shared", object_type="need", object_id=need_id, after=after, actor=actor)
    return contact_of(need)


def claim_contact(db: Session, actor: CurrentUser, match_id: int) -> tuple[Match, Contact]:
    """The resident's contact for the organization's approved claim (404 for another's claim), audited."""
    row = claims.own_claim(db, actor, match_id)
    # A suspended organization delivers nothing, so it sees no resident (fifth probe: its members still read
    # the name, phone and address of every approved claim, by session and by token). 403 with the standing.
    require_approved_organization(db, actor)
    if row.status not in SHARED_CLAIMS:
        raise ContactWithheld("claim", NOT_DELIVERING)
    return row, _shared(db, actor, row.need_id, {"match_id": row.id})


def signup_contact(db: Session, actor: CurrentUser, signup_id: int) -> tuple[ShiftSignup, Contact]:
    """The resident's contact for the volunteer's confirmed sign-up (404 for another's), audited."""
    row = signups.own_signup(db, actor, signup_id)
    if row.status not in SHARED_SIGNUPS:
        raise ContactWithheld("signup", NOT_DELIVERING)
    shift = db.get(Shift, row.shift_id)
    assert shift is not None
    return row, _shared(db, actor, shift.need_id, {"signup_id": row.id, "match_id": row.match_id})
