"""The signed-in user as a handler dependency: ``viewer`` may be anonymous, ``actor`` may not."""

from typing import Any, TypeAlias

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from marketplace.security.identity import CurrentUser


def provide_viewer(request: Request[Any, Any, Any]) -> CurrentUser | None:
    return request.scope.get("user")  # type: ignore[return-value]


def provide_actor(request: Request[Any, Any, Any]) -> CurrentUser:
    user = request.scope.get("user")
    if user is None:
        raise NotAuthorizedException("Sign in to continue")
    return user  # type: ignore[no-any-return]


def provide_client_address(request: Request[Any, Any, Any]) -> str | None:
    return request.scope.get("state", {}).get("client_address")  # type: ignore[no-any-return]


Viewer: TypeAlias = NamedDependency[CurrentUser | None]
Actor: TypeAlias = NamedDependency[CurrentUser]
ClientAddress: TypeAlias = NamedDependency[str | None]
