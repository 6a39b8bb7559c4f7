"""Admin pages of the item vocabulary (/admin/items): list and search, add, edit, retire and restore items.

For admins signed in with a browser session only (others 403). Each change is audited and brings the
item keys of offers and lines in step; the page then says how many changed.
"""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN, HTTP_409_CONFLICT
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, one
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.items import services
from marketplace.items.models import KEY_MAX, ItemTerm
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, html_error_page, page_context
from marketplace.query_filters import InvalidFilter
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, sessions_only
from marketplace.vocabulary import Category, ResourceKind

FIELDS = ("key", "category", "kind", "name_zh", "name_en", "synonyms", "units", "exclusions")


def _choice(enum: Any, parameter: str, value: str | None) -> Any:
    """A filter's select: "" is "all" (the form sends the empty option), anything unknown is a 400."""
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        raise InvalidFilter(parameter, _("Choose a valid value.")) from None


def _form_values(data: dict[str, Any]) -> dict[str, str]:
    return {name: one(data, name).strip() for name in FIELDS}


def _row_values(row: ItemTerm) -> dict[str, str]:
    return {
        "key": row.key,
        "category": row.category.value,
        "kind": row.kind.value,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "synonyms": "\n".join(row.synonyms),
        "units": "、".join(row.units),
        "exclusions": "\n".join(row.exclusions),
    }


def _payload(values: dict[str, str]) -> dict[str, Any]:
    """Form values as the schema takes them; an empty select is "not chosen" (the schema says required)."""
    return {name: value for name, value in values.items() if value or name in ("name_zh", "name_en", "units")}


def _done_message(done: str | None, offers: int | None, lines: int | None) -> str | None:
    said = {
        "created": N_("Item added."),
        "saved": N_("Item saved."),
        "retired": N_("Item retired: it no longer resolves."),
        "restored": N_("Item restored."),
    }.get(done or "")
    if said is None:
        return None
    # Two counts, each with its own plural form ("1 offer and 3 resource lines changed").
    offers_changed = counted("%(count)d offer", "%(count)d offers", offers or 0, count=offers or 0)
    lines_changed = counted("%(count)d resource line", "%(count)d resource lines", lines or 0, count=lines or 0)
    return _("%(said)s Item keys resolved again: %(offers)s and %(lines)s changed.") % {
        "said": _(said),
        "offers": offers_changed,
        "lines": lines_changed,
    }


def _after(key: str, done: str, counts: services.Reresolved) -> Redirect:
    query = f"done={done}&offers={counts.offers_changed}&lines={counts.lines_changed}"
    return Redirect(f"/admin/items/{key}?{query}", status_code=HTTP_303_SEE_OTHER)


def _forbidden(request: Request[Any, Any, Any], exc: Exception) -> Template | Redirect:
    """A 403 here; that of a change a street admin may not make (``services.vocabulary_editors``) says why
    (every street shares the vocabulary) instead of the general "ask a street admin". Keyed by the status:
    Litestar looks a handler up by status code before the exception's class."""
    page = html_error_page(request, exc)
    if isinstance(exc, services.SharedVocabulary) and isinstance(page, Template) and isinstance(page.context, dict):
        page.context["headline"] = str(exc.detail)
    return page


class ItemPagesController(Controller):
    """The vocabulary as admins keep it; a bearer token never opens these pages."""

    path = "/admin/items"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = {**PAGE_EXCEPTION_HANDLERS, HTTP_403_FORBIDDEN: _forbidden}

    def _list(
        self,
        db: Session,
        actor: Actor,
        filters: services.TermFilters,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        rows = services.list_terms(db, filters)
        context = page_context(
            db,
            admin_section="items",
            may_edit=services.may_edit(db, actor),
            items=rows,
            total=len(rows),
            usage=services.usage(db),
            filters=filters,
            categories=list(Category),
            kinds=list(ResourceKind),
            values=values or {"category": "", "kind": ""},
            errors=errors or {},
        )
        return Template("items/list.html", context=context, status_code=status_code)

    @get("/", name="items:list", sync_to_thread=True)
    def list_items(
        self,
        reader: ReaderSession,
        actor: Actor,
        q: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        retired: FromQuery[bool] = False,
    ) -> Template:
        filters = services.TermFilters(
            (q or "").strip()[:100],
            _choice(Category, "category", category),
            _choice(ResourceKind, "kind", kind),
            retired,
        )
        return self._list(reader, actor, filters)

    @post("/", name="items:create", guards=[services.vocabulary_editors], sync_to_thread=True)
    def create(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        values = _form_values(data)
        try:
            # Each field checked, then the vocabulary's rules on the valid ones: every problem on one answer.
            row = services.create_term(db, actor, _payload(values))
        except services.ItemInputError as error:
            db.rollback()
            return self._list(
                db,
                actor,
                services.TermFilters(),
                values=values,
                errors=error.by_field(),
                status_code=HTTP_400_BAD_REQUEST,
            )
        return _after(row.key, "created", services.reresolve_after_edit(db, actor, row))

    def _edit(
        self,
        db: Session,
        actor: Actor,
        row: ItemTerm,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        problem: str | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> Template:
        offers, lines = services.usage(db).get(row.key, (0, 0))
        context = page_context(
            db,
            admin_section="items",
            may_edit=services.may_edit(db, actor),
            item=row,
            values=values or _row_values(row),
            errors=errors or {},
            problem=problem,
            done=done,
            offers=offers,
            lines=lines,
            categories=list(Category),
            kinds=list(ResourceKind),
        )
        return Template("items/edit.html", context=context, status_code=status_code)

    @get("/{key:str}", name="items:edit", sync_to_thread=True)
    def edit(
        self,
        reader: ReaderSession,
        actor: Actor,
        key: FromPath[str],
        done: FromQuery[str | None] = None,
        offers: FromQuery[int | None] = None,
        lines: FromQuery[int | None] = None,
    ) -> Template:
        row = services.get_term(reader, key[:KEY_MAX])
        return self._edit(reader, actor, row, done=_done_message(done, offers, lines))

    @post("/{key:str}", name="items:update", guards=[services.vocabulary_editors], sync_to_thread=True)
    def update(self, db: DbSession, actor: Actor, key: FromPath[str], data: FormData) -> Template | Redirect:
        row = services.get_term(db, key[:KEY_MAX])
        values = _form_values(data) | {"key": row.key}
        # An emptied textarea clears its list (the other empty fields are "not sent").
        lists = {"synonyms": values["synonyms"], "exclusions": values["exclusions"]}
        payload = _payload(values) | {"version": one(data, "version")} | lists
        payload.pop("key", None)
        try:
            row = services.update_term(db, actor, row.key, payload)
        except services.ItemInputError as error:
            db.rollback()
            return self._edit(db, actor, row, values=values, errors=error.by_field(), status_code=HTTP_400_BAD_REQUEST)
        except services.Conflict as conflict:
            db.rollback()
            fresh = services.get_term(db, key[:KEY_MAX])
            return self._edit(
                db, actor, fresh, values=values, problem=str(conflict.detail), status_code=HTTP_409_CONFLICT
            )
        return _after(row.key, "saved", services.reresolve_after_edit(db, actor, row))

    @post("/{key:str}/retire", name="items:retire", guards=[services.vocabulary_editors], sync_to_thread=True)
    def retire(self, db: DbSession, actor: Actor, key: FromPath[str]) -> Template | Redirect:
        return self._set_retired(db, actor, key, retired=True)

    @post("/{key:str}/restore", name="items:restore", guards=[services.vocabulary_editors], sync_to_thread=True)
    def restore(self, db: DbSession, actor: Actor, key: FromPath[str]) -> Template | Redirect:
        return self._set_retired(db, actor, key, retired=False)

    def _set_retired(self, db: Session, actor: Actor, key: str, *, retired: bool) -> Template | Redirect:
        try:
            row = services.set_retired(db, actor, key[:KEY_MAX], retired=retired)
        except services.Conflict as conflict:
            db.rollback()
            fresh = services.get_term(db, key[:KEY_MAX])
            return self._edit(db, actor, fresh, problem=str(conflict.detail), status_code=HTTP_409_CONFLICT)
        except services.ItemInputError as error:
            # Restoring an item whose synonym another live item took: listed with a link to its field.
            db.rollback()
            fresh = services.get_term(db, key[:KEY_MAX])
            return self._edit(db, actor, fresh, errors=error.by_field(), status_code=HTTP_409_CONFLICT)
        return _after(row.key, "retired" if retired else "restored", services.reresolve_after_edit(db, actor, row))
