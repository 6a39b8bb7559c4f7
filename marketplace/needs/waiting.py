"""Whether an escalation step still waits for its acknowledgement, as an SQL condition.

"<project> was escalated to the community level and needs your acknowledgement" stops asking once someone
acknowledged the step, it was resolved, or the need closed (the escalations page then lists it no more).
The notifications domain reads this with its rows, in the statement it sends anyway (``notifications.waiting``).
"""

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from marketplace.needs.escalation import need_still_open
from marketplace.needs.models import Escalation, Need


def escalation_moved_on(escalation_id: Any) -> sa.ColumnElement[bool]:
    """The escalation step ``escalation_id`` (a column or a value) exists and no longer waits for an
    acknowledgement: acknowledged, resolved, or its need is closed. An unknown id has not moved on."""
    return sa.exists().where(
        col(Escalation.id) == escalation_id,
        col(Need.id) == Escalation.need_id,
        sa.or_(
            col(Escalation.acknowledged_at).is_not(None),
            col(Escalation.resolved_at).is_not(None),
            ~need_still_open(),
        ),
    )
