"""Password hashing with argon2id (the library's defaults follow RFC 9106's recommendation)."""

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def use_parameters(parameters: Parameters) -> None:
    """Swap the hashing cost; only the test suite does this (argon2's cheapest profile)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(parameters)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or malformed hash never matches."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
