"""What a rejected or cancelled claim says of why: the words someone typed, as typed; the sentence the service
stores when a partner cancels without a reason (English in the data and the API) in the page's language,
said to the partner as their own act and to the street's staff as the partner's."""

from marketplace.i18n import gettext as _
from marketplace.matches.models import Match, MatchStatus

# Stored as the decision reason when a partner cancels a claim without typing one.
PARTNER_CANCELLED = "cancelled by the partner"
# Stored when a claim or proposal still waiting ends because the partner withdrew the offer it was of.
OFFER_WITHDRAWN = "the offer was withdrawn"


def reason_shown(match: Match, *, own: bool) -> str | None:
    """The reason a page shows for ``match``; ``own``: the reader is the partner who cancelled it."""
    stored = match.decision_reason
    if stored == OFFER_WITHDRAWN and match.status is MatchStatus.CANCELLED:
        if own:
            return _("Ended when your organization withdrew the offer.")
        return _("Ended when the partner withdrew the offer.")
    if stored == PARTNER_CANCELLED and match.status is MatchStatus.CANCELLED:
        if own:
            return _("Cancelled by your organization, without a reason.")
        return _("Cancelled by the partner, without a reason.")
    return stored
