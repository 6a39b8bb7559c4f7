"""Likely duplicates at intake, and merging a duplicate into the need it repeats.

Similarity is the matching library's (``matching.duplicates``): cosine of character 1–3-gram vectors of
title + description, which works for Chinese without a word segmenter.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.audit.services import changed, record, snapshot
from marketplace.db.types import utcnow
from marketplace.matches.services import live_matches
from marketplace.needs import refusals
from marketplace.needs.escalation import end_escalation
from marketplace.needs.models import Need, NeedIntake, NeedStatus
from marketplace.needs.services import AUDITED_FIELDS, NeedProblem, VersionConflict, get_visible_need, needs_visible_to
from marketplace.places.models import Grid
from marketplace.security.identity import CurrentUser
from matching.duplicates import DEFAULT_THRESHOLD, similarities

THRESHOLD = DEFAULT_THRESHOLD
TOP = 5
# A need that is still open: it may yet be the same problem reported twice.
OPEN_STATUSES: tuple[NeedStatus, ...] = (
    NeedStatus.SUBMITTED,
    NeedStatus.UNDER_REVIEW,
    NeedStatus.PUBLISHED,
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROGRESS,
)


def need_text(need: Need) -> str:
    return f"{need.title} {need.description}"


@dataclass(frozen=True)
class Duplicate:
    need: Need
    score: float


def likely_duplicates(db: Session, viewer: CurrentUser, need: Need, *, threshold: float = THRESHOLD) -> list[Duplicate]:
    """The open needs of the same community most like ``need`` (best first, at most five)."""
    grid = db.get(Grid, need.grid_id)
    if grid is None:
        return []
    same_community = sa.select(Grid.id).where(Grid.community_id == grid.community_id)
    candidates = db.execute(
        needs_visible_to(viewer).where(
            Need.grid_id.in_(same_community),  # type: ignore[attr-defined]
            Need.status.in_(OPEN_STATUSES),  # type: ignore[attr-defined]
            Need.id != need.id,
            Need.duplicate_of_id.is_(None),  # type: ignore[union-attr]
        )
    ).scalars()
    others = list(candidates)
    scores = similarities(need_text(need), [need_text(other) for other in others])
    found = [Duplicate(other, float(score)) for other, score in zip(others, scores, strict=True) if score >= threshold]
    return sorted(found, key=lambda item: (-item.score, item.need.id or 0))[:TOP]


def merge_need(
    db: Session, actor: CurrentUser, need_id: int, target_id: int, *, version: int, target_version: int | None = None
) -> Need:
    """Merge ``need_id`` into ``target_id``: its intake records move to the target; it is cancelled.

    Both needs must be in the actor's scope; ``version`` (and ``target_version`` if sent) must be current.
    """
    if need_id == target_id:
        raise NeedProblem("target_id", "not_itself", refusals.NOT_ITSELF)
    need = get_visible_need(db, actor, need_id)
    target = get_visible_need(db, actor, target_id)
    if target.duplicate_of_id is not None or target.status in (NeedStatus.CANCELLED, NeedStatus.REJECTED):
        raise NeedProblem(
            "target_id", "merge_target_closed", refusals.TARGET_CLOSED, status_code=409, target_id=target_id
        )
    # A merged need is cancelled: claims and sign-ups on it would keep offers' quantities and volunteers'
    # places for a project nobody works on any more, or wait in the review queue to be approved for it.
    live = live_matches(db, need_id)
    if live:
        raise NeedProblem(
            "need_id",
            "merge_live_parts",
            refusals.MERGE_LIVE,
            status_code=409,
            need_id=need_id,
            target_id=target_id,
            live=len(live),
        )
    before, target_before = snapshot(need, AUDITED_FIELDS), snapshot(target, AUDITED_FIELDS)
    merged = db.execute(
        sa.update(Need)
        .where(Need.id == need_id, Need.version == version, Need.duplicate_of_id.is_(None))  # type: ignore[arg-type,union-attr]
        .values(
            status=NeedStatus.CANCELLED,
            status_reason=f"merged into #{target_id}",
            duplicate_of_id=target_id,
            version=Need.version + 1,
            updated_at=utcnow(),
        )
    )
    target_conditions = [Need.id == target_id]
    if target_version is not None:
        target_conditions.append(Need.version == target_version)
    touched = db.execute(
        sa.update(Need).where(*target_conditions).values(version=Need.version + 1, updated_at=utcnow())
    )
    if merged.rowcount != 1 or touched.rowcount != 1:  # type: ignore[attr-defined]
        db.expire_all()
        current = db.get(Need, need_id if merged.rowcount != 1 else target_id)  # type: ignore[attr-defined]
        assert current is not None
        db.expunge(current)
        raise VersionConflict(current)
    end_escalation(db, need_id)  # the merged need is cancelled: its open steps end with it
    moved = db.execute(
        sa.update(NeedIntake).where(NeedIntake.need_id == need_id).values(need_id=target_id)  # type: ignore[arg-type]
    ).rowcount  # type: ignore[attr-defined]
    db.expire_all()
    need, target = db.get(Need, need_id), db.get(Need, target_id)
    assert need is not None and target is not None
    old, new = changed(before, snapshot(need, AUDITED_FIELDS))
    record(db, "need.merge", object_type="need", object_id=need_id, before=old, after=new, actor=actor)
    old, new = changed(target_before, snapshot(target, AUDITED_FIELDS))
    record(
        db,
        "need.merge_into",
        object_type="need",
        object_id=target_id,
        before=old,
        after=new | {"merged_need_id": need_id, "intakes_moved": moved},
        actor=actor,
    )
    return target
