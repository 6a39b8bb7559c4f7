"""The admin domain's services, as the other domains use them."""

from typing import TYPE_CHECKING, Any

from marketplace.domain_surface import surface_attribute

if TYPE_CHECKING:
    from marketplace.admin.tokens import TokenInputErrors as TokenInputErrors
    from marketplace.admin.tokens import issue_token as issue_token
    from marketplace.admin.tokens import list_tokens as list_tokens
    from marketplace.admin.tokens import withdraw_token as withdraw_token

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "TokenInputErrors": "tokens",
    "issue_token": "tokens",
    "list_tokens": "tokens",
    "withdraw_token": "tokens",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)
