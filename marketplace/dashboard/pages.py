"""The street's figures: a page for residents (/figures) and the same numbers as JSON (/api/v1/stats).

Both take ``street=<code>``: one street's figures; without it, the whole deployment's.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from marketplace.dashboard.figure_charts import SCREEN, figure_charts
from marketplace.dashboard.figures import StreetFigures, street_figures
from marketplace.dashboard.memo import FiguresMemo
from marketplace.dashboard.screen import REFRESH_SECONDS, mapped_street, may_see_screen, screen_street
from marketplace.db.deps import ReaderSession
from marketplace.i18n import current_locale
from marketplace.page_cache import COMPRESSED_HERE, page_cache_middleware
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.services import list_streets, parse_street
from marketplace.query_filters import InvalidFilter, invalid_filter_response
from marketplace.security.context import current_user
from marketplace.security.guards import PUBLIC, sessions_only, staff_or_admin
from marketplace.street_clock import street_today
from marketplace.volunteers.services import notes as hours_notes

StreetCode = Annotated[
    str | None, QueryParameter(description="Street code (e.g. 370203-hudao); the whole deployment when omitted")
]


def _kept(request: Request[Any, Any, Any]) -> FiguresMemo:
    return request.app.state.figures_memo  # type: ignore[no-any-return]


def _key(view: str, street_id: int | None) -> tuple[Any, ...]:
    """The figures differ by street, language (their labels) and street day (this year, this month)."""
    return (view, street_id, current_locale.get(), street_today())


def _with_charts(reader: ReaderSession, figures: StreetFigures, street: Any, map_street: Any, **sizes: Any) -> Any:
    return figures, figure_charts(reader, figures, street, street_today(), map_street=map_street, **sizes)


class FiguresPageController(Controller):
    opt = PUBLIC | {COMPRESSED_HERE: True}  # anyone may read the street's public board, figures and grids
    # The same for every anonymous visitor: served from the page cache for a few seconds.
    middleware = [page_cache_middleware]
    path = "/figures"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="figures", sync_to_thread=True)
    def figures(self, request: Request[Any, Any, Any], reader: ReaderSession, street: StreetCode = None) -> Template:
        chosen = parse_street(reader, street)
        street_id = None if chosen is None else chosen.id
        streets = list_streets(reader)
        figures, charts = _kept(request).get(
            _key("page", street_id),
            lambda: _with_charts(reader, street_figures(reader, street_id), chosen, mapped_street(chosen, streets)),
        )
        values = {
            "figures": figures,
            "charts": charts,
            "streets": streets,
            "chosen_street": chosen,
            "screen_allowed": may_see_screen(current_user.get()),
            **hours_notes(),
        }
        if chosen is not None:
            values["street"] = chosen  # the header names the street shown
        return Template("dashboard/figures.html", context=page_context(reader, **values))


class StatsApiController(Controller):
    opt = PUBLIC | {COMPRESSED_HERE: True}  # anyone may read the street's public board, figures and grids
    # The same for every anonymous visitor: served from the page cache for a few seconds.
    middleware = [page_cache_middleware]
    path = "/api/v1/stats"
    tags = ["figures"]
    exception_handlers = {InvalidFilter: invalid_filter_response}

    @get(
        "/",
        operation_id="getStats",
        summary="The street's figures",
        description="Needs collected and solved (overall, by category, grid and channel), open projects, "
        "approved partners, active offers, registered volunteers and their hours; of one street with "
        "`street=<code>` (400 for an unknown code), else of the whole deployment.",
        sync_to_thread=True,
    )
    def stats(self, request: Request[Any, Any, Any], reader: ReaderSession, street: StreetCode = None) -> StreetFigures:
        chosen = parse_street(reader, street)
        street_id = None if chosen is None else chosen.id
        return _kept(request).get(_key("api", street_id), lambda: street_figures(reader, street_id))


class FiguresScreenController(Controller):
    """The leader's full-screen view of the figures (see ``marketplace.dashboard.screen``)."""

    path = "/figures/screen"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="figures:screen", sync_to_thread=True)
    def screen(self, request: Request[Any, Any, Any], reader: ReaderSession, street: StreetCode = None) -> Template:
        shown = screen_street(reader, request.user, street)
        street_id = None if shown is None else shown.id
        streets = [] if shown is not None else list_streets(reader)  # to know whether there is only one
        figures, charts = _kept(request).get(
            _key("screen", street_id),
            lambda: _with_charts(
                reader, street_figures(reader, street_id), shown, mapped_street(shown, streets), sizes=SCREEN
            ),
        )
        values: dict[str, Any] = {
            "figures": figures,
            "charts": charts,
            "chosen_street": shown,
            "refresh_seconds": REFRESH_SECONDS,
            "updated_at": datetime.now(UTC),
        }
        # No site header on the screen: the street it names is the one shown (no page_context needed).
        return Template("dashboard/screen.html", context=values)
