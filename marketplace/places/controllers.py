"""Places as JSON: the street's grids with their communities and service stations."""

from litestar import Controller, get

from marketplace.db.deps import ReaderSession
from marketplace.places.directory import GridInfo, list_grids
from marketplace.security.guards import PUBLIC


class GridApiController(Controller):
    opt = PUBLIC  # anyone may read the street's public board, figures and grids
    path = "/api/v1/grids"
    tags = ["places"]

    @get(
        "/",
        operation_id="listGrids",
        summary="The grids",
        description="Every grid with its community, coordinates, households and service station.",
        sync_to_thread=True,
    )
    def grids(self, reader: ReaderSession) -> list[GridInfo]:
        return list_grids(reader)
