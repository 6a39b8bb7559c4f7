"""The resource list's file: its columns, the import (all or nothing, or only the valid rows) and the export."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.audit.services import record
from marketplace.exchange.columns import CellProblem, ColumnSpec, choice, day, decimal, text
from marketplace.exchange.grid_names import grid_finder
from marketplace.exchange.importer import CheckedTable, RowProblem, check_table
from marketplace.exchange.paging import Key, keyset_pages
from marketplace.exchange.readers import Table
from marketplace.forms import field_errors
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.offers import services
from marketplace.offers.models import Offer
from marketplace.offers.schemas import OfferCreate
from marketplace.offers.services import create_offers
from marketplace.organizations.services import require_approved_organization, street_ids_served_by
from marketplace.places.models import Grid
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import day_end, day_start, last_day, street_day
from marketplace.vocabulary import Category, ResourceKind

GRID_SEPARATORS = (";", "；", "、", "|", ",", "，")
WRITE_BATCH = 500  # offers inserted together


@dataclass
class ExportRow:
    """What one exported line needs: the offer, its organization's name and its grids."""

    offer: Offer
    organization: str
    grids: list[Grid] = field(default_factory=list)


def _grid_parser(db: Session, street_ids: frozenset[int] | None = None) -> Any:
    """Grid codes or names, separated; names are looked up in ``street_ids`` first (``grid_names``)."""
    find = grid_finder(db, street_ids)

    def parse(value: str) -> list[int]:
        parts = [value]
        for separator in GRID_SEPARATORS:
            parts = [piece for part in parts for piece in part.split(separator)]
        ids = [int(find(part).id) for part in (piece.strip() for piece in parts) if part]
        if not ids:
            raise CellProblem(N_("Name at least one grid."))
        return sorted(set(ids))

    return parse


def _local_day(value: datetime | None, end: bool = False) -> date | None:
    """The street's day, a real date (the writer puts it in a date cell)."""
    if value is None:
        return None
    return last_day(value) if end else street_day(value)


def offer_columns(db: Session | None = None, street_ids: frozenset[int] | None = None) -> list[ColumnSpec]:
    """The offer file's columns; with ``db`` the grid column can parse grid codes and names (names looked up in
    ``street_ids``, the streets the importing organization serves)."""
    grids = _grid_parser(db, street_ids) if db is not None else (lambda value: value)
    return [
        ColumnSpec("id", "编号", "ID", lambda v: v, lambda r: r.offer.id, help=N_("Ignored on import.")),
        ColumnSpec(
            "kind",
            "类型",
            "Kind",
            choice(ResourceKind.choices),
            lambda r: r.offer.kind,
            required=True,
            example="material",
        ),
        ColumnSpec(
            "category",
            "类别",
            "Category",
            choice(Category.choices),
            lambda r: r.offer.category,
            required=True,
            example="renovation",
        ),
        ColumnSpec("title", "标题", "Title", text(200), lambda r: r.offer.title, required=True, example="透水砖"),
        ColumnSpec(
            "description", "说明", "Description", text(4000), lambda r: r.offer.description, example="3200 平方米"
        ),
        ColumnSpec(
            "quantity",
            "数量",
            "Quantity",
            decimal(allow_zero=False),
            lambda r: r.offer.quantity,
            required=True,
            example="3200",
        ),
        ColumnSpec("unit", "单位", "Unit", text(32), lambda r: r.offer.unit, required=True, example="平方米"),
        ColumnSpec(
            "remaining_quantity",
            "剩余数量",
            "Remaining",
            decimal(),
            lambda r: r.offer.remaining_quantity,
            example="3200",
        ),
        ColumnSpec(
            "valid_from", "有效期起", "Valid from", day, lambda r: _local_day(r.offer.valid_from), example="2026-12-01"
        ),
        ColumnSpec(
            "valid_until",
            "有效期至",
            "Valid until",
            day,
            lambda r: _local_day(r.offer.valid_until, True),
            example="2027-06-30",
        ),
        ColumnSpec(
            "available_from",
            "可供应起始日",
            "Available from",
            day,
            lambda r: _local_day(r.offer.available_from),
            example="2026-12-15",
            help=N_("The first day it can be delivered or used; empty: at once."),
        ),
        ColumnSpec(
            "grid_ids",
            "服务网格",
            "Grids",
            grids,
            lambda r: "; ".join(grid.code for grid in r.grids),
            required=True,
            example="HD01; HD02",
        ),
        ColumnSpec(
            "organization",
            "提供单位",
            "Organization",
            lambda v: v,
            lambda r: r.organization,
            help=N_("Ignored on import."),
        ),
        ColumnSpec("status", "状态", "Status", lambda v: v, lambda r: r.offer.status, help=N_("Ignored on import.")),
    ]


IMPORTED_COLUMNS = {
    "kind",
    "category",
    "title",
    "description",
    "quantity",
    "unit",
    "remaining_quantity",
    "valid_from",
    "valid_until",
    "available_from",
    "grid_ids",
}


def _model_input(values: dict[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in values.items() if key in IMPORTED_COLUMNS}
    if "valid_from" in data:
        data["valid_from"] = day_start(data["valid_from"])
    if "valid_until" in data:
        data["valid_until"] = day_end(data["valid_until"])  # through that street day
    if "available_from" in data:
        data["available_from"] = day_start(data["available_from"])
    return data


_CROSS_FIELD = {
    "exceed": N_("The remaining quantity cannot be more than the quantity."),
    "after valid_from": N_("The end of the window must be after its start."),
    "future": N_("The end of the window must be in the future."),
    "before valid_until": N_("The resource must be available before the offer ends."),
}


def _row_checker(db: Session, organization_id: int | None) -> Any:
    # Rows of a file mostly name the same few grids: the area rule is asked once per set of grids, not per row.
    area_problems: dict[tuple[int, ...], str | None] = {}

    def check(values: dict[str, Any]) -> list[tuple[str, str]]:
        try:
            OfferCreate.model_validate(_model_input(values))
        except ValidationError as error:
            problems = []
            for name, message in field_errors(error).items():
                reason = next((_(text_) for key, text_ in _CROSS_FIELD.items() if key in message), message)
                problems.append((name, reason))
            return problems
        # The same rule of the domain as the form and the API (offers.services), so the row is refused here.
        if organization_id is not None:
            grids = tuple(values.get("grid_ids") or [])
            if grids not in area_problems:
                area_problems[grids] = services.service_area_problem(db, organization_id, list(grids))
            problem = area_problems[grids]
            if problem:
                return [("grid_ids", problem)]
        return []

    return check


def check_offer_table(db: Session, table: Table, organization_id: int | None = None) -> CheckedTable:
    """Every row checked; with ``organization_id`` grid names are looked up in the streets it serves and the
    service area must lie in them."""
    street_ids = street_ids_served_by(db, organization_id) if organization_id is not None else None
    columns = [column for column in offer_columns(db, street_ids or None) if column.name in IMPORTED_COLUMNS]
    return check_table(table, columns, _row_checker(db, organization_id))


@dataclass
class ImportResult:
    checked: CheckedTable
    imported_ids: list[int] = field(default_factory=list)
    only_valid: bool = False

    @property
    def refused(self) -> bool:
        """Nothing was written because some rows failed and the user wanted all or nothing."""
        return bool(self.checked.problems) and not self.only_valid

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_rows": self.checked.total_rows,
            "valid_rows": len(self.checked.valid),
            "invalid_rows": self.checked.invalid_rows,
            "imported": len(self.imported_ids),
            "imported_ids": self.imported_ids,
            "only_valid": self.only_valid,
            "problems": [problem.as_dict() for problem in self.checked.problems],
        }


def import_offers(
    db: Session, actor: CurrentUser, table: Table, *, only_valid: bool = False, filename: str = ""
) -> ImportResult:
    """Create the table's offers for the actor's organization in the caller's (one) transaction.

    All or nothing unless ``only_valid``; one audit row with the counts and the new ids. The offers are made by
    ``offers.bulk.create_offers``: the rules of ``create_offer``, each looked up once for the file (5,000 rows:
    about 4 s on a city, where one ``create_offer`` a row took 30-60 s).
    """
    organization = require_approved_organization(db, actor)
    checked = check_offer_table(db, table, organization.id)
    result = ImportResult(checked=checked, only_valid=only_valid)
    if result.refused or not checked.valid:
        return result
    items = [OfferCreate.model_validate(_model_input(values)) for _number, values in checked.valid]
    for start in range(0, len(items), WRITE_BATCH):
        rows = create_offers(db, actor, items[start : start + WRITE_BATCH])
        result.imported_ids.extend(row.id for row in rows if row.id is not None)
    record(
        db,
        "offer.import",
        object_type="offer",
        object_id=None,
        after={
            "file": filename[:200],
            "rows": checked.total_rows,
            "imported": len(result.imported_ids),
            "skipped_rows": checked.invalid_rows,
            "offer_ids": result.imported_ids,
        },
        actor=actor,
    )
    return result


# The resource list's order (newest first), as the export reads it a page at a time (exchange.paging).
OFFER_ORDER = (Key(Offer.created_at, descending=True), Key(Offer.id, descending=True))


def export_pages(db: Session, viewer: CurrentUser, filters: services.OfferFilters) -> Iterator[list[ExportRow]]:
    """Every visible offer matching the list's filters, in its order, a page at a time, as the writer needs
    them: memory holds one page, however many offers (the file once stopped at 50,000 without a word)."""
    for page in keyset_pages(db, services.filtered_offers(viewer, filters), OFFER_ORDER):
        offers = [row[0] for row in page]
        ids = [offer.id for offer in offers if offer.id is not None]
        grids = services.grids_of_offers(db, ids)
        organizations = services.organization_names(db, [offer.organization_id for offer in offers])
        yield [
            ExportRow(
                offer,
                organizations[offer.organization_id].name if offer.organization_id in organizations else "",
                grids.get(offer.id or 0, []),
            )
            for offer in offers
        ]


def count_offers(db: Session, viewer: CurrentUser, filters: services.OfferFilters) -> int:
    statement = services.filtered_offers(viewer, filters).order_by(None).subquery()
    return int(db.execute(sa.select(sa.func.count()).select_from(statement)).scalar_one())


def problems_as_rows(problems: Sequence[RowProblem]) -> list[dict[str, Any]]:
    return [problem.as_dict() for problem in problems]
