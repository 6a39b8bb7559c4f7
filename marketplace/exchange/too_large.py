"""The answer to an upload over the request body limit (413), naming the limit in the reader's language.

Litestar refuses the body while it streams in, before the handler runs; these handlers only word it.
They run on the event loop, so they never touch the database.
"""

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from marketplace.exchange.readers import MAX_BYTES
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.pages import remembered_place
from marketplace.security.context import current_user


def _message() -> str:
    return _("The upload is larger than %(max)d MB; at most %(max)d MB can be imported at once.") % {
        "max": MAX_BYTES // 1_048_576
    }


def too_large_page(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    # This runs outside the middleware that set the reader's locale and identity: both come from the scope.
    locale = request.scope.get("state", {}).get("locale")
    if locale:
        current_locale.set(locale)
    current_user.set(request.scope.get("user"))
    context = {
        **remembered_place(),  # a city admin's header names the city's streets, as on every page
        "status_code": HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        "headline": _message(),
        "problems": [],
    }
    return Template("errors/error.html", context=context, status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def too_large_json(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    locale = request.scope.get("state", {}).get("locale")
    if locale:
        current_locale.set(locale)
    message = _message()
    body = {
        "status_code": HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        "detail": f"file: {message}",
        "extra": [{"key": "file", "message": message, "source": "body", "code": "too_large"}],
    }
    return Response(body, status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE)
