"""The signed-in person's home page (/home): what waits for them in their role, as numbers that link to lists."""

from litestar import Controller, get
from litestar.datastructures import State
from litestar.response import Template

from marketplace.db.deps import ReaderSession
from marketplace.home import services
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.security.deps import Actor
from marketplace.security.guards import login_required, sessions_only


class HomePageController(Controller):
    path = "/home"
    guards = [login_required, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="home:page", sync_to_thread=True)
    def index(self, reader: ReaderSession, state: State, actor: Actor) -> Template:
        services.bring_up_to_date(reader, state.session_factory, actor)
        home = services.home_for(reader, actor)
        return Template("home/home.html", context=page_context(reader, home=home, active_page="home"))
