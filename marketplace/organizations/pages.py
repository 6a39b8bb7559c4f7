"""Organization pages: registration, the partner's own organization and its users, the admins' vetting."""

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from marketplace.accounts.services import count_registration
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, many, one, validate
from marketplace.i18n import gettext as _
from marketplace.organizations import application, served_streets, services
from marketplace.organizations.application import validate_application
from marketplace.organizations.models import Organization, OrganizationKind, OrganizationStatus
from marketplace.organizations.schemas import MemberCreate, OwnOrganizationEdit
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import (
    GridGroups,
    StreetRef,
    choosing_street,
    form_street,
    home_street,
    list_streets,
    parse_street,
    street_grid_groups,
    street_of_grid,
    streets_grid_groups,
)
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import PUBLIC, admin_only, partner_only, sessions_only

MAX_PAGE = 100_000


class OrganizationRegistrationController(Controller):
    """The public registration form: an organization (pending review) and its manager's account."""

    opt = PUBLIC  # anyone may register an organization; it stays pending until an admin approves it
    path = "/register/organization"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(
        self,
        db: Session,
        street: StreetRef | None,
        *,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
        street_focus: bool = False,
        retype_password: bool = False,
    ) -> Template:
        """The form; in a deployment of several streets, the chosen street's grids only (none: choose one)."""
        chosen_grid = next((g for g in values.get("grid_ids", []) if isinstance(g, int) and 0 < g < 2**31), None)
        context = page_context(
            db,
            values=values,
            errors=errors,
            kinds=list(OrganizationKind),
            grid_groups=street_grid_groups(db, None if street is None else street.id, chosen_grid),
            streets=list_streets(db),
            chosen_street=street,
            street_focus=street_focus,
            retype_password=retype_password,
            **({"street": street} if street is not None else {}),  # the header names the chosen street
        )
        return Template("organizations/register.html", context=context, status_code=status_code)

    @get("/", name="organizations:register", sync_to_thread=True)
    def form(self, reader: ReaderSession, street: FromQuery[str | None] = None) -> Template:
        return self._page(reader, parse_street(reader, street), values={"grid_ids": []}, errors={})

    @post("/", name="organizations:register-submit", sync_to_thread=True)
    def submit(
        self, request: Request[Any, Any, Any], db: DbSession, data: FormData, client_address: ClientAddress
    ) -> Template | Redirect:
        code = one(data, "street").strip()
        street, street_problem = form_street(db, code)
        values: dict[str, Any] = {name: one(data, name) for name in application.APPLICATION_FIELDS}
        values["grid_ids"] = many(data, "grid_ids")
        if choosing_street(one(data, "action")):
            # "Show this street's grids": the same form with the street's grids, everything typed kept (the
            # password aside: a page never carries it back), nothing checked but an unknown street.
            shown = values | {name: one(data, name) for name in services.ACCOUNT_FIELDS if name != "password"}
            problems = {"street": street_problem} if street_problem and code else {}
            status = HTTP_400_BAD_REQUEST if problems else 200
            return self._page(
                db,
                street,
                values=shown,
                errors=problems,
                status_code=status,
                street_focus=True,
                retype_password=bool(one(data, "password")),
            )
        count_registration(db, client_address)
        street_id = street.id if street is not None else registration_street(db, values)
        organization, errors = validate_application(
            db,
            values,
            street_id,
            grid_streets=None if street is None else frozenset({street.id}),
            outside_message=_("Choose grids of the street chosen above."),
        )
        account, account_problems = services.account_errors(data)
        errors |= account_problems
        if street_problem:
            errors = {"street": street_problem} | errors
        shown = values | {name: one(data, name) for name in services.ACCOUNT_FIELDS if name != "password"}
        if errors or organization is None or account is None:
            return self._page(db, street, values=shown, errors=errors, status_code=HTTP_400_BAD_REQUEST)
        try:
            _org, user = services.register_organization(
                db, organization, services.ManagerAccount(**account.model_dump())
            )
        except services.FormProblem as problem:
            return self._page(db, street, values=shown, errors={problem.field: problem.message}, status_code=400)
        assert user.id is not None
        cookie = services.sign_in_new_user(request, db, user.id, client_address)
        return Redirect("/organization?registered=1", status_code=HTTP_303_SEE_OTHER, cookies=[cookie])


def registration_street(db: Session, values: dict[str, Any]) -> int:
    """The street an organization registers with: the street of the first grid it serves (the deployment's
    first street when no grid is chosen yet; the form then refuses the empty grid list anyway)."""
    first = next((g for g in values["grid_ids"] if isinstance(g, int) and 0 < g < 2**31), None)
    street_id = street_of_grid(db, first) if first is not None else None
    if street_id is None:
        street = home_street(db)
        return street.id if street else 0
    return street_id


def _edit_values(row: Organization, grid_ids: list[int]) -> dict[str, Any]:
    return {
        "contact_name": row.contact_name,
        "contact_phone": row.contact_phone,
        "address": row.address,
        "description": row.description,
        "grid_ids": grid_ids,
    }


class OwnOrganizationController(Controller):
    """A partner's own organization: status, details, the manager's edits and the organization's users."""

    path = "/organization"
    guards = [partner_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(
        self,
        db: Session,
        actor: Any,
        *,
        edit_values: dict[str, Any] | None = None,
        edit_errors: dict[str, str] | None = None,
        member_values: dict[str, Any] | None = None,
        member_errors: dict[str, str] | None = None,
        notice: str | None = None,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        organization = services.own_organization(db, actor)
        assert organization.id is not None
        grids = services.grids_of(db, [organization.id])[organization.id]
        context = page_context(
            db,
            organization=organization,
            grids=grids,
            streets=streets_shown(db, organization.id),
            members=services.members(db, actor, organization.id),
            is_manager=actor.is_org_manager,
            me=actor,
            edit_values=edit_values or _edit_values(organization, [grid.id for grid in grids]),
            edit_errors=edit_errors or {},
            member_values=member_values or {},
            member_errors=member_errors or {},
            grid_groups=served_grid_choices(db, organization.id),
            notice=notice,
            problem=problem,
        )
        return Template("organizations/own.html", context=context, status_code=status_code)

    @get("/", name="organizations:own", sync_to_thread=True)
    def show(
        self,
        reader: ReaderSession,
        actor: Actor,
        registered: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        notices = {
            "saved": _("Your changes are saved."),
            "member": _("The user was added."),
            "disabled": _("The user was disabled and signed out; their API tokens and reset links no longer work."),
            "enabled": _("The user was enabled."),
            "manager": _("The manager role was handed over."),
            "resubmitted": _("Your application was sent again; the street will review it."),
        }
        notice = _("Your organization is registered.") if registered else notices.get(done or "")
        return self._page(reader, actor, notice=notice)

    @post("/", name="organizations:own-edit", sync_to_thread=True)
    def edit(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        values: dict[str, Any] = {
            name: one(data, name) for name in ("contact_name", "contact_phone", "address", "description")
        }
        values["grid_ids"] = many(data, "grid_ids")
        edit, errors = validate(OwnOrganizationEdit, values)
        if "grid_ids" in errors:
            errors["grid_ids"] = _("Choose at least one grid your organization serves.")
        if edit is None:
            return self._page(db, actor, edit_values=values, edit_errors=errors, status_code=400)
        try:
            services.update_own_organization(db, actor, edit.model_dump(exclude={"grid_ids"}), edit.grid_ids)
        except services.FormProblem as problem:
            return self._page(
                db, actor, edit_values=values, edit_errors={problem.field: problem.message}, status_code=400
            )
        except served_streets.GridsOfAnotherStreet as refusal:
            db.rollback()  # a grid the form never offered: nothing is saved, the page says why next to the grids
            return self._page(
                db, actor, edit_values=values, edit_errors={"grid_ids": str(refusal.detail)}, status_code=400
            )
        except served_streets.StreetStillInUse as refusal:
            db.rollback()  # nothing of the edit is saved: the page shows it again with the reason
            return self._page(
                db, actor, edit_values=values, edit_errors={"grid_ids": str(refusal.detail)}, status_code=409
            )
        return Redirect("/organization?done=saved", status_code=HTTP_303_SEE_OTHER)

    @post("/users", name="organizations:add-member", sync_to_thread=True)
    def add_member(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        values = {name: one(data, name) for name in services.ACCOUNT_FIELDS}
        member, errors = validate(MemberCreate, values)
        if "password" not in errors:
            problem = services.check_password(values["password"], values["username"], values["display_name"])
            if problem:
                errors["password"] = problem
        shown = {k: v for k, v in values.items() if k != "password"}
        if errors or member is None:
            return self._page(db, actor, member_values=shown, member_errors=errors, status_code=400)
        try:
            services.add_member(db, actor, **member.model_dump())
        except services.FormProblem as problem:
            return self._page(
                db, actor, member_values=shown, member_errors={problem.field: problem.message}, status_code=400
            )
        return Redirect("/organization?done=member", status_code=HTTP_303_SEE_OTHER)

    @post("/users/{user_id:int}/disable", name="organizations:disable-member", sync_to_thread=True)
    def disable_member(self, db: DbSession, actor: Actor, user_id: FromPath[int]) -> Redirect:
        services.set_member_active(db, actor, user_id, False)
        return Redirect("/organization?done=disabled", status_code=HTTP_303_SEE_OTHER)

    @post("/users/{user_id:int}/enable", name="organizations:enable-member", sync_to_thread=True)
    def enable_member(self, db: DbSession, actor: Actor, user_id: FromPath[int]) -> Redirect:
        services.set_member_active(db, actor, user_id, True)
        return Redirect("/organization?done=enabled", status_code=HTTP_303_SEE_OTHER)

    @post("/users/{user_id:int}/manager", name="organizations:hand-over", sync_to_thread=True)
    def hand_over(self, db: DbSession, actor: Actor, user_id: FromPath[int]) -> Redirect:
        services.hand_over_manager(db, actor, user_id)
        return Redirect("/organization?done=manager", status_code=HTTP_303_SEE_OTHER)


def served_grid_choices(db: Session, organization_id: int) -> GridGroups:
    """The grids an organization may choose to serve: those of the streets it serves (its registration
    street's and its grids' streets), not a city's every grid. A refused form does not add the streets of the
    grids it named: a grid of another street is refused (served_streets.GridsOfAnotherStreet), so offering
    that street's grids again would only invite the same refusal."""
    served = services.streets_served(db, [organization_id]).get(organization_id, [])
    streets = frozenset(street.id for street in served if street.id is not None)
    return streets_grid_groups(db, streets)


def streets_shown(db: Session, organization_id: int) -> list[Any]:
    """The streets the organization serves, for its page; empty (nothing shown) in a one-street deployment."""
    if services.street_count(db) < 2:
        return []
    return services.streets_served(db, [organization_id])[organization_id]


PageNumber = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]


class OrganizationVettingController(Controller):
    """The street's admins review registrations: approve, reject, suspend, reinstate."""

    path = "/admin/organizations"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="organizations:admin-list", sync_to_thread=True)
    def index(
        self,
        reader: ReaderSession,
        actor: Actor,
        status: FromQuery[OrganizationStatus | None] = None,
        q: FromQuery[str | None] = None,
        page: PageNumber = 1,
    ) -> Template:
        page_size = 20
        search = (q or "").strip()[:100] or None
        listing = services.list_organizations(
            reader, actor, status=status, search=search, page=page, page_size=page_size
        )
        ids = [row.id for row in listing.rows if row.id is not None]
        context = page_context(
            reader,
            listing=listing,
            grids=services.grids_of(reader, ids),
            resubmissions=application.last_resubmissions(reader, listing.rows),
            status=status,
            q=search or "",
            page=page,
            pages=max(1, -(-listing.total // page_size)),
            statuses=[
                OrganizationStatus.PENDING,
                OrganizationStatus.APPROVED,
                OrganizationStatus.REJECTED,
                OrganizationStatus.SUSPENDED,
            ],
            active_page="admin-organizations",
        )
        return Template("admin/organizations.html", context=context)

    def _detail(
        self,
        db: Session,
        actor: Any,
        organization_id: int,
        *,
        problem: str | None = None,
        problem_field: str | None = None,
        notice: str | None = None,
        status_code: int = 200,
    ) -> Template:
        organization = services.get_visible_organization(db, actor, organization_id)
        context = page_context(
            db,
            organization=organization,
            grids=services.grids_of(db, [organization_id])[organization_id],
            streets=streets_shown(db, organization_id),
            members=services.members(db, actor, organization_id),
            history=services.history(db, organization_id),
            decisions=[d for d, (before, _after, _r) in services.TRANSITIONS.items() if organization.status in before],
            correctable=organization.status in application.ADMIN_EDITABLE,
            resubmission=application.last_resubmissions(db, [organization]).get(organization_id, []),
            problem=problem,
            problem_field=problem_field,
            notice=notice,
            active_page="admin-organizations",
        )
        return Template("admin/organization_detail.html", context=context, status_code=status_code)

    @get("/{organization_id:int}", name="organizations:admin-detail", sync_to_thread=True)
    def detail(
        self, reader: ReaderSession, actor: Actor, organization_id: FromPath[int], done: FromQuery[str | None] = None
    ) -> Template:
        notice = (
            _("The corrections are saved.")
            if done == "edited"
            else _("Decision recorded; the organization's users were notified.")
            if done
            else None
        )
        return self._detail(reader, actor, organization_id, notice=notice)

    @post("/{organization_id:int}/{decision:str}", name="organizations:admin-decide", sync_to_thread=True)
    def decide(
        self, db: DbSession, actor: Actor, organization_id: FromPath[int], decision: FromPath[str], data: FormData
    ) -> Template | Redirect:
        try:
            chosen = services.Decision(decision)
        except ValueError:
            return self._detail(db, actor, organization_id, problem=_("Unknown decision."), status_code=400)
        try:
            services.decide(db, actor, organization_id, chosen, one(data, "reason"))
        except services.MissingReason:
            return self._detail(
                db,
                actor,
                organization_id,
                problem=_("Give a reason (up to 500 characters): the organization will see it."),
                problem_field="reason",
                status_code=400,
            )
        except services.Conflict as conflict:
            return self._detail(db, actor, organization_id, problem=str(conflict.detail), status_code=409)
        return Redirect(f"/admin/organizations/{organization_id}?done=1", status_code=HTTP_303_SEE_OTHER)
