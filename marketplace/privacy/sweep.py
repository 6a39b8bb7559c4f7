"""Remove a person's identifying values wherever they were copied: every text and JSON column of every table.

Erasure changes the user row itself explicitly; this sweep is for the copies (audit snapshots, notification
payloads, an organisation's contact, a need the person reported for themselves). It walks the metadata, so a
table added later is covered without anyone remembering to add it here.

Matching rules, chosen so a sweep cannot damage other people's rows:
- phones and e-mail addresses are distinctive: replaced wherever they occur, also inside longer text;
- names (display name, user name) are replaced only where a value is exactly the name: "王芳" inside a
  need's description may be another 王芳, and a user name like "vol" is inside "volunteer_shift".
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from marketplace.privacy.markers import ANONYMISED

# Digests of secrets: never personal values, never rewritten.
SKIPPED_COLUMNS = frozenset({"password_hash", "token_hash"})
MIN_DISTINCTIVE = 5  # shorter "phones" (an extension) would match too much


@dataclass
class Values:
    """What to remove: distinctive values (substring matches) and exact-only values (names)."""

    distinctive: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)

    def add_distinctive(self, *values: str | None) -> None:
        self.distinctive.update(v for v in values if v and len(v) >= MIN_DISTINCTIVE)

    def add_exact(self, *values: str | None) -> None:
        self.exact.update(v for v in values if v)

    def all(self) -> set[str]:
        return self.distinctive | self.exact

    def scrub_text(self, text: str) -> str:
        if text in self.exact or text in self.distinctive:
            return ANONYMISED
        for value in self.distinctive:
            text = text.replace(value, ANONYMISED)
        return text

    def scrub_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {key: self.scrub_json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_json(item) for item in value]
        return value


def _is_json(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.JSON) or isinstance(getattr(column.type, "impl", None), sa.JSON)


def _is_text(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)


def _contains_any(expression: sa.ColumnElement[Any], values: Iterable[str]) -> sa.ColumnElement[bool]:
    """Candidate rows: the value as stored (PostgreSQL JSONB, plain text) or JSON-escaped (SQLite's JSON)."""
    conditions = []
    for value in values:
        for form in {value, json.dumps(value)[1:-1]}:
            conditions.append(expression.contains(form, autoescape=True))
    return sa.or_(*conditions)


def scrub_everywhere(db: Session, values: Values, *, skip: Iterable[tuple[str, Any]] = ()) -> int:
    """Rewrite every cell holding one of ``values``; returns how many rows changed.

    ``skip`` names rows handled by the caller, as (table name, primary key value).
    """
    if not values.all():
        return 0
    skipped = set(skip)
    changed_rows = 0
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in SKIPPED_COLUMNS and (_is_text(c) or _is_json(c))]
        keys = list(table.primary_key.columns)
        if not columns or not keys:
            continue
        candidates = [_contains_any(sa.cast(c, sa.Text) if _is_json(c) else c, values.all()) for c in columns]
        rows = db.execute(sa.select(*keys, *columns).where(sa.or_(*candidates))).all()
        for row in rows:
            key = tuple(row[: len(keys)])
            if len(key) == 1 and (table.name, key[0]) in skipped:
                continue
            updates = {}
            for column, current in zip(columns, row[len(keys) :], strict=True):
                if current is None:
                    continue
                new = values.scrub_json(current) if _is_json(column) else values.scrub_text(current)
                if new != current:
                    if new == ANONYMISED and not _is_json(column) and column.nullable and _looks_like_contact(column):
                        new = None  # a phone or e-mail column: no placeholder pretending to be a number
                    elif isinstance(new, str) and column.type.length and len(new) > column.type.length:  # type: ignore[attr-defined]
                        new = ANONYMISED
                    updates[column.name] = new
            if updates:
                condition = sa.and_(*(k == v for k, v in zip(keys, key, strict=True)))
                db.execute(table.update().where(condition).values(**updates))
                changed_rows += 1
    return changed_rows


def _looks_like_contact(column: sa.Column[Any]) -> bool:
    return "phone" in column.name or "email" in column.name
