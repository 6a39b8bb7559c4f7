"""Offer pages: the resource list (a partner's own offers; the street's whole list for staff and admins),
publishing, editing with a version, withdrawing."""

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.exchange.services import (
    IMPORTED_COLUMNS,
    UPLOAD_BODY_LIMIT,
    UploadForm,
    count_offers,
    export_pages,
    find_report,
    import_offers,
    import_page,
    import_upload,
    offer_columns,
    stream_list,
    too_large_page,
)
from marketplace.forms import FormData, field_errors, many, one, validate
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.items.services import item_labels
from marketplace.matches.services import ended_with_offer, waiting_on_offer
from marketplace.offers import for_line, services
from marketplace.offers.lifecycle import effective_status
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.schemas import OfferCreate, OfferUpdate
from marketplace.offers.withdrawal import withdraw_preview
from marketplace.organizations.services import require_approved_organization, streets_served
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import (
    GridGroups,
    admin_street_ids,
    community_first,
    list_grid_groups,
    street_grid_groups,
    streets_grid_groups,
)
from marketplace.security.context import current_user
from marketplace.security.deps import Actor
from marketplace.security.guards import roles, sessions_only
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import day_end, day_start, last_day, parse_day, street_day
from marketplace.vocabulary import Category, ResourceKind

TEXT_FIELDS = ("kind", "category", "title", "description", "quantity", "unit", "remaining_quantity")
PAGE_SIZE = 20
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]
# How many claims and proposals a withdrawal ended, carried to the list's notice (``withdrawn_notice``).
EndedCount = Annotated[int | None, QueryParameter(ge=0, le=100_000)]
STATUS_TABS = [OfferStatus.ACTIVE, OfferStatus.EXHAUSTED, OfferStatus.EXPIRED, OfferStatus.WITHDRAWN]


def _day(value: str, *, end: bool = False) -> datetime | str | None:
    """A date field (YYYY-MM-DD, the street's calendar) as an aware instant; the raw text if unreadable."""
    text = value.strip()
    if not text:
        return None
    day = parse_day(text)
    if day is None:
        return text  # the model refuses it and names the field
    # "Valid until 2027-06-30" means through that street day: stored as the instant it ends.
    return day_end(day) if end else day_start(day)


def withdrawn_notice(claims: int | None, proposals: int | None) -> str:
    """What the partner reads after withdrawing an offer: that it is withdrawn, and how many of the claims and
    proposals waiting on it ended with it (each count in its own plural form); without the counts (an old
    link), the first sentence alone."""
    said = _("The offer was withdrawn.")
    if claims is None or proposals is None:
        return said
    if not claims and not proposals:
        return _("%(said)s No claim or proposal was waiting on it.") % {"said": said}
    claimed = counted("%(count)d claim", "%(count)d claims", claims, count=claims)
    proposed = counted("%(count)d proposal", "%(count)d proposals", proposals, count=proposals)
    if claims and proposals:
        return _("%(said)s %(claims)s and %(proposals)s waiting on it ended with it.") % {
            "said": said,
            "claims": claimed,
            "proposals": proposed,
        }
    return _("%(said)s %(what)s waiting on it ended with it.") % {"said": said, "what": claimed if claims else proposed}


def form_values(form: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: one(form, name).strip() for name in TEXT_FIELDS}
    values["grid_ids"] = many(form, "grid_ids")
    values["valid_from"] = one(form, "valid_from").strip()
    values["valid_until"] = one(form, "valid_until").strip()
    values["available_from"] = one(form, "available_from").strip()
    return values


def model_input(values: dict[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in values.items() if value not in ("", None)}
    data["grid_ids"] = values["grid_ids"]
    for name, end in (("valid_from", False), ("valid_until", True), ("available_from", False)):
        data[name] = _day(values[name], end=end)
    return data


def row_values(row: Offer, grid_ids: list[int]) -> dict[str, Any]:
    def local(value: datetime | None, end: bool = False) -> str:
        if value is None:
            return ""
        return (last_day(value) if end else street_day(value)).isoformat()

    return {
        "kind": row.kind.value,
        "category": row.category.value,
        "title": row.title,
        "description": row.description,
        "quantity": f"{row.quantity.normalize():f}",
        "unit": row.unit,
        "remaining_quantity": f"{row.remaining_quantity.normalize():f}",
        "valid_from": local(row.valid_from),
        "valid_until": local(row.valid_until, end=True),
        "available_from": local(row.available_from),
        "grid_ids": grid_ids,
        "version": row.version,
    }


offer_page_readers = roles(Role.ADMIN, Role.STAFF, Role.PARTNER)
offer_page_writers = roles(Role.PARTNER)


class OfferPagesController(Controller):
    path = "/offers"
    guards = [offer_page_readers, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="offers:list", sync_to_thread=True)
    def index(
        self,
        reader: ReaderSession,
        state: State,
        actor: Actor,
        kind: FromQuery[ResourceKind | None] = None,
        category: FromQuery[Category | None] = None,
        grid_id: FromQuery[int | None] = None,
        community_id: FromQuery[int | None] = None,
        status: FromQuery[OfferStatus | None] = None,
        q: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
        claims: EndedCount = None,
        proposals: EndedCount = None,
        page: PageNumber = 1,
    ) -> Template:
        services.sweep_expired(reader, state.session_factory)
        search = (q or "").strip()[:100] or None
        filters = services.OfferFilters(kind, category, grid_id, status, search, community_id)
        streets = filter_streets(reader, actor)
        grid_groups = list_grid_groups(reader, streets, community_id, grid_id)
        listing = services.list_offers(reader, actor, filters, page=page, page_size=PAGE_SIZE)
        ids = [row.id for row in listing.rows if row.id is not None]
        notices = {"withdrawn": withdrawn_notice(claims, proposals), "imported": _("The offers were imported.")}
        context = page_context(
            reader,
            listing=listing,
            grids=services.grids_of_offers(reader, ids),
            organizations=services.organization_names(reader, [row.organization_id for row in listing.rows]),
            filters=filters,
            filter_query=filters.query_items(),
            tab_query={k: v for k, v in filters.query_items().items() if k != "status"},
            status_tabs=STATUS_TABS,
            kinds=list(ResourceKind),
            categories=list(Category),
            grid_groups=grid_groups,
            grid_hint=community_first(streets, grid_groups),
            page=page,
            pages=max(1, -(-listing.total // PAGE_SIZE)),
            is_partner=actor.role == Role.PARTNER,
            notice=notices.get(done or ""),
            active_page="offers",
        )
        return Template("offers/list.html", context=context)

    def _form(
        self,
        db: Session,
        *,
        values: dict[str, Any],
        errors: dict[str, str],
        offer: Offer | None = None,
        problem: str | None = None,
        status_code: int = 200,
        target: for_line.ProjectLine | None = None,
        grid_groups: GridGroups | None = None,
    ) -> Template:
        context = page_context(
            db,
            values=values,
            errors=errors,
            offer=offer,
            problem=problem,
            kinds=list(ResourceKind),
            categories=list(Category),
            grid_groups=grid_groups if grid_groups is not None else service_area_choices(db),
            for_line=target,
            active_page="offers",
        )
        return Template("offers/form.html", context=context, status_code=status_code)

    @get("/new", name="offers:new", guards=[offer_page_writers], sync_to_thread=True)
    def new(self, reader: ReaderSession, actor: Actor, line: FromQuery[str | None] = None) -> Template:
        """The blank form; with ``?line=<id>`` (the take-part page's link) filled in from that resource line."""
        require_approved_organization(reader, actor)
        target = for_line.visible_line(reader, actor, line)
        if target is None:
            return self._form(reader, values={"grid_ids": []}, errors={})
        choices = service_area_choices(reader)
        offered = {grid.id for _community, grids in choices for grid in grids}
        values = for_line.prefilled(reader, target, offered)
        return self._form(reader, values=values, errors={}, target=target, grid_groups=choices)

    @post("/new", name="offers:create", guards=[offer_page_writers], sync_to_thread=True)
    def create(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        require_approved_organization(db, actor)
        values = form_values(data)
        target = for_line.visible_line(db, actor, one(data, "line"))  # published for a line: back to it after
        offer_in, errors = validate(OfferCreate, model_input(values))
        if offer_in is None:
            return self._form(
                db, values=values, errors=_friendly(errors), status_code=HTTP_400_BAD_REQUEST, target=target
            )
        try:
            row = services.create_offer(db, actor, offer_in)
        except services.GridProblem as problem:
            return self._form(
                db, values=values, errors={"grid_ids": str(problem)}, status_code=HTTP_400_BAD_REQUEST, target=target
            )
        if target is not None:
            done = "offer_published" if for_line.fits(row, target) else "offer_published_unfit"
            back = f"/projects/{target.need.id}/take-part?done={done}&offer={row.id}#line-{target.line.id}"
            return Redirect(back, status_code=HTTP_303_SEE_OTHER)
        return Redirect(f"/offers/{row.id}?done=created", status_code=HTTP_303_SEE_OTHER)

    @get("/import", name="offers:import-form", guards=[offer_page_writers], sync_to_thread=True)
    def import_form(self, reader: ReaderSession, actor: Actor) -> Template:
        require_approved_organization(reader, actor)
        return self._import_page(reader)

    def _import_page(
        self, db: Session, *, result: Any = None, problem: str | None = None, status_code: int = 200
    ) -> Template:
        return import_page(
            db,
            "offers/import.html",
            columns=[c for c in offer_columns() if c.name in IMPORTED_COLUMNS],
            active_page="offers",
            result=result,
            problem=problem,
            status_code=status_code,
        )

    @post(
        "/import",
        name="offers:import",
        guards=[offer_page_writers],
        sync_to_thread=True,
        request_max_body_size=UPLOAD_BODY_LIMIT,  # refused with 413 while the body streams in
        exception_handlers={RequestEntityTooLarge: too_large_page},
    )
    def import_file(self, db: DbSession, actor: Actor, data: UploadForm) -> Template | Redirect:
        require_approved_organization(db, actor)
        return import_upload(
            db,
            actor,
            "offers",
            data,
            lambda table, only_valid, filename: import_offers(
                db, actor, table, only_valid=only_valid, filename=filename
            ),
            partial(self._import_page, db),
        )

    @get("/import/{report_id:int}", name="offers:import-report", guards=[offer_page_writers], sync_to_thread=True)
    def import_report(self, reader: ReaderSession, actor: Actor, report_id: FromPath[int]) -> Template:
        """An import's report, at its own address: a reload shows it again and imports nothing."""
        return self._import_page(reader, result=find_report(reader, actor, "offers", report_id))

    @get("/export", name="offers:export", sync_to_thread=True)
    def export(
        self,
        reader: ReaderSession,
        state: State,
        actor: Actor,
        format: FromQuery[Literal["csv", "xlsx"]] = "csv",
        kind: FromQuery[ResourceKind | None] = None,
        category: FromQuery[Category | None] = None,
        grid_id: FromQuery[int | None] = None,
        community_id: FromQuery[int | None] = None,
        status: FromQuery[OfferStatus | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Stream:
        services.sweep_expired(reader, state.session_factory)
        search = (q or "").strip()[:100] or None
        filters = services.OfferFilters(kind, category, grid_id, status, search, community_id)
        return export_response(state, reader, actor, filters, format)

    @get("/{offer_id:int}", name="offers:detail", sync_to_thread=True)
    def detail(
        self, reader: ReaderSession, actor: Actor, offer_id: FromPath[int], done: FromQuery[str | None] = None
    ) -> Template:
        row = services.get_offer(reader, actor, offer_id)
        notices = {"created": _("The offer is published."), "saved": _("Your changes are saved.")}
        can_withdraw = _can_edit(actor, row) and row.status is not OfferStatus.WITHDRAWN
        # Said before the partner confirms: what withdrawing would cancel now (the rule the withdrawal applies).
        preview = withdraw_preview(*waiting_on_offer(reader, offer_id)) if can_withdraw else None
        context = page_context(
            reader,
            offer=row,
            status=effective_status(row),
            grids=services.grids_of_offers(reader, [offer_id])[offer_id],
            organization=services.organization_names(reader, [row.organization_id]).get(row.organization_id),
            can_edit=_can_edit(actor, row),
            item_labels=item_labels(reader, [row.item_key]),
            notice=notices.get(done or ""),
            withdraw_preview=preview,
            active_page="offers",
        )
        return Template("offers/detail.html", context=context)

    @get("/{offer_id:int}/edit", name="offers:edit", guards=[offer_page_writers], sync_to_thread=True)
    def edit(self, reader: ReaderSession, actor: Actor, offer_id: FromPath[int]) -> Template:
        row = services.get_offer(reader, actor, offer_id)
        require_approved_organization(reader, actor)
        grid_ids = [grid.id for grid in services.grids_of_offers(reader, [offer_id])[offer_id]]
        return self._form(reader, values=row_values(row, grid_ids), errors={}, offer=row)  # type: ignore[arg-type]

    @post("/{offer_id:int}/edit", name="offers:update", guards=[offer_page_writers], sync_to_thread=True)
    def update(self, db: DbSession, actor: Actor, offer_id: FromPath[int], data: FormData) -> Template | Redirect:
        row = services.get_offer(db, actor, offer_id)
        values = form_values(data) | {"version": one(data, "version")}
        payload = model_input(values) | {"version": values["version"]}
        payload.setdefault("description", "")
        if payload.get("valid_from") is None:
            payload.pop("valid_from", None)  # an emptied start keeps the stored one
        update_in, errors = validate(OfferUpdate, payload)
        if update_in is None:
            return self._form(db, values=values, errors=_friendly(errors), offer=row, status_code=HTTP_400_BAD_REQUEST)
        try:
            services.update_offer(db, actor, offer_id, update_in)
        except services.GridProblem as problem:
            return self._form(db, values=values, errors={"grid_ids": str(problem)}, offer=row, status_code=400)
        except ValidationError as error:
            errors = _friendly(field_errors(error))
            return self._form(db, values=values, errors=errors, offer=row, status_code=HTTP_400_BAD_REQUEST)
        except services.Conflict as conflict:
            db.rollback()
            fresh = services.get_offer(db, actor, offer_id)
            return self._form(
                db, values=values, errors={}, offer=fresh, problem=str(conflict.detail), status_code=HTTP_409_CONFLICT
            )
        return Redirect(f"/offers/{offer_id}?done=saved", status_code=HTTP_303_SEE_OTHER)

    @post("/{offer_id:int}/withdraw", name="offers:withdraw", guards=[offer_page_writers], sync_to_thread=True)
    def withdraw(self, db: DbSession, actor: Actor, offer_id: FromPath[int]) -> Redirect:
        services.withdraw_offer(db, actor, offer_id)
        claims, proposals = ended_with_offer(db, offer_id)
        query = f"done=withdrawn&claims={claims}&proposals={proposals}"
        return Redirect(f"/offers?{query}", status_code=HTTP_303_SEE_OTHER)


def export_response(
    state: State, db: Session, actor: CurrentUser, filters: services.OfferFilters, file_format: str
) -> Stream:
    """Every offer of the list, following its filters and order, as a download in the reader's language: read
    a page at a time while it streams (exchange.paging), however many offers."""
    language = "en" if str(current_locale.get()).startswith("en") else "zh"
    total = count_offers(db, actor, filters)
    return stream_list(
        state.reader_factory,
        lambda reader: export_pages(reader, actor, filters),
        offer_columns(),
        file_format,
        "offers",
        total,
        language,
    )


def service_area_choices(db: Session) -> GridGroups:
    """An offer's possible service area: the grids of the streets the partner's organization serves, not a
    city's every grid, and never those of the grids a refused form named (a grid of another street is refused
    beside this list; offering its street's grids would invite the same mistake)."""
    actor = current_user.get()
    streets = filter_streets(db, actor) if actor is not None else None
    if streets is None:
        return street_grid_groups(db, None)
    return streets_grid_groups(db, streets)


def filter_streets(db: Session, actor: CurrentUser) -> frozenset[int] | None:
    """The streets whose grids the list's filter offers (None: all): an admin's or staff member's own street,
    the streets a partner's organization serves."""
    if actor.role == Role.ADMIN:
        return admin_street_ids(actor)
    if actor.role == Role.STAFF and actor.street_id is not None:
        return frozenset({actor.street_id})
    if actor.role == Role.PARTNER and actor.organization_id is not None:
        served = streets_served(db, [actor.organization_id]).get(actor.organization_id, [])
        return frozenset(street.id for street in served if street.id is not None)
    return None


def _can_edit(actor: CurrentUser, row: Offer) -> bool:
    return actor.role == Role.PARTNER and actor.organization_id == row.organization_id


def _friendly(errors: dict[str, str]) -> dict[str, str]:
    """Replace the shared validators' English reasons for cross-field rules with translated sentences."""
    result = dict(errors)
    for name, message in errors.items():
        if name == "remaining_quantity" and "exceed" in message:
            result[name] = _("The remaining quantity cannot be more than the quantity.")
        elif name == "valid_until" and "after valid_from" in message:
            result[name] = _("The end of the window must be after its start.")
        elif name == "valid_until" and "future" in message:
            result[name] = _("The end of the window must be in the future.")
        elif name == "available_from" and "before valid_until" in message:
            result[name] = _("The resource must be available before the offer ends.")
        elif name in ("valid_from", "valid_until", "available_from") and "datetime" in message.lower():
            result[name] = _("Enter a date such as 2026-12-31.")
        elif name in ("quantity", "remaining_quantity") and "decimal places" in message:
            result[name] = _("Use at most two decimal places.")
        elif name in ("quantity", "remaining_quantity") and "before the decimal point" in message:
            result[name] = _("This number is too large.")
        elif name in ("quantity", "remaining_quantity") and "valid decimal" in message:
            # Only pydantic's own words: the bounds arrive already said ("Enter a number greater than 0."),
            # and matching "number" in them replaced "-5 is not more than 0" with "enter a number".
            result[name] = _("Enter a number, such as 12 or 3.5.")
        elif name == "grid_ids":
            result[name] = _("Choose at least one grid the offer serves.")
    return result
