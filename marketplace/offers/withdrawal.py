"""What the partner reads before withdrawing an offer: what the withdrawal will cancel, counted.

The counts come from ``matches.services.waiting_on_offer``, the rule ``end_waiting_on_offer`` applies when the
offer is withdrawn (page and API alike); the sentence after it is ``offers.pages.withdrawn_notice``.
"""

from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted


def withdraw_preview(claims: int, proposals: int) -> str:
    """What withdrawing cancels ("Withdrawing cancels 2 pending claims and 1 pending proposal."), or nothing."""
    if not claims and not proposals:
        return _("No claim or proposal is waiting on this offer: withdrawing it cancels nothing else.")
    claimed = counted("%(num)d pending claim", "%(num)d pending claims", claims)
    proposed = counted("%(num)d pending proposal", "%(num)d pending proposals", proposals)
    if claims and proposals:
        what = _("%(claims)s and %(proposals)s") % {"claims": claimed, "proposals": proposed}
    else:
        what = claimed if claims else proposed
    return _("Withdrawing cancels %(what)s.") % {"what": what}
