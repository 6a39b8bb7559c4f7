"""Admin pages (/admin, /admin/tokens, /admin/audit) and their JSON (/api/v1/audit, /api/v1/tokens/me)."""

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from marketplace.admin.audit_log import (
    MAX_ID,
    MAX_PAGE_SIZE,
    AuditFilters,
    action_choices,
    parse_audit_filters,
    search_audit,
)
from marketplace.admin.city_pages import CityApiController, CityPageController
from marketplace.admin.index import admin_overview
from marketplace.admin.tokens import (
    SCOPE_LABELS,
    TokenInputErrors,
    issue_token_to_show,
    list_tokens,
    show_token_secret,
    token_owner,
    token_to_show,
    token_users,
    withdraw_token,
)
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import is_city_admin, list_streets
from marketplace.query_filters import InvalidFilter, invalid_filter_response
from marketplace.security.deps import Actor
from marketplace.security.guards import admin_only, any_token, login_required, sessions_only, token_scope
from marketplace.security.identity import CurrentUser
from marketplace.security.reveal import pending_digest, show_once

PageNumber = Annotated[int, QueryParameter(ge=1, le=MAX_ID, description="Page number, from 1")]
AUDIT_PAGE_SIZE = 50


def _values(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _value(data: dict[str, Any], key: str) -> str:
    values = _values(data, key)
    return values[0] if values else ""


def _tokens_context(reader: Session, viewer: CurrentUser, **values: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "errors": {},
        "form": {"user": "", "name": "", "scopes": [], "expires_days": ""},
        "created": None,
        "already_shown": None,
    }
    return page_context(
        reader,
        tokens=list_tokens(reader, viewer),
        users=token_users(reader, viewer),
        scope_labels=SCOPE_LABELS,
        **(defaults | values),
    )


def _pending(state: State, token_id: int, actor: CurrentUser) -> str:
    return pending_digest(state.settings.secret_key, "api_token", token_id, actor)


class AdminPagesController(Controller):
    """The street admins' pages: for people signed in with a browser session, never for a bearer token."""

    path = "/admin"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="admin:index", sync_to_thread=True)
    def index(self, reader: ReaderSession, actor: Actor) -> Template:
        city_admin = is_city_admin(actor)
        streets_count = len(list_streets(reader)) if city_admin else 0
        context = page_context(
            reader, overview=admin_overview(reader, actor), city_admin=city_admin, streets_count=streets_count
        )
        return Template("admin/index.html", context=context)

    @get("/tokens", name="admin:tokens", sync_to_thread=True)
    def tokens(self, reader: ReaderSession, actor: Actor) -> Template:
        return Template("admin/tokens.html", context=_tokens_context(reader, actor))

    @post("/tokens", name="admin:tokens-create", sync_to_thread=True)
    def create_token(self, state: State, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        form = {
            "user": _value(data, "user"),
            "name": _value(data, "name"),
            "scopes": _values(data, "scopes"),
            "expires_days": _value(data, "expires_days"),
        }
        try:
            row = issue_token_to_show(
                db,
                user=form["user"],
                name=form["name"],
                scopes=form["scopes"],
                expires_days=form["expires_days"],
                actor=actor,
                pending=lambda token_id: _pending(state, token_id, actor),
            )
        except TokenInputErrors as errors:
            return Template(
                "admin/tokens.html",
                context=_tokens_context(db, actor, errors=errors.by_field(), form=form),
                status_code=HTTP_400_BAD_REQUEST,
            )
        # Post/Redirect/Get: the secret is made on the page this leads to, once; a reload there makes no token.
        return Redirect(path=f"/admin/tokens/{row.id}/secret", status_code=HTTP_303_SEE_OTHER)

    @get("/tokens/{token_id:int}/secret", name="admin:tokens-secret", sync_to_thread=True)
    def token_secret(self, state: State, reader: ReaderSession, actor: Actor, token_id: FromPath[int]) -> Template:
        """The new token's secret, shown the first time this page opens and never again (a reload says so)."""
        row = token_to_show(reader, token_id, actor)
        if row is None:
            raise NotFoundException()
        pending = _pending(state, token_id, actor)
        secret = show_once(
            reader,
            state.session_factory,
            row.token_hash,
            pending,
            lambda db: show_token_secret(db, row, actor, pending),
        )
        values: dict[str, Any] = {"already_shown": {"name": row.name}}
        if secret is not None:
            owner = token_owner(reader, row)
            values = {"created": {"secret": secret, "name": row.name, "username": owner, "scopes": row.scopes.split()}}
        # No caching anywhere: the page carries the secret, shown this once.
        return Template(
            "admin/tokens.html", context=_tokens_context(reader, actor, **values), headers={"Cache-Control": "no-store"}
        )

    @post("/tokens/{token_id:int}/revoke", name="admin:tokens-revoke", sync_to_thread=True)
    def revoke_token(self, db: DbSession, actor: Actor, token_id: FromPath[int]) -> Redirect:
        if not 1 <= token_id <= MAX_ID:
            raise NotFoundException()
        if withdraw_token(db, token_id, actor=actor) is None:
            raise NotFoundException()
        return Redirect(path="/admin/tokens", status_code=HTTP_303_SEE_OTHER)

    @get("/audit", name="admin:audit", sync_to_thread=True)
    def audit(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        actor: Actor,
        actor_name: Annotated[str | None, QueryParameter(name="actor", description="Username of the actor")] = None,
        action: FromQuery[str | None] = None,
        object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None,
        date_from: Annotated[str | None, QueryParameter(name="from")] = None,
        date_to: Annotated[str | None, QueryParameter(name="to")] = None,
        address: FromQuery[str | None] = None,
        page: PageNumber = 1,
    ) -> Template:
        filters = parse_audit_filters(
            actor=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            date_from=date_from,
            date_to=date_to,
            client_address=address,
        )
        results = search_audit(reader, filters, viewer=actor, page=page, page_size=AUDIT_PAGE_SIZE)
        return Template(
            "admin/audit.html",
            context=page_context(
                reader,
                results=results,
                filters=filters,
                actions=action_choices(reader),
                query=filters.query_params(),
            ),
        )


class AuditApiController(Controller):
    """The audit log as JSON, for admins (a session, or a token with the scope "admin")."""

    path = "/api/v1/audit"
    tags = ["audit"]
    guards = [admin_only, token_scope("admin")]
    exception_handlers = {InvalidFilter: invalid_filter_response}

    @get("/", operation_id="searchAudit", summary="Search the audit log, newest first", sync_to_thread=True)
    def search(
        self,
        reader: ReaderSession,
        actor: Actor,
        actor_name: Annotated[str | None, QueryParameter(name="actor", description="Username of the actor")] = None,
        action: Annotated[str | None, QueryParameter(description='One action, or a prefix ending in "."')] = None,
        object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None,
        date_from: Annotated[str | None, QueryParameter(name="from", description="Street date (Asia/Shanghai)")] = None,
        date_to: Annotated[str | None, QueryParameter(name="to", description="Street date, inclusive")] = None,
        address: FromQuery[str | None] = None,
        page: PageNumber = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = AUDIT_PAGE_SIZE,
    ) -> dict[str, Any]:
        filters: AuditFilters = parse_audit_filters(
            actor=actor_name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            date_from=date_from,
            date_to=date_to,
            client_address=address,
        )
        results = search_audit(reader, filters, viewer=actor, page=page, page_size=page_size)
        return {
            "total": results.total,
            "page": results.page,
            "pages": results.pages,
            "page_size": results.page_size,
            "events": [entry.as_json() for entry in results.entries],
        }


class TokenApiController(Controller):
    """Who a bearer token (or a session) acts as, so a script can check its token before using it."""

    path = "/api/v1/tokens"
    tags = ["tokens"]
    guards = [login_required, any_token]

    @get("/me", operation_id="tokenWhoAmI", summary="The caller's user and scopes")
    async def me(self, actor: Actor) -> dict[str, Any]:
        return {
            "user": {"id": actor.id, "username": actor.username, "role": actor.role.value},
            "method": actor.method.value,
            "token_id": actor.token_id,
            "scopes": sorted(actor.scopes) if actor.scopes is not None else None,
        }


ADMIN_ROUTE_HANDLERS: list[Any] = [
    AdminPagesController,
    AuditApiController,
    TokenApiController,
    CityPageController,
    CityApiController,
]
