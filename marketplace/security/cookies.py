"""Every cookie the site sets, made by one rule: HttpOnly, SameSite=Lax, path /, and Secure whenever
``MARKETPLACE_SECURE_COOKIES`` says the site is served over HTTPS.

The session and CSRF cookies had the rule; the language cookie was made on its own and stayed without
Secure behind HTTPS. A cookie made here cannot forget a flag.
"""

from litestar.datastructures import Cookie

from marketplace.settings import Settings


def site_cookie(key: str, value: str, settings: Settings, *, max_age: int | None = None) -> Cookie:
    """A cookie of this site with the flags every cookie of it carries."""
    return Cookie(
        key=key,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=max_age,
    )
