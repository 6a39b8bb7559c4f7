"""Which rounds and streets an admin works with: a street admin their street's, a city admin every street's.

A round of the whole deployment (no street: a deployment without streets, or a round from before there
were several) planned every street, so every admin sees it; another street's round looks missing.
"""

from litestar.exceptions import NotFoundException
from sqlmodel import Session

from marketplace.i18n import gettext as _
from marketplace.places.models import Street
from marketplace.places.services import admin_may_see_street, admin_street_ids, all_streets
from marketplace.rounds.models import MatchRound
from marketplace.security.identity import CurrentUser

# The form's and the API's word for "one round for every street".
EVERY_STREET = "all"
MAX_ID = 2**31 - 1


def streets_of(reader: Session, actor: CurrentUser) -> list[Street]:
    """The streets an admin may plan: every street for a city admin, else their own."""
    street_ids = admin_street_ids(actor)
    return [street for street in all_streets(reader) if street_ids is None or street.id in street_ids]


def visible_round(reader: Session, actor: CurrentUser, round_id: int) -> MatchRound:
    """The round, if the admin may see it; else NotFoundException (another street's round looks missing)."""
    row = reader.get(MatchRound, round_id) if 1 <= round_id <= MAX_ID else None
    if row is None or (row.street_id is not None and not admin_may_see_street(actor, row.street_id)):
        raise NotFoundException(_("No such matching round."))
    return row  # type: ignore[no-any-return]
