"""Importing the need list from a table, and the rows of its export.

Each row becomes a ``NeedCreate`` (the API's input model) and goes through ``services.create_need``, the
API's creation service: the same rules, scope check, intake record (with the row's channel) and audit
row (need.create). Every row is checked first; with any problem nothing is written unless the user asked
for the valid rows only. The import runs in the request's one transaction and adds one audit row
(need.import); each new need is compared with the open needs of its community and likely duplicates are
reported next to its row.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.audit.services import record
from marketplace.exchange.importer import PROGRESS_EVERY, CheckedTable, check_table
from marketplace.exchange.need_columns import LINE_FIELDS, SHIFT_FIELDS, NeedExportRow, import_columns
from marketplace.exchange.need_duplicates import flag_duplicates
from marketplace.exchange.paging import Key, keyset_pages
from marketplace.exchange.readers import Table
from marketplace.forms import message as generic_reason
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.needs import services
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.needs.schemas import NeedCreate
from marketplace.places.models import Grid
from marketplace.places.services import viewer_street_ids
from marketplace.security.identity import CurrentUser

# The staff list's order (newest first), as the export reads it a page at a time (exchange.paging).
NEED_ORDER = (Key(Need.created_at, descending=True), Key(Need.id, descending=True))
NEED_FIELDS = (
    "title",
    "description",
    "category",
    "channel",
    "urgency",
    "due_date",
    "beneficiary_name",
    "beneficiary_phone",
    "beneficiary_address",
    "external_ref",
    "reporter_note",
)
# The English reasons of the need schemas' own rules, as sentences in the reader's language.
_KNOWN_REASONS = {
    "must not be in the past": N_("Must not be in the past."),
    "must be after starts_at": N_("The shift must end after it starts."),
    "a shift lasts at most 24 hours": N_("A volunteer shift lasts at most 24 hours."),
    "must be in the future": N_("The shift must not be over already."),
    "must not exceed the quantity": N_("Must not be more than the resource quantity."),
    "must be between the years": N_("Must be a date between the years 2000 and 2100."),
    "years ahead": N_("Too far ahead: at most five years from today."),
    "years ago": N_("Too far back: at most five years ago."),
    "less than or equal to 100000000": N_("At most 100,000,000."),
    "is not a Chinese mobile number": N_(
        "Enter a mobile number (11 digits starting with 1) or a landline such as 0532-82861234."
    ),
}


def model_input(values: dict[str, Any]) -> dict[str, Any]:
    """A checked row's values as the API's NeedCreate body."""
    data = {name: values[name] for name in NEED_FIELDS if name in values}
    data["grid_id"] = values.get("grid")
    if any(name in values for name in LINE_FIELDS):
        line = {name.removeprefix("line_"): values[name] for name in LINE_FIELDS if name in values}
        line.setdefault("category", values.get("category"))  # a line is usually of the need's own category
        data["resource_lines"] = [line]
    if any(name in values for name in SHIFT_FIELDS):
        shift = {name.removeprefix("shift_"): values[name] for name in SHIFT_FIELDS if name in values}
        shift.setdefault("title", values.get("title"))  # a shift is usually named after its need
        data["shifts"] = [shift]
    return data


def _column_of(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if not isinstance(part, int)]
    if not parts:
        return "title"
    if parts[0] == "resource_lines" and len(parts) > 1:
        return f"line_{parts[1]}"
    if parts[0] == "shifts" and len(parts) > 1:
        return f"shift_{parts[1]}"
    return "grid" if parts[0] == "grid_id" else parts[0]


def _reason(item: Any) -> str:
    text = str(item.get("msg", ""))
    for english, msgid in _KNOWN_REASONS.items():
        if english in text:
            return _(msgid)
    return generic_reason(item)


def _row_checker(db: Session, actor: CurrentUser) -> Any:
    def check(values: dict[str, Any]) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        grid_id = values.get("grid")
        if grid_id is not None and not services.may_work_in_grid(db, actor, grid_id):
            problems.append(("grid", _("This grid is outside the grids you work in.")))
        try:
            NeedCreate.model_validate(model_input(values))
        except ValidationError as error:
            seen: set[str] = set()
            for item in error.errors():
                column = _column_of(tuple(item.get("loc") or ()))
                if column not in seen:
                    seen.add(column)
                    problems.append((column, _reason(item)))
        return problems

    return check


def check_need_table(
    db: Session, actor: CurrentUser, table: Table, progress: Callable[[int], None] | None = None
) -> CheckedTable:
    return check_table(table, import_columns(db, viewer_street_ids(actor)), _row_checker(db, actor), progress)


@dataclass(frozen=True)
class ImportedNeed:
    row: int
    need_id: int
    title: str
    # Likely duplicates among the open needs of the same community: (need id, title, similarity).
    duplicates: list[tuple[int, str, float]]


@dataclass
class NeedImportResult:
    checked: CheckedTable
    imported: list[ImportedNeed] = field(default_factory=list)
    only_valid: bool = False

    @property
    def imported_ids(self) -> list[int]:
        return [item.need_id for item in self.imported]

    @property
    def refused(self) -> bool:
        """Nothing was written because some rows failed and the user wanted all or nothing."""
        return bool(self.checked.problems) and not self.only_valid

    @property
    def flagged(self) -> list[ImportedNeed]:
        return [item for item in self.imported if item.duplicates]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_rows": self.checked.total_rows,
            "valid_rows": len(self.checked.valid),
            "invalid_rows": self.checked.invalid_rows,
            "imported": len(self.imported),
            "imported_ids": self.imported_ids,
            "only_valid": self.only_valid,
            "problems": [problem.as_dict() for problem in self.checked.problems],
            "likely_duplicates": {item.row: [d[0] for d in item.duplicates] for item in self.flagged},
        }


def import_needs(
    db: Session,
    actor: CurrentUser,
    table: Table,
    *,
    only_valid: bool = False,
    filename: str = "",
    progress: Callable[[str, int], None] | None = None,
) -> NeedImportResult:
    """Create the table's needs in the caller's (one) transaction: all or nothing unless ``only_valid``.
    ``progress(stage, rows)`` hears of the checking and the writing every few hundred rows (a job's page)."""
    checked = check_need_table(db, actor, table, None if progress is None else lambda done: progress("checking", done))
    result = NeedImportResult(checked=checked, only_valid=only_valid)
    if result.refused or not checked.valid:
        return result
    created = []
    for done, (number, values) in enumerate(checked.valid):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress("writing", done)
        need, _created = services.create_need(db, actor, NeedCreate.model_validate(model_input(values)))
        created.append((number, need))
        # Everything is flushed: letting go of the rows keeps each flush from rescanning all earlier ones
        # (that made a 5,000-row file quadratic). The need keeps its loaded fields for the report.
        db.expunge_all()
    flags = flag_duplicates(db, actor, [need for _number, need in created])
    for number, need in created:
        assert need.id is not None
        result.imported.append(ImportedNeed(number, need.id, need.title, flags.get(need.id, [])))
    record(
        db,
        "need.import",
        object_type="need",
        object_id=None,
        after={
            "file": filename[:200],
            "rows": checked.total_rows,
            "imported": len(result.imported),
            "skipped_rows": checked.invalid_rows,
            "need_ids": result.imported_ids,
            "likely_duplicates": {str(item.row): [d[0] for d in item.duplicates] for item in result.flagged},
        },
        actor=actor,
    )
    return result


def export_pages(db: Session, viewer: CurrentUser, filters: services.NeedFilters) -> Iterator[list[NeedExportRow]]:
    """Every need the staff list shows for these filters (same scope and order), a page at a time, with their
    lines, shifts and grid codes: memory holds one page, however many needs."""
    for page in keyset_pages(db, services.filtered_needs(viewer, filters), NEED_ORDER):
        yield export_rows_of(db, [row[0] for row in page])


def export_rows(db: Session, viewer: CurrentUser, filters: services.NeedFilters) -> list[NeedExportRow]:
    """Every row of ``export_pages`` as one list (small lists; a file is written from the pages)."""
    return [row for page in export_pages(db, viewer, filters) for row in page]


def export_rows_of(db: Session, needs: list[Need]) -> list[NeedExportRow]:
    """These needs with their first line and shift, as the file writes them (three statements)."""
    ids = [need.id for need in needs if need.id is not None]
    lines: dict[int, list[ResourceLine]] = {}
    shifts: dict[int, list[Shift]] = {}
    grids: dict[int, tuple[str, str, str]] = {}
    if ids:
        for line in db.execute(
            sa.select(ResourceLine).where(ResourceLine.need_id.in_(ids)).order_by(ResourceLine.id)  # type: ignore[attr-defined]
        ).scalars():
            lines.setdefault(line.need_id, []).append(line)
        for shift in db.execute(
            sa.select(Shift).where(Shift.need_id.in_(ids)).order_by(Shift.starts_at, Shift.id)  # type: ignore[attr-defined]
        ).scalars():
            shifts.setdefault(shift.need_id, []).append(shift)
        grid_ids = sorted({need.grid_id for need in needs})
        named = sa.select(Grid.id, Grid.code, Grid.name, Grid.name_en).where(Grid.id.in_(grid_ids))  # type: ignore[union-attr,arg-type]
        grids = {row[0]: (row[1], row[2], row[3] or "") for row in db.execute(named)}
    rows = []
    for need in needs:
        code, name, name_en = grids.get(need.grid_id, ("", "", ""))
        rows.append(NeedExportRow(need, code, lines.get(need.id or 0, []), shifts.get(need.id or 0, []), name, name_en))
    return rows
