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
from marketplace.forms import FormData, one
from marketplace.i18n import gettext as _
from marketplace.masking import mask_phone
from marketplace.needs import additions, services
from marketplace.needs.models import Need
from marketplace.needs.need_form import NeedForm, field_labels, values_of
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.models import Community, Grid
from marketplace.places.services import (
    GridGroups,
    StreetRef,
    choosing_street,
    form_street,
    grid_groups_where,
    grids_outside,
    list_streets,
    parse_street,
    street_grid_groups,
    streets_grid_groups,
    viewer_street_ids,
)
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency
from marketplace.volunteers.models import Skill
from marketplace.whole_numbers import whole_number


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


def city_wide(actor: CurrentUser) -> bool:
    """A city admin: records needs in any street, so the form asks which one first."""
    return actor.role == Role.ADMIN and viewer_street_ids(actor) is None


def _grid_value(form: NeedForm) -> int | None:
    return whole_number(str(form.values.get("grid_id") or ""))


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
    street_focus: bool = False,
) -> Template:
    grid_groups = grids_for(db, actor, street, _grid_value(form))
    context = page_context(
        db,
        form=form,
        values=form.values,
        errors=form.errors,
        labels=_labels(form.errors),
        need=need,
        current=current,
        current_grid=db.get(Grid, current.grid_id) if current else None,
        problem=problem,
        grid_groups=grid_groups,
        # A city admin recording a need chooses the street first (its grids only are listed).
        streets=list_streets(db) if city_wide(actor) and need is None else [],
        chosen_street=street,
        street_focus=street_focus,
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


def _labels(errors: dict[str, str]) -> dict[str, str]:
    """The error summary's names; the street comes first in the form, so first in the summary too."""
    labels = field_labels({name: problem for name, problem in errors.items() if name != "street"})
    return ({"street": _("Street")} if "street" in errors else {}) | labels


def _chosen_street(db: Session, actor: CurrentUser, code: str) -> tuple[StreetRef | None, str | None]:
    """The street a city admin's form names, and the street field's message if any; others have no street field
    (their grids are their own streets')."""
    return form_street(db, code) if city_wide(actor) else (None, None)


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
        form = NeedForm.of(data)
        street, street_problem = _chosen_street(db, actor, one(data, "street"))
        if choosing_street(one(data, "action")):
            # "Show this street's grids": the form again with that street's grids and everything typed kept;
            # nothing checked but the street itself, nothing saved.
            if street_problem and one(data, "street").strip():
                form.errors["street"] = street_problem
            status = HTTP_400_BAD_REQUEST if form.errors else 200
            return _form_page(db, actor, form, status_code=status, street=street, street_focus=True)
        if one(data, "add") in ("line", "shift"):
            form.add_row(one(data, "add"))
            return _form_page(db, actor, form, street=street)
        if street_problem:
            form.errors["street"] = street_problem
        grid_id = _grid_value(form)
        if street is not None and grid_id is not None and grids_outside(db, [grid_id], street.id):
            form.errors["grid_id"] = _("Choose a grid of the street chosen above.")
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
    def edit(self, reader: ReaderSession, actor: Actor, need_id: FromPath[int]) -> Template | Redirect:
        need = _editable(reader, actor, need_id)
        if need.status in services.FINISHED:
            return Redirect(f"/needs/{need_id}", status_code=HTTP_303_SEE_OTHER)  # a closed record: nothing to edit
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
            if problem.field == "status":  # the sentence the API says too, naming the status (needs.refusals)
                return _form_page(db, actor, form, need=need, problem=problem.message, status_code=HTTP_409_CONFLICT)
            form.errors[_form_key(problem.field)] = _("Choose one of the offered values.")
            return _form_page(db, actor, form, need=need, status_code=HTTP_400_BAD_REQUEST)
        return Redirect(f"/needs/{need_id}?done=saved", status_code=HTTP_303_SEE_OTHER)
