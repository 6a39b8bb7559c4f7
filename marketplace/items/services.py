"""The item vocabulary as admins keep it, and the item keys of offers and resource lines resolved against it.

An offer or a line stores the key resolved when it is saved (``item_key``, NULL when its text names no
item), so the matching and the pages read it instead of resolving again. When admins change the
vocabulary, ``reresolve`` brings every stored key in step, in batches, in the same transaction as the
change (so a key never disagrees with the vocabulary it came from).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any

import anyio
import sqlalchemy as sa
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.status_codes import HTTP_409_CONFLICT
from pydantic import BaseModel
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.services import changed, record, snapshot
from marketplace.db.types import utcnow
from marketplace.forms import message
from marketplace.i18n import N_, current_locale
from marketplace.i18n import gettext as _
from marketplace.items.models import ItemTerm
from marketplace.items.schemas import ItemTermCreate, ItemTermUpdate, valid_fields
from marketplace.needs.models import ResourceLine
from marketplace.offers.models import Offer
from marketplace.places.services import is_city_admin, street_count
from marketplace.security.guards import signed_in
from marketplace.security.identity import CurrentUser
from marketplace.vocabulary import Category, ResourceKind
from matching.vocabulary import KEY_PATTERN, ItemEntry, ItemVocabulary, fold, normal

TERM_FIELDS = [
    "key",
    "category",
    "kind",
    "name_zh",
    "name_en",
    "synonyms",
    "units",
    "exclusions",
    "retired_at",
    "version",
]
BATCH_SIZE = 500


class Conflict(ClientException):
    """409, not in a state that allows this: ``code`` says which refusal (docs/api_refusals.md), ``key`` the
    field at fault where one is."""

    status_code = HTTP_409_CONFLICT

    def __init__(self, detail: str, *, code: str = "conflict", key: str | None = None, extra: dict | None = None):
        super().__init__(detail, extra={"code": code, **({"key": key} if key else {}), **(extra or {})})


@dataclass(frozen=True)
class Problem:
    """One problem of an item's input: the field (form field, API key), where in the body, the reason."""

    field: str
    message: str
    location: str = ""
    # What the API says: a field check's own words, as Litestar answers every other body (a rule's: ``message``).
    api_message: str = ""

    @property
    def key(self) -> str:
        return self.location or self.field

    @property
    def reason(self) -> str:
        return self.api_message or self.message


class ItemInputError(ValueError):
    """An item that cannot be saved as given, with every problem found at once (the field checks and the
    vocabulary's rules); ``field`` and ``message`` are the first."""

    def __init__(self, field: str, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.problems = problems or [Problem(field, message)]

    @classmethod
    def of(cls, problems: list[Problem]) -> "ItemInputError":
        return cls(problems[0].field, problems[0].message, problems)

    def by_field(self) -> dict[str, str]:
        """One message per field, as a form shows it under the field (several joined)."""
        said: dict[str, list[str]] = {}
        for problem in self.problems:
            if problem.message not in said.setdefault(problem.field, []):
                said[problem.field].append(problem.message)
        return {field: _("; ").join(messages) for field, messages in said.items()}


class SharedVocabulary(PermissionDeniedException):
    """A street admin of a city tried to change the vocabulary every street shares."""


def may_edit(db: Session, actor: CurrentUser | None) -> bool:
    """Who changes the vocabulary: it is one for the whole deployment, so in a city of several streets a
    city admin (a street admin would change every other street's matching); on a one-street server its
    admins; the command line (no actor) always."""
    if actor is None or is_city_admin(actor):
        return True
    return actor.role == Role.ADMIN and street_count(db) <= 1


def check_may_edit(db: Session, actor: CurrentUser | None) -> None:
    if not may_edit(db, actor):
        raise SharedVocabulary(_("Every street of the city shares the item vocabulary: a city admin changes it."))


async def vocabulary_editors(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """The guard of every route that changes the vocabulary, the pages' forms and the API alike: ``may_edit``
    asked before the form or the body is read, so whoever may not change it gets the same 403 however the
    change was written (a street admin's form with a problem in it is not a 400 about that problem)."""
    actor = signed_in(connection)
    factory = connection.app.state.reader_factory

    def allowed() -> bool:
        with factory() as db:
            return may_edit(db, actor)

    # The street count is a query: on a thread, never on the event loop.
    if not await anyio.to_thread.run_sync(allowed):
        raise SharedVocabulary(_("Every street of the city shares the item vocabulary: a city admin changes it."))


# --- the vocabulary as the matching sees it -------------------------------------------------------------


def entry_of(term: ItemTerm) -> ItemEntry:
    return ItemEntry(
        term.key,
        term.category.value,
        term.kind.value,
        term.name_zh,
        term.name_en,
        tuple(term.synonyms),
        tuple(term.units),
        tuple(term.exclusions),
    )


_cache_lock = Lock()
_cached: tuple[tuple[Any, ...], ItemVocabulary] | None = None


def _stamp(db: Session) -> tuple[Any, ...]:
    """What identifies the table's content: any insert, edit, retirement or restoration changes it."""
    row = db.execute(
        sa.select(
            sa.func.count(), sa.func.max(ItemTerm.updated_at), sa.func.sum(ItemTerm.version), sa.func.max(ItemTerm.id)
        )
    ).one()
    return tuple(row)


def vocabulary(db: Session) -> ItemVocabulary:
    """The live (not retired) items, built once per change of the table and shared by this process."""
    global _cached
    stamp = _stamp(db)
    with _cache_lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    terms = db.execute(sa.select(ItemTerm).where(ItemTerm.retired_at.is_(None)).order_by(ItemTerm.id)).scalars()  # type: ignore[union-attr]
    built = ItemVocabulary(entry_of(term) for term in terms)
    with _cache_lock:
        _cached = (stamp, built)
    return built


def item_key_in(vocab: ItemVocabulary, texts: Iterable[str], category: Any, kind: Any, unit: str) -> str | None:
    """The item the texts name in ``vocab`` (read once by a caller resolving many rows), or None."""
    return vocab.key_of_any(texts, _value(category), _value(kind), unit) or None


def _value(member: Any) -> str:
    return str(getattr(member, "value", member))


def offer_item_key(db: Session, offer: Offer | dict[str, Any]) -> str | None:
    """The item an offer names: its title, else its description (NULL when neither names one)."""
    values = offer if isinstance(offer, dict) else {name: getattr(offer, name) for name in OFFER_TEXT}
    return item_key_in(
        vocabulary(db),
        [values["title"], values.get("description") or ""],
        values["category"],
        values["kind"],
        values["unit"],
    )


def line_item_key(db: Session, line: ResourceLine) -> str | None:
    """The item a resource line names (its description)."""
    return item_key_in(vocabulary(db), [line.description], line.category, line.kind, line.unit)


def with_item_key(db: Session, line: ResourceLine) -> ResourceLine:
    """The line with its item key set, for the services that create lines."""
    line.item_key = line_item_key(db, line)
    return line


# What an offer's key is resolved from: an edit of any of these resolves it again.
OFFER_TEXT = ("title", "description", "category", "kind", "unit")


# --- keeping stored keys in step ------------------------------------------------------------------------


@dataclass
class Reresolved:
    offers_seen: int = 0
    offers_changed: int = 0
    lines_seen: int = 0
    lines_changed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "offers_seen": self.offers_seen,
            "offers_changed": self.offers_changed,
            "lines_seen": self.lines_seen,
            "lines_changed": self.lines_changed,
        }


Progress = Callable[[str, int, int], None]


def _batches(db: Session, table: Any, columns: list[Any], batch_size: int) -> Iterable[list[Any]]:
    """Rows in id order, ``batch_size`` at a time (keyset paging: no OFFSET that rescans the table)."""
    last = 0
    while True:
        rows = db.execute(
            sa.select(table.c.id, *columns).where(table.c.id > last).order_by(table.c.id).limit(batch_size)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def reresolve(db: Session, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None) -> Reresolved:
    """Resolve every offer's and line's item key again with the current vocabulary; write only the changed.

    ``progress(table, done, total)`` is called after each batch. Neither version nor updated_at moves:
    the key is derived from what the partner or staff wrote, not a change of theirs.
    """
    vocab = vocabulary(db)
    result = Reresolved()
    for table, texts, counter in (
        (Offer.__table__, ("title", "description"), "offers"),  # type: ignore[attr-defined]
        (ResourceLine.__table__, ("description",), "lines"),  # type: ignore[attr-defined]
    ):
        total = int(db.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        columns = [table.c[name] for name in (*texts, "category", "kind", "unit", "item_key")]
        done = 0
        for rows in _batches(db, table, columns, batch_size):
            for row in rows:
                key = item_key_in(vocab, [getattr(row, name) or "" for name in texts], row.category, row.kind, row.unit)
                if key != row.item_key:
                    db.execute(sa.update(table).where(table.c.id == row.id).values(item_key=key))
                    setattr(result, f"{counter}_changed", getattr(result, f"{counter}_changed") + 1)
            done += len(rows)
            setattr(result, f"{counter}_seen", done)
            if progress is not None:
                progress(counter, done, total)
    return result


# --- admins' edits ---------------------------------------------------------------------------------------


@dataclass
class TermFilters:
    q: str = ""
    category: Category | None = None
    kind: ResourceKind | None = None
    retired: bool = False  # also list retired items


def _matches(term: ItemTerm, needle: str) -> bool:
    return any(needle in fold(text) for text in (term.key, term.name_zh, term.name_en, *term.synonyms))


def list_terms(db: Session, filters: TermFilters) -> list[ItemTerm]:
    """The items, by category (in the street's order) then key; ``q`` finds a key, a name or a synonym
    (width, case and spaces folded)."""
    statement = sa.select(ItemTerm)
    if filters.category is not None:
        statement = statement.where(ItemTerm.category == filters.category)
    if filters.kind is not None:
        statement = statement.where(ItemTerm.kind == filters.kind)
    if not filters.retired:
        statement = statement.where(ItemTerm.retired_at.is_(None))  # type: ignore[union-attr]
    # The categories in the street's order (renovation first), as every other list shows them.
    order = {category: position for position, category in enumerate(Category)}
    rows = sorted(db.execute(statement).scalars(), key=lambda row: (order[row.category], row.key))
    needle = fold(filters.q)
    # The vocabulary is small (hundreds of rows): synonyms are JSON, searched here rather than in SQL.
    return [row for row in rows if _matches(row, needle)] if needle else rows


def get_term(db: Session, key: str) -> ItemTerm:
    # A key that cannot exist is not looked up: PostgreSQL refuses a NUL byte in a query with a 500.
    if not KEY_PATTERN.match(key):
        raise NotFoundException(_("No such item."))
    row = db.execute(sa.select(ItemTerm).where(ItemTerm.key == key)).scalar_one_or_none()
    if row is None:
        raise NotFoundException(_("No such item."))
    return row  # type: ignore[no-any-return]


# The messages of the schema's own validators, said in the reader's language.
_FIELD_MESSAGES = {
    "lower-case letters, digits and _ , starting with a letter (2 to 64)": N_(
        "Lower-case letters, digits and _, starting with a letter (2 to 64 characters)."
    ),
    "a synonym must contain letters or characters": N_("A synonym must contain letters or characters."),
    "a phrase must contain letters or characters": N_("A phrase must contain letters or characters."),
}


def _field_problem(item: Any) -> Problem:
    location = tuple(str(part) for part in item.get("loc") or ("body",))
    said = message(item)
    found = next((text for english, text in _FIELD_MESSAGES.items() if english in said), None)
    return Problem(location[0], _(found) if found else said, ".".join(location), str(item.get("msg", "")))


def _synonym_problems(db: Session, key: str, fields: dict[str, Any]) -> list[Problem]:
    """A spelling names one live item per category and kind, or the resolver could not tell them apart
    (compared as the resolver reads them: "lamp" and "Lamps" are one spelling). Each problem names the
    field of the spelling (a name or the synonyms)."""
    if "category" not in fields or "kind" not in fields:
        return []
    others = db.execute(
        sa.select(ItemTerm).where(
            ItemTerm.category == fields["category"],
            ItemTerm.kind == fields["kind"],
            ItemTerm.key != key,
            ItemTerm.retired_at.is_(None),  # type: ignore[union-attr]
        )
    ).scalars()
    taken = {normal(text): term for term in others for text in (term.name_zh, term.name_en, *term.synonyms)}
    spellings = [(name, fields[name]) for name in ("name_zh", "name_en") if name in fields]
    spellings += [("synonyms", text) for text in fields.get("synonyms") or ()]
    problems = []
    for field, spelling in spellings:
        other = taken.get(normal(spelling))
        if other is not None:
            said = _("“%(text)s” already names the item %(key)s") % {"text": spelling, "key": other.key}
            problems.append(Problem(field, said))
    return problems


def exclusion_problems(entry: ItemEntry) -> list[Problem]:
    """The one rule for an item's excluded phrases, on every path that stores them (pages, API, curated list).

    A phrase is never one of the item's own names or synonyms (it would exclude the item itself), and it holds
    one of them where the resolver finds a synonym (``ItemEntry.names_in``): a phrase excludes only the places
    of its item's synonyms inside it, so one holding none would never exclude anything.
    """
    own = {normal(text) for text in entry.spellings()}
    problems = []
    for phrase in entry.exclusions:
        if normal(phrase) in own:
            said = _("“%(text)s” is a name or synonym of this item, so it cannot be excluded") % {"text": phrase}
            problems.append(Problem("exclusions", said))
        elif not entry.names_in(phrase):
            said = _("“%(text)s” contains none of this item's names, so it would never exclude anything") % {
                "text": phrase
            }
            problems.append(Problem("exclusions", said))
    return problems


def check_exclusions(entry: ItemEntry) -> None:
    """``exclusion_problems``, raised (``ItemInputError``) when there is any."""
    if problems := exclusion_problems(entry):
        raise ItemInputError.of(problems)


def rule_problems(db: Session, key: str, fields: dict[str, Any], *, new: bool) -> list[Problem]:
    """The vocabulary's rules, on the fields of an item that are valid (``fields``: a new item's, or an edit
    merged into its row); a rule that needs a field missing from ``fields`` waits until it is valid."""
    problems = []
    if new and "key" in fields and db.execute(sa.select(ItemTerm.id).where(ItemTerm.key == key)).first():
        problems.append(Problem("key", _("The key %(key)s is taken") % {"key": key}))
    problems += _synonym_problems(db, key, fields)
    if all(name in fields for name in ("category", "kind", "name_zh", "name_en", "synonyms", "exclusions")):
        problems += exclusion_problems(_entry(key, fields))
    return problems


def _as_values(data: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """What a caller gives: a form's or a body's values, or a model another path (the CLI, a test) built."""
    if isinstance(data, BaseModel):
        return data.model_dump(exclude_unset=True)
    return dict(data)


def checked_create(db: Session, data: ItemTermCreate | Mapping[str, Any]) -> ItemTermCreate:
    """A new item's input, each field checked, then the rules on the fields that are valid: every problem is
    in the one ``ItemInputError`` raised."""
    built, valid, errors = valid_fields(ItemTermCreate, _as_values(data))
    fields = built.model_dump() if built is not None else valid
    problems = [_field_problem(item) for item in errors]
    problems += rule_problems(db, fields.get("key", ""), fields, new=True)
    if problems:
        raise ItemInputError.of(problems)
    return built  # type: ignore[no-any-return]


def checked_update(db: Session, row: ItemTerm, data: ItemTermUpdate | Mapping[str, Any]) -> ItemTermUpdate:
    """An edit of ``row``, checked like a new item: the rules read the row with the valid changes applied."""
    values = _as_values(data)
    built, valid, errors = valid_fields(ItemTermUpdate, values)
    sent = built.model_dump(include=built.model_fields_set) if built is not None else valid
    changes = {name: value for name, value in sent.items() if name in values and name != "version"}
    fields = ("category", "kind", "name_zh", "name_en", "synonyms", "exclusions")
    merged = {name: getattr(row, name) for name in fields} | changes
    # A field sent and refused is not read from the row either: its rules wait until it is valid.
    refused = {str(item["loc"][0]) for item in errors if item.get("loc")}
    merged = {name: value for name, value in merged.items() if name not in refused}
    problems = [_field_problem(item) for item in errors]
    problems += rule_problems(db, row.key, merged, new=False)
    if problems:
        raise ItemInputError.of(problems)
    return built  # type: ignore[no-any-return]


def _entry(key: str, fields: dict[str, Any]) -> ItemEntry:
    """An item as the rules read it: a new item's input, or an edit merged into its row."""
    return ItemEntry(
        key,
        _value(fields["category"]),
        _value(fields["kind"]),
        fields["name_zh"],
        fields["name_en"],
        tuple(fields["synonyms"]),
        (),
        tuple(fields["exclusions"]),
    )


def _row_fields(row: ItemTerm) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ("category", "kind", "name_zh", "name_en", "synonyms", "exclusions")}


def _term_snapshot(row: ItemTerm) -> dict[str, Any]:
    return snapshot(row, TERM_FIELDS) or {}


def create_term(db: Session, actor: CurrentUser | None, data: ItemTermCreate | Mapping[str, Any]) -> ItemTerm:
    """A new item from a form's or a body's values (or a model), audited. ``ItemInputError`` lists every
    problem at once (``checked_create``), a taken key (live or retired) among them."""
    check_may_edit(db, actor)
    data = checked_create(db, data)
    row = ItemTerm(**data.model_dump())
    db.add(row)
    db.flush()
    record(db, "item.create", object_type="item_term", object_id=row.id, after=_term_snapshot(row), actor=actor)
    return row


def update_term(db: Session, actor: CurrentUser | None, key: str, data: ItemTermUpdate | Mapping[str, Any]) -> ItemTerm:
    """Apply an edit made from ``version`` (409 when someone changed the item since), audited;
    ``ItemInputError`` lists every problem at once (``checked_update``)."""
    check_may_edit(db, actor)
    row = get_term(db, key)
    data = checked_update(db, row, data)
    if row.version != data.version:
        raise Conflict(
            _("This item was changed by someone else; reload it and try again."), code="item_changed", key="version"
        )
    before = _term_snapshot(row)
    changes = data.changes()
    result = db.execute(
        sa.update(ItemTerm)
        .where(ItemTerm.id == row.id, ItemTerm.version == data.version)  # type: ignore[arg-type]
        .values(**changes, version=ItemTerm.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            _("This item was changed by someone else; reload it and try again."), code="item_changed", key="version"
        )
    db.expire(row)
    db.refresh(row)
    old, new = changed(before, _term_snapshot(row))
    record(db, "item.update", object_type="item_term", object_id=row.id, before=old, after=new, actor=actor)
    return row


def set_retired(db: Session, actor: CurrentUser | None, key: str, *, retired: bool) -> ItemTerm:
    """Retire an item (it no longer resolves) or bring it back; audited. 409 when it already is so."""
    check_may_edit(db, actor)
    row = get_term(db, key)
    if (row.retired_at is not None) == retired:
        if retired:
            raise Conflict(_("This item is already retired."), code="item_retired")
        raise Conflict(_("This item is not retired."), code="item_not_retired")
    if not retired and (problems := _synonym_problems(db, key, _row_fields(row))):
        raise ItemInputError.of(problems)
    before = {"retired_at": row.retired_at.isoformat() if row.retired_at else None, "version": row.version}
    now = utcnow()
    db.execute(
        sa.update(ItemTerm)
        .where(ItemTerm.id == row.id)  # type: ignore[arg-type]
        .values(retired_at=now if retired else None, version=ItemTerm.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.expire(row)
    db.refresh(row)
    after = {"retired_at": row.retired_at.isoformat() if row.retired_at else None, "version": row.version}
    action = "item.retire" if retired else "item.restore"
    record(db, action, object_type="item_term", object_id=row.id, before=before, after=after, actor=actor)
    return row


def reresolve_after_edit(db: Session, actor: CurrentUser | None, term: ItemTerm) -> Reresolved:
    """After an admin's change: every stored key in step with the vocabulary, the counts audited."""
    db.flush()
    counts = reresolve(db)
    record(db, "item.reresolve", object_type="item_term", object_id=term.id, after=counts.as_dict(), actor=actor)
    return counts


def install_curated(db: Session, entries: Iterable[ItemEntry], now: datetime | None = None) -> int:
    """Add the curated items whose keys the table does not have (an admin's edits and retirements stay), each
    held to the rules of an admin's item (``rule_problems``: ``ItemInputError`` lists what breaks them).

    ``now``: the rows' creation time (a seeding run passes its own clock, so the same seed gives the same rows).
    """
    now = now or utcnow()
    have = set(db.execute(sa.select(ItemTerm.key)).scalars())
    added = 0
    for entry in entries:
        if entry.key in have:
            continue
        # The rules an admin's item is held to (a spelling another live item has, a phrase acting on nothing).
        fields = {"category": Category(entry.category), "kind": ResourceKind(entry.kind)} | {
            "name_zh": entry.name_zh,
            "name_en": entry.name_en,
            "synonyms": list(entry.synonyms),
            "exclusions": list(entry.exclusions),
        }
        if problems := rule_problems(db, entry.key, fields, new=False):
            raise ItemInputError.of(problems)
        db.add(
            ItemTerm(
                key=entry.key,
                category=Category(entry.category),
                kind=ResourceKind(entry.kind),
                name_zh=entry.name_zh,
                name_en=entry.name_en,
                synonyms=list(entry.synonyms),
                units=list(entry.units),
                exclusions=list(entry.exclusions),
                created_at=now,
                updated_at=now,
            )
        )
        added += 1
    db.flush()
    return added


def names_of(db: Session, keys: Iterable[str | None]) -> dict[str, ItemTerm]:
    """The items of these keys (retired ones too: a stored key keeps its name on the pages)."""
    wanted = {key for key in keys if key}
    if not wanted:
        return {}
    rows = db.execute(sa.select(ItemTerm).where(ItemTerm.key.in_(wanted))).scalars()  # type: ignore[attr-defined]
    return {row.key: row for row in rows}


def usage(db: Session) -> dict[str, tuple[int, int]]:
    """How many offers and resource lines carry each key (the admin list shows what an edit touches)."""
    found: dict[str, list[int]] = {}
    for position, table in enumerate((Offer.__table__, ResourceLine.__table__)):  # type: ignore[attr-defined]
        rows = db.execute(
            sa.select(table.c.item_key, sa.func.count()).where(table.c.item_key.is_not(None)).group_by(table.c.item_key)
        )
        for key, number in rows:
            found.setdefault(key, [0, 0])[position] = int(number)
    return {key: (offers, lines) for key, (offers, lines) in found.items()}


def item_labels(db: Session, keys: Iterable[str | None]) -> dict[str, str]:
    """How pages name the items of these keys: in the reader's language only ("LED路灯" on a Chinese page,
    "LED street lamps" on an English one). Every page that shows an item takes its name from here; the
    vocabulary's own admin pages and the exports show both names."""
    english = current_locale.get().startswith("en")
    return {key: row.name_en if english else row.name_zh for key, row in names_of(db, keys).items()}
