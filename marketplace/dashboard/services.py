"""The dashboard domain's services, as the other domains use them."""

from typing import TYPE_CHECKING, Any

from marketplace.domain_surface import surface_attribute

if TYPE_CHECKING:
    from marketplace.dashboard.figures import OPEN_STATUSES as OPEN_STATUSES
    from marketplace.dashboard.figures import days_between as days_between

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "OPEN_STATUSES": "figures",
    "days_between": "figures",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)
