"""Offers (the resource list) as JSON: list, read, publish, edit with a version, withdraw."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.exchange.services import (
    MAX_BYTES,
    UPLOAD_BODY_LIMIT,
    TableProblem,
    import_offers,
    read_table,
    release_memory_soon,
    too_large_json,
)
from marketplace.matches.services import ended_with_offer, waiting_on_offer
from marketplace.offers import services
from marketplace.offers.lifecycle import effective_status
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.schemas import OfferCreate, OfferUpdate
from marketplace.organizations.services import require_approved_organization
from marketplace.security.deps import Actor
from marketplace.security.guards import roles, token_scope
from marketplace.street_clock import last_day, street_day
from marketplace.vocabulary import Category, ResourceKind

offer_readers = roles(Role.ADMIN, Role.STAFF, Role.PARTNER)
offer_writers = roles(Role.PARTNER)


def offer_out(row: Offer, grids: list[Any], organization: Any | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "organization_name": organization.name if organization is not None else None,
        "kind": row.kind.value,
        "category": row.category.value,
        "title": row.title,
        "description": row.description,
        "quantity": f"{Decimal(row.quantity):.2f}",
        "unit": row.unit,
        "item_key": row.item_key,  # the item vocabulary's key for what the offer names (null: none)
        "remaining_quantity": f"{Decimal(row.remaining_quantity):.2f}",
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        # The last street day (Asia/Shanghai) the offer is valid on: valid_until is the instant that day ends.
        "valid_until_day": last_day(row.valid_until).isoformat() if row.valid_until else None,
        # The first instant (and street day) the resource can be delivered or used; None: at once.
        "available_from": row.available_from.isoformat() if row.available_from else None,
        "available_from_day": street_day(row.available_from).isoformat() if row.available_from else None,
        "status": effective_status(row).value,
        "version": row.version,
        "grids": [{"id": grid.id, "name": grid.name, "name_en": grid.name_en} for grid in grids],
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def one_offer(db: Session, row: Offer) -> dict[str, Any]:
    assert row.id is not None
    organizations = services.organization_names(db, [row.organization_id])
    return offer_out(row, services.grids_of_offers(db, [row.id])[row.id], organizations.get(row.organization_id))


def grid_problem(problem: services.GridProblem) -> ValidationException:
    return ValidationException(
        f"grid_ids: {problem}", extra=[{"key": "grid_ids", "message": str(problem), "source": "body"}]
    )


def validation_problem(error: ValidationError) -> ValidationException:
    items = [
        {"key": ".".join(str(part) for part in item["loc"]), "message": item["msg"], "source": "body"}
        for item in error.errors()
    ]
    summary = "; ".join(f"{item['key']}: {item['message']}" for item in items)
    return ValidationException(summary or "invalid input", extra=items)


PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=100)]


class OfferApiController(Controller):
    path = "/api/v1/offers"
    tags = ["offers"]

    @get(
        "/",
        operation_id="listOffers",
        summary="The resource list",
        description="Staff and street admins: the offers of organizations serving their street (a city admin: "
        "every street's). Partners: their organization's offers. "
        "Filters: kind, category, grid_id, status, q (title contains). Expired offers are marked first.",
        guards=[offer_readers, token_scope("offers:read")],
        sync_to_thread=True,
    )
    def list_offers(
        self,
        reader: ReaderSession,
        state: State,
        actor: Actor,
        kind: FromQuery[ResourceKind | None] = None,
        category: FromQuery[Category | None] = None,
        grid_id: FromQuery[int | None] = None,
        status: FromQuery[OfferStatus | None] = None,
        q: FromQuery[str | None] = None,
        page: PageNumber = 1,
        page_size: PageSize = 50,
    ) -> dict[str, Any]:
        services.sweep_expired(reader, state.session_factory)
        filters = services.OfferFilters(kind, category, grid_id, status, (q or "").strip()[:100] or None)
        listing = services.list_offers(reader, actor, filters, page=page, page_size=page_size)
        ids = [row.id for row in listing.rows if row.id is not None]
        grids = services.grids_of_offers(reader, ids)
        organizations = services.organization_names(reader, [row.organization_id for row in listing.rows])
        return {
            "total": listing.total,
            "page": page,
            "counts": listing.counts,
            "items": [
                offer_out(row, grids[row.id or 0], organizations.get(row.organization_id)) for row in listing.rows
            ],
        }

    @post(
        "/",
        operation_id="createOffer",
        summary="Publish an offer",
        description="Users of an approved partner organization (403 with the reason otherwise). "
        "remaining_quantity defaults to quantity; grid_ids is the service area.",
        guards=[offer_writers, token_scope("offers:write")],
        sync_to_thread=True,
    )
    def create_offer(self, db: DbSession, actor: Actor, data: JSONBody[OfferCreate]) -> dict[str, Any]:
        try:
            row = services.create_offer(db, actor, data)
        except services.GridProblem as problem:
            raise grid_problem(problem) from None
        return one_offer(db, row)

    @get(
        "/{offer_id:int}",
        operation_id="getOffer",
        summary="One offer",
        description="404 for an offer outside the caller's scope (another organization's; for staff and street "
        "admins, one of an organization not serving their street). `waiting`: how many partners' claims and "
        "staff's or rounds' proposals still wait on it, which withdrawing it would cancel.",
        guards=[offer_readers, token_scope("offers:read")],
        sync_to_thread=True,
    )
    def get_offer(self, reader: ReaderSession, actor: Actor, offer_id: FromPath[int]) -> dict[str, Any]:
        row = services.get_offer(reader, actor, offer_id)
        claims, proposals = waiting_on_offer(reader, offer_id)
        return one_offer(reader, row) | {"waiting": {"claims": claims, "proposals": proposals}}

    @patch(
        "/{offer_id:int}",
        operation_id="updateOffer",
        summary="Edit an offer",
        description="Send the version you read; 409 if the offer changed since. Only the fields sent change.",
        guards=[offer_writers, token_scope("offers:write")],
        sync_to_thread=True,
    )
    def update_offer(
        self, db: DbSession, actor: Actor, offer_id: FromPath[int], data: JSONBody[OfferUpdate]
    ) -> dict[str, Any]:
        try:
            row = services.update_offer(db, actor, offer_id, data)
        except services.GridProblem as problem:
            raise grid_problem(problem) from None
        except ValidationError as error:
            raise validation_problem(error) from None
        return one_offer(db, row)

    @post(
        "/{offer_id:int}/withdraw",
        operation_id="withdrawOffer",
        summary="Withdraw an offer",
        description="It stays in the list, marked withdrawn, and can no longer be claimed; the claims and proposals "
        'still waiting on it end (cancelled, reason "the offer was withdrawn"), approved claims stay. The answer is '
        "the offer with `ended`: how many claims and proposals ended with it (what `waiting` of getOffer counted). "
        "409 if already withdrawn.",
        guards=[offer_writers, token_scope("offers:write")],
        status_code=200,
        sync_to_thread=True,
    )
    def withdraw_offer(self, db: DbSession, actor: Actor, offer_id: FromPath[int]) -> dict[str, Any]:
        row = services.withdraw_offer(db, actor, offer_id)
        claims, proposals = ended_with_offer(db, offer_id)
        return one_offer(db, row) | {"ended": {"claims": claims, "proposals": proposals}}

    @post(
        "/import",
        operation_id="importOffers",
        summary="Import offers from a CSV or .xlsx file",
        description="multipart/form-data with `file` (.csv UTF-8/GBK or .xlsx, at most 5 MB and 5,000 rows) and "
        "optional `only_valid=1`. Every row is checked; the report lists row, column, value and reason. "
        "All or nothing (400 with the report) unless only_valid is set. Columns: docs/import-export.md.",
        guards=[offer_writers, token_scope("offers:write")],
        status_code=200,
        sync_to_thread=True,
        request_max_body_size=UPLOAD_BODY_LIMIT,  # refused with 413 while the body streams in
        exception_handlers={RequestEntityTooLarge: too_large_json},
    )
    def import_offers(
        self,
        db: DbSession,
        actor: Actor,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[dict[str, Any]]:
        require_approved_organization(db, actor)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationException(
                "file: a .csv or .xlsx file is required",
                extra=[{"key": "file", "message": "is required", "source": "body"}],
            )
        only_valid = str(data.get("only_valid", "")).lower() in ("1", "on", "true", "yes")
        try:
            table = read_table(upload.filename, upload.file.read(MAX_BYTES + 1))
            result = import_offers(db, actor, table, only_valid=only_valid, filename=upload.filename)
        except TableProblem as problem:
            raise ValidationException(
                f"file: {problem}", extra=[{"key": "file", "message": str(problem), "source": "body"}]
            ) from None
        finally:
            release_memory_soon()
        return Response(result.as_dict(), status_code=400 if result.refused else 200)

    @get(
        "/export",
        operation_id="exportOffers",
        summary="Export the resource list as CSV or .xlsx",
        description="Same filters and scope as listOffers. CSV is UTF-8 with a BOM; cells that a spreadsheet "
        "would run as formulas (starting with = + - @, tab or CR) get a leading apostrophe.",
        guards=[offer_readers, token_scope("offers:read")],
        sync_to_thread=True,
    )
    def export_offers(
        self,
        reader: ReaderSession,
        state: State,
        actor: Actor,
        format: FromQuery[Literal["csv", "xlsx"]] = "csv",
        kind: FromQuery[ResourceKind | None] = None,
        category: FromQuery[Category | None] = None,
        grid_id: FromQuery[int | None] = None,
        status: FromQuery[OfferStatus | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Stream:
        from marketplace.offers.pages import export_response

        services.sweep_expired(reader, state.session_factory)
        filters = services.OfferFilters(kind, category, grid_id, status, (q or "").strip()[:100] or None)
        return export_response(state, reader, actor, filters, format)
