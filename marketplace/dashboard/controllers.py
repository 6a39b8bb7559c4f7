"""The street's figures: a page for residents (/figures) and the same numbers as JSON (/api/v1/stats).

Both take ``street=<code>``: one street's figures; without it, the whole deployment's.
"""

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import Template

from marketplace.dashboard.figures import StreetFigures, street_figures
from marketplace.db.deps import ReaderSession
from marketplace.needs.board import InvalidFilter, invalid_filter_response, parse_street
from marketplace.page_cache import COMPRESSED_HERE, page_cache_middleware
from marketplace.pages import PAGE_EXCEPTION_HANDLERS, page_context
from marketplace.places.directory import list_streets
from marketplace.security.guards import PUBLIC
from marketplace.volunteers.hours import notes as hours_notes

StreetCode = Annotated[
    str | None, QueryParameter(description="Street code (e.g. 370203-hudao); the whole deployment when omitted")
]


class FiguresPageController(Controller):
    opt = PUBLIC | {COMPRESSED_HERE: True}  # anyone may read the street's public board, figures and grids
    # The same for every anonymous visitor: served from the page cache for a few seconds.
    middleware = [page_cache_middleware]
    path = "/figures"
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", name="figures", sync_to_thread=True)
    def figures(self, reader: ReaderSession, street: StreetCode = None) -> Template:
        chosen = parse_street(reader, street)
        figures = street_figures(reader, None if chosen is None else chosen.id)
        values = {"figures": figures, "streets": list_streets(reader), "chosen_street": chosen, **hours_notes()}
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
    def stats(self, reader: ReaderSession, street: StreetCode = None) -> StreetFigures:
        chosen = parse_street(reader, street)
        return street_figures(reader, None if chosen is None else chosen.id)
