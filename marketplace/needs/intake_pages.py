"""Recording a need (staff, admins) and editing one with the version the editor saw.

Creating goes through ``services.create_need`` (scope, lines, shifts, audit), editing through
``services.update_need`` (a conditional UPDATE on the version: 409 with the current values when
someone else saved first). After creating, the need's page shows its likely duplicates.
"""

import sqlalchemy as sa
from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.i18n import gettext as _
from marketplace.masking import mask_phone
from marketplace.needs import additions, services
from marketplace.needs.board import parse_street
from marketplace.needs.models import Need
from marketplace.needs.need_form import NeedForm, field_labels, values_of
from marketplace.organizations.forms import FormData, one
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.choices import GridGroups, grid_groups_where, street_grid_groups, streets_grid_groups
from marketplace.places.directory import StreetRef, list_streets
from marketplace.places.models import Community, Grid
from marketplace.places.services import viewer_street_ids
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency
from marketplace.volunteers.models import Skill


def grids_for(db: Session, actor: CurrentUser, street: StreetRef | None, grid_id: int | None) -> GridGroups:
    """The grouped grid choices, only the grids the actor may record needs in: a staff member's grids or
    community; an admin's streets'; a city admin's, those of the chosen street (or of the need's grid), since a
    city's every grid is no list to choose from."""
    if actor.role == Role.STAFF:
        conditions = [Community.id == actor.community_id] if actor.community_id is not None else []
        if actor.grid_ids:
            conditions.append(Grid.id.in_(sorted(actor.grid_ids)))  # type: ignore[union-attr]
        return grid_groups_where(db, sa.or_(*conditions)) if conditions else []
    streets = viewer_street_ids(actor)
    if streets is not None:
        return streets_grid_groups(db, streets)
    return street_grid_groups(db, None if street is None else street.id, grid_id)


def _grid_value(form: NeedForm) -> int | None:
    text = str(form.values.get("grid_id") or "")
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


def _form_page(
    db: Session,
    actor: CurrentUser,
    form: NeedForm,
    *,
    need: Need | None = None,
    current: Need | None = None,
    problem: str | None = None,
    status_code: int = 200,
    street: StreetRef | None = None,
) -> Template:
    city_wide = actor.role == Role.ADMIN and viewer_street_ids(actor) is None
    grid_groups = grids_for(db, actor, street, _grid_value(form))
    context = page_context(
        db,
        form=form,
        values=form.values,
        errors=form.errors,
        labels=field_labels(form.errors),
        need=need,
        current=current,
        current_grid=db.get(Grid, current.grid_id) if current else None,
        problem=problem,
        grid_groups=grid_groups,
        # A city admin recording a need chooses the street first (its grids only are listed).
        streets=list_streets(db) if city_wide and need is None else [],
        chosen_street=street,
        categories=list(Category),
        channels=list(IntakeChannel),
        urgencies=list(Urgency),
        kinds=list(ResourceKind),
        skills=list(db.execute(sa.select(Skill).order_by(Skill.group, Skill.id)).scalars()),
        lines=services.lines_of(db, need.id) if need and need.id else [],
        shifts=services.shifts_of(db, need.id) if need and need.id else [],
        active_page="needs",
        mask_phone=mask_phone,
    )
    return Template("needs/staff/form.html", context=context, status_code=status_code)


def _form_key(field: str) -> str:
    """A service's field name (``shifts.0.skill_ids``) as the form names it (``shift-0-skill_ids``)."""
    return field.replace("shifts.", "shift-").replace(".", "-")


def _editable(db: Session, actor: CurrentUser, need_id: int) -> Need:
    try:
        return services.get_visible_need(db, actor, need_id)
    except services.NeedNotFound:
        raise NotFoundException(_("No such need in your scope.")) from None


class NeedIntakePagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/new", name="needs:new", sync_to_thread=True)
    def new(self, reader: ReaderSession, actor: Actor, street: FromQuery[str | None] = None) -> Template:
        return _form_page(reader, actor, NeedForm.empty(), street=parse_street(reader, street))

    @post("/new", name="needs:create", sync_to_thread=True)
    def create(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        street = parse_street(db, one(data, "street").strip())
        form = NeedForm.of(data)
        if one(data, "add") in ("line", "shift"):
            form.add_row(one(data, "add"))
            return _form_page(db, actor, form, street=street)
        need_in = form.to_create()
        if need_in is None:
            return _form_page(db, actor, form, status_code=HTTP_400_BAD_REQUEST, street=street)
        try:
            need, _created = services.create_need(db, actor, need_in)
        except services.NeedProblem as problem:
            db.rollback()
            form.errors[_form_key(problem.field)] = _("Choose one of the offered values.")
            return _form_page(db, actor, form, status_code=HTTP_400_BAD_REQUEST, street=street)
        return Redirect(f"/needs/{need.id}?done=created", status_code=HTTP_303_SEE_OTHER)

    @get("/{need_id:int}/edit", name="needs:edit", sync_to_thread=True)
    def edit(self, reader: ReaderSession, actor: Actor, need_id: FromPath[int]) -> Template:
        need = _editable(reader, actor, need_id)
        return _form_page(reader, actor, NeedForm.empty(line_rows=1, **values_of(need)), need=need)

    @post("/{need_id:int}/edit", name="needs:update", sync_to_thread=True)
    def update(self, db: DbSession, actor: Actor, need_id: FromPath[int], data: FormData) -> Template | Redirect:
        need = _editable(db, actor, need_id)
        form = NeedForm.of(data)
        if one(data, "add") in ("line", "shift"):
            form.add_row(one(data, "add"))
            return _form_page(db, actor, form, need=need)
        lines, shifts = form.line_models(), form.shift_models()
        changes = form.to_update(need)
        if changes is None:
            return _form_page(db, actor, form, need=need, status_code=HTTP_400_BAD_REQUEST)
        try:
            # The version-checked UPDATE first: new lines and shifts join that one checked change.
            saved = services.update_need(db, actor, need_id, changes)
            additions.add_parts(db, actor, saved, lines, shifts)
        except services.VersionConflict as conflict:
            db.rollback()
            # Keep what the editor typed; the next save (with the current version) replaces theirs.
            form.values["version"] = str(conflict.current.version)
            message = _(
                "Someone else saved this need while you were editing it. Their version is shown below; "
                "your changes are still in the form. Save again to replace their version with yours."
            )
            return _form_page(
                db,
                actor,
                form,
                need=conflict.current,
                current=conflict.current,
                problem=message,
                status_code=HTTP_409_CONFLICT,
            )
        except services.NeedProblem as problem:
            db.rollback()
            if problem.field == "status":
                message = _("This need is closed; it takes no more resource lines or shifts.")
                return _form_page(db, actor, form, need=need, problem=message, status_code=HTTP_409_CONFLICT)
            form.errors[_form_key(problem.field)] = _("Choose one of the offered values.")
            return _form_page(db, actor, form, need=need, status_code=HTTP_400_BAD_REQUEST)
        return Redirect(f"/needs/{need_id}?done=saved", status_code=HTTP_303_SEE_OTHER)
