"""Per-request values templates and services read without threading them through every call."""

from contextvars import ContextVar

from marketplace.security.identity import CurrentUser

current_user: ContextVar[CurrentUser | None] = ContextVar("current_user", default=None)
current_csrf_token: ContextVar[str] = ContextVar("current_csrf_token", default="")
current_client_address: ContextVar[str | None] = ContextVar("current_client_address", default=None)
