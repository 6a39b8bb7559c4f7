"""What an entry says once everything it asked of its reader no longer waits for them (rule: ``waiting.py``)."""

from typing import Any

from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.notifications.messages import Message
from marketplace.notifications.waiting import (
    ACKNOWLEDGE,
    ANSWER,
    CHECK_IN,
    COME,
    DECISION,
    DELIVERY,
    RESEND_APPLICATION,
    REVIEW_APPLICATION,
    STANDS,
    asked,
)


def handled(kind: str, payload: dict[str, Any], count: int) -> Message:
    """An entry whose ``count`` notifications all asked something that no longer waits for the reader
    (``payload``: its newest one's)."""
    what = asked(kind, payload)
    if what == STANDS:
        what = DELIVERY  # the claim a change kept: delivered, or ended
    if what == COME or (what == DELIVERY and payload.get("match_kind") == "volunteer_shift"):
        what = CHECK_IN  # a volunteer's place: served, or ended
    if what in (ACKNOWLEDGE, REVIEW_APPLICATION, RESEND_APPLICATION):
        return Message(_not_about_a_claim(what, payload, count), None, _("Nothing to do."), None)
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


def _not_about_a_claim(what: str, payload: dict[str, Any], count: int) -> str:
    """An escalation step acknowledged, or an organization's application decided or sent again."""
    if what == ACKNOWLEDGE:
        if count == 1:
            title = str(payload.get("need_title") or payload.get("title") or _("a project"))
            return _("No longer waiting: the escalation of %(title)s was acknowledged or ended") % {"title": title}
        return counted(
            "No longer waiting: this %(num)d escalation step was acknowledged or ended",
            "No longer waiting: these %(num)d escalation steps were acknowledged or ended",
            count,
        )
    if count == 1:
        values = {"organization": str(payload.get("organization") or _("an organization"))}
        if what == REVIEW_APPLICATION:
            return _("No longer waiting: the application of %(organization)s was decided") % values
        return _("No longer waiting: the application of %(organization)s was sent again or decided") % values
    if what == REVIEW_APPLICATION:
        return counted(
            "No longer waiting: this %(num)d application was decided",
            "No longer waiting: these %(num)d applications were decided",
            count,
        )
    return counted(
        "No longer waiting: this %(num)d application was sent again or decided",
        "No longer waiting: these %(num)d applications were sent again or decided",
        count,
    )
