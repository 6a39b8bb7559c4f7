"""The change forms of a need's staff page (/needs/{id}): a line's quantity, a line closed as enough, a shift
moved or resized, a shift cancelled. Plain form posts (no JavaScript needed); success redirects to the page
with a notice, a refusal renders the page again with the message next to the field (400) or above (409).
"""

from datetime import datetime

from litestar import Controller, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.db.deps import DbSession
from marketplace.forms import FormData, one
from marketplace.i18n import gettext as _
from marketplace.matches.services import parse_quantity, reason_problem
from marketplace.needs import changes, services
from marketplace.needs.change_forms import CANCEL_FIELDS, CLOSE_FIELDS, refusal_message
from marketplace.needs.staff_pages import NeedStaffPagesController, _conflict_message, _version
from marketplace.pages import PAGE_EXCEPTION_HANDLERS
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
from marketplace.validation import STREET_TZ
from marketplace.whole_numbers import has_other_digits, whole_number

MAX_SLOTS = 1000


def _page(
    db: Session,
    actor: CurrentUser,
    need_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str],
    problem: str | None = None,
    status_code: int,
) -> Template:
    db.rollback()  # nothing of the refused change is kept; the page shows the need as it is
    return NeedStaffPagesController._detail(
        db, actor, need_id, errors=errors, values=values, problem=problem, status_code=status_code
    )


def _refused(
    db: Session,
    actor: CurrentUser,
    need_id: int,
    form: str,
    refusal: changes.ChangeRefused,
    values: dict[str, str],
    names: dict[str, str] | None = None,
) -> Template:
    """A field to correct (400) goes next to the field; a state that refuses (409) goes above, and next to it."""
    if refusal.status_code == HTTP_404_NOT_FOUND:  # no such line or shift in this need
        raise NotFoundException(refusal.message)
    field = (names or {}).get(refusal.field, refusal.field)
    message = refusal_message(refusal)
    problem = message if refusal.status_code == HTTP_409_CONFLICT else None
    errors = {f"{form}-{field}": message}
    return _page(db, actor, need_id, errors=errors, values=values, problem=problem, status_code=refusal.status_code)


def _local(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=STREET_TZ) if text else None
    except ValueError:
        return None


def _done(need_id: int, done: str, anchor: str) -> Redirect:
    return Redirect(f"/needs/{need_id}?done={done}#{anchor}", status_code=HTTP_303_SEE_OTHER)


class NeedChangePagesController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @post("/{need_id:int}/lines/{line_id:int}", name="needs:change-line", sync_to_thread=True)
    def change_line(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], line_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        form = f"line-{line_id}"
        text, reason = one(data, "quantity").strip(), one(data, "reason").strip()
        values = {f"{form}-quantity": text, f"{form}-reason": reason}
        errors = {}
        quantity = parse_quantity(text)
        if quantity is None:
            errors[f"{form}-quantity"] = (
                _("Write the number in the digits 0-9 (half-width), such as 2500.")
                if has_other_digits(text)
                else _("Enter a number greater than 0, with at most two decimals.")
            )
        if reason_problem(reason):
            errors[f"{form}-reason"] = _("Give a reason (at most 500 characters).")
        if errors or quantity is None:
            return _page(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        try:
            changes.change_line_quantity(
                db, actor, need_id, line_id, version=_version(data) or 0, quantity=quantity, reason=reason or None
            )
        except changes.ChangeRefused as refusal:
            return _refused(db, actor, need_id, form, refusal, values)
        except services.VersionConflict:
            return _page(db, actor, need_id, values=values, problem=_conflict_message(), status_code=HTTP_409_CONFLICT)
        return _done(need_id, "line_changed", form)

    @post("/{need_id:int}/lines/{line_id:int}/close", name="needs:close-line", sync_to_thread=True)
    def close_line(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], line_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        form = f"line-{line_id}"
        reason = one(data, "reason").strip()
        values = {f"{form}-close_reason": reason}
        try:
            changes.close_line(db, actor, need_id, line_id, version=_version(data) or 0, reason=reason)
        except changes.ChangeRefused as refusal:
            return _refused(db, actor, need_id, form, refusal, values, CLOSE_FIELDS)
        except services.VersionConflict:
            return _page(db, actor, need_id, values=values, problem=_conflict_message(), status_code=HTTP_409_CONFLICT)
        return _done(need_id, "line_closed", form)

    @post("/{need_id:int}/shifts/{shift_id:int}", name="needs:change-shift", sync_to_thread=True)
    def change_shift(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], shift_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        form = f"shift-{shift_id}"
        texts = {name: one(data, name).strip() for name in ("starts_at", "ends_at", "slots")}
        values = {f"{form}-{name}": text for name, text in texts.items()}
        starts_at, ends_at = _local(texts["starts_at"]), _local(texts["ends_at"])
        slots = whole_number(texts["slots"], minimum=0, maximum=9999)
        errors = {}
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            if texts[name] and value is None:
                errors[f"{form}-{name}"] = _("Enter a date and time.")
        if texts["slots"] and (slots is None or not 1 <= slots <= MAX_SLOTS):
            errors[f"{form}-slots"] = _("Enter a whole number from 1 to %(max)d.") % {"max": MAX_SLOTS}
        if errors:
            return _page(db, actor, need_id, errors=errors, values=values, status_code=HTTP_400_BAD_REQUEST)
        try:
            changes.change_shift(
                db,
                actor,
                need_id,
                shift_id,
                version=_version(data) or 0,
                starts_at=starts_at,
                ends_at=ends_at,
                slots=slots,
            )
        except changes.ChangeRefused as refusal:
            return _refused(db, actor, need_id, form, refusal, values)
        except services.VersionConflict:
            return _page(db, actor, need_id, values=values, problem=_conflict_message(), status_code=HTTP_409_CONFLICT)
        return _done(need_id, "shift_changed", form)

    @post("/{need_id:int}/shifts/{shift_id:int}/cancel", name="needs:cancel-shift", sync_to_thread=True)
    def cancel_shift(
        self, db: DbSession, actor: Actor, need_id: FromPath[int], shift_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        form = f"shift-{shift_id}"
        reason = one(data, "reason").strip()
        values = {f"{form}-cancel_reason": reason}
        try:
            changes.cancel_shift(db, actor, need_id, shift_id, version=_version(data) or 0, reason=reason)
        except changes.ChangeRefused as refusal:
            return _refused(db, actor, need_id, form, refusal, values, CANCEL_FIELDS)
        except services.VersionConflict:
            return _page(db, actor, need_id, values=values, problem=_conflict_message(), status_code=HTTP_409_CONFLICT)
        return _done(need_id, "shift_cancelled", form)
