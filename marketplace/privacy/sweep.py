"""Remove a person's identifying values wherever they were copied: every text and JSON column of every table.

Erasure changes the user row itself explicitly; this sweep is for the copies (audit snapshots, notification
payloads, an organisation's contact, a need the person reported for themselves). It walks the metadata, so a
table added later is covered without anyone remembering to add it here.

Matching rules, chosen so a sweep cannot damage other people's rows:
- phones and e-mail addresses are distinctive: replaced wherever they occur, also inside longer text;
- user names are unique: replaced where a value is exactly the name (a user name like "vol" is inside
  "volunteer_shift", so never as part of a longer text);
- display names are not unique (two volunteers may both be 王芳): replaced only inside JSON snapshots and
  payloads, where a value that is exactly the name is the person's; another 王芳's own row is left alone.
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
# Other accounts are other people's own statements about themselves (a family may share one phone); the
# erased account's row is changed by the erasure itself.
SKIPPED_TABLES = frozenset({"user_account"})
MIN_DISTINCTIVE = 5  # shorter "phones" (an extension) would match too much


@dataclass
class Values:
    """What to remove: distinctive values (substring matches) and exact-only values (names)."""

    distinctive: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)
    exact_in_json: set[str] = field(default_factory=set)

    def add_distinctive(self, *values: str | None) -> None:
        self.distinctive.update(v for v in values if v and len(v) >= MIN_DISTINCTIVE)

    def add_exact(self, *values: str | None) -> None:
        self.exact.update(v for v in values if v)

    def add_exact_in_json(self, *values: str | None) -> None:
        self.exact_in_json.update(v for v in values if v)

    def all(self) -> set[str]:
        return self.distinctive | self.exact | self.exact_in_json

    def scrub_text(self, text: str, *, in_json: bool = False) -> str:
        if text in self.exact or text in self.distinctive or (in_json and text in self.exact_in_json):
            return ANONYMISED
        for value in self.distinctive:
            text = text.replace(value, ANONYMISED)
        return text

    def scrub_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub_text(value, in_json=True)
        if isinstance(value, dict):
            return {key: self.scrub_json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_json(item) for item in value]
        return value


def _base_type(column: sa.Column[Any]) -> Any:
    """The type under any TypeDecorator (SQLModel's AutoString wraps String)."""
    kind: Any = column.type
    while isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    return kind


def _is_json(column: sa.Column[Any]) -> bool:
    return isinstance(_base_type(column), sa.JSON)


def _is_text(column: sa.Column[Any]) -> bool:
    kind = _base_type(column)
    return isinstance(kind, sa.String) and not isinstance(kind, sa.Enum)


def _contains_any(expression: sa.ColumnElement[Any], values: Iterable[str]) -> sa.ColumnElement[bool]:
    """Candidate rows: the value as stored (PostgreSQL JSONB, plain text) or JSON-escaped (SQLite's JSON)."""
    conditions = []
    for value in values:
        for form in {value, json.dumps(value)[1:-1]}:
            conditions.append(expression.contains(form, autoescape=True))
    return sa.or_(*conditions)


def scrub_everywhere(db: Session, values: Values) -> int:
    """Rewrite every cell holding one of ``values`` (outside ``SKIPPED_TABLES``); returns how many rows changed."""
    if not values.all():
        return 0
    changed_rows = 0
    for table in SQLModel.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        columns = [c for c in table.columns if c.name not in SKIPPED_COLUMNS and (_is_text(c) or _is_json(c))]
        keys = list(table.primary_key.columns)
        if not columns or not keys:
            continue
        candidates = [_contains_any(sa.cast(c, sa.Text) if _is_json(c) else c, values.all()) for c in columns]
        rows = db.execute(sa.select(*keys, *columns).where(sa.or_(*candidates))).all()
        for row in rows:
            key = tuple(row[: len(keys)])
            updates = {}
            for column, current in zip(columns, row[len(keys) :], strict=True):
                if current is None:
                    continue
                new = values.scrub_json(current) if _is_json(column) else values.scrub_text(current)
                if new != current:
                    if new == ANONYMISED and not _is_json(column) and column.nullable and _looks_like_contact(column):
                        new = None  # a phone or e-mail column: no placeholder pretending to be a number
                    elif isinstance(new, str) and len(new) > (getattr(_base_type(column), "length", None) or len(new)):
                        new = ANONYMISED
                    updates[column.name] = new
            if updates:
                condition = sa.and_(*(k == v for k, v in zip(keys, key, strict=True)))
                db.execute(table.update().where(condition).values(**updates))
                changed_rows += 1
    return changed_rows


def _looks_like_contact(column: sa.Column[Any]) -> bool:
    return "phone" in column.name or "email" in column.name
