"""Notification sentences, rendered from ``kind`` and ``payload`` in the reader's language.

One renderer per kind gives the sentence for one notification and for a digest of ``count`` of them.
A password reset notification never shows its one-time link here: the centre is no place for a secret.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marketplace.i18n import gettext as _


@dataclass(frozen=True)
class Message:
    text: str
    link: str | None = None


Renderer = Callable[[dict[str, Any], int], Message]


def _title(payload: dict[str, Any]) -> str:
    return str(payload.get("need_title") or payload.get("title") or _("a project"))


def _project_link(payload: dict[str, Any]) -> str | None:
    need_id = payload.get("need_id")
    return f"/projects/{int(need_id)}" if isinstance(need_id, int) or str(need_id).isdigit() else None


def _with_reason(text: str, payload: dict[str, Any]) -> str:
    reason = payload.get("reason")
    return _("%(text)s. Reason: %(reason)s") % {"text": text, "reason": reason} if reason else text


def _match_proposed(payload: dict[str, Any], count: int) -> Message:
    text = (
        _("A new proposal for %(title)s is waiting for review")
        if count == 1
        else _("%(num)d new proposals for %(title)s are waiting for review")
    ) % {"num": count, "title": _title(payload)}
    return Message(text, _project_link(payload))


def _match_approved(payload: dict[str, Any], count: int) -> Message:
    text = (
        _("Your proposal for %(title)s was approved")
        if count == 1
        else _("%(num)d of your proposals for %(title)s were approved")
    ) % {"num": count, "title": _title(payload)}
    return Message(text, _project_link(payload))


def _match_decided(payload: dict[str, Any], count: int) -> Message:
    if count == 1 and payload.get("status") in ("rejected", "cancelled"):
        text = (
            _("Your proposal for %(title)s was rejected")
            if payload["status"] == "rejected"
            else _("Your proposal for %(title)s was cancelled")
        ) % {"title": _title(payload)}
        return Message(_with_reason(text, payload), _project_link(payload))
    text = (
        _("A decision was made on your proposal for %(title)s")
        if count == 1
        else _("Decisions were made on %(num)d of your proposals for %(title)s")
    ) % {"num": count, "title": _title(payload)}
    return Message(_with_reason(text, payload) if count == 1 else text, _project_link(payload))


def _claim_approved(payload: dict[str, Any], count: int) -> Message:
    text = (
        _("Your claim on %(title)s was approved")
        if count == 1
        else _("%(num)d of your claims on %(title)s were approved")
    ) % {"num": count, "title": _title(payload)}
    return Message(text, _project_link(payload))


def _signup_confirmed(payload: dict[str, Any], count: int) -> Message:
    text = (
        _("A sign-up was confirmed for %(title)s") if count == 1 else _("%(num)d sign-ups confirmed for %(title)s")
    ) % {"num": count, "title": _title(payload)}
    return Message(text, _project_link(payload))


def _shift_reminder(payload: dict[str, Any], count: int) -> Message:
    starts = payload.get("starts_at")
    if count == 1 and isinstance(starts, str):
        from marketplace.web import local_day, local_time  # the template helpers, in the reader's language

        try:
            moment = datetime.fromisoformat(starts)
            text = _("Reminder: your shift for %(title)s starts %(day)s at %(time)s") % {
                "title": _title(payload),
                "day": local_day(moment),
                "time": local_time(moment),
            }
            return Message(text, _project_link(payload))
        except ValueError:
            pass
    text = (
        _("Reminder: you have a shift coming for %(title)s")
        if count == 1
        else _("Reminder: you have %(num)d shifts coming for %(title)s")
    ) % {"num": count, "title": _title(payload)}
    return Message(text, _project_link(payload))


def _need_closed(payload: dict[str, Any], count: int) -> Message:
    text = (
        _("%(title)s is closed: every line is fulfilled and verified")
        if count == 1
        else _("%(num)d projects are closed, the latest %(title)s")
    ) % {"num": count, "title": _title(payload)}
    return Message(text, _project_link(payload))


def _escalation_opened(payload: dict[str, Any], count: int) -> Message:
    text = (
        _("%(title)s was escalated and needs your acknowledgement")
        if count == 1
        else _("%(num)d escalation steps for %(title)s need your acknowledgement")
    ) % {"num": count, "title": _title(payload)}
    return Message(text, _project_link(payload))


def _organization(decided: str) -> Renderer:
    def render(payload: dict[str, Any], count: int) -> Message:
        name = str(payload.get("organization") or _("your organization"))
        text = {
            "approve": _("The street approved %(organization)s: you can now publish offers and claim projects"),
            "reject": _("The street rejected the registration of %(organization)s"),
            "suspend": _("The street suspended %(organization)s"),
            "reinstate": _("The street reinstated %(organization)s"),
        }[decided] % {"organization": name}
        return Message(_with_reason(text, payload), "/organization")

    return render


def _password_reset(payload: dict[str, Any], count: int) -> Message:
    # The payload holds the one-time link; it is deliberately not shown.
    return Message(_("An administrator issued a password reset for your account. Ask them for the link."))


RENDERERS: dict[str, Renderer] = {
    "match_proposed": _match_proposed,
    "match_approved": _match_approved,
    "match_decided": _match_decided,
    "claim_approved": _claim_approved,
    "signup_confirmed": _signup_confirmed,
    "shift_reminder": _shift_reminder,
    "need_closed": _need_closed,
    "escalation_opened": _escalation_opened,
    "organization.approve": _organization("approve"),
    "organization.reject": _organization("reject"),
    "organization.suspend": _organization("suspend"),
    "organization.reinstate": _organization("reinstate"),
    "password_reset": _password_reset,
}


def render(kind: str, payload: dict[str, Any] | None, count: int = 1, subjects: int = 1) -> Message:
    """The sentence (and link) for one notification, or for a digest of ``count`` of the same kind.

    A digest about several objects (``subjects``) names the latest one "and N more".
    """
    renderer = RENDERERS.get(kind)
    payload = dict(payload or {})
    if subjects > 1:
        payload["need_title"] = _("%(title)s and %(more)d more") % {
            "title": _title(payload),
            "more": subjects - 1,
        }
    if renderer is None:
        text = (
            _("You have a new notification") if count == 1 else _("You have %(num)d new notifications") % {"num": count}
        )
        return Message(text, _project_link(payload))
    return renderer(payload, count)
