"""Places as JSON: the street's grids with their communities and service stations."""

from litestar import Controller, get

from marketplace.db.deps import ReaderSession
from marketplace.places.directory import GridInfo, list_grids


class GridApiController(Controller):
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
