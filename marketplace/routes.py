"""Every route handler of the application, domain by domain."""

from typing import Any

from marketplace.admin.controllers import ADMIN_ROUTE_HANDLERS
from marketplace.dashboard.controllers import FiguresPageController, StatsApiController
from marketplace.needs.controllers import ProjectApiController, ProjectPagesController
from marketplace.places.controllers import GridApiController
from marketplace.system.controllers import SystemController


def route_handlers() -> list[Any]:
    return [
        SystemController,
        ProjectPagesController,
        FiguresPageController,
        ProjectApiController,
        GridApiController,
        StatsApiController,
        *ADMIN_ROUTE_HANDLERS,
    ]
