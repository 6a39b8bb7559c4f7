"""The public need form: a resident (no account) tells the street about a problem.

The need waits for staff review (status submitted, channel e-home: the street's online platform).
One address may send ``SUBMISSION_LIMIT`` needs an hour, counted in the database (submissions.py).
"""

from typing import Any

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, one
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.needs import services, submissions, unsure_grid
from marketplace.needs.need_form import NeedForm, field_labels
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import (
    StreetRef,
    choosing_street,
    form_street,
    grids_outside,
    list_streets,
    parse_street,
    street_grid_groups,
)
from marketplace.security.deps import ClientAddress
from marketplace.security.guards import PUBLIC
from marketplace.too_many import too_many_page
from marketplace.vocabulary import Category, IntakeChannel, Urgency
from marketplace.whole_numbers import whole_number

# What a resident fills in; everything else (lines, shifts) staff add when they review the need.
PUBLIC_FIELDS = (
    "title",
    "description",
    "category",
    "grid_id",
    "beneficiary_name",
    "beneficiary_phone",
    "beneficiary_address",
    "urgency",
)
PUBLIC_CHANNEL = IntakeChannel.E_HOME
# The need's reference number as it appears in the thank-you address.
MAX_REFERENCE = 2_147_483_647


def _grid_id(value: Any) -> int | None:
    return whole_number(str(value or ""))


def _form(
    db: Session, form: NeedForm, street: StreetRef | None, *, status_code: int = 200, street_focus: bool = False
) -> Template:
    """The form; in a deployment of several streets, the chosen street's grids only (none: choose a street)."""
    grid_id = None if street is not None else _grid_id(form.values.get("grid_id"))
    labels = field_labels(
        {name: problem for name, problem in form.errors.items() if name != "street"},
        title=_("What is the problem?"),
        description=_("Details"),
        grid_id=_("Your community and grid"),
        urgency=_("How urgent is it?"),
        beneficiary_name=_("Your name"),
        beneficiary_phone=_("Your phone"),
        beneficiary_address=_("Your address"),
    )
    if "street" in form.errors:  # the street comes first in the form, so first in the summary too
        labels = {"street": _("Street")} | labels
    context = page_context(
        db,
        values=form.values,
        errors=form.errors,
        labels=labels,
        grid_groups=street_grid_groups(db, None if street is None else street.id, grid_id),
        streets=list_streets(db),
        chosen_street=street,
        street_focus=street_focus,
        categories=list(Category),
        urgencies=list(Urgency),
        active_page="submit",
        **({"street": street} if street is not None else {}),  # the header names the chosen street
    )
    return Template("needs/submit.html", context=context, status_code=status_code)


def _public_form(data: dict[str, Any]) -> NeedForm:
    values = {name: one(data, name).strip() for name in PUBLIC_FIELDS}
    values["urgency"] = values["urgency"] or Urgency.NORMAL.value
    form = NeedForm(values=values | {"channel": PUBLIC_CHANNEL.value})
    # The resident's name and phone are how staff call back: required here, unlike at staff intake.
    for name in ("beneficiary_name", "beneficiary_phone"):
        if not values[name]:
            form.errors[name] = _("This field is required.")
    return form


class NeedSubmitPagesController(Controller):
    path = "/submit"
    opt = PUBLIC  # a resident needs no account to tell the street about a problem
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="needs:submit-form", sync_to_thread=True)
    def form(self, reader: ReaderSession, street: FromQuery[str | None] = None) -> Template:
        chosen = parse_street(reader, street)
        return _form(reader, NeedForm(values={"urgency": Urgency.NORMAL.value}), chosen)

    @post("/", name="needs:submit", sync_to_thread=True)
    def submit(self, db: DbSession, data: FormData, client_address: ClientAddress) -> Template | Redirect:
        code = one(data, "street").strip()
        street, street_problem = form_street(db, code)
        form = _public_form(data)
        if choosing_street(one(data, "action")):
            # "Show this street's grids": the same form with the street's grids, everything typed kept, nothing
            # checked but the street itself (an unknown one; none chosen yet is no problem here).
            form.errors = {"street": street_problem} if street_problem and code else {}
            status = HTTP_400_BAD_REQUEST if form.errors else 200
            return _form(db, form, street, status_code=status, street_focus=True)
        if street_problem:
            form.errors["street"] = street_problem
        grid_id = _grid_id(form.values.get("grid_id"))
        if street is not None and grid_id is not None and grids_outside(db, [grid_id], street.id):
            form.errors["grid_id"] = _("Choose a grid of the street chosen above.")
        # Not sure of the grid (or of the community): filed under a stand-in grid for the street's staff to set.
        sent_grid = str(form.values.get("grid_id") or "")
        chosen = unsure_grid.resolve(db, sent_grid, street)
        if chosen.to_confirm is not None and not form.values.get("beneficiary_address"):
            form.errors["beneficiary_address"] = _(
                "Not sure of your grid? Give your address (building and unit) so the street's staff can find it."
            )
        form.values["grid_id"] = str(chosen.grid_id or "")
        need_in = form.to_create()
        form.values["grid_id"] = sent_grid  # the form shows what the resident chose
        if chosen.problem:
            form.errors["grid_id"] = chosen.problem
        if need_in is None or form.errors:
            return _form(db, form, street, status_code=HTTP_400_BAD_REQUEST)
        try:
            need = submissions.submit_need(db, client_address, need_in, grid_to_confirm=chosen.to_confirm)
        except submissions.TooManySubmissions as limited:
            db.rollback()
            limit = submissions.SUBMISSION_LIMIT
            detail = counted(
                "At most %(limit)d report an hour can be sent from one connection.",
                "At most %(limit)d reports an hour can be sent from one connection.",
                limit,
                limit=limit,
                also_counts=("limit",),
            )
            return too_many_page(
                limited.retry_after,
                page_context(db, active_page="submit"),
                back="/submit",
                back_label=_("Back to the report form"),
                detail=detail,
                template="needs/submit_limited.html",
            )
        except services.NeedProblem as problem:
            db.rollback()
            form.errors[problem.field] = _("Choose one of the offered values.")
            form.values.pop("channel", None)
            return _form(db, form, street, status_code=HTTP_400_BAD_REQUEST)
        return Redirect(f"/submit/thanks/{need.id}", status_code=HTTP_303_SEE_OTHER)

    @get("/thanks/{reference:int}", name="needs:submit-thanks", sync_to_thread=True)
    def thanks(self, reader: ReaderSession, reference: FromPath[int]) -> Template:
        # Shows only the number in the address: nothing about the need itself leaks to whoever opens it.
        if not 0 < reference <= MAX_REFERENCE:
            raise NotFoundException()
        context = page_context(reader, reference=submissions.reference_number(reference), active_page="submit")
        return Template("needs/submit_thanks.html", context=context)
