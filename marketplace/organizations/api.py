"""Organizations as JSON: the public list, one organization, and the admins' decisions."""

from typing import Annotated, Any, Literal

from litestar import Controller, get, post, put
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel, Field
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.organizations import application, services
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.organizations.scope import sees_contacts
from marketplace.places.models import Street
from marketplace.security.deps import Actor, Viewer
from marketplace.security.guards import admin_only, partner_only, public, token_scope
from marketplace.security.identity import CurrentUser
from marketplace.validation import TYPED_INTEGER


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject", "suspend", "reinstate"]
    reason: Annotated[str | None, Field(max_length=500)] = None


class ApplicationIn(BaseModel):
    """An application's fields, checked as registration checks them (credit code checksum, grids)."""

    name: str
    name_en: str | None = None
    kind: str
    credit_code: str
    contact_name: str
    contact_phone: str
    address: str = ""
    description: str = ""
    grid_ids: list[Annotated[int, TYPED_INTEGER]]
    revision: Annotated[
        str | None,
        Field(
            max_length=64,
            description="The `revision` read with the organization: when given, a change made since "
            "(an edit, a decision) is refused with 409 instead of overwritten.",
        ),
    ] = None


def organization_out(
    db: Session, viewer: CurrentUser | None, row: Organization, grids: list[Any], streets: list[Street]
) -> dict[str, Any]:
    """Public fields for everyone who may see the row (a partner reading another organization too); status,
    contacts and the streets it serves only for the admins of those streets (city admins too) and the
    organization's own users."""
    data: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "name_en": row.name_en,
        "kind": row.kind.value,
        "grids": [{"id": grid.id, "name": grid.name, "name_en": grid.name_en} for grid in grids],
    }
    if sees_contacts(viewer, row, [street.id for street in streets if street.id is not None]):
        data |= {
            # Its registration street and its service grids' streets, by code.
            "street_codes": [street.code for street in streets],
            "status": row.status.value,
            "status_reason": row.status_reason,
            "credit_code": row.credit_code,
            "contact_name": row.contact_name,
            "contact_phone": row.contact_phone,
            "address": row.address,
            "description": row.description,
            "created_at": row.created_at.isoformat(),
            "approved_at": row.approved_at.isoformat() if row.approved_at else None,
        }
    return data


def one_organization(db: Session, viewer: CurrentUser | None, row: Organization) -> dict[str, Any]:
    assert row.id is not None
    grids = services.grids_of(db, [row.id])[row.id]
    data = organization_out(db, viewer, row, grids, services.streets_served(db, [row.id])[row.id])
    if "status" in data:  # those who see the application may correct it: the revision their change is based on
        data["revision"] = application.revision(db, row)
    return data


class OrganizationApiController(Controller):
    path = "/api/v1/organizations"
    tags = ["organizations"]

    @get(
        "/",
        operation_id="listOrganizations",
        summary="Partner organizations",
        description="Everyone (anonymous callers, volunteers, staff, partners): the approved organizations' public "
        "fields (id, name, name_en, kind, grids). Partners also their own organization, whatever its status, "
        "with its status, contacts and `revision`. Admins: all of the streets they work in (a city admin: every "
        "street), filterable by status, with the codes of the streets each serves. A token is answered as "
        "an anonymous caller unless it carries `admin` (an admin's view) or, a partner's token, "
        "`organization:write` (their own organization too).",
        opt=public(token_sees_more_with="admin", partner_token_sees_more_with="organization:write"),
        sync_to_thread=True,
    )
    def list_organizations(
        self,
        reader: ReaderSession,
        viewer: Viewer,
        status: FromQuery[OrganizationStatus | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    ) -> dict[str, Any]:
        listing = services.list_organizations(reader, viewer, status=status, page=page, page_size=page_size)
        ids = [row.id for row in listing.rows if row.id is not None]
        grids = services.grids_of(reader, ids)
        streets = services.streets_served(reader, ids)
        return {
            "total": listing.total,
            "page": page,
            "items": [
                organization_out(reader, viewer, row, grids[row.id or 0], streets[row.id or 0]) for row in listing.rows
            ],
        }

    @get(
        "/{organization_id:int}",
        operation_id="getOrganization",
        summary="One organization",
        description="Same visibility and fields as the list: an approved organization's public fields for "
        "everyone, all of it for its own partners and the admins of its streets; 404 for an organization "
        "the caller may not see (another's pending, rejected or suspended one).",
        opt=public(token_sees_more_with="admin", partner_token_sees_more_with="organization:write"),
        sync_to_thread=True,
    )
    def get_organization(self, reader: ReaderSession, viewer: Viewer, organization_id: FromPath[int]) -> dict[str, Any]:
        row = services.get_visible_organization(reader, viewer, organization_id)
        return one_organization(reader, viewer, row)

    @post(
        "/{organization_id:int}/decision",
        operation_id="decideOrganization",
        summary="Approve, reject, suspend or reinstate an organization",
        description="Admins only. Reject and suspend need a reason. A decision on a status that changed since "
        "is refused with 409.",
        guards=[admin_only, token_scope("admin")],
        status_code=200,
        sync_to_thread=True,
    )
    def decide(
        self, db: DbSession, actor: Actor, organization_id: FromPath[int], data: JSONBody[DecisionIn]
    ) -> dict[str, Any]:
        try:
            row = services.decide(db, actor, organization_id, services.Decision(data.decision), data.reason)
        except services.MissingReason:
            raise ValidationException(
                "reason: is required to reject or suspend (1 to 500 characters)",
                extra=[{"key": "reason", "message": "is required to reject or suspend", "source": "body"}],
            ) from None
        return one_organization(db, actor, row)

    @post(
        "/{organization_id:int}/resubmit",
        operation_id="resubmitOrganization",
        summary="Correct a rejected application and send it again",
        description="The organization's manager (a partner token needs `organization:write`; tokens issued "
        "before that scope existed with `profile:write` are still accepted here): every field of the "
        "application, checked as at registration; the status goes from rejected to pending and the street's "
        "admins are told what changed. Bad input: 400 naming the field. Not rejected (or changed since the "
        "given `revision`): 409 naming `status`. Another organization (even an approved one): 404.",
        guards=[partner_only, token_scope("organization:write", formerly="profile:write")],
        status_code=200,
        sync_to_thread=True,
    )
    def resubmit(
        self, db: DbSession, actor: Actor, organization_id: FromPath[int], data: JSONBody[ApplicationIn]
    ) -> dict[str, Any]:
        row = services.get_own_organization(db, actor, organization_id)
        _write(lambda: application.require_status(row, application.RESUBMITTABLE))
        checked = _checked(db, row, data)
        _write(lambda: application.resubmit(db, actor, organization_id, checked, data.revision))
        return one_organization(db, actor, row)

    @put(
        "/{organization_id:int}/application",
        operation_id="editOrganizationApplication",
        summary="Correct a pending or rejected application (admins)",
        description="Admins of a street the organization serves, and city admins: every field of the "
        "application, checked as at registration; the status stays. Bad input: 400 naming the field. "
        "Approved or suspended (or changed since the given `revision`): 409 naming `status`.",
        guards=[admin_only, token_scope("admin")],
        status_code=200,
        sync_to_thread=True,
    )
    def edit_application(
        self, db: DbSession, actor: Actor, organization_id: FromPath[int], data: JSONBody[ApplicationIn]
    ) -> dict[str, Any]:
        row = services.get_visible_organization(db, actor, organization_id)
        _write(lambda: application.require_status(row, application.ADMIN_EDITABLE))
        checked = _checked(db, row, data)
        _write(lambda: application.admin_edit(db, actor, organization_id, checked, data.revision))
        return one_organization(db, actor, row)


def _bad_input(field: str, message: str) -> ValidationException:
    return ValidationException(f"{field}: {message}", extra=[{"key": field, "message": message, "source": "body"}])


def _checked(db: Session, row: Organization, data: ApplicationIn) -> Any:
    """The application checked by the one check registration uses; 400 naming the first wrong field."""
    from marketplace.organizations.application_pages import check

    values = data.model_dump(exclude={"revision"})
    values["name_en"] = values["name_en"] or ""
    checked, errors = check(db, row, values)
    if checked is None:
        field_name, message = next(iter(errors.items()))
        raise ValidationException(
            f"{field_name}: {message}",
            extra=[{"key": key, "message": text, "source": "body"} for key, text in errors.items()],
        )
    return checked


def _write(action: Any) -> None:
    try:
        action()
    except services.FormProblem as problem:
        raise _bad_input(problem.field, problem.message) from None
    except application.StatusConflict as conflict:
        raise services.Conflict(
            f"status: {conflict.message()}",
            code="application_changed" if conflict.changed_since else "application_not_editable",
            key="status",
            extra={"status": conflict.status.value},
        ) from None
