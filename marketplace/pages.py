"""What every server-rendered page shares: the page context, htmx detection and HTML error pages."""

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio
from litestar import Request, Response
from litestar.datastructures import Headers
from litestar.exceptions import HTTPException, InternalServerException, ValidationException
from litestar.exceptions.responses import create_exception_response
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import Empty, Scope
from litestar.utils.scope.state import ScopeState
from sqlalchemy import exc as sa_exc
from sqlmodel import Session

from marketplace.api_errors import coded_api_error
from marketplace.db.errors import is_unavailable
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.i18n.middleware import negotiate_locale
from marketplace.organizations.standing import OrganizationNotApproved
from marketplace.places.directory import city_of_streets, home_street, remembered_city, remembered_home_street
from marketplace.places.services import is_city_admin
from marketplace.query_filters import InvalidFilter, invalid_filter_response
from marketplace.security.authentication import STATIC_PREFIX, resolve_user, session_secret
from marketplace.security.context import current_user
from marketplace.security.csrf import CsrfRejected, csrf_token_for
from marketplace.security.sessions import Lifetimes
from marketplace.too_many import TEMPLATE as TOO_MANY_TEMPLATE
from marketplace.too_many import retry_after_of, too_many_context

HTMX_FRAGMENT_HEADERS = {"Vary": "HX-Request"}


def page_context(reader: Session, **values: Any) -> dict[str, Any]:
    """The context of a full page: the place named in the header, plus the page's own values.

    A city admin works over every street: their header names the city's streets (``city_scope``), not the
    deployment's first street; everyone else's names their street (``street``)."""
    if is_city_admin(current_user.get()):
        return {"street": None, "city_scope": city_scope_name(city_of_streets(reader)), **values}
    return {"street": home_street(reader), **values}


def city_scope_name(city: str) -> str:
    """What a city admin's header says: every street of the city. The city is recorded in Chinese only, so
    English says every street without naming it (as the footer leaves the city out in English)."""
    if city and current_locale.get() != "en":
        return _("Every street of %(city)s") % {"city": city}
    return _("Every street")


def remembered_place() -> dict[str, Any]:
    """The header's place for pages that may not query (error pages run on the event loop): from memory."""
    if is_city_admin(current_user.get()):
        return {"street": None, "city_scope": city_scope_name(remembered_city())}
    return {"street": remembered_home_street()}


def wants_fragment(request: Request[Any, Any, Any]) -> bool:
    """An htmx request for part of a page (not a history restore, which needs the whole page)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, as shown on an error page: which parameter and why."""

    parameter: str
    message: str


def _problems(exc: Exception) -> list[Problem]:
    if isinstance(exc, InvalidFilter):
        # Some filters keep the message untranslated (N_) for their JSON answers: the page says it in the
        # reader's language (a message already translated is returned as it is).
        return [Problem(exc.parameter, _(exc.message))]
    extra = getattr(exc, "extra", None)
    if isinstance(exc, ValidationException) and isinstance(extra, list):
        return [Problem(str(item.get("key", "")), _readable(str(item.get("message", "")))) for item in extra]
    return []


def _readable(message: str) -> str:
    """Litestar's own validation message ("Invalid enum value 'x'", "Expected `int`, got `str`") in the reader's
    language; a message of ours (already translated) is kept as it is."""
    if message.startswith("Invalid enum value"):
        return _("not one of the offered values")
    if message.startswith("Expected `int`"):
        return _("not a whole number of the allowed range")
    if message.startswith("Expected `"):
        return _("not a value this page can use")
    return message


def _signed_in_header(request: Request[Any, Any, Any]) -> None:
    """Who is asking, for the error page's header (their name and menu, as on every page): the authentication
    middleware left it in the scope (or ``identify_for_error_page`` did, for an address no route serves), but the
    error is rendered after the middleware has reset it. The header's sign-out form needs the session's CSRF token,
    which the CSRF middleware never set when it refused the request, or never ran."""
    scope = request.scope
    current_user.set(scope.get("user"))
    secret = (scope.get("auth") or {}).get("session_secret")
    state = ScopeState.from_scope(scope)
    if secret and scope.get("user") is not None and state.csrf_token is Empty:
        state.csrf_token = csrf_token_for(request.app.state.settings.secret_key, "session:" + secret)


def html_error_page(request: Request[Any, Any, Any], exc: Exception) -> Template | Redirect:
    """Render an HTTP error as a page in the reader's language (pages are for people, not programs)."""
    # Raised from a middleware, the error is rendered after the locale middleware has reset the
    # language; take it back from the request so the page speaks the reader's language. A path no
    # route matches never reached that middleware at all: negotiate from the request itself.
    locale = request.scope.get("state", {}).get("locale") or negotiate_locale(request.scope)
    current_locale.set(locale)
    _signed_in_header(request)
    if isinstance(exc, HTTPException) and exc.status_code == HTTP_401_UNAUTHORIZED and not _token_refused(exc):
        # Anonymous on a page that needs a user: sign in first, then come back here. (A refused API token is told
        # so where it asked: the sign-in page would refuse the same token again, for ever.)
        return Redirect(path="/login?" + urlencode({"next": request.url.path}), status_code=HTTP_303_SEE_OTHER)
    if isinstance(exc, OrganizationNotApproved):
        return _organization_not_approved(exc)
    if isinstance(exc, HTTPException) and exc.status_code == HTTP_429_TOO_MANY_REQUESTS:
        return _too_many(request, exc)
    if isinstance(exc, InvalidFilter):
        status_code = HTTP_400_BAD_REQUEST
    elif isinstance(exc, HTTPException):
        status_code = exc.status_code
    else:
        status_code = HTTP_500_INTERNAL_SERVER_ERROR
    return Template(
        template_name="errors/error.html",
        context={
            # Error handlers run on the event loop: the street comes from memory, never from a query.
            **remembered_place(),
            "status_code": status_code,
            "headline": _csrf_headline() if isinstance(exc, CsrfRejected) else _error_headline(status_code),
            "problems": _problems(exc),
            **_way_back(request, exc, status_code),
        },
        status_code=status_code,
        # The exception's own headers stay: a 405 names the methods allowed (Allow, RFC 9110).
        headers=dict(exc.headers or {}) if isinstance(exc, HTTPException) else None,
    )


def _token_refused(exc: HTTPException) -> bool:
    return any(name.lower() == "www-authenticate" for name in exc.headers or {})


def _query_only(exc: Exception) -> bool:
    """Whether every problem of a refused request is in its query string (a list's filters), not its path."""
    if isinstance(exc, InvalidFilter):
        return True
    extra = getattr(exc, "extra", None)
    return (
        isinstance(exc, ValidationException)
        and isinstance(extra, list)
        and bool(extra)
        and all(isinstance(item, dict) and item.get("source") == "query" for item in extra)
    )


def _serves_get(request: Request[Any, Any, Any], path: str) -> bool:
    try:
        request.app.asgi_router.handle_routing(path, "GET")
    except HTTPException:
        return False
    return True


def _way_back(request: Request[Any, Any, Any], exc: Exception, status_code: int) -> dict[str, str]:
    """Where the error page's button leads for a refused request (400, or a form whose CSRF token expired): the
    page the reader came from rather than the project board. A list's bad filters: the same list without them;
    a refused form: the page it is served on (its own address, else the nearest page above: the need, the
    queue); a bad address: the nearest page above it. Other errors keep the board."""
    if status_code != HTTP_400_BAD_REQUEST and not isinstance(exc, CsrfRejected):
        return {}
    path = request.url.path
    if request.method == "GET" and _query_only(exc):
        return {"back": path, "back_label": _("Open this page without these values")}
    if request.method != "GET" and _serves_get(request, path):
        return {"back": path, "back_label": _("Back to the form")}
    back = _nearest_page(request, path)
    if back == "/":
        return {}
    return {"back": back, "back_label": _("Go back")}


def _organization_not_approved(exc: OrganizationNotApproved) -> Template:
    """A partner reached an action its organization may not take yet: say why and what happens next."""
    context = {**remembered_place(), "status_code": HTTP_403_FORBIDDEN, "standing": exc.standing}
    return Template("errors/organization_not_approved.html", context=context, status_code=HTTP_403_FORBIDDEN)


def _too_many(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    """A limit refused a form (the registration forms raise this): say so, when to try again, and link back to
    the form, which is served at the address it posts to."""
    headers = dict(exc.headers or {})
    context = {
        **remembered_place(),
        **too_many_context(
            retry_after_of(headers), back=request.url.path, back_label=_("Back to the form"), detail=exc.detail
        ),
    }
    return Template(TOO_MANY_TEMPLATE, context=context, status_code=HTTP_429_TOO_MANY_REQUESTS, headers=headers)


def _csrf_headline() -> str:
    return _("This form has expired or was sent from another site. Go back, reload the page and try again.")


def _error_headline(status_code: int) -> str:
    if status_code == HTTP_503_SERVICE_UNAVAILABLE:
        return _("The site is very busy or its database cannot be reached. Please try again in a moment.")
    if status_code == 404:
        return _("We could not find this page. The project may not be published yet, or it was removed.")
    if status_code == 400:
        return _("Some values in the address or the form are not valid.")
    if status_code == 403:
        return _("You may not do this with your account. If you think you should, ask a street admin.")
    if 400 <= status_code < 500:
        return _("This request cannot be served.")
    return _("Something went wrong on our side. Please try again later.")


PAGE_EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    InvalidFilter: html_error_page,
    HTTPException: html_error_page,
}


def page_or_json_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any] | Redirect:
    """For app-wide handlers (unknown addresses): a page for people, Litestar's JSON for /api and /schema."""
    if request.url.path.startswith(("/api/", "/schema")):
        return coded_api_error(request, exc)
    if request.method == "GET" and isinstance(exc, HTTPException) and exc.status_code == HTTP_405_METHOD_NOT_ALLOWED:
        # The address of a form's action, opened as a page: a refused form is shown at its action's address,
        # so switching the language there, reloading it from the address bar or opening it again later asks
        # for a page that only takes forms. Go to the nearest page above it (the project, the need, the
        # queue) instead of "This request cannot be served".
        return Redirect(path=_nearest_page(request, request.url.path), status_code=HTTP_303_SEE_OTHER)
    return html_error_page(request, exc)


def _nearest_page(request: Request[Any, Any, Any], path: str) -> str:
    """The longest leading part of ``path`` that a GET serves ("/needs/7/lines/3" → "/needs/7"), else "/"."""
    parts = path.rstrip("/").split("/")
    while len(parts) > 2:
        parts.pop()
        candidate = "/".join(parts)
        try:
            request.app.asgi_router.handle_routing(candidate, "GET")
        except HTTPException:  # no such address, or no GET there either
            continue
        return candidate
    return "/"


async def identify_for_error_page(exc: Exception, scope: Scope) -> None:
    """``after_exception`` hook: who is asking, for the error page's header, when the request never passed the
    authentication middleware (an address no route serves: 404, 405 before any handler). The session cookie is
    looked up as for every page (``resolve_user``), in a worker thread, never on the event loop nor from the
    template, and left in the scope as the middleware leaves it; ``html_error_page`` reads it from there.

    Not for the API (JSON errors have no header), static files, a request the middleware already identified, or
    a database error (the database is what failed: the page stays anonymous rather than wait for it twice)."""
    if scope.get("type") != "http" or "user" in scope or isinstance(exc, sa_exc.SQLAlchemyError):
        return
    if str(scope.get("path", "")).startswith(("/api/", "/schema", STATIC_PREFIX)):
        return
    cookie = session_secret(Headers.from_scope(scope))
    if cookie is None:
        return
    state = scope["litestar_app"].state
    lifetimes = Lifetimes.of(state.settings)

    def look_up() -> Any:
        return resolve_user(state.session_factory, lifetimes, cookie=cookie, bearer=None, reader=state.reader_factory)

    try:
        user = await anyio.to_thread.run_sync(look_up)
    except sa_exc.SQLAlchemyError:
        logger.warning("could not identify the reader of an error page", exc_info=True)
        return
    scope["user"] = user
    scope["auth"] = {"session_secret": cookie if user is not None and user.session_id is not None else None}


# Seconds a client is asked to wait before trying again when the database is busy or away.
RETRY_AFTER_SECONDS = 5
logger = logging.getLogger("marketplace.errors")


def database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any] | Template:
    """No connection free within the pool timeout, a lock held too long, or no database: a 503, never a hang.

    Raised from any handler or from the login check; the client is told to retry shortly. Other
    operational errors (SQLite calls a missing column one) are faults: a 500, logged with a traceback.
    """
    if not is_unavailable(exc):
        logger.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        if request.url.path.startswith(("/api/", "/schema")):
            return create_exception_response(request, InternalServerException())
        page = html_error_page(request, exc)
        assert isinstance(page, Template)
        return page
    logger.warning("database unavailable for %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith(("/api/", "/schema", "/healthz")):
        body = {"status_code": 503, "detail": "The database is busy or unreachable; retry shortly."}
        return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
    page = html_error_page(request, HTTPException(status_code=HTTP_503_SERVICE_UNAVAILABLE))
    assert isinstance(page, Template)
    page.headers.update(headers)
    return page


def api_or_litestar_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Any other HTTP error: the API's with its code and the sentence in the reader's language
    (``api_errors``); elsewhere Litestar's own answer, as before (pages have their controllers' handlers).

    The path is read from the scope, not ``request.url``: Litestar refuses a Host header it cannot read (400
    "Invalid host header", before any middleware), and building the URL from that header here was a 500."""
    if str(request.scope.get("path", "")).startswith(("/api/", "/schema")):
        return coded_api_error(request, exc)
    return create_exception_response(request, exc)


def filter_error(request: Request[Any, Any, Any], exc: InvalidFilter) -> Response[Any] | Template | Redirect:
    """A filter no list could use, where the controller has no handler of its own: a 400, never a 500."""
    if request.url.path.startswith(("/api/", "/schema")):
        return invalid_filter_response(request, exc)
    return html_error_page(request, exc)


# For ``Litestar(exception_handlers=...)``: a 404 or 405 raised before any route matched is handled
# at the application level only, so controller-level handlers never see it.
APP_EXCEPTION_HANDLERS: dict[int | type[Exception], Any] = {
    HTTPException: api_or_litestar_error,
    InvalidFilter: filter_error,
    HTTP_401_UNAUTHORIZED: page_or_json_error,
    HTTP_403_FORBIDDEN: page_or_json_error,
    HTTP_404_NOT_FOUND: page_or_json_error,
    HTTP_405_METHOD_NOT_ALLOWED: page_or_json_error,
    sa_exc.TimeoutError: database_unavailable,
    sa_exc.OperationalError: database_unavailable,
}
