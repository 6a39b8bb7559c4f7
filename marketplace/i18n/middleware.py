"""Choose each request's locale: the ``lang`` cookie, else the browser's Accept-Language, else zh_CN."""

from litestar.datastructures import Cookie
from litestar.types import ASGIApp, Receive, Scope, Send

from marketplace.i18n import DEFAULT_LOCALE, LOCALE_COOKIE, current_locale, normalise_locale
from marketplace.security.cookies import site_cookie
from marketplace.settings import Settings


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def negotiate_locale(scope: Scope, default: str = DEFAULT_LOCALE) -> str:
    chosen = normalise_locale(_cookie(scope, LOCALE_COOKIE))
    if chosen:
        return chosen
    accept = _header(scope, b"accept-language") or ""
    for item in accept.split(","):
        chosen = normalise_locale(item.split(";")[0])
        if chosen:
            return chosen
    return default


def locale_middleware_factory(default_locale: str = DEFAULT_LOCALE):  # type: ignore[no-untyped-def]
    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            locale = negotiate_locale(scope, default_locale)
            scope.setdefault("state", {})["locale"] = locale
            token = current_locale.set(locale)
            try:
                await app(scope, receive, send)
            finally:
                current_locale.reset(token)

        return handle

    return middleware


def locale_cookie(locale: str, settings: Settings) -> Cookie:
    """The cookie that keeps a chosen language for a year (its flags: security/cookies.py, as every cookie's)."""
    return site_cookie(LOCALE_COOKIE, locale, settings, max_age=365 * 24 * 3600)
