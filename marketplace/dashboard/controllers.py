"""The street's figures: a page for residents (/figures) and the same numbers as JSON (/api/v1/stats)."""

from litestar import Controller, get
from litestar.response import Template

from marketplace.dashboard.figures import StreetFigures, street_figures
from marketplace.db.deps import ReaderSession
from marketplace.page_cache import COMPRESSED_HERE, page_cache_middleware
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.security.guards import PUBLIC
from marketplace.volunteers.hours import notes as hours_notes


class FiguresPageController(Controller):
    opt = PUBLIC | {COMPRESSED_HERE: True}  # anyone may read the street's public board, figures and grids
    # The same for every anonymous visitor: served from the page cache for a few seconds.
    middleware = [page_cache_middleware]
    path = "/figures"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="figures", sync_to_thread=True)
    def figures(self, reader: ReaderSession) -> Template:
        context = page_context(reader, figures=street_figures(reader), **hours_notes())
        return Template("dashboard/figures.html", context=context)


class StatsApiController(Controller):
    opt = PUBLIC | {COMPRESSED_HERE: True}  # anyone may read the street's public board, figures and grids
    # The same for every anonymous visitor: served from the page cache for a few seconds.
    middleware = [page_cache_middleware]
    path = "/api/v1/stats"
    tags = ["figures"]

    @get(
        "/",
        operation_id="getStats",
        summary="The street's figures",
        description="Needs collected and solved (overall, by category, grid and channel), open projects, "
        "approved partners, active offers, registered volunteers and their hours.",
        sync_to_thread=True,
    )
    def stats(self, reader: ReaderSession) -> StreetFigures:
        return street_figures(reader)
