"""Route guards: who may call a route at all. What they may see is decided in the service queries.

Every route either has a guard from here or is marked ``opt=PUBLIC`` (an explicit allow-list a
test checks), so no route is open by accident.
"""

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from marketplace.accounts.models import Role
from marketplace.security.identity import AuthMethod, CurrentUser

PUBLIC: dict[str, object] = {"public": True}
# Declared by a route any live token may call, whatever its scopes (see ``any_token``).
ANY_TOKEN = "*"

Guard = Callable[[ASGIConnection, BaseRouteHandler], None]


def signed_in(connection: ASGIConnection) -> CurrentUser:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException("Sign in to continue")
    return user  # type: ignore[no-any-return]


def login_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    signed_in(connection)


def roles(*allowed: Role) -> Guard:
    """Only these roles; anyone else signed in gets 403, anonymous 401."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if signed_in(connection).role not in allowed:
            raise PermissionDeniedException("Your role may not do this")

    guard.__name__ = "roles_" + "_".join(role.value for role in allowed)
    return guard


def token_scope(scope: str, *, formerly: str | None = None) -> Guard:
    """A bearer token must carry ``scope``; a browser session may do what its role allows.

    ``formerly``: the scope this route asked for before ``scope`` existed, still accepted so tokens already
    issued keep working (the refusal names only ``scope``, the one to issue now).
    """

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = signed_in(connection)
        if user.method != AuthMethod.TOKEN or user.has_scope(scope):
            return
        if formerly is None or not user.has_scope(formerly):
            raise PermissionDeniedException(f"This token lacks the scope {scope}")

    guard.__name__ = "token_scope_" + scope.replace(":", "_")
    guard.token_scope = scope  # type: ignore[attr-defined]
    guard.former_token_scope = formerly  # type: ignore[attr-defined]
    return guard


def any_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Open to a token whatever its scopes: only for a token asking about itself (who am I, which token)."""
    signed_in(connection)


any_token.token_scope = ANY_TOKEN  # type: ignore[attr-defined]


def declared_token_scopes(handler: BaseRouteHandler) -> frozenset[str]:
    """The scopes a route declares with ``token_scope(...)`` (or ``any_token``) among its guards."""
    found = (getattr(getattr(guard, "func", guard), "token_scope", None) for guard in handler.resolve_guards())
    return frozenset(scope for scope in found if scope is not None)


def former_token_scopes(handler: BaseRouteHandler) -> frozenset[str]:
    """The scopes a route still accepts for tokens issued before its own scope existed (``formerly``)."""
    found = (getattr(getattr(guard, "func", guard), "former_token_scope", None) for guard in handler.resolve_guards())
    return frozenset(scope for scope in found if scope is not None)


def public(*, token_sees_more_with: str, partner_token_sees_more_with: str | None = None) -> dict[str, object]:
    """``opt`` for a public route that shows more to some signed-in users (an admin sees pending
    organizations): a bearer token keeps its user's view only if it carries ``token_sees_more_with``, or,
    a partner's token, ``partner_token_sees_more_with`` (a partner sees their own organization in full)."""
    opt: dict[str, object] = {"public": True, "viewer_scope": token_sees_more_with}
    if partner_token_sees_more_with is not None:
        opt["partner_viewer_scope"] = partner_token_sees_more_with
    return opt


def identity_for_route(user: CurrentUser | None, handler: BaseRouteHandler | None) -> CurrentUser | None:
    """App-wide (the CSRF middleware calls it, before any guard): who a request is for this route.

    A bearer token reaches only routes that declare the scope it needs, so a new route that forgets
    ``token_scope(...)`` is closed to tokens instead of open to every token of a role that passes its
    role guard. On a public route a token is anonymous unless it carries the scope the route names
    (``public(token_sees_more_with=...)``): an admin's ``needs:read`` token must not list pending
    organizations just because its user could.
    """
    if user is None or user.method != AuthMethod.TOKEN or handler is None:
        return user
    if handler.opt.get("public"):
        viewer_scopes = [handler.opt.get("viewer_scope")]
        if user.role == Role.PARTNER:
            viewer_scopes.append(handler.opt.get("partner_viewer_scope"))
        seen = any(isinstance(scope, str) and user.has_scope(scope) for scope in viewer_scopes)
        return user if seen else None
    if not declared_token_scopes(handler):
        raise PermissionDeniedException("This route is not open to API tokens")
    return user


def sessions_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Pages for people: a bearer token does not open them."""
    if signed_in(connection).method != AuthMethod.SESSION:
        raise PermissionDeniedException("Sign in with a browser session")


admin_only = roles(Role.ADMIN)
staff_or_admin = roles(Role.ADMIN, Role.STAFF)
partner_only = roles(Role.PARTNER)
volunteer_only = roles(Role.VOLUNTEER)
