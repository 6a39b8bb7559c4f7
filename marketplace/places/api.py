"""Places as JSON: the grids with their communities and service stations, of one street or all."""

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from marketplace.db.deps import ReaderSession
from marketplace.places.directory import GridInfo, list_grids
from marketplace.places.services import parse_street
from marketplace.query_filters import InvalidFilter, invalid_filter_response
from marketplace.security.guards import PUBLIC


class GridApiController(Controller):
    opt = PUBLIC  # anyone may read the street's public board, figures and grids
    path = "/api/v1/grids"
    tags = ["places"]
    exception_handlers = {InvalidFilter: invalid_filter_response}

    @get(
        "/",
        operation_id="listGrids",
        summary="The grids",
        description="Every grid with its community, coordinates, households and service station; "
        "only one street's with `street=<code>` (400 for an unknown code).",
        sync_to_thread=True,
    )
    def grids(
        self,
        reader: ReaderSession,
        street: Annotated[str | None, QueryParameter(description="Street code (e.g. 370203-hudao)")] = None,
    ) -> list[GridInfo]:
        chosen = parse_street(reader, street)
        return list_grids(reader, None if chosen is None else chosen.id)
