"""The leader's screen (/figures/screen): the street's figures in big type, for a screen on a wall.

For the street's admins and staff, signed in with a browser: a street admin or staff member sees their own
street (asking for another street is refused); a city admin chooses one with ``street=<code>`` or sees the
whole deployment. The page reloads itself every few minutes (a meta refresh: no script at all).
"""

from litestar.exceptions import PermissionDeniedException
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.places.models import Street
from marketplace.places.services import StreetRef, find_street, parse_street, street_ref
from marketplace.security.identity import AuthMethod, CurrentUser

REFRESH_SECONDS = 300
SCREEN_ROLES = (Role.ADMIN, Role.STAFF)


def may_see_screen(viewer: CurrentUser | None) -> bool:
    """Whether the figures page offers the screen's link to this viewer."""
    return viewer is not None and viewer.role in SCREEN_ROLES and viewer.method == AuthMethod.SESSION


def mapped_street(chosen: StreetRef | None, streets: list[StreetRef]) -> StreetRef | None:
    """The street the map draws: the chosen one, or the deployment's only street (several: none)."""
    if chosen is not None:
        return chosen
    return streets[0] if len(streets) == 1 else None


def screen_street(session: Session, viewer: CurrentUser, code: str | None) -> StreetRef | None:
    """The street the screen shows to ``viewer`` (None: every street, for a city admin)."""
    if viewer.street_id is None:
        return parse_street(session, code)
    own = session.get(Street, viewer.street_id)
    if own is None:  # pragma: no cover - an account's street is a foreign key
        raise PermissionDeniedException("Your account names no street")
    if code and code != own.code:
        if find_street(session, code) is None:
            parse_street(session, code)  # the same 400 as the figures for a code that names no street
        raise PermissionDeniedException("You may put only your own street's figures on the screen")
    return street_ref(own)
