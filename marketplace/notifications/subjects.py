"""What stored notifications are about, looked up when the centre or the API renders them.

Rows written before senders put the project's title (and the line or shift) into the payload still
render with them: the missing pieces come from the database in one statement for the whole page (a
UNION ALL of the needs, matches and shifts the page's rows refer to). What a payload already carries
wins: it is what the reader was told at the time. Templates never query; handlers call ``resolve``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.types import QUANTITY, UTCDateTime
from marketplace.matches.models import Match
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.notifications.models import Notification
from marketplace.notifications.phrases import outcome
from marketplace.whole_numbers import whole_number


@dataclass
class _Wanted:
    needs: set[int]
    matches: set[int]
    shifts: set[int]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return whole_number(value) if isinstance(value, str) else None


def _refs(row: Notification) -> tuple[int | None, int | None, int | None]:
    """The need, match and shift a row refers to, from its payload or its subject."""
    payload = row.payload or {}

    def ref(key: str, subject_type: str) -> int | None:
        return _int(payload.get(key)) or (row.subject_id if row.subject_type == subject_type else None)

    return ref("need_id", "need"), ref("match_id", "match"), ref("shift_id", "shift")


def _wanted(rows: Iterable[Notification]) -> _Wanted:
    wanted = _Wanted(set(), set(), set())
    for row in rows:
        payload = row.payload or {}
        need_id, match_id, shift_id = _refs(row)
        if match_id is not None and not payload.get("match_kind"):
            wanted.matches.add(match_id)
        elif shift_id is not None and not payload.get("shift"):
            wanted.shifts.add(shift_id)
        if need_id is not None and not (payload.get("need_title") or payload.get("title")):
            wanted.needs.add(need_id)
    return wanted


# The columns of the UNION ALL, each with its type so both databases hand back the same Python values.
_COLUMNS: list[tuple[str, Any]] = [
    ("source", sa.String()),
    ("id", sa.Integer()),
    ("need_id", sa.Integer()),
    ("need_title", sa.String()),
    ("match_kind", sa.String()),
    ("status", sa.String()),
    ("reason", sa.String()),
    ("line", sa.String()),
    ("line_kind", sa.String()),
    ("quantity", QUANTITY),
    ("unit", sa.String()),
    ("shift_id", sa.Integer()),
    ("shift", sa.String()),
    ("starts_at", UTCDateTime()),
]


def _select(source: str, **given: Any) -> sa.Select[Any]:
    columns = []
    for name, type_ in _COLUMNS:
        if name == "source":
            value = sa.literal(source, sa.String())
        elif name in given:
            value = sa.type_coerce(given[name], type_)
        else:
            value = sa.cast(sa.null(), type_)
        columns.append(value.label(name))
    return sa.select(*columns)


def _statement(wanted: _Wanted) -> sa.CompoundSelect | sa.Select[Any] | None:
    parts: list[sa.Select[Any]] = []
    if wanted.matches:
        parts.append(
            _select(
                "match",
                id=Match.id,
                need_id=Match.need_id,
                need_title=Need.title,
                match_kind=Match.kind,
                status=Match.status,
                reason=Match.decision_reason,
                line=ResourceLine.description,
                line_kind=ResourceLine.kind,
                quantity=Match.quantity,
                unit=ResourceLine.unit,
                shift_id=Match.shift_id,
                shift=Shift.title,
                starts_at=Shift.starts_at,
            )
            .select_from(Match)
            .join(Need, Need.id == Match.need_id)  # type: ignore[arg-type]
            .outerjoin(ResourceLine, ResourceLine.id == Match.resource_line_id)  # type: ignore[arg-type]
            .outerjoin(Shift, Shift.id == Match.shift_id)  # type: ignore[arg-type]
            .where(Match.id.in_(sorted(wanted.matches)))  # type: ignore[union-attr]
        )
    if wanted.shifts:
        parts.append(
            _select(
                "shift",
                id=Shift.id,
                need_id=Shift.need_id,
                need_title=Need.title,
                shift_id=Shift.id,
                shift=Shift.title,
                starts_at=Shift.starts_at,
            )
            .select_from(Shift)
            .join(Need, Need.id == Shift.need_id)  # type: ignore[arg-type]
            .where(Shift.id.in_(sorted(wanted.shifts)))  # type: ignore[union-attr]
        )
    if wanted.needs:
        parts.append(
            _select("need", id=Need.id, need_id=Need.id, need_title=Need.title).where(
                Need.id.in_(sorted(wanted.needs))  # type: ignore[union-attr]
            )
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)


def _facts(row: Any) -> dict[str, Any]:
    """A looked-up row as payload keys (only those it knows)."""
    facts: dict[str, Any] = {"need_id": row.need_id, "need_title": row.need_title}
    if row.source == "match":
        facts["match_kind"] = str(row.match_kind)
        if row.status is not None:
            facts["status"] = str(row.status)
        if row.reason:
            facts["reason"] = row.reason
    if row.line_kind is not None:
        facts |= {"line": row.line or "", "line_kind": str(row.line_kind), "unit": row.unit or ""}
        if isinstance(row.quantity, Decimal):
            facts["quantity"] = str(row.quantity)
    if row.shift is not None:
        facts |= {"shift_id": row.shift_id, "shift": row.shift}
        if isinstance(row.starts_at, datetime):
            facts["starts_at"] = row.starts_at.isoformat()
    return {key: value for key, value in facts.items() if value is not None}


def resolve(session: Session, rows: Iterable[Notification]) -> dict[int, dict[str, Any]]:
    """Each row's payload (by notification id), completed from the database where it lacks something.

    The stored rows are never changed. The outcome is completed only where the row carries none: a
    decision stored without one is told by the match's status and reason.
    """
    rows = list(rows)
    statement = _statement(_wanted(rows))
    found: dict[tuple[str, int], dict[str, Any]] = {}
    if statement is not None:
        for looked_up in session.execute(statement):
            found[(looked_up.source, looked_up.id)] = _facts(looked_up)
    payloads: dict[int, dict[str, Any]] = {}
    for row in rows:
        payload = dict(row.payload or {})
        need_id, match_id, shift_id = _refs(row)
        told = outcome(payload) is not None
        for source, ref in (("match", match_id), ("shift", shift_id), ("need", need_id)):
            facts = found.get((source, ref), {}) if ref is not None else {}
            for name, value in facts.items():
                if name in ("status", "reason") and told:
                    continue  # what the reader was told at the time stands
                if not payload.get(name) and not (name == "need_title" and payload.get("title")):
                    payload[name] = value
        payloads[row.id or 0] = payload
    return payloads
