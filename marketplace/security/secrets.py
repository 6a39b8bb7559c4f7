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
