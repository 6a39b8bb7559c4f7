"""Adding resource lines and volunteer shifts to a need that is already recorded.

Existing lines and shifts are never changed here: partners and volunteers may have claimed them.
The caller first saves the edit through ``services.update_need``, whose conditional UPDATE on the
version makes the additions part of one version-checked change.
"""

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.audit.services import record
from marketplace.items.services import with_item_key
from marketplace.matches.services import refresh_need_status
from marketplace.needs import refusals
from marketplace.needs.escalation import CLOSED
from marketplace.needs.models import Need, ShiftSkill
from marketplace.needs.schemas import ResourceLineCreate, ShiftCreate
from marketplace.needs.services import NeedProblem
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import Skill


def _check_skills(db: Session, shifts: list[ShiftCreate]) -> None:
    wanted = sorted({skill_id for shift in shifts for skill_id in shift.skill_ids})
    known = set(db.execute(sa.select(Skill.id).where(Skill.id.in_(wanted))).scalars()) if wanted else set()  # type: ignore[union-attr]
    for index, shift in enumerate(shifts):
        for skill_id in shift.skill_ids:
            if skill_id not in known:
                raise NeedProblem(
                    f"shifts.{index}.skill_ids", "unknown_skill", refusals.UNKNOWN_SKILL, skill_id=skill_id
                )


def add_parts(
    db: Session, actor: CurrentUser, need: Need, lines: list[ResourceLineCreate], shifts: list[ShiftCreate]
) -> None:
    """Add ``lines`` and ``shifts`` to ``need`` (already checked to be in the actor's scope)."""
    if not lines and not shifts:
        return
    assert need.id is not None
    if need.status in CLOSED:
        raise NeedProblem("status", "need_closed", refusals.NEED_CLOSED, status_code=409, status=need.status)
    _check_skills(db, shifts)
    line_rows = [with_item_key(db, line.to_row(need.id)) for line in lines]
    db.add_all(line_rows)
    shift_rows = []
    for data in shifts:
        shift = data.to_row(need.id)
        db.add(shift)
        db.flush()
        shift_rows.append(shift)
        for skill_id in sorted(set(data.skill_ids)):
            db.add(ShiftSkill(shift_id=shift.id, skill_id=skill_id))  # type: ignore[arg-type]
    db.flush()
    # A matched need that gains a line still needs something again.
    refresh_need_status(db, need.id)
    record(
        db,
        "need.update",
        object_type="need",
        object_id=need.id,
        after={"resource_lines_added": [row.id for row in line_rows], "shifts_added": [row.id for row in shift_rows]},
        actor=actor,
    )
