"""Volunteer pages: self-registration, the own profile, the hours summary; the staff's volunteer list."""

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.accounts.services import count_registration
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.exchange.services import (
    UPLOAD_BODY_LIMIT,
    UploadForm,
    export_volunteers,
    find_report,
    import_page,
    import_upload,
    import_volunteers,
    too_large_page,
    volunteer_import_columns,
)
from marketplace.forms import FormData, many, one, validate
from marketplace.i18n import gettext as _
from marketplace.organizations.models import Organization
from marketplace.organizations.services import (
    FormProblem,
    account_errors,
    organization_ids_serving,
    organizations_visible_to,
    sign_in_new_user,
)
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import (
    StreetRef,
    all_streets,
    choosing_street,
    community_first,
    form_street,
    grids_outside,
    is_city,
    list_grid_groups,
    list_streets,
    parse_street,
    street_grid_groups,
    street_of_grid,
    viewer_street_ids,
)
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import PUBLIC, sessions_only, staff_or_admin, volunteer_only
from marketplace.vocabulary import Category
from marketplace.volunteers import directory, hours, services
from marketplace.volunteers.models import segment_choices
from marketplace.volunteers.schemas import VolunteerCreate
from marketplace.whole_numbers import whole_number


def profile_values(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The profile part of a form as input for ``VolunteerCreate``, plus errors found while reading it."""
    errors: dict[str, str] = {}
    slot_keys = [str(key) for key in many(form, "slots")]
    availability = services.slots_from_keys(slot_keys)
    if availability is None:
        errors["slots"] = _("Choose times from the grid.")
        availability = []
    values = {
        "home_grid_id": one(form, "home_grid_id"),
        "segment": one(form, "segment"),
        "is_party_member": one(form, "is_party_member") in ("1", "on", "true"),
        "employer_organization_id": one(form, "employer_organization_id") or None,
        "weekly_hour_cap": one(form, "weekly_hour_cap") or "8",
        "skill_ids": many(form, "skill_ids"),
        "availability": availability,
        "interests": [str(value) for value in many(form, "interests")],
    }
    return values, errors


def shown_values(form: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """What to put back into a re-rendered form (never the password)."""
    shown = {name: one(form, name) for name in ("username", "display_name", "phone")}
    home = values.get("home_grid_id")
    employer = values.get("employer_organization_id")
    return shown | {
        "home_grid_id": whole_number(str(home)),
        "segment": values.get("segment"),
        "is_party_member": values.get("is_party_member"),
        "employer_organization_id": whole_number(str(employer)),
        "weekly_hour_cap": values.get("weekly_hour_cap"),
        "skill_ids": [v for v in values.get("skill_ids", []) if isinstance(v, int)],
        "slots": [str(key) for key in many(form, "slots")],
        "interests": values.get("interests", []),
    }


def _home_grid(values: dict[str, Any]) -> int | None:
    return whole_number(str(values.get("home_grid_id") or ""))


def form_context(
    db: Session, values: dict[str, Any], errors: dict[str, str], street: StreetRef | None = None
) -> dict[str, Any]:
    """The profile form's choices: the home grids of the chosen street, else of the street of the home grid
    already chosen (none in a city before a street is chosen: the registration form asks for it first)."""
    return page_context(
        db,
        values=values,
        errors=errors,
        grid_groups=street_grid_groups(db, None if street is None else street.id, _home_grid(values)),
        organizations=employer_choices(db, street, values),
        streets=list_streets(db),
        chosen_street=street,
        segments=segment_choices(values.get("segment")),
        skill_groups=services.skill_groups(db),
        categories=list(Category),
        windows=services.WINDOWS,
        weekdays=services.WEEKDAYS,
    )


def employer_choices(db: Session, street: StreetRef | None, values: dict[str, Any]) -> list[Organization]:
    """The approved organizations serving the street chosen (or the home grid's), and the employer already
    chosen: a city's every partner (thousands) is no list to choose from; a one-street deployment's, all."""
    employer = whole_number(str(values.get("employer_organization_id") or ""))
    chosen = Organization.id == employer if employer is not None else sa.false()
    home = _home_grid(values)
    street_id = street.id if street is not None else (street_of_grid(db, home) if home is not None else None)
    statement = organizations_visible_to(None)
    if street_id is not None:
        serving = Organization.id.in_(organization_ids_serving({street_id}))  # type: ignore[union-attr]
        statement = statement.where(sa.or_(serving, chosen))
    elif is_city(db):
        statement = statement.where(chosen)
    return list(db.execute(statement.order_by(Organization.name)).scalars())


def _profile_errors(values: dict[str, Any], errors: dict[str, str]) -> tuple[VolunteerCreate | None, dict[str, str]]:
    profile, problems = validate(VolunteerCreate, values)
    if "availability" in problems:
        problems["slots"] = problems.pop("availability")
    return (profile if not errors else None), errors | problems


def registration_context(
    db: Session, values: dict[str, Any], errors: dict[str, str], street: StreetRef | None
) -> dict[str, Any]:
    """The registration form's context: the profile form's, the header naming the street chosen."""
    return form_context(db, values, errors, street) | ({"street": street} if street is not None else {})


class VolunteerRegistrationController(Controller):
    opt = PUBLIC  # anyone may sign up as a volunteer
    path = "/register/volunteer"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="volunteers:register", sync_to_thread=True)
    def form(self, reader: ReaderSession, street: FromQuery[str | None] = None) -> Template:
        values = {"weekly_hour_cap": 8, "skill_ids": [], "slots": [], "interests": [], "segment": "resident"}
        chosen = parse_street(reader, street)
        return Template("volunteers/register.html", context=registration_context(reader, values, {}, chosen))

    @post("/", name="volunteers:register-submit", sync_to_thread=True)
    def submit(
        self, request: Request[Any, Any, Any], db: DbSession, data: FormData, client_address: ClientAddress
    ) -> Template | Redirect:
        code = one(data, "street").strip()
        street, street_problem = form_street(db, code)
        values, errors = profile_values(data)
        if choosing_street(one(data, "action")):
            # "Show this street's grids": the same form with the street's grids, everything typed kept (the
            # password aside: a page never carries it back), nothing checked but an unknown street.
            problems = {"street": street_problem} if street_problem and code else {}
            context = registration_context(db, shown_values(data, values), problems, street) | {
                "street_focus": True,
                "retype_password": bool(one(data, "password")),
            }
            status = HTTP_400_BAD_REQUEST if problems else 200
            return Template("volunteers/register.html", context=context, status_code=status)
        count_registration(db, client_address)
        if street_problem:
            errors["street"] = street_problem
        home = _home_grid(values)
        if street is not None and home is not None and grids_outside(db, [home], street.id):
            errors["home_grid_id"] = _("Choose a grid of the street chosen above.")
        profile, errors = _profile_errors(values, errors)
        account, account_problems = account_errors(data)
        errors |= account_problems
        if errors or profile is None or account is None:
            context = registration_context(db, shown_values(data, values), errors, street)
            return Template("volunteers/register.html", context=context, status_code=HTTP_400_BAD_REQUEST)
        try:
            user, _profile = services.register_volunteer(db, account, profile)
        except FormProblem as problem:
            context = registration_context(db, shown_values(data, values), {problem.field: problem.message}, street)
            return Template("volunteers/register.html", context=context, status_code=HTTP_400_BAD_REQUEST)
        assert user.id is not None
        cookie = sign_in_new_user(request, db, user.id, client_address)
        return Redirect("/volunteer/profile?registered=1", status_code=HTTP_303_SEE_OTHER, cookies=[cookie])


def street_choices(db: Session, actor: Any) -> dict[str, Any]:
    """The streets a volunteer may also serve (every street but home), and the home street, shown as always
    served; none in a one-street deployment."""
    streets = all_streets(db)
    if len(streets) < 2:
        return {"streets": [], "home_street": None}
    home = services.home_street_of(db, services.own_profile(db, actor))
    others = [street for street in streets if home is None or street.id != home.id]
    return {"streets": others, "home_street": home}


def chosen_street_codes(form: dict[str, Any]) -> list[str] | None:
    """The street checkboxes' codes; None when the page did not show them (nothing to change)."""
    if not one(form, "street_codes_shown"):
        return None
    return [str(code) for code in many(form, "street_codes")]


class VolunteerProfileController(Controller):
    path = "/volunteer"
    guards = [volunteer_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _values(self, db: Session, actor: Any) -> dict[str, Any]:
        profile = services.own_profile(db, actor)
        assert profile.id is not None
        user = db.get(User, actor.id)
        assert user is not None
        return {
            "display_name": user.display_name,
            "phone": user.phone or "",
            "home_grid_id": profile.home_grid_id,
            "segment": profile.segment.value,
            "is_party_member": profile.is_party_member,
            "employer_organization_id": profile.employer_organization_id,
            "weekly_hour_cap": profile.weekly_hour_cap,
            "skill_ids": services.skill_ids_of(db, profile.id),
            "slots": services.keys_from_slots(services.availability_of(db, profile.id)),
            "interests": services.interests_of(db, profile.id),
            "street_codes": services.street_codes_of(db, profile.id),
        }

    def _page(self, db: Session, actor: Any, values: dict[str, Any], errors: dict[str, str], **extra: Any) -> Any:
        return form_context(db, values, errors) | street_choices(db, actor) | extra

    @get("/profile", name="volunteers:profile", sync_to_thread=True)
    def profile(
        self,
        reader: ReaderSession,
        actor: Actor,
        registered: FromQuery[str | None] = None,
        saved: FromQuery[str | None] = None,
    ) -> Template:
        notice = _("Welcome! You are registered as a volunteer.") if registered else None
        notice = _("Your profile is saved.") if saved else notice
        context = self._page(
            reader, actor, self._values(reader, actor), {}, notice=notice, registered=bool(registered and not saved)
        )
        return Template("volunteers/profile.html", context=context)

    @post("/profile", name="volunteers:profile-save", sync_to_thread=True)
    def save(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        from marketplace.organizations.schemas import MemberCreate

        values, errors = profile_values(data)
        profile, errors = _profile_errors(values, errors)
        person = {"display_name": one(data, "display_name"), "phone": one(data, "phone")}
        _m, person_errors = validate(MemberCreate, person | {"username": "placeholder", "password": "x" * 8})
        errors |= {key: value for key, value in person_errors.items() if key in person}
        if not person["phone"].strip():
            errors["phone"] = _("This field is required.")
        street_codes = chosen_street_codes(data)
        shown = shown_values(data, values) | {"street_codes": street_codes or []}
        if errors or profile is None:
            context = self._page(db, actor, shown, errors, notice=None)
            return Template("volunteers/profile.html", context=context, status_code=400)
        try:
            services.update_profile(
                db,
                actor,
                profile,
                display_name=_m.display_name if _m else None,
                phone=_m.phone if _m else None,
                street_codes=street_codes,
            )
        except FormProblem as problem:
            context = self._page(db, actor, shown, {problem.field: problem.message}, notice=None)
            return Template("volunteers/profile.html", context=context, status_code=400)
        return Redirect("/volunteer/profile?saved=1", status_code=HTTP_303_SEE_OTHER)

    @get("/hours", name="volunteers:hours", sync_to_thread=True)
    def hours(self, reader: ReaderSession, actor: Actor) -> Template:
        profile = services.own_profile(reader, actor)
        assert profile.id is not None
        summary = services.hours_summary(reader, profile.id)
        context = page_context(reader, summary=summary, profile=profile, **hours.notes())
        return Template("volunteers/hours.html", context=context)


PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]
ExportFormat = Annotated[str, QueryParameter(pattern="^(csv|xlsx)$", description="csv (UTF-8 with BOM) or xlsx")]


def directory_choices(db: Session, actor: Any, filters: directory.VolunteerFilters) -> dict[str, Any]:
    """What the directory's filter form offers, and the filters as query parameters for its links."""
    query = filters.query()
    streets = viewer_street_ids(actor)
    groups = list_grid_groups(db, streets, filters.community_id, filters.grid_id)
    return {
        "query": query,
        "export_query": urlencode(query),
        "grid_groups": groups,
        # A city admin's filter names every community and lists the chosen one's grids only.
        "grid_hint": community_first(streets, groups),
        "skill_groups": services.skill_groups(db),
        "categories": list(Category),
        "weekdays": services.WEEKDAYS,
        "statuses": directory.STATUSES,
        "sorts": directory.SORTS,
    }


class VolunteerDirectoryController(Controller):
    """Staff see the volunteers living in their grids; admins see all. Phones are masked."""

    path = "/volunteers"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="volunteers:list", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor, page: PageNumber = 1
    ) -> Template:
        filters = directory.parse_filters(request.query_params)
        found = directory.search_volunteers(reader, actor, filters, page=page)
        context = page_context(
            reader, found=found, filters=filters, **directory_choices(reader, actor, filters), **hours.notes()
        )
        return Template("volunteers/list.html", context=context)

    @get("/export", name="volunteers:export", sync_to_thread=True)
    def export(
        self,
        request: Request[Any, Any, Any],
        state: State,
        reader: ReaderSession,
        actor: Actor,
        format: ExportFormat = "csv",
    ) -> Stream | Redirect:
        return export_volunteers(reader, actor, format, request.query_params, state)

    def _import_page(
        self, db: Session, *, result: Any = None, problem: str | None = None, status_code: int = 200
    ) -> Template:
        return import_page(
            db,
            "volunteers/import.html",
            columns=volunteer_import_columns(),
            active_page="volunteers",
            result=result,
            problem=problem,
            status_code=status_code,
        )

    @get("/import", name="volunteers:import-form", sync_to_thread=True)
    def import_form(self, reader: ReaderSession) -> Template:
        return self._import_page(reader)

    @post(
        "/import",
        name="volunteers:import",
        sync_to_thread=True,
        request_max_body_size=UPLOAD_BODY_LIMIT,  # refused with 413 while the body streams in
        exception_handlers={RequestEntityTooLarge: too_large_page},
    )
    def import_file(self, db: DbSession, actor: Actor, data: UploadForm) -> Template | Redirect:
        return import_upload(
            db,
            actor,
            "volunteers",
            data,
            lambda table, only_valid, filename: import_volunteers(
                db, actor, table, only_valid=only_valid, filename=filename
            ),
            partial(self._import_page, db),
        )

    @get("/import/{report_id:int}", name="volunteers:import-report", sync_to_thread=True)
    def import_report(self, reader: ReaderSession, actor: Actor, report_id: FromPath[int]) -> Template:
        """An import's report, at its own address: a reload shows it again and imports nothing."""
        return self._import_page(reader, result=find_report(reader, actor, "volunteers", report_id))

    @get("/{profile_id:int}", name="volunteers:detail", sync_to_thread=True)
    def detail(self, reader: ReaderSession, actor: Actor, profile_id: FromPath[int]) -> Template:
        row = services.get_volunteer(reader, actor, profile_id)
        assert row.profile.id is not None
        context = page_context(
            reader,
            row=row,
            skills=services.skills_named(reader, services.skill_ids_of(reader, profile_id)),
            slots=services.keys_from_slots(services.availability_of(reader, profile_id)),
            interests=[Category(value) for value in services.interests_of(reader, profile_id)],
            home_street=services.home_street_of(reader, row.profile),
            other_streets=services.other_streets_of(reader, profile_id),
            many_streets=len(all_streets(reader)) > 1,
            windows=services.WINDOWS,
            weekdays=services.WEEKDAYS,
            summary=services.hours_summary(reader, profile_id, recent_limit=5),
            **hours.notes(),
        )
        return Template("volunteers/detail.html", context=context)
