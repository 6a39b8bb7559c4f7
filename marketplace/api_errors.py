"""Every 4xx the API answers carries a stable code, the field at fault and the sentence in the reader's language.

The refusals that know their code (matches.refusals, matches.field_problems, hostile_input, query_filters) set
it where they are raised. What reaches the application's handler without one gets it here:

- a field problem (``extra`` a list of ``{"key", "message"}``), Litestar's own schema and validation errors
  among them: ``code`` from the problem (``wrong_type``, ``not_a_choice``, ``required``, ``too_long``,
  ``too_short``, ``out_of_range``, ``unknown_field``, else ``invalid``), ``message`` in the reader's language
  where the problem was recognised (Litestar's English stays as ``schema_message``; a sentence not recognised,
  the application's own, is kept whole) and ``key`` ``body`` where the schema named no field;
- any other refusal (``extra`` an object, or none): ``extra.code`` by its status (``STATUS_CODES``).

Programs compare the code (and the key), never the sentence; docs/api_refusals.md lists the codes.
"""

import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions.responses import create_exception_response

from marketplace.i18n import N_, current_locale, gettext
from marketplace.i18n.middleware import negotiate_locale

# The code of a refusal that set none, by its status.
STATUS_CODES = {
    400: "invalid",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}

# The sentence of each code a field problem gets here, in the reader's language.
FIELD_SENTENCES = {
    "wrong_type": N_("This value has the wrong type."),
    "not_a_choice": N_("This value is not one of the allowed choices."),
    "required": N_("This field is required."),
    "too_long": N_("This value is too long."),
    "too_short": N_("This value is too short."),
    "out_of_range": N_("This value is out of the allowed range."),
    "unknown_field": N_("This field is not known."),
    "invalid": N_("This value is not valid."),
}

# Litestar's default ``detail`` of each status, said in the reader's language.
STATUS_SENTENCES = {
    "Bad Request": N_("The request is not valid."),
    "Unauthorized": N_("Sign in first."),
    "Forbidden": N_("You may not do this with your account."),
    "Not Found": N_("Not found."),
    "Method Not Allowed": N_("This address does not take this method."),
    "Conflict": N_("The data changed meanwhile; reload and try again."),
    "Request Entity Too Large": N_("The request is too large."),
    "Unsupported Media Type": N_("The request's Content-Type is not supported."),
}

_VALIDATION_FAILED = re.compile(r"^Validation failed for [A-Z]+ ")
# Litestar's (msgspec's, pydantic's) English, read in order: the first that matches names the problem.
_SCHEMA_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Invalid enum value|^Input should be '|^Input should be .* or '"), "not_a_choice"),
    (re.compile(r"missing required field|^Field required|^Missing required"), "required"),
    (re.compile(r"unknown field|^Extra inputs are not permitted"), "unknown_field"),
    (re.compile(r"of length <=|at most \d+ (character|item)|should have at most"), "too_long"),
    (re.compile(r"of length >=|at least \d+ (character|item)|should have at least"), "too_short"),
    (
        re.compile(r"^Expected `[^`]*` [<>]=?|should be (greater|less) than|^Input should be (greater|less)"),
        "out_of_range",
    ),
    (re.compile(r"^Expected `|^Input should be a valid|^Input should be an?|^Object of type|got `"), "wrong_type"),
)


def schema_code(message: str) -> str:
    """The code of a problem Litestar's schema found, from its English message (``invalid`` when unknown)."""
    for pattern, code in _SCHEMA_MESSAGES:
        if pattern.search(message):
            return code
    return "invalid"


def _coded_entry(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    if not entry.get("key"):
        entry["key"] = "body"
    if not entry.get("code"):
        message = str(entry.get("message", ""))
        code = schema_code(message)
        entry["code"] = code
        if code != "invalid" or not message:  # Litestar's English, recognised: said in the reader's language
            entry["schema_message"] = message
            entry["message"] = gettext(FIELD_SENTENCES[code])
        # else the application's own sentence (an import's refusal naming the file and the limit): kept whole
    return entry


def coded_extra(status_code: int, extra: Any) -> Any:
    """``extra`` with a code in each field problem, or in the object (made when there was none)."""
    if isinstance(extra, list) and extra:
        return [_coded_entry(entry) for entry in extra]
    if isinstance(extra, dict):
        return extra if extra.get("code") else {**extra, "code": STATUS_CODES.get(status_code, "refused")}
    if extra:  # a string or a number of Litestar's: kept beside the code
        return {"code": STATUS_CODES.get(status_code, "refused"), "value": extra}
    return {"code": STATUS_CODES.get(status_code, "refused")}


def _detail(detail: str, extra: Any) -> str:
    if isinstance(extra, list) and extra and (not detail or _VALIDATION_FAILED.match(detail)):
        said = [f"{entry['key']}: {entry['message']}" for entry in extra if isinstance(entry, dict)]
        return " ".join(said) or detail
    sentence = STATUS_SENTENCES.get(detail)
    return gettext(sentence) if sentence else detail


def use_reader_locale(request: Request[Any, Any, Any]) -> None:
    """The reader's language for an error handler: the locale middleware may have reset it already."""
    current_locale.set(request.scope.get("state", {}).get("locale") or negotiate_locale(request.scope))


def coded_api_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar's JSON error body, with the code, the field and the sentence in the reader's language (4xx)."""
    if not isinstance(exc, HTTPException) or not 400 <= exc.status_code < 500:
        return create_exception_response(request, exc)
    use_reader_locale(request)
    extra = coded_extra(exc.status_code, exc.extra)
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": _detail(str(exc.detail), extra), "extra": extra}
    return Response(body, status_code=exc.status_code, headers=dict(exc.headers or {}) or None)
