"""The item vocabulary as JSON: anyone signed in reads it and resolves a text; admins add, edit and retire items.

Every change is audited and brings the stored item keys of offers and lines in step in the same
transaction; the answer says how many changed.
"""

from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.items import services
from marketplace.items.models import KEY_MAX, ItemTerm
from marketplace.items.schemas import ItemTermCreate, ItemTermUpdate
from marketplace.raw_body import RawBody
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, login_required, token_scope
from marketplace.vocabulary import Category, ResourceKind

ItemKey = Annotated[str, QueryParameter(min_length=1, max_length=KEY_MAX)]
Text = Annotated[str, QueryParameter(max_length=4000, description="A title or description to resolve")]


def term_out(row: ItemTerm) -> dict[str, Any]:
    return {
        "key": row.key,
        "category": row.category.value,
        "kind": row.kind.value,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "synonyms": list(row.synonyms),
        "units": list(row.units),
        "exclusions": list(row.exclusions),
        "retired": row.retired_at is not None,
        "retired_at": row.retired_at.isoformat() if row.retired_at else None,
        "version": row.version,
        "updated_at": row.updated_at.isoformat(),
    }


def input_problem(error: services.ItemInputError) -> ValidationException:
    """Every problem of the body in one 400, each naming its field (``synonyms.0``) and the reason, in the shape
    of Litestar's own validation answers."""
    extra = [{"key": problem.key, "message": problem.reason, "source": "body"} for problem in error.problems]
    return ValidationException("; ".join(f"{item['key']}: {item['message']}" for item in extra), extra=extra)


def _changed(db: Any, actor: Any, row: ItemTerm) -> dict[str, Any]:
    counts = services.reresolve_after_edit(db, actor, row)
    return term_out(row) | {"reresolved": counts.as_dict()}


class ItemApiController(Controller):
    path = "/api/v1/items"
    tags = ["items"]

    @get(
        "/",
        operation_id="listItems",
        summary="The item vocabulary",
        description="Every live item (retired=true adds the retired ones), by category then key. q finds a key, "
        "a name or a synonym; category and kind filter.",
        guards=[login_required, token_scope("items:read")],
        sync_to_thread=True,
    )
    def list_items(
        self,
        reader: ReaderSession,
        q: FromQuery[str | None] = None,
        category: FromQuery[Category | None] = None,
        kind: FromQuery[ResourceKind | None] = None,
        retired: FromQuery[bool] = False,
    ) -> dict[str, Any]:
        rows = services.list_terms(reader, services.TermFilters((q or "")[:100], category, kind, retired))
        return {"total": len(rows), "items": [term_out(row) for row in rows]}

    @get(
        "/resolve",
        operation_id="resolveItem",
        summary="The item a text names",
        description="The key the vocabulary resolves the text to (null when none), as offers and lines are "
        "resolved when saved: kind filters, category and unit prefer. excluded lists the phrases of the text an "
        "item excludes (not that item), each with a sentence in Chinese and English.",
        guards=[login_required, token_scope("items:read")],
        sync_to_thread=True,
    )
    def resolve(
        self,
        reader: ReaderSession,
        text: Text,
        category: FromQuery[Category | None] = None,
        kind: FromQuery[ResourceKind | None] = None,
        unit: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        vocabulary = services.vocabulary(reader)
        wanted_kind = kind.value if kind else None
        hit = vocabulary.resolve(text, category.value if category else None, wanted_kind, (unit or "")[:32] or None)
        excluded = [
            {"key": entry.key, "phrase": phrase, "reason_zh": zh, "reason_en": en}
            for entry, phrase in vocabulary.excluded(text, kind=wanted_kind)
            for zh, en in [vocabulary.excluded_reason(entry, phrase)]
        ]
        if hit is None:
            return {"key": None, "name_zh": None, "name_en": None, "synonym": None, "excluded": excluded}
        return {
            "key": hit.entry.key,
            "name_zh": hit.entry.name_zh,
            "name_en": hit.entry.name_en,
            "synonym": hit.synonym,
            "excluded": excluded,
        }

    @get(
        "/{key:str}",
        operation_id="getItem",
        summary="One item of the vocabulary",
        guards=[login_required, token_scope("items:read")],
        sync_to_thread=True,
    )
    def get_item(self, reader: ReaderSession, key: FromPath[str]) -> dict[str, Any]:
        return term_out(services.get_term(reader, key[:KEY_MAX]))

    @post(
        "/",
        operation_id="createItem",
        summary="Add an item (admins)",
        description="The key (lower-case letters, digits, _) never changes. A name or synonym that already names "
        "another live item of the same category and kind is refused (400 naming that field); so is an excluded "
        "phrase that is one of the item's names or synonyms, or contains none of them, as the resolver finds a "
        "synonym (it would never exclude anything: 400 naming exclusions). One 400 lists every problem at once, "
        "the fields' own and these rules' (on the fields that are valid), each in extra with its key.",
        guards=[admin_only, token_scope("items:write"), services.vocabulary_editors],
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        dto=RawBody[ItemTermCreate],
    )
    def create_item(self, db: DbSession, actor: Actor, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        try:
            row = services.create_term(db, actor, data)
        except services.ItemInputError as error:
            raise input_problem(error) from None
        return _changed(db, actor, row)

    @patch(
        "/{key:str}",
        operation_id="updateItem",
        summary="Edit an item (admins)",
        description="Send the version you read; 409 when someone changed the item since. exclusions (phrases "
        "that hold a synonym and are not the item, either language) replace the item's list: add or remove a "
        "phrase by sending the list with or without it. A phrase that is a name or synonym of the item, or that "
        "contains none of them (it would never exclude anything), is refused (400 naming exclusions). One 400 "
        "lists every problem at once. Offers and lines the change affects are resolved again.",
        guards=[admin_only, token_scope("items:write"), services.vocabulary_editors],
        sync_to_thread=True,
        dto=RawBody[ItemTermUpdate],
    )
    def update_item(
        self, db: DbSession, actor: Actor, key: FromPath[str], data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        try:
            row = services.update_term(db, actor, key[:KEY_MAX], data)
        except services.ItemInputError as error:
            raise input_problem(error) from None
        return _changed(db, actor, row)

    @post(
        "/{key:str}/retire",
        operation_id="retireItem",
        summary="Retire an item (admins)",
        description="It no longer resolves; offers and lines that named it resolve again. 409 if already retired.",
        guards=[admin_only, token_scope("items:write"), services.vocabulary_editors],
        status_code=200,
        sync_to_thread=True,
    )
    def retire_item(self, db: DbSession, actor: Actor, key: FromPath[str]) -> dict[str, Any]:
        return _changed(db, actor, services.set_retired(db, actor, key[:KEY_MAX], retired=True))

    @post(
        "/{key:str}/restore",
        operation_id="restoreItem",
        summary="Bring a retired item back (admins)",
        guards=[admin_only, token_scope("items:write"), services.vocabulary_editors],
        status_code=200,
        sync_to_thread=True,
    )
    def restore_item(self, db: DbSession, actor: Actor, key: FromPath[str]) -> dict[str, Any]:
        try:
            row = services.set_retired(db, actor, key[:KEY_MAX], retired=False)
        except services.ItemInputError as error:
            raise input_problem(error) from None
        return _changed(db, actor, row)
