"""The change forms of a need's staff page: what each form shows, and the refusals in the reader's language.

Field names on the page are namespaced by row: ``line-7-quantity``, ``line-7-close_reason``,
``shift-3-starts_at``, ``shift-3-cancel_reason``; an error lands next to its own field.
"""

from datetime import datetime
from typing import Any

from marketplace.i18n import gettext as _
from marketplace.needs.changes import CHANGEABLE, ChangeRefused
from marketplace.needs.models import Need, Shift
from marketplace.street_clock import street_time

# The service's field names, as the form of each action calls them.
CLOSE_FIELDS = {"reason": "close_reason"}
CANCEL_FIELDS = {"reason": "cancel_reason"}


def local_input(moment: datetime) -> str:
    """An instant as a datetime-local value on the street's clock (2030-01-05T11:00)."""
    return street_time(moment).strftime("%Y-%m-%dT%H:%M")


def form_context(need: Need, shifts: list[Shift]) -> dict[str, Any]:
    """What the page's change forms need: whether the need may change, and each shift's current window."""
    return {
        "changeable": need.status in CHANGEABLE,
        "shift_inputs": {
            shift.id: {"starts_at": local_input(shift.starts_at), "ends_at": local_input(shift.ends_at)}
            for shift in shifts
        },
    }


def notices() -> dict[str, str]:
    return {
        "line_changed": _("The line's quantity is changed; its claimants are told what happens to their claims."),
        "line_closed": _("The line is closed as enough; pending claims on it were released and their partners told."),
        "shift_changed": _("The shift is changed; its volunteers are told."),
        "shift_cancelled": _("The shift is cancelled; its volunteers are told and their places freed."),
    }


def refusal_message(problem: ChangeRefused) -> str:
    """Why the change was refused, in the reader's language: the sentence the API says too (needs.refusals)."""
    return problem.message
