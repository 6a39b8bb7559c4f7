"""The notifications domain's services, as the other domains use them."""

from typing import TYPE_CHECKING, Any

from marketplace.domain_surface import surface_attribute

if TYPE_CHECKING:
    from marketplace.notifications.daily import send_digests as send_digests
    from marketplace.notifications.digest import STREET_TIMEZONE as STREET_TIMEZONE
    from marketplace.notifications.digest import day_bounds as day_bounds
    from marketplace.notifications.digest import digest_key_for as digest_key_for
    from marketplace.notifications.digest import street_day as street_day
    from marketplace.notifications.outbox import send as send
    from marketplace.notifications.outbox import send_once as send_once
    from marketplace.notifications.outbox import sent_once_keys as sent_once_keys
    from marketplace.notifications.payloads import match_payload as match_payload
    from marketplace.notifications.recipients import admins_of_need as admins_of_need
    from marketplace.notifications.recipients import admins_of_street as admins_of_street

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "STREET_TIMEZONE": "digest",
    "admins_of_need": "recipients",
    "admins_of_street": "recipients",
    "day_bounds": "digest",
    "digest_key_for": "digest",
    "match_payload": "payloads",
    "send": "outbox",
    "send_digests": "daily",
    "send_once": "outbox",
    "sent_once_keys": "outbox",
    "street_day": "digest",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)
