"""The client's address: the peer, or what a trusted reverse proxy says in X-Forwarded-For."""

import ipaddress
from collections.abc import Iterable

from litestar.types import Scope


def _is_trusted(address: str, trusted: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(scope: Scope, trusted_proxies: tuple[str, ...]) -> str:
    """A client-sent X-Forwarded-For is ignored unless the peer is a configured trusted proxy.

    Behind trusted proxies, the address is the right-most one in the header that is not a proxy
    itself: everything to its left was written by the client and may be forged.
    """
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted_proxies or not _is_trusted(peer, trusted_proxies):
        return str(peer)
    forwarded = ""
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop[:64]
    return str(peer)
