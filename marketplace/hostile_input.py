"""Hostile input stops at the edge: before any handler runs, for every route present and future.

What the database cannot hold would otherwise be a 500 (PostgreSQL: "integer out of range", "invalid
byte sequence ... 0x00"; SQLite: OverflowError above 2**63), and what the JSON decoder cannot digest
(invalid UTF-8, 50,000 nested brackets) a 500 too. Here each becomes a 400 naming the field:

- text: NUL in any query value, URL-encoded form value or JSON string (or key);
- integers: a query parameter the handler declares as an integer, and every integer in a JSON body,
  must fit the database's INTEGER columns (``MAX_INT``);
- JSON bodies: valid UTF-8, valid JSON, nested at most ``MAX_JSON_DEPTH`` deep;
- booleans: ``true`` where the body's model says integer (pydantic's lax mode would read it as 1).

A route that reads a JSON body reads only a body declared JSON (``application/json`` or ``…+json``): any
other Content-Type with a body is a 415 naming ``Content-Type``. Litestar would decode it as JSON all the
same, past the checks above (they only look at declared JSON), and ``text/plain`` is the one type a foreign
page can send without a CORS preflight: the CSRF token stops such a request, this is the wall behind it.

Address paths with NUL and out-of-range path ids are 404s (``path_ids``). Field rules (dates, quantities,
lengths) stay in the input models; this module only keeps out what no field could ever accept.
"""

import contextlib
import types
import weakref
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.typing import FieldDefinition
from litestar.utils.signature import ParsedSignature
from pydantic import TypeAdapter

from marketplace.i18n import N_, gettext
from marketplace.query_filters import check_typed_number
from marketplace.validation import MAX_INT, MIN_INT
from marketplace.whole_numbers import is_plain_integer

# No input of this application nests deeper than a few levels; a deeper body is an attack.
MAX_JSON_DEPTH = 32
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Multipart bodies are uploads: their reading (size limits, streaming) is the upload handlers' own.
_FORM_TYPES = ("application/x-www-form-urlencoded",)


NUL = N_("must not contain NUL characters")
NUL_KEY = N_("must not have a key containing NUL characters")
OUT_OF_RANGE = N_("must be between %(min)s and %(max)s")
TOO_DEEP = N_("is nested more than %(max)s levels deep")
BOOLEAN_FOR_INTEGER = N_("must be an integer, not true or false")
NOT_UTF8 = N_("is not valid UTF-8")
NOT_JSON = N_("is not valid JSON")
NOT_DECLARED_JSON = N_("must be application/json for this body (got %(type)s)")


def refuse(
    field: str, message: str, code: str, said: dict[str, Any] | None = None, **facts: Any
) -> ValidationException:
    """A 400 shaped like Litestar's own validation errors: the field in ``extra[].key``, the stable ``code``
    (docs/api_refusals.md) and ``message`` (an English sentence marked ``N_``) in the reader's language."""
    text = gettext(message) % said if said else gettext(message)
    entry = {"key": field, "message": text, "code": code, **facts}
    return ValidationException(detail=f"{field}: {text}", extra=[entry])


def _out_of_range(field: str) -> ValidationException:
    return refuse(
        field, OUT_OF_RANGE, "out_of_range", {"min": MIN_INT, "max": MAX_INT}, minimum=MIN_INT, maximum=MAX_INT
    )


def _is_int_type(annotation: Any) -> bool:
    if annotation is bool:
        return False
    if annotation is int:
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType, list, tuple, set, frozenset) or str(origin) == "typing.Annotated":
        return any(_is_int_type(arg) for arg in get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, int) and not issubclass(annotation, bool)


def _signatures(handler: HTTPRouteHandler) -> Iterator[ParsedSignature]:
    yield handler.parsed_fn_signature
    for provider in handler.resolve_dependencies().values():
        parsed = getattr(provider, "parsed_fn_signature", None)
        if parsed is not None:
            yield parsed


def _integer_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameter names (as sent) that the handler or its dependencies declare as integers."""
    names: set[str] = set()
    for signature in _signatures(handler):
        for name, definition in signature.parameters.items():
            if _is_query_int(definition):
                kwarg = definition.kwarg_definition
                names.add(getattr(kwarg, "query", None) or name)
    return frozenset(names)


def _is_query_int(definition: FieldDefinition) -> bool:
    kwarg = definition.kwarg_definition
    # Path parameters, headers and cookies are not query parameters; a plain int kwarg is one.
    if kwarg is not None and (getattr(kwarg, "header", None) or getattr(kwarg, "cookie", None)):
        return False
    return _is_int_type(definition.annotation)


def _is_fraction_type(annotation: Any) -> bool:
    if annotation in (float, Decimal):
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType) or str(origin) == "typing.Annotated":
        return any(_is_fraction_type(arg) for arg in get_args(annotation))
    return False


def _fraction_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameter names (as sent) that the handler or its dependencies declare as float or Decimal."""
    names: set[str] = set()
    for signature in _signatures(handler):
        for name, definition in signature.parameters.items():
            kwarg = definition.kwarg_definition
            if kwarg is not None and (getattr(kwarg, "header", None) or getattr(kwarg, "cookie", None)):
                continue
            if name != "data" and _is_fraction_type(definition.annotation):
                names.add(getattr(kwarg, "query", None) or name)
    return frozenset(names)


# Keyed by the handler itself, weakly: an id() key outlives its handler (apps come and go in one
# process, in tests) and a new handler at the same address would read another's names.
_INT_QUERY_CACHE: "weakref.WeakKeyDictionary[HTTPRouteHandler, frozenset[str]]" = weakref.WeakKeyDictionary()


def _cached(cache: "weakref.WeakKeyDictionary[HTTPRouteHandler, Any]", handler: HTTPRouteHandler, make: Any) -> Any:
    """``cache[handler]``, made once. The OPTIONS handler Litestar adds to every path is a bare
    ``HTTPRouteHandler``, whose slots take no weak reference: its answer is made anew each time
    (a TypeError here was a 500 on every OPTIONS request to a public path, found by fuzzing)."""
    try:
        return cache[handler]
    except (KeyError, TypeError):
        pass
    value = make(handler)
    with contextlib.suppress(TypeError):
        cache[handler] = value
    return value


def integer_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    return _cached(_INT_QUERY_CACHE, handler, _integer_query_names)  # type: ignore[no-any-return]


_FRACTION_QUERY_CACHE: "weakref.WeakKeyDictionary[HTTPRouteHandler, frozenset[str]]" = weakref.WeakKeyDictionary()


def fraction_query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    return _cached(_FRACTION_QUERY_CACHE, handler, _fraction_query_names)  # type: ignore[no-any-return]


def _check_query(request: Request[Any, Any, Any]) -> None:
    integer_names = integer_query_names(request.route_handler)  # type: ignore[arg-type]
    fraction_names = fraction_query_names(request.route_handler)  # type: ignore[arg-type]
    path_params = request.path_params
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise refuse(name.replace("\x00", "\\x00"), NUL, "control_characters")
        if name in integer_names and name not in path_params:
            _check_int_text(name, value)
        elif name in fraction_names and name not in path_params:
            # Litestar reads "1e3", "inf", "nan" and "１" as floats: a number is written in 0-9, as typed anywhere.
            check_typed_number(name, value)


def _check_int_text(name: str, value: str) -> None:
    if not value:
        return  # not given: the handler's default
    # ASCII digits only (whole_numbers): Litestar reads "1e3" as 1000. Refused in Litestar's own words, as it
    # refuses "abc", "１" or "+3" (the error page says them in the reader's language).
    if not is_plain_integer(value):
        message = "Expected `int`, got `str`"
        raise ValidationException(
            detail=f"{name}: {message}", extra=[{"key": name, "message": message, "source": "query"}]
        )
    if len(value.removeprefix("-")) > 12 or not MIN_INT <= int(value) <= MAX_INT:
        raise _out_of_range(name)


def _walk_json(value: Any, path: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise refuse(path or "body", TOO_DEEP, "too_deep", {"max": MAX_JSON_DEPTH}, maximum=MAX_JSON_DEPTH)
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise _out_of_range(path or "body")
    elif isinstance(value, str):
        if "\x00" in value:
            raise refuse(path or "body", NUL, "control_characters")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_json(item, f"{path}.{index}" if path else str(index), depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise refuse(path or "body", NUL_KEY, "control_characters")
            _walk_json(item, f"{path}.{key}" if path else key, depth + 1)


_BODY_SCHEMA_CACHE: "weakref.WeakKeyDictionary[HTTPRouteHandler, dict[str, Any] | None]" = weakref.WeakKeyDictionary()


def body_json_schema(handler: HTTPRouteHandler) -> dict[str, Any] | None:
    """The JSON schema of the handler's ``data`` body, or None when it has none the check can read."""
    return _cached(_BODY_SCHEMA_CACHE, handler, _body_json_schema)  # type: ignore[no-any-return]


def _body_json_schema(handler: HTTPRouteHandler) -> dict[str, Any] | None:
    definition = handler.parsed_fn_signature.parameters.get("data")
    if definition is None:
        return None
    try:
        return TypeAdapter(definition.annotation).json_schema()  # type: ignore[no-any-return]
    except Exception:  # a body type pydantic cannot describe: its own decoder checks it
        return None


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return defs.get(ref.removeprefix("#/$defs/"), {})
    return schema


def _branches(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, defs)
    alternatives = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if not alternatives:
        return [schema]
    return [branch for alternative in alternatives for branch in _branches(alternative, defs)]


def _refuse_booleans_for_integers(value: Any, schema: dict[str, Any], defs: dict[str, Any], path: str) -> None:
    branches = _branches(schema, defs)
    types = {branch.get("type") for branch in branches}
    if isinstance(value, bool):
        if "integer" in types and "boolean" not in types:
            raise refuse(path or "body", BOOLEAN_FOR_INTEGER, "wrong_type")
    elif isinstance(value, dict):
        for branch in branches:
            properties = branch.get("properties")
            if isinstance(properties, dict):
                for name, item in value.items():
                    if name in properties:
                        _refuse_booleans_for_integers(item, properties[name], defs, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for branch in branches:
            items = branch.get("items")
            if isinstance(items, dict):
                for index, item in enumerate(value):
                    _refuse_booleans_for_integers(item, items, defs, f"{path}.{index}" if path else str(index))


async def _check_json(request: Request[Any, Any, Any]) -> None:
    body = await request.body()
    if not body:
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("body", NOT_UTF8, "invalid_utf8") from None
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        raise refuse("body", NOT_JSON, "invalid_json", error=str(error)) from None
    except RecursionError:
        raise refuse("body", TOO_DEEP, "too_deep", {"max": MAX_JSON_DEPTH}, maximum=MAX_JSON_DEPTH) from None
    _walk_json(decoded, "", 0)
    schema = body_json_schema(request.route_handler)  # type: ignore[arg-type]
    if schema is not None:
        _refuse_booleans_for_integers(decoded, schema, schema.get("$defs", {}), "")


async def _check_form(request: Request[Any, Any, Any]) -> None:
    form = await request.form()
    for name, value in form.multi_items():
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            raise refuse(name.replace("\x00", "\\x00"), NUL, "control_characters")


def _reads_json_body(handler: HTTPRouteHandler) -> bool:
    """Whether the handler (or one of its dependencies) takes a ``data`` body that Litestar decodes as JSON."""
    for signature in _signatures(handler):
        definition = signature.parameters.get("data")
        if definition is not None:
            media_type = getattr(definition.kwarg_definition, "media_type", None)
            return media_type in (None, RequestEncodingType.JSON)
    return False


_JSON_BODY_CACHE: "weakref.WeakKeyDictionary[HTTPRouteHandler, bool]" = weakref.WeakKeyDictionary()


def reads_json_body(handler: HTTPRouteHandler) -> bool:
    return _cached(_JSON_BODY_CACHE, handler, _reads_json_body)  # type: ignore[no-any-return]


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


async def _refuse_undeclared_json(request: Request[Any, Any, Any], media_type: str) -> None:
    """415 for a body sent to a JSON route under another Content-Type (or none); a body-less call passes."""
    if is_json(media_type) or not reads_json_body(request.route_handler) or not await request.body():  # type: ignore[arg-type]
        return
    message = gettext(NOT_DECLARED_JSON) % {"type": media_type[:80] or "none"}
    raise ClientException(
        detail=f"Content-Type: {message}",
        status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        extra=[{"key": "Content-Type", "message": message, "code": "unsupported_media_type"}],
    )


async def refuse_hostile_input(request: Request[Any, Any, Any]) -> None:
    """Raise a 400 naming the field for input no field of any route could accept (a 415 for a JSON route's
    body not declared JSON)."""
    _check_query(request)
    if request.method not in _BODY_METHODS:
        return
    media_type = request.content_type[0].lower()
    await _refuse_undeclared_json(request, media_type)
    if is_json(media_type):
        await _check_json(request)
    elif media_type in _FORM_TYPES:
        await _check_form(request)
