"""Random secrets and the digests stored in their place."""

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret; enough for lookups, no salt needed (unlike passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def signature(secret_key: str, message: str) -> str:
    """An HMAC-SHA256 of ``message`` under the deployment's secret key, in hex: for addresses that carry
    their own proof (a calendar feed, a station's QR code). Prefix the message with its purpose."""
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()
