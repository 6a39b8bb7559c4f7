"""Sentences for the changes staff make to a published need (marketplace.needs.changes).

Each names the project, the line or shift, what changed, what happens to the reader's claim or sign-up
(``outcome``: kept, reduced, released, cancelled, or ``whole`` for the whole-project claimant), and the next
step. Registered in ``marketplace.notifications.messages.RENDERERS``.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.matches.services import said_reason
from marketplace.notifications import messages
from marketplace.vocabulary import ResourceKind


def _message(text: str, payload: dict[str, Any], step: str | None, link: str | None) -> "messages.Message":
    """A Message with its next step where the Message carries one (older Messages have text and link only)."""
    project = messages._project_link(payload)
    if "next_step" in messages.Message.__dataclass_fields__:
        return messages.Message(text, project, step, link)  # type: ignore[call-arg]
    return messages.Message(f"{text}. {step}" if step else text, project)


def _title(payload: dict[str, Any]) -> str:
    return str(payload.get("need_title") or payload.get("title") or _("a project"))


def _line(payload: dict[str, Any]) -> str:
    what = str(payload.get("line") or "").strip()
    if not what and payload.get("line_kind") in {kind.value for kind in ResourceKind}:
        what = ResourceKind(payload["line_kind"]).label
    return what or _("a resource line")


def _amount(value: Any, unit: Any) -> str:
    from marketplace.web import with_unit  # the pages' own number formatting

    try:
        return str(with_unit(Decimal(str(value)), str(unit or "")))
    except (InvalidOperation, ValueError, TypeError):
        return f"{value} {unit or ''}".strip()


def _when(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    from marketplace.web import local_day, local_time  # the street's clock, in the reader's language

    return f"{local_day(moment)} {local_time(moment)}"


def _window(payload: dict[str, Any]) -> str:
    start, end = _when(payload.get("starts_at")), _when(payload.get("ends_at"))
    if start and end:
        return _("%(start)s to %(end)s") % {"start": start, "end": end.rsplit(" ", 1)[-1]}
    return start or ""


def _with_reason(text: str, payload: dict[str, Any]) -> str:
    # A reason the service stored (a released claim, a moved shift) in the reader's words; typed ones as typed.
    reason = said_reason(payload.get("reason"), own=True)
    return _("%(text)s. Reason: %(reason)s") % {"text": text, "reason": reason} if reason else text


def _digest(payload: dict[str, Any], count: int) -> "messages.Message":
    text = counted("%(num)d change to %(title)s", "%(num)d changes to %(title)s", count, title=_title(payload))
    return _message(text, payload, _("Next: open the project to see what changed."), messages._project_link(payload))


def line_changed(payload: dict[str, Any], count: int) -> "messages.Message":
    if count > 1:
        return _digest(payload, count)
    unit = payload.get("unit")
    values = {
        "title": _title(payload),
        "line": _line(payload),
        "before": _amount(payload.get("before"), unit),
        "after": _amount(payload.get("after"), unit),
        "quantity": _amount(payload.get("quantity"), unit),
        "was": _amount(payload.get("was"), unit),
    }
    head = _("%(title)s: the street changed %(line)s from %(before)s to %(after)s") % values
    outcome = payload.get("outcome")
    if outcome == "reduced":
        text = _("%(head)s; your proposed claim was reduced from %(was)s to %(quantity)s") % (values | {"head": head})
        step = _("Next: nothing to do; the reduced claim waits for the street's review.")
    elif outcome == "released":
        text = _("%(head)s; your proposed claim of %(quantity)s was released") % (values | {"head": head})
        step = _("Next: nothing to deliver for this line.")
    elif outcome == "whole":
        text = _("%(head)s; your whole-project claim covers the new quantity") % {"head": head}
        step = _("Next: provide what the project now needs.")
    else:
        text = _("%(head)s; your claim of %(quantity)s stands") % (values | {"head": head})
        step = _("Next: deliver as agreed, then mark it delivered in My claims.")
    return _message(_with_reason(text, payload), payload, step, "/claims")


def line_closed(payload: dict[str, Any], count: int) -> "messages.Message":
    if count > 1:
        return _digest(payload, count)
    values = {
        "title": _title(payload),
        "line": _line(payload),
        "quantity": _amount(payload.get("quantity"), payload.get("unit")),
    }
    head = _("%(title)s: the street closed %(line)s as enough") % values
    outcome = payload.get("outcome")
    if outcome == "released":
        text = _("%(head)s; your proposed claim of %(quantity)s was released") % (values | {"head": head})
        step = _("Next: nothing to deliver for this line.")
    elif outcome == "whole":
        text = _("%(head)s; your whole-project claim no longer needs to provide it") % {"head": head}
        step = _("Next: provide the rest of the project.")
    else:
        text = _("%(head)s; your claim of %(quantity)s stands") % (values | {"head": head})
        step = _("Next: deliver what you promised, then mark it delivered in My claims.")
    return _message(_with_reason(text, payload), payload, step, "/claims")


def shift_changed(payload: dict[str, Any], count: int) -> "messages.Message":
    if count > 1:
        return _digest(payload, count)
    values = {"title": _title(payload), "shift": str(payload.get("shift") or _("a shift")), "when": _window(payload)}
    if payload.get("moved"):
        head = _("%(title)s: the shift %(shift)s moved to %(when)s") % values
    else:
        slots = int(payload.get("slots") or 0)
        head = counted(
            "%(title)s: the shift %(shift)s now has %(slots)d place",
            "%(title)s: the shift %(shift)s now has %(slots)d places",
            slots,
            also_counts=("slots",),
            **(values | {"slots": slots}),
        )
    outcome = payload.get("outcome")
    if outcome == "released":
        text = _("%(head)s; it overlaps another shift you are confirmed for, so your place was released") % {
            "head": head
        }
        step = _("Next: nothing to do; sign up again if you can change your plans.")
        link = "/signups"
    elif outcome == "whole":
        text = _("%(head)s; your whole-project claim staffs it") % {"head": head}
        step, link = _("Next: send your people at the new time."), "/claims"
    else:
        text = _("%(head)s; your sign-up stands") % {"head": head}
        step = _("Next: come at the new time, or cancel in My shifts if you cannot.")
        link = "/signups"
    return _message(text, payload, step, link)


def shift_cancelled(payload: dict[str, Any], count: int) -> "messages.Message":
    if count > 1:
        return _digest(payload, count)
    values = {"title": _title(payload), "shift": str(payload.get("shift") or _("a shift")), "when": _window(payload)}
    head = (
        _("%(title)s: the shift %(shift)s on %(when)s was cancelled")
        if values["when"]
        else _("%(title)s: the shift %(shift)s was cancelled")  # a row that does not say when it was
    ) % values
    if payload.get("outcome") == "whole":
        text = _("%(head)s; your whole-project claim need not staff it") % {"head": head}
        step, link = _("Next: nothing to do for this shift."), "/claims"
    else:
        text = _("%(head)s; your sign-up is cancelled and nothing is counted against you") % {"head": head}
        step, link = _("Next: nothing to do; other shifts are on the project board."), "/"
    return _message(_with_reason(text, payload), payload, step, link)


def need_cancelled(payload: dict[str, Any], count: int) -> "messages.Message":
    """The street cancelled a project (marketplace.needs.cancellation): what happened to each of the reader's
    items on it (``outcome``: released, withdrawn, cancelled, credited; ``recorded`` for the staff member who
    recorded it)."""
    from marketplace.notifications.phrases import line_phrase, shift_phrase

    if count > 1:
        return _digest(payload, count)
    head = _("The street cancelled %(title)s") % {"title": _title(payload)}
    items = payload.get("items") if isinstance(payload.get("items"), list) else []
    outcome, kind = payload.get("outcome"), payload.get("match_kind")
    link, step = "/claims", _("Next: nothing to deliver for this project.")
    if len(items) > 1:
        text = counted(
            "%(head)s; your %(num)d claim or sign-up on it has ended",
            "%(head)s; your %(num)d claims and sign-ups on it have ended",
            len(items),
            head=head,
        )
        step = _("Next: nothing to do; what your offers held is available again.")
    elif outcome == "recorded":
        text, link, step = _("%(head)s, a need you recorded") % {"head": head}, messages._staff_need_link(payload), None
    elif kind == "volunteer_shift":
        values = {"head": head, "shift": shift_phrase(payload) or _("a shift")}
        link = "/signups"
        if outcome == "withdrawn":
            text = _("%(head)s; the street's proposal to you for %(shift)s is withdrawn") % values
            step = _("Next: nothing to do; other shifts are on the project board.")
        elif outcome == "credited":
            text = (
                _("%(head)s while you were at %(shift)s; you are checked out and your time so far is credited") % values
            )
            step = _("Next: nothing to do; thank you for your time.")
        elif outcome == "released":
            text = _("%(head)s; nothing is asked of you for %(shift)s any more") % values
            step = _("Next: nothing to do; other shifts are on the project board.")
        else:
            text = _("%(head)s; your place on %(shift)s is cancelled and nothing is counted against you") % values
            step = _("Next: nothing to do; other shifts are on the project board.")
    elif kind == "whole_need":
        text = (
            _("%(head)s; your proposed claim of the whole project was released")
            if outcome == "released"
            else _("%(head)s; your claim of the whole project is cancelled")
        ) % {"head": head}
    else:
        values = {"head": head, "line": line_phrase(payload) or _line(payload)}
        if outcome == "withdrawn":
            text = _("%(head)s; the street's proposal to you for %(line)s is withdrawn") % values
        elif outcome == "released":
            text = _("%(head)s; your proposed claim for %(line)s was released") % values
        else:
            text = _(
                "%(head)s; your approved claim for %(line)s is cancelled and its quantity is back on your offer"
            ) % (values)
            step, link = _("Next: nothing to deliver; the quantity can be claimed for other projects."), "/offers"
    return messages.Message(_with_reason(text, payload), link, step, link if step else None)


RENDERERS: dict[str, Callable[[dict[str, Any], int], "messages.Message"]] = {
    "need_line_changed": line_changed,
    "need_line_closed": line_closed,
    "need_shift_changed": shift_changed,
    "need_shift_cancelled": shift_cancelled,
    "need_cancelled": need_cancelled,
}

# A digest's sentence when it counts changes about several objects (the daily digest names each kind it
# counts, ``messages.SUMMARIES``): one notification is one change that touched the reader's claim or sign-up.
SUMMARIES: dict[str, Callable[[int], str]] = {
    "need_line_changed": lambda n: counted(
        "%(num)d change to a line you take part in", "%(num)d changes to lines you take part in", n
    ),
    "need_line_closed": lambda n: counted(
        "%(num)d line you take part in was closed as enough", "%(num)d lines you take part in were closed as enough", n
    ),
    "need_shift_changed": lambda n: counted(
        "%(num)d change to a shift you take part in", "%(num)d changes to shifts you take part in", n
    ),
    "need_shift_cancelled": lambda n: counted(
        "%(num)d shift you take part in was cancelled", "%(num)d shifts you take part in were cancelled", n
    ),
    "need_cancelled": lambda n: counted("%(num)d project was cancelled", "%(num)d projects were cancelled", n),
}
