"""What senders put in a notification about a match, in the vocabulary of ``phrases``.

A payload carries the project's title and the line or shift, so the sentence can be written without
the database, also when the row is read years later (and ``subjects.resolve`` fills in older rows).
"""

from typing import Any

from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, ResourceLine, Shift


def need_payload(need: Need, **extra: Any) -> dict[str, Any]:
    """A notification about a project: its id and title, plus what the caller adds."""
    return {"need_id": need.id, "need_title": need.title, **extra}


def match_payload(db: Session, match: Match, **extra: Any) -> dict[str, Any]:
    """A notification about a claim or a sign-up: the project, what was claimed, and its outcome.

    ``status`` is the match's status now (the outcome: approved, rejected, cancelled); ``reason`` is the
    decision's reason when it was rejected or cancelled.
    """
    need = db.get(Need, match.need_id)
    payload: dict[str, Any] = {
        "match_id": match.id,
        "need_id": match.need_id,
        "need_title": need.title if need else None,
        "match_kind": match.kind.value,
        "status": match.status.value,
    }
    if match.status in (MatchStatus.REJECTED, MatchStatus.CANCELLED) and match.decision_reason:
        payload["reason"] = match.decision_reason
    if match.resource_line_id is not None:
        line = db.get(ResourceLine, match.resource_line_id)
        if line is not None:
            payload |= {"line_id": line.id, "line": line.description, "line_kind": line.kind.value, "unit": line.unit}
        if match.quantity is not None:
            payload["quantity"] = str(match.quantity)
    if match.shift_id is not None:
        shift = db.get(Shift, match.shift_id)
        if shift is not None:
            payload |= {"shift_id": shift.id, "shift": shift.title, "starts_at": shift.starts_at.isoformat()}
    return payload | extra
