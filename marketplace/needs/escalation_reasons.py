"""The reasons the overdue sweep writes when it escalates a need on its own.

They are stored in English (a row outlives any language setting) and read in the reader's language
wherever they are shown: the escalation pages, the need's page and the audit log's before/after table.
"""

from marketplace.i18n import gettext as _
from marketplace.needs.models import EscalationLevel

PAST_DUE = "past its due date"


def not_acknowledged(level: EscalationLevel) -> str:
    """The stored reason for escalating past ``level`` when nobody acknowledged it in time."""
    return f"{level.value} level not acknowledged in time"


def system_reason_label(reason: str) -> str | None:
    """A reason the sweep writes, in the reader's language; ``None`` for a reason somebody typed."""
    if reason == PAST_DUE:
        return _("Past its due date.")
    for level in EscalationLevel:
        if reason == not_acknowledged(level):
            return _("Not acknowledged in time at the %(level)s level.") % {"level": level.label}
    return None
