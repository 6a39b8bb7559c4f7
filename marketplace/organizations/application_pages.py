"""Application pages: a rejected organization's manager corrects it and sends it again; the street's admins
correct a pending or rejected one before deciding. Both forms check it as registration does."""

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, many, one
from marketplace.i18n import gettext as _
from marketplace.organizations import application, services
from marketplace.organizations.models import Organization, OrganizationKind, OrganizationStatus
from marketplace.organizations.pages import served_grid_choices
from marketplace.organizations.schemas import OrganizationCreate
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, partner_only, sessions_only


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """The application's fields as typed (kept on a refusal)."""
    values: dict[str, Any] = {name: one(data, name) for name in application.APPLICATION_FIELDS}
    values["grid_ids"] = many(data, "grid_ids")
    return values


def served_streets(db: Session, row: Organization) -> frozenset[int]:
    """The streets whose grids an application may choose: its registration street and those it serves."""
    assert row.id is not None
    served = services.streets_served(db, [row.id]).get(row.id, [])
    return frozenset(street.id for street in served if street.id is not None) | {row.street_id}


def check(db: Session, row: Organization, values: dict[str, Any]) -> tuple[OrganizationCreate | None, dict[str, str]]:
    """The registration's check, with the organization's street kept."""
    return application.validate_application(
        db,
        values,
        row.street_id,
        grid_streets=served_streets(db, row),
        outside_message=_("Choose grids of the streets your organization serves."),
    )


def save(
    db: Session,
    row: Organization,
    values: dict[str, Any],
    based_on: str,
    write: Any,
    allowed: frozenset[OrganizationStatus],
) -> tuple[dict[str, str], str | None, int]:
    """Check and write; returns the per-field messages, a page-level problem and the status code."""
    try:
        application.require_status(row, allowed)
    except application.StatusConflict as conflict:
        return {}, conflict.message(), HTTP_409_CONFLICT
    data, errors = check(db, row, values)
    if data is None:
        return errors, None, HTTP_400_BAD_REQUEST
    try:
        write(data, based_on)
    except services.FormProblem as problem:
        return {problem.field: problem.message}, None, HTTP_400_BAD_REQUEST
    except application.StatusConflict as conflict:
        return {}, conflict.message(), HTTP_409_CONFLICT
    return {}, None, HTTP_303_SEE_OTHER


def _context(db: Session, row: Organization, values: dict[str, Any], errors: dict[str, str], **more: Any) -> Any:
    assert row.id is not None
    return page_context(
        db,
        organization=row,
        values=values,
        errors=errors,
        kinds=list(OrganizationKind),
        grid_groups=served_grid_choices(db, row.id),
        revision=more.pop("revision", None) or application.revision(db, row),
        problem=more.pop("problem", None),
        **more,
    )


class OwnApplicationController(Controller):
    """The manager of a rejected organization corrects its application and sends it again."""

    path = "/organization/application"
    guards = [partner_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(self, db: Session, actor: Any, **context: Any) -> Template:
        row = services.own_organization(db, actor)
        status_code = context.pop("status_code", 200)
        values = context.pop("values", None) or application.current_values(db, row)
        errors = context.pop("errors", {})
        may_resend = row.status in application.RESUBMITTABLE and bool(actor.is_org_manager)
        ctx = _context(db, row, values, errors, may_resend=may_resend, is_manager=actor.is_org_manager, **context)
        return Template("organizations/application.html", context=ctx, status_code=status_code)

    @get("/", name="organizations:application", sync_to_thread=True)
    def form(self, reader: ReaderSession, actor: Actor) -> Template:
        return self._page(reader, actor)

    @post("/", name="organizations:resubmit", sync_to_thread=True)
    def resubmit(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        row = services.own_organization(db, actor)
        services.require_manager(actor)
        assert row.id is not None
        values = form_values(data)
        based_on = one(data, "revision")
        organization_id = row.id

        def write(checked: OrganizationCreate, revision: str) -> None:
            application.resubmit(db, actor, organization_id, checked, revision)

        errors, problem, status = save(db, row, values, based_on, write, application.RESUBMITTABLE)
        if status == HTTP_303_SEE_OTHER:
            return Redirect("/organization?done=resubmitted", status_code=HTTP_303_SEE_OTHER)
        kept = {"revision": based_on} if status == HTTP_400_BAD_REQUEST and based_on else {}
        return self._page(db, actor, values=values, errors=errors, problem=problem, status_code=status, **kept)


class AdminApplicationController(Controller):
    """An admin of a street the organization serves corrects a pending or rejected application."""

    path = "/admin/organizations/{organization_id:int}/application"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(self, db: Session, actor: Any, organization_id: int, **context: Any) -> Template:
        row = services.get_visible_organization(db, actor, organization_id)
        status_code = context.pop("status_code", 200)
        values = context.pop("values", None) or application.current_values(db, row)
        errors = context.pop("errors", {})
        editable = row.status in application.ADMIN_EDITABLE
        ctx = _context(db, row, values, errors, editable=editable, active_page="admin-organizations", **context)
        return Template("organizations/admin_application.html", context=ctx, status_code=status_code)

    @get("/", name="organizations:admin-application", sync_to_thread=True)
    def form(self, reader: ReaderSession, actor: Actor, organization_id: FromPath[int]) -> Template:
        return self._page(reader, actor, organization_id)

    @post("/", name="organizations:admin-application-save", sync_to_thread=True)
    def save(self, db: DbSession, actor: Actor, organization_id: FromPath[int], data: FormData) -> Template | Redirect:
        row = services.get_visible_organization(db, actor, organization_id)
        values = form_values(data)

        def write(checked: OrganizationCreate, revision: str) -> None:
            application.admin_edit(db, actor, organization_id, checked, revision)

        based_on = one(data, "revision")
        errors, problem, status = save(db, row, values, based_on, write, application.ADMIN_EDITABLE)
        if status == HTTP_303_SEE_OTHER:
            return Redirect(f"/admin/organizations/{organization_id}?done=edited", status_code=HTTP_303_SEE_OTHER)
        kept = {"revision": based_on} if status == HTTP_400_BAD_REQUEST and based_on else {}
        return self._page(
            db, actor, organization_id, values=values, errors=errors, problem=problem, status_code=status, **kept
        )
