"""The error answers every API operation can really give, documented in one place.

Litestar documents the 200 and the validation 400 of each route; the rest of what the app answers
(401 without a session or token, 403 from a guard, scope or CSRF check, 404 for an unknown id in the
path, 409 for a state or version conflict, 413 for an upload over the limit, 415 for a JSON body sent
under another Content-Type, 429 when throttled, 503 when the database is away) comes from guards,
middlewares and exception handlers that the generator cannot see. A client or a fuzzer (schemathesis)
checking "every answer is documented" needs them all, so the served document is completed here,
before it is rendered.
"""

from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from marketplace.system.api_reference import ApiReferencePlugin

ERROR_BODY = "ErrorBody"
# The shape of every JSON error: Litestar's own (status_code, detail, extra) and the app's handlers
# (pages.database_unavailable, exchange.too_large, the login throttle's retry_after).
ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status_code", "detail"],
    "properties": {
        "status_code": {"type": "integer"},
        "detail": {"type": "string"},
        "extra": {
            "oneOf": [
                {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
                {"type": "object", "additionalProperties": {}},
            ]
        },
        "retry_after": {"type": "integer", "description": "Seconds to wait before trying again (429)."},
    },
}
IMPORT_REPORT = "ImportReport"
# A refused import (all or nothing, a row failed) answers 400 with its row-by-row report, not an error body.
IMPORT_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["total_rows", "valid_rows", "invalid_rows", "imported", "imported_ids", "only_valid", "problems"],
    "properties": {
        "total_rows": {"type": "integer"},
        "valid_rows": {"type": "integer"},
        "invalid_rows": {"type": "array", "items": {"type": "integer"}},
        "imported": {"type": "integer"},
        "imported_ids": {"type": "array", "items": {"type": "integer"}},
        "only_valid": {"type": "boolean"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "row": {"type": "integer"},
                    "column": {"type": "string"},
                    "value": {},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}
# Imports whose 400 is either the error body (no file, unreadable file) or the report of a refused import.
REPORTING_IMPORTS = frozenset({"importOffers"})
# Creations that answer 200 with the existing row when it was created already: a repeated
# Idempotency-Key (createNeed), a volunteer already signed up (signUpForShift).
ANSWER_EXISTING_WITH_200 = frozenset({"createNeed", "signUpForShift"})
DESCRIPTIONS = {
    "400": "Invalid input: `extra` names each field and its problem.",
    "401": "No session or API token.",
    "403": "Signed in, but the role, token scope, organization standing or CSRF token does not allow it.",
    "404": "No such record, or one the caller may not see.",
    "409": "The record changed state meanwhile (taken, decided, withdrawn or edited by someone else).",
    "413": "The request body is larger than the limit (10 MB for JSON, 5 MB for an upload).",
    "415": "A body sent without Content-Type: application/json; `extra` names Content-Type.",
    "429": "Too many attempts: retry after the Retry-After seconds.",
    "503": "The database is busy or unreachable: retry after the Retry-After seconds.",
}
FILE_MEDIA_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
# API operations limited per address or account (security.throttle, needs.tracking); the public
# submit form that needs.submissions throttles is a page, not an API operation.
THROTTLED = frozenset({"login", "trackReport"})
# Unsafe operations that never answer 409: they change only the caller's own rows (logout, marking
# notifications read, the volunteer profile), report per item instead (bulk decisions list each refusal
# under `failed`; an import reports each row, all or nothing with a 400), or only add rows (createOffer).
# Every other write can meet a state or version another request changed meanwhile.
NEVER_CONFLICT = frozenset(
    {
        "logout",
        "markMyNotificationsRead",
        "updateMyVolunteerProfile",
        "bulkApproveMatches",
        "bulkRejectMatches",
        "importOffers",
        "createOffer",
    }
)
# Login is public, yet a wrong password is its 401.
PUBLIC_WITH_401 = frozenset({"login"})
LOGIN_401 = "Wrong username or password."


def _handlers_by_operation(app: Litestar) -> dict[str, HTTPRouteHandler]:
    found: dict[str, HTTPRouteHandler] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if isinstance(handler.operation_id, str):
                    found[handler.operation_id] = handler
    return found


def error_codes(
    path: str,
    method: str,
    operation_id: str,
    handler: HTTPRouteHandler | None,
    *,
    reads_body: bool = False,
    reads_json: bool = False,
) -> list[str]:
    """The status codes an operation can answer besides its success and what Litestar documents."""
    public = handler is None or bool(handler.opt.get("public"))
    codes = ["400"]
    if not public or operation_id in PUBLIC_WITH_401:
        codes.append("401")
    if not public or method in UNSAFE_METHODS:
        codes.append("403")  # guards and scopes; for unsafe methods also the CSRF check
    if "{" in path:
        codes.append("404")
    if method in UNSAFE_METHODS and not public and operation_id not in NEVER_CONFLICT:
        codes.append("409")
    if reads_body:
        # Litestar refuses any body over the handler's limit (its default, 10 MB, for JSON) with a 413.
        codes.append("413")
    if reads_json:
        codes.append("415")  # hostile_input: a JSON body must say so
    if operation_id in THROTTLED:
        codes.append("429")
    if not path.startswith("/schema"):
        codes.append("503")
    return codes


def _error_response(code: str, path: str, operation_id: str) -> dict[str, Any]:
    description = LOGIN_401 if code == "401" and operation_id in PUBLIC_WITH_401 else DESCRIPTIONS[code]
    if path.startswith("/schema") and code == "404":
        # Litestar's own not-found page for an unknown documentation address is HTML.
        return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_BODY}"}}},
    }


def _document_existing_row(operation: dict[str, Any]) -> None:
    created = operation.get("responses", {}).get("201")
    if created is not None:
        operation["responses"].setdefault("200", created | {"description": "Created already: the existing record."})


def _document_import_report(operation: dict[str, Any]) -> None:
    error = {"$ref": f"#/components/schemas/{ERROR_BODY}"}
    report = {"$ref": f"#/components/schemas/{IMPORT_REPORT}"}
    operation["responses"]["400"] = {
        "description": "Invalid input (the error body), or a refused import: the row-by-row report.",
        "content": {"application/json": {"schema": {"oneOf": [error, report]}}},
    }


def _document_file_export(operation: dict[str, Any]) -> None:
    success = operation.get("responses", {}).get("200")
    if success is None:
        return
    schema = {"type": "string", "format": "binary"}
    success["content"] = {media_type: {"schema": schema} for media_type in FILE_MEDIA_TYPES}
    success["description"] = "The list as a file: CSV (UTF-8 with a BOM) or .xlsx, by the format parameter."


def complete_schema(schema: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """Add the error answers and file media types to the generated document (idempotent, in place)."""
    handlers = _handlers_by_operation(app)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_BODY] = ERROR_BODY_SCHEMA
    components[IMPORT_REPORT] = IMPORT_REPORT_SCHEMA
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation_id = str(operation.get("operationId", ""))
            handler = handlers.get(operation_id)
            responses = operation["responses"]
            reads_body = "requestBody" in operation
            reads_json = "application/json" in operation.get("requestBody", {}).get("content", {})
            for code in error_codes(path, method, operation_id, handler, reads_body=reads_body, reads_json=reads_json):
                responses.setdefault(code, _error_response(code, path, operation_id))
            if operation_id.startswith("export"):
                _document_file_export(operation)
            if operation_id in ANSWER_EXISTING_WITH_200:
                _document_existing_row(operation)
            if operation_id in REPORTING_IMPORTS:
                _document_import_report(operation)
    return schema


class CompleteJsonRenderPlugin(JsonRenderPlugin):
    """/schema/openapi.json with every error answer documented."""

    def render(self, request: Any, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, complete_schema(openapi_schema, request.app))


class CompleteApiReferencePlugin(ApiReferencePlugin):
    """The /schema reference page, listing the same answers as the JSON document."""

    def render(self, request: Any, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, complete_schema(openapi_schema, request.app))
