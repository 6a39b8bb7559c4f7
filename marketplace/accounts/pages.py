"""Account pages: sign in and out, the registration chooser, one's own account, reset links, admin user management."""

from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from pydantic import ValidationError
from sqlmodel import Session

from marketplace.accounts import services
from marketplace.accounts.models import Role, User
from marketplace.accounts.schemas import UserUpdate
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.forms import FormData, field_errors
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.masking import mask_phone
from marketplace.own_password import retyped_password
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.models import Community, Grid
from marketplace.places.services import admin_street_ids, all_streets, grids_of_streets
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import PUBLIC, admin_only, login_required, sessions_only, signed_in
from marketplace.security.headers import SECRET_IN_PATH
from marketplace.security.identity import CurrentUser
from marketplace.security.reveal import pending_digest, show_once
from marketplace.security.sessions import expired_session_cookie, session_cookie
from marketplace.security.throttle import Throttled
from marketplace.settings import Settings
from marketplace.system.pages import safe_next
from marketplace.too_many import too_many_page
from marketplace.validation import Username
from marketplace.whole_numbers import whole_number


def _pending_reset(settings: Settings, reset_id: int, actor: CurrentUser) -> str:
    return pending_digest(settings.secret_key, "password_reset", reset_id, actor)


def _settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _text(form: dict[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value)


def _ids(form: dict[str, Any], key: str) -> list[int]:
    value = form.get(key, [])
    values = value if isinstance(value, list) else [value]
    numbers = (whole_number(str(v).strip()) for v in values)
    return [n for n in numbers if n is not None]


def error_text(error: services.AccountError) -> str:
    message = _(error.message)
    return message % dict(error.params) if error.params else message


# Where a sign-in without a ``next`` lands: the person's own home (marketplace/home).
HOME_PAGE = "/home"


class AccountPagesController(Controller):
    """Sign in and out, the registration chooser and password reset links: for everyone."""

    opt = PUBLIC  # anonymous people must be able to sign in, register and use a reset link
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/login", name="accounts:login", sync_to_thread=True)
    def login_page(self, reader: ReaderSession, next_path: FromQuery[str | None] = None) -> Template:
        return Template(
            "accounts/login.html",
            # No next given: the form leaves it empty and the sign-in goes to the person's home.
            context=page_context(reader, next=safe_next(next_path) if next_path else "", username="", error=None),
        )

    @post("/login", name="accounts:login_submit", sync_to_thread=True)
    def login_submit(
        self, request: Request[Any, Any, Any], data: FormData, client_address: ClientAddress
    ) -> Template | Redirect:
        username, password = _text(data, "username").strip(), _text(data, "password")
        asked = _text(data, "next")
        next_path = safe_next(asked) if asked else HOME_PAGE
        state = request.app.state

        def again(message: str, status_code: int, headers: dict[str, str] | None = None) -> Template:
            with state.reader_factory() as reader:
                context = page_context(reader, next=next_path, username=username[:64], error=message)
            return Template("accounts/login.html", context=context, status_code=status_code, headers=headers)

        if not username or not password:
            return again(_("Enter your user name and your password."), 400)
        try:
            result = services.authenticate(
                state.session_factory,
                state.reader_factory,
                _settings(request),
                username,
                password[:1024],
                client_address=client_address,
                user_agent=request.headers.get("user-agent"),
            )
        except Throttled as throttled:
            services.record_throttled(state.session_factory, username, client_address)
            with state.reader_factory() as reader:
                place = page_context(reader)
            return too_many_page(
                throttled.retry_after,
                place,
                back="/login?" + urlencode({"next": next_path}) if asked else "/login",
                back_label=_("Back to sign-in"),
                detail=_("Sign-ins from this address, or to this account, failed too many times."),
            )
        except services.LoginFailed:
            return again(_(services.LOGIN_FAILED), 401)
        return Redirect(
            path=next_path,
            status_code=HTTP_303_SEE_OTHER,
            cookies=[session_cookie(result.secret, _settings(request))],
        )

    @get("/register", name="accounts:register", sync_to_thread=True)
    def register(self, reader: ReaderSession) -> Template:
        return Template("accounts/register.html", context=page_context(reader))

    @get("/reset/{token:str}", name="accounts:reset", sync_to_thread=True, opt={SECRET_IN_PATH: True})
    def reset_page(self, reader: ReaderSession, token: FromPath[str]) -> Template:
        try:
            reset = services.find_reset(reader, token)
        except services.AccountError as error:
            return self._reset_dead(reader, error)
        user = reader.get(User, reset.user_id)
        return Template("accounts/reset.html", context=page_context(reader, token=token, user=user, errors={}))

    @post("/reset/{token:str}", name="accounts:reset_submit", sync_to_thread=True, opt={SECRET_IN_PATH: True})
    def reset_submit(self, db: DbSession, token: FromPath[str], data: FormData) -> Template | Redirect:
        try:
            services.reset_password(db, token, _text(data, "new_password"), _text(data, "confirm_password"))
        except services.AccountError as error:
            if error.field == "token":
                db.rollback()
                return self._reset_dead(db, error)
            db.rollback()
            reset = services.find_reset(db, token)
            user = db.get(User, reset.user_id)
            errors = {error.field: error_text(error)}
            return Template(
                "accounts/reset.html",
                context=page_context(db, token=token, user=user, errors=errors),
                status_code=error.status_code,
            )
        return Redirect(path="/login?reset=done", status_code=HTTP_303_SEE_OTHER)

    @staticmethod
    def _reset_dead(db: Session, error: services.AccountError) -> Template:
        return Template(
            "accounts/reset_dead.html",
            context=page_context(db, message=error_text(error)),
            status_code=error.status_code,
        )


@post("/logout", name="accounts:logout", sync_to_thread=True, guards=[login_required], include_in_schema=False)
def logout(request: Request[Any, Any, Any], db: DbSession, actor: Actor) -> Redirect:
    """End this session on the server and expire the cookie."""
    services.logout(db, actor)
    return Redirect(path="/", status_code=HTTP_303_SEE_OTHER, cookies=[expired_session_cookie(_settings(request))])


class MyAccountController(Controller):
    """One's own account: profile basics, password, sessions."""

    path = "/account"
    guards = [login_required, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(
        self, db: Session, actor: Any, settings: Settings, *, errors: dict[str, str] | None = None, **extra: Any
    ) -> dict[str, Any]:
        user = db.get(User, actor.id)
        sessions = services.active_sessions(db, actor.id, settings)
        return page_context(
            db, user=user, sessions=sessions, current_session_id=actor.session_id, errors=errors or {}, **extra
        )

    @get("/", name="accounts:account", sync_to_thread=True)
    def account(self, request: Request[Any, Any, Any], reader: ReaderSession, actor: Actor) -> Template:
        notice = {
            "saved": _("Your changes are saved."),
            "notifications": _("Your notification choices are saved."),
            "ended": _("Your other sessions are signed out."),
            "password": _("Your password is changed. Your other sessions are signed out."),
        }
        key = request.query_params.get("done", "")
        return Template(
            "accounts/account.html", context=self._page(reader, actor, _settings(request), notice=notice.get(key))
        )

    @post("/", name="accounts:account_update", sync_to_thread=True)
    def update(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        values = {key: _text(data, key) for key in services.PROFILE_FIELDS if key in data}
        try:
            update = UserUpdate.model_validate(values)
        except ValidationError as error:
            errors = field_errors(error)  # in the reader's language, like every form's
            return Template(
                "accounts/account.html",
                context=self._page(db, actor, _settings(request), errors=errors, notice=None, typed=values),
                status_code=400,
            )
        services.update_profile(db, actor, update.model_dump(exclude_unset=True))
        return Redirect(path="/account?done=saved", status_code=HTTP_303_SEE_OTHER)

    @post("/notifications", name="accounts:notification_preferences", sync_to_thread=True)
    def notification_preferences(self, db: DbSession, actor: Actor, data: FormData) -> Redirect:
        # A checkbox that is not ticked is not sent: what is absent is off.
        chosen = {name for name in services.NOTIFICATION_PREFERENCES if _text(data, name) == "on"}
        services.set_notification_preferences(db, actor, chosen)
        return Redirect(path="/account?done=notifications#notification-preferences", status_code=HTTP_303_SEE_OTHER)

    @post("/sessions/end-others", name="accounts:end_other_sessions", sync_to_thread=True)
    def end_others(self, db: DbSession, actor: Actor) -> Redirect:
        services.sign_out_other_sessions(db, actor)
        return Redirect(path="/account?done=ended", status_code=HTTP_303_SEE_OTHER)

    @get("/password", name="accounts:password", sync_to_thread=True)
    def password_page(self, reader: ReaderSession) -> Template:
        return Template("accounts/password.html", context=page_context(reader, errors={}))

    @post("/password", name="accounts:password_submit", sync_to_thread=True)
    def password_submit(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        actor: Actor,
        data: FormData,
        client_address: ClientAddress,
    ) -> Template | Redirect:
        # Before ``db`` is used: the check writes its count in a transaction of its own.
        confirmed = retyped_password(
            request, db, actor, _text(data, "current_password"), client_address=client_address, back="/account/password"
        )
        if isinstance(confirmed, Template):
            return confirmed
        if not confirmed:
            error = services.AccountError("current_password", N_("The current password is wrong."))
            return Template(
                "accounts/password.html",
                context=page_context(db, errors={error.field: error_text(error)}),
                status_code=error.status_code,
            )
        try:
            services.change_password(
                db,
                actor,
                _text(data, "current_password"),
                _text(data, "new_password"),
                _text(data, "confirm_password"),
            )
        except services.AccountError as error:
            db.rollback()
            return Template(
                "accounts/password.html",
                context=page_context(db, errors={error.field: error_text(error)}),
                status_code=error.status_code,
            )
        return Redirect(path="/account?done=password", status_code=HTTP_303_SEE_OTHER)


def _place_choices(db: Session, viewer: CurrentUser) -> dict[str, Any]:
    """The communities and grids an admin may scope staff to: their street's (a city admin's: all)."""
    street_ids = admin_street_ids(viewer)
    communities = sa.select(Community).order_by(Community.id)
    grids = sa.select(Grid).order_by(Grid.id)
    if street_ids is not None:
        communities = communities.where(Community.street_id.in_(sorted(street_ids)))  # type: ignore[attr-defined]
        grids = grids.where(Grid.id.in_(grids_of_streets(street_ids)))  # type: ignore[union-attr]
    # A city admin names the street of an admin they make; a street admin's admins are of their street.
    streets = all_streets(db) if street_ids is None else []
    return {
        "communities": list(db.execute(communities).scalars()),
        "grids": list(db.execute(grids).scalars()),
        "streets": streets,
    }


def _street_choice(data: dict[str, Any]) -> services.AdminStreet:
    """The form's street_id: "" (unsaid), "city" (the whole city) or a street's id; other text is unsaid-but-wrong."""
    value = _text(data, "street_id").strip()
    if value == "" or value == services.CITY:
        return value or None
    street_id = whole_number(value)
    if street_id is not None:
        return street_id
    raise services.AccountError("street_id", N_("There is no such street."))


class AdminUsersController(Controller):
    """Admins manage users: search, disable/enable, roles, sessions, reset links, new staff and admins."""

    path = "/admin/users"
    guards = [admin_only, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="admin:users", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        q: FromQuery[str] = "",
        role: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        results = services.search_users(
            reader,
            signed_in(request),
            query=q[:100],
            role=role,
            status=status,
            page=page,
            page_size=_settings(request).page_size,
        )
        return Template(
            "admin/users.html",
            context=page_context(
                reader,
                results=results,
                q=q[:100],
                role=role,
                status=status,
                roles=list(Role),
                mask_phone=mask_phone,
                active_page="admin",
            ),
        )

    def _detail(self, db: Session, request: Request[Any, Any, Any], user_id: int, **extra: Any) -> dict[str, Any]:
        viewer = signed_in(request)
        try:
            user = services.managed_user(db, viewer, user_id)
        except services.AccountError:
            raise NotFoundException("There is no such user") from None
        return page_context(
            db,
            user=user,
            roles=list(Role),
            organizations=services.approved_organizations(db, viewer),
            **_place_choices(db, viewer),
            user_grid_ids=services.staff_grid_ids(db, user_id),
            sessions=services.active_sessions(db, user_id, _settings(request)),
            mask_phone=mask_phone,
            errors=extra.pop("errors", {}),
            notice=extra.pop("notice", None),
            reset_link=extra.pop("reset_link", None),
            reset_link_gone=extra.pop("reset_link_gone", False),
            active_page="admin",
            **extra,
        )

    @get("/{user_id:int}", name="admin:user", sync_to_thread=True)
    def detail(self, request: Request[Any, Any, Any], reader: ReaderSession, user_id: FromPath[int]) -> Template:
        notice = {
            "disabled": _(
                "The account is disabled: its sessions are ended, its API tokens revoked and its password reset"
                " links expired. Enabling it again brings none of them back."
            ),
            "enabled": _("The account is enabled."),
            "role": _("The role is changed."),
            "sessions": _("All sessions of this user are ended."),
            "created": _("The account is created."),
        }.get(request.query_params.get("done", ""))
        return Template("admin/user.html", context=self._detail(reader, request, user_id, notice=notice))

    def _refused(self, db: Session, request: Request[Any, Any, Any], user_id: int, error: Any) -> Template:
        db.rollback()
        return Template(
            "admin/user.html",
            context=self._detail(db, request, user_id, errors={error.field: error_text(error)}),
            status_code=error.status_code,
        )

    def _action(
        self, db: Session, request: Request[Any, Any, Any], user_id: int, done: str, action: Any
    ) -> Template | Redirect:
        try:
            action()
        except services.AccountError as error:
            return self._refused(db, request, user_id, error)
        return Redirect(path=f"/admin/users/{user_id}?done={done}", status_code=HTTP_303_SEE_OTHER)

    @post("/{user_id:int}/disable", name="admin:user_disable", sync_to_thread=True)
    def disable(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, user_id: FromPath[int]
    ) -> Template | Redirect:
        return self._action(db, request, user_id, "disabled", lambda: services.set_active(db, actor, user_id, False))

    @post("/{user_id:int}/enable", name="admin:user_enable", sync_to_thread=True)
    def enable(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, user_id: FromPath[int]
    ) -> Template | Redirect:
        return self._action(db, request, user_id, "enabled", lambda: services.set_active(db, actor, user_id, True))

    @post("/{user_id:int}/end-sessions", name="admin:user_end_sessions", sync_to_thread=True)
    def end_sessions(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, user_id: FromPath[int]
    ) -> Template | Redirect:
        return self._action(db, request, user_id, "sessions", lambda: services.end_all_sessions(db, actor, user_id))

    @post("/{user_id:int}/role", name="admin:user_role", sync_to_thread=True)
    def role(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, user_id: FromPath[int], data: FormData
    ) -> Template | Redirect:
        role_value = _text(data, "role")
        if role_value not in {r.value for r in Role}:
            error = services.AccountError("role", N_("There is no such role."))
            return self._action(db, request, user_id, "role", lambda: (_ for _ in ()).throw(error))
        org_ids, community_ids = _ids(data, "organization_id"), _ids(data, "community_id")
        return self._action(
            db,
            request,
            user_id,
            "role",
            lambda: services.change_role(
                db,
                actor,
                user_id,
                Role(role_value),
                organization_id=org_ids[0] if org_ids else None,
                community_id=community_ids[0] if community_ids else None,
                grid_ids=_ids(data, "grid_ids"),
                street=_street_choice(data),
            ),
        )

    @post("/{user_id:int}/reset-link", name="admin:user_reset_link", sync_to_thread=True)
    def reset_link(
        self, request: Request[Any, Any, Any], db: DbSession, actor: Actor, user_id: FromPath[int]
    ) -> Template | Redirect:
        settings = _settings(request)
        try:
            row = services.issue_reset_link(
                db, actor, user_id, settings, lambda reset_id: _pending_reset(settings, reset_id, actor)
            )
        except services.AccountError as error:
            return self._refused(db, request, user_id, error)
        # Post/Redirect/Get: the link is made on the page this leads to, once; a reload there issues nothing.
        return Redirect(path=f"/admin/users/{user_id}/reset-link/{row.id}", status_code=HTTP_303_SEE_OTHER)

    @get("/{user_id:int}/reset-link/{reset_id:int}", name="admin:user_reset_link_shown", sync_to_thread=True)
    def reset_link_shown(
        self,
        request: Request[Any, Any, Any],
        reader: ReaderSession,
        actor: Actor,
        user_id: FromPath[int],
        reset_id: FromPath[int],
    ) -> Template:
        """The reset link, shown the first time this page opens and never again (a reload says so)."""
        settings = _settings(request)
        row = services.reset_to_show(reader, actor, user_id, reset_id)
        if row is None:
            raise NotFoundException("There is no such reset link")
        pending = _pending_reset(settings, reset_id, actor)
        path = show_once(
            reader,
            request.app.state.session_factory,
            row.token_hash,
            pending,
            lambda db: services.show_reset_link(db, actor, row, settings, pending),
        )
        if path is None:
            context = self._detail(reader, request, user_id, reset_link_gone=True)
        else:
            # Shown once, here: only its digest is stored.
            context = self._detail(reader, request, user_id, reset_link=str(request.base_url).rstrip("/") + path)
        return Template("admin/user.html", context=context, headers={"Cache-Control": "no-store"})

    @get("/new", name="admin:user_new", sync_to_thread=True)
    def new(self, reader: ReaderSession, actor: Actor) -> Template:
        return Template("admin/user_new.html", context=self._new_context(reader, actor, {}, {}))

    def _new_context(
        self, db: Session, actor: CurrentUser, values: dict[str, Any], errors: dict[str, str]
    ) -> dict[str, Any]:
        return page_context(db, values=values, errors=errors, active_page="admin", **_place_choices(db, actor))

    @post("/new", name="admin:user_create", sync_to_thread=True)
    def create(self, db: DbSession, actor: Actor, data: FormData) -> Template | Redirect:
        values = {key: _text(data, key) for key in ("username", "display_name", "role", "phone", "email")}
        values["community_id"] = (_ids(data, "community_id") or [None])[0]
        values["grid_ids"] = _ids(data, "grid_ids")
        values["street_id"] = _text(data, "street_id")
        errors: dict[str, str] = {}
        try:
            username = _username(values["username"])
            if not values["display_name"].strip():
                raise services.AccountError("display_name", N_("Enter a display name."))
            if values["role"] not in (Role.STAFF.value, Role.ADMIN.value):
                raise services.AccountError("role", N_("Admins create staff and admin accounts only."))
            user = services.create_user(
                db,
                actor,
                username=username,
                display_name=values["display_name"].strip()[:100],
                password=_text(data, "password"),
                role=Role(values["role"]),
                phone=values["phone"].strip() or None,
                email=values["email"].strip() or None,
                community_id=values["community_id"],
                grid_ids=values["grid_ids"],
                street=_street_choice(data),
            )
        except services.AccountError as error:
            db.rollback()
            errors = {error.field: error_text(error)}
            return Template(
                "admin/user_new.html", context=self._new_context(db, actor, values, errors), status_code=400
            )
        return Redirect(path=f"/admin/users/{user.id}?done=created", status_code=HTTP_303_SEE_OTHER)


def _username(value: str) -> str:
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(Username).validate_python(value)
    except ValidationError as error:
        raise services.AccountError("username", error.errors()[0]["msg"]) from None
