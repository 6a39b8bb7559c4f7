"""What an entry says once everything it asked of its reader no longer waits for them (rule: ``waiting.py``)."""

from typing import Any

from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.notifications.messages import Message
from marketplace.notifications.waiting import ANSWER, ASKS, CHECK_IN, DECISION, DELIVERY


def handled(kind: str, payload: dict[str, Any], count: int) -> Message:
    """An entry whose ``count`` notifications all asked something that no longer waits for the reader
    (``payload``: its newest one's)."""
    what = ASKS.get(kind)
    if what == DELIVERY and payload.get("match_kind") == "volunteer_shift":
        what = CHECK_IN  # a volunteer's approved place: served, or ended
    values = {"title": str(payload.get("need_title") or payload.get("title") or _("a project"))}
    if count == 1:
        if what == ANSWER:
            text = _("No longer waiting: the proposal for %(title)s was answered or ended") % values
        elif what == DECISION:
            text = _("No longer waiting: the proposal for %(title)s was decided or ended") % values
        elif what == DELIVERY:
            text = _("No longer waiting: your claim on %(title)s was delivered or ended") % values
        else:
            text = _("No longer waiting: your place on a shift of %(title)s was checked in or ended") % values
    elif what == ANSWER:
        text = counted(
            "No longer waiting: this %(num)d proposal was answered or ended",
            "No longer waiting: these %(num)d proposals were answered or ended",
            count,
        )
    elif what == DECISION:
        text = counted(
            "No longer waiting: this %(num)d proposal was decided or ended",
            "No longer waiting: these %(num)d proposals were decided or ended",
            count,
        )
    elif what == DELIVERY:
        text = counted(
            "No longer waiting: this %(num)d claim was delivered or ended",
            "No longer waiting: these %(num)d claims were delivered or ended",
            count,
        )
    else:
        text = counted(
            "No longer waiting: this %(num)d shift was checked in or ended",
            "No longer waiting: these %(num)d shifts were checked in or ended",
            count,
        )
    return Message(text, None, _("Nothing to do."), None)
