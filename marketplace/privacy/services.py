"""The privacy domain's services, as the other domains use them."""

from typing import TYPE_CHECKING, Any

from marketplace.domain_surface import surface_attribute

if TYPE_CHECKING:
    from marketplace.privacy.markers import is_erased_username as is_erased_username
    from marketplace.privacy.retention import run_retention as run_retention

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "is_erased_username": "markers",
    "run_retention": "retention",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)
