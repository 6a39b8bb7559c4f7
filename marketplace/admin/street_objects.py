"""Ids of objects of other streets than a street admin's, by the kind the audit log names them with."""

from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.services import user_in_admin_streets
from marketplace.matches.models import Match
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.needs.services import grids_in_scope
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization
from marketplace.organizations.services import organization_in_admin_streets
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup


def other_street_object_ids(viewer: CurrentUser) -> dict[str, sa.Select[Any]]:
    """For each kind a street's objects belong to, a subquery of the ids that lie outside the admin's street
    (an id that no longer exists is nobody's: it stays visible)."""
    needs = sa.select(Need.id).where(sa.not_(grids_in_scope(viewer)))
    organizations = sa.select(Organization.id).where(sa.not_(organization_in_admin_streets(viewer)))
    shifts = sa.select(Shift.id).where(Shift.need_id.in_(needs))  # type: ignore[attr-defined]
    return {
        "need": needs,
        "match": sa.select(Match.id).where(Match.need_id.in_(needs)),  # type: ignore[attr-defined]
        "shift": shifts,
        "shift_signup": sa.select(ShiftSignup.id).where(ShiftSignup.shift_id.in_(shifts)),  # type: ignore[attr-defined]
        "resource_line": sa.select(ResourceLine.id).where(ResourceLine.need_id.in_(needs)),  # type: ignore[attr-defined]
        "organization": organizations,
        "offer": sa.select(Offer.id).where(Offer.organization_id.in_(organizations)),  # type: ignore[attr-defined]
        # Accounts the admin does not manage: events about them with no managed actor (a failed sign-in
        # naming another street's account, with the address it came from) are that street's business. A
        # user event naming no account (an unknown or throttled name) belongs to no street: as for every
        # kind here, a NULL id is never "outside" and the row stays out, so only the city admin reads it.
        "user": sa.select(User.id).where(sa.not_(user_in_admin_streets(viewer))),
    }
