"""Every route handler of the application, domain by domain."""

from typing import Any

from marketplace.system.controllers import SystemController


def route_handlers() -> list[Any]:
    return [SystemController]
