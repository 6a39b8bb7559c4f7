"""The home page's numbers as JSON: the same sections, cards and links the page shows."""

from litestar import Controller, get
from litestar.datastructures import State

from marketplace.db.deps import ReaderSession
from marketplace.home import services
from marketplace.home.schemas import Home
from marketplace.security.deps import Actor
from marketplace.security.guards import login_required, token_scope


class HomeApiController(Controller):
    path = "/api/v1/me/home"
    tags = ["home"]
    guards = [login_required, token_scope("matches:read")]

    @get(
        "/",
        operation_id="myHome",
        summary="The caller's home: what waits for them in their role, each number with the list it links to",
        sync_to_thread=True,
    )
    def home(self, reader: ReaderSession, state: State, actor: Actor) -> Home:
        services.bring_up_to_date(reader, state.session_factory, actor)
        return services.home_for(reader, actor)
