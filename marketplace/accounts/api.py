"""The JSON sign-in API: GET /api/v1/auth/csrf, POST /api/v1/auth/login and /logout, GET /api/v1/auth/me."""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_401_UNAUTHORIZED, HTTP_429_TOO_MANY_REQUESTS
from msgspec import Struct
from pydantic import ValidationError

from marketplace.accounts import services
from marketplace.accounts.schemas import Login
from marketplace.api_errors import coded_extra
from marketplace.db.deps import DbSession, ReaderSession
from marketplace.i18n import gettext as _
from marketplace.security.context import current_csrf_token
from marketplace.security.deps import Actor, ClientAddress
from marketplace.security.guards import PUBLIC, any_token, login_required
from marketplace.security.identity import AuthMethod, CurrentUser, load_current_user
from marketplace.security.sessions import expired_session_cookie, session_cookie
from marketplace.security.throttle import Throttled

CSRF_HEADER_NAME = "X-CSRF-Token"


class UserOut(Struct):
    id: int
    username: str
    display_name: str
    role: str
    organization_id: int | None
    is_org_manager: bool
    community_id: int | None
    grid_ids: list[int]


class Me(Struct):
    user: UserOut


class CsrfOut(Struct):
    csrf_token: str
    header: str


def _out(user: CurrentUser) -> Me:
    return Me(
        user=UserOut(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role.value,
            organization_id=user.organization_id,
            is_org_manager=user.is_org_manager,
            community_id=user.community_id,
            grid_ids=sorted(user.grid_ids),
        )
    )


class AuthApiController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @get("/csrf", operation_id="csrfToken", opt=PUBLIC)
    async def csrf(self) -> Response[CsrfOut]:
        """The CSRF token for the JSON login and other calls made with a session cookie: send it back as the
        X-CSRF-Token header, with the cookies this answer sets. Scripts with a bearer token need none.

        Why a token and not an exemption for the login: an exempt login would let any site sign a
        visitor's browser into the attacker's account (login CSRF). This token is bound to the caller's
        own anonymous cookie, and no other site can read this answer (no CORS), so it protects the
        same way as the login page's form does, without any HTML page.
        """
        return Response(
            CsrfOut(csrf_token=current_csrf_token.get(), header=CSRF_HEADER_NAME),
            headers={"Cache-Control": "no-store"},
        )

    @post("/login", operation_id="login", opt=PUBLIC, sync_to_thread=True, status_code=HTTP_200_OK)
    def login(
        self, request: Request[Any, Any, Any], client_address: ClientAddress, data: JSONBody[dict[str, Any]]
    ) -> Response[Any]:
        """Sign in with {username, password}; the answer sets the session cookie. 401 on failure, 429 when throttled."""
        try:
            body = Login.model_validate(data)
        except ValidationError as error:
            problems = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in error.errors()]
            # ``errors`` as before; ``extra`` as every refusal: each field with its code and the reader's sentence.
            extra = coded_extra(400, [{"key": p["field"], "message": p["message"]} for p in problems])
            body = {"status_code": 400, "detail": "Invalid login request", "errors": problems, "extra": extra}
            return Response(body, status_code=400)
        state = request.app.state
        try:
            result = services.authenticate(
                state.session_factory,
                state.reader_factory,
                state.settings,
                body.username,
                body.password,
                client_address=client_address,
                user_agent=request.headers.get("user-agent"),
            )
        except Throttled as throttled:
            services.record_throttled(state.session_factory, body.username, client_address)
            return Response(
                {
                    "status_code": 429,
                    "detail": _("Too many failed sign-ins; try again later."),
                    "retry_after": throttled.retry_after,
                    "extra": {"code": "too_many_requests", "retry_after": throttled.retry_after},
                },
                status_code=HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(throttled.retry_after)},
            )
        except services.LoginFailed:
            body = {"status_code": 401, "detail": _(services.LOGIN_FAILED), "extra": {"code": "login_failed"}}
            return Response(body, status_code=HTTP_401_UNAUTHORIZED)
        with state.reader_factory() as reader:
            user = load_current_user(reader, result.user.id, method=AuthMethod.SESSION, session_id=result.session.id)
        assert user is not None
        return Response(_out(user), cookies=[session_cookie(result.secret, state.settings)])

    @post("/logout", operation_id="logout", guards=[login_required], sync_to_thread=True, status_code=HTTP_200_OK)
    def logout(self, request: Request[Any, Any, Any], db: DbSession, actor: Actor) -> Response[Any]:
        """End this session on the server and expire the cookie."""
        services.logout(db, actor)
        return Response({"signed_out": True}, cookies=[expired_session_cookie(request.app.state.settings)])

    @get("/me", operation_id="me", guards=[login_required, any_token], sync_to_thread=True)
    def me(self, reader: ReaderSession, actor: Actor) -> Me:
        """Who is signed in (by session or bearer token)."""
        return _out(actor)
