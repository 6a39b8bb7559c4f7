"""Validated input for the item vocabulary: a new item, an edit made from a version."""

import re
from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, TypeAdapter, ValidationError

from marketplace.items.models import KEY_MAX, NAME_MAX
from marketplace.validation import InputModel, Unit, UpdateModel, Version, invalid, line
from marketplace.vocabulary import Category, ResourceKind
from matching.vocabulary import KEY_PATTERN, fold

SYNONYMS_MAX = 60
SYNONYM_MAX = 60
UNITS_MAX = 12
EXCLUSIONS_MAX = 30
# A form's textarea gives one synonym a line; "|", "、" and ";" separate them too (a comma may be part of one:
# "rice, flour and oil").
_SEPARATORS = re.compile(r"[\r\n|、;；]+")
# A synonym found in any text with "!!" in it would name nothing: it needs a letter, digit or character.
_WORD = re.compile(r"\w")


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part for part in _SEPARATORS.split(value) if part.strip()]
    return value


def _distinct(values: list[str]) -> list[str]:
    """Each spelling once, compared as the resolver compares them (width, case, spaces)."""
    seen: dict[str, str] = {}
    for value in values:
        if not _WORD.search(fold(value)):
            raise invalid("a synonym must contain letters or characters")
        seen.setdefault(fold(value), value)
    return list(seen.values())


def _distinct_phrases(values: list[str]) -> list[str]:
    """Each excluded phrase once, compared as the resolver compares them."""
    seen: dict[str, str] = {}
    for value in values:
        if not _WORD.search(fold(value)):
            raise invalid("a phrase must contain letters or characters")
        seen.setdefault(fold(value), value)
    return list(seen.values())


def _key(value: str) -> str:
    if not KEY_PATTERN.match(value):
        raise invalid("lower-case letters, digits and _ , starting with a letter (2 to 64)")
    return value


ItemKey = Annotated[str, StringConstraints(strip_whitespace=True, max_length=KEY_MAX), AfterValidator(_key)]
Name = line(NAME_MAX)
Synonyms = Annotated[
    list[line(SYNONYM_MAX)], BeforeValidator(_as_list), Field(max_length=SYNONYMS_MAX), AfterValidator(_distinct)
]
Units = Annotated[list[Unit], BeforeValidator(_as_list), Field(min_length=1, max_length=UNITS_MAX)]
# Phrases that hold a synonym and are not the item, either language; one a line like synonyms.
Exclusions = Annotated[
    list[line(SYNONYM_MAX)],
    BeforeValidator(_as_list),
    Field(max_length=EXCLUSIONS_MAX),
    AfterValidator(_distinct_phrases),
]


class ItemTermCreate(InputModel):
    """A new item of the vocabulary; the key is how offers and lines refer to it, and never changes."""

    key: ItemKey
    category: Category
    kind: ResourceKind
    name_zh: Name
    name_en: Name
    synonyms: Synonyms = []
    units: Units
    exclusions: Exclusions = []


class ItemTermUpdate(UpdateModel):
    """An edit of an item made from ``version`` (409 when someone changed it since); the key stays."""

    not_columns: ClassVar[frozenset[str]] = frozenset({"version"})

    version: Version
    category: Category | None = None
    kind: ResourceKind | None = None
    name_zh: Name | None = None
    name_en: Name | None = None
    synonyms: Synonyms | None = None
    units: Units | None = None
    exclusions: Exclusions | None = None


def valid_fields(model: type[InputModel], values: dict[str, Any]) -> tuple[Any, dict[str, Any], list[Any]]:
    """The model built from ``values``; else None, the fields that are valid one by one (with their values,
    defaults included) and the problems of the others, as pydantic lists them (each located at its field).

    The service rules then check what is valid, so one answer lists every problem of the input at once.
    """
    try:
        return model.model_validate(values), {}, []
    except ValidationError as error:
        problems = error.errors()
    bad = {str(item["loc"][0]) for item in problems if item.get("loc")}
    valid: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in bad:
            continue
        if name not in values:
            if not info.is_required():
                valid[name] = info.get_default(call_default_factory=True)
            continue
        try:
            valid[name] = _adapter(model, name).validate_python(values[name])
        except ValidationError as error:  # a field the model let pass checked alone: say so too
            problems.extend({**item, "loc": (name, *item["loc"])} for item in error.errors())
    return None, valid, problems


@cache
def _adapter(model: type[InputModel], name: str) -> TypeAdapter[Any]:
    return TypeAdapter(model.model_fields[name].rebuild_annotation())
