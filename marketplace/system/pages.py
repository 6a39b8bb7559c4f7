"""Routes that belong to no domain: the health check and the language switch."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated
from urllib.parse import urlsplit

import sqlalchemy as sa
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_503_SERVICE_UNAVAILABLE
from msgspec import Struct
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.i18n import SUPPORTED_LOCALES
from marketplace.i18n.middleware import locale_cookie
from marketplace.security.guards import PUBLIC


class Health(Struct):
    status: str
    database: str


def safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    # Browsers read a backslash as a slash, so "/\\evil" would leave the site too.
    if parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target or target.startswith("//"):
        return "/"
    return target


_HEALTH_CHECKS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="health")


def _database_answers(state: State) -> bool:
    factory: sessionmaker[Session] = state.reader_factory
    try:
        with factory() as session:
            session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return False
    return True


class SystemController(Controller):
    opt = PUBLIC  # the health check and the language switch are for everyone
    tags = ["system"]

    @get(
        "/healthz",
        operation_id="health",
        summary="Liveness and database check",
        responses={503: ResponseSpec(Health, description="The database cannot be reached")},
    )
    async def health(self, state: State) -> Response[Health]:
        # On threads of its own: a load balancer's probe must not queue behind busy pages' handlers.
        reachable = await asyncio.get_running_loop().run_in_executor(_HEALTH_CHECKS, _database_answers, state)
        if not reachable:
            # Load balancers take a worker whose database is away out of rotation.
            unavailable = Health(status="unavailable", database="unreachable")
            return Response(unavailable, status_code=HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
        return Response(Health(status="ok", database="ok"))

    @get("/lang/{locale:str}", operation_id="switchLanguage", include_in_schema=False)
    async def switch_language(
        self,
        state: State,
        locale: FromPath[str],
        next_path: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Redirect:
        target = safe_next(next_path)
        response = Redirect(path=target, status_code=HTTP_303_SEE_OTHER)
        if locale in SUPPORTED_LOCALES:
            response.cookies.append(locale_cookie(locale, state.settings))
        return response
