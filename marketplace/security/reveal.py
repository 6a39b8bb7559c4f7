"""A credential whose secret is made when it is shown, once: Post/Redirect/Get for secrets.

A form that issues a credential (an API token, a password reset link) creates its row and redirects;
the secret does not exist yet. The row's digest column holds a *pending digest* instead: an HMAC under
the deployment's key of the row, the person who asked and their login session, which no secret hashes
to (so the credential works for nobody yet). The page the form leads to makes the secret and swaps the
pending digest for the secret's digest in one conditional UPDATE (it must touch exactly one row, on
SQLite and PostgreSQL alike): the first showing wins, a reload finds no pending digest and says the
secret was already shown. The secret is never stored anywhere, not even between the two requests, and
only the same person in the same session can have it shown.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.security.identity import CurrentUser
from marketplace.security.secrets import signature

T = TypeVar("T")


def pending_digest(secret_key: str, purpose: str, row_id: int, viewer: CurrentUser) -> str:
    """What ``purpose``'s row ``row_id`` holds in place of a digest until ``viewer`` (in this session) sees
    its secret; 64 hex characters like a digest, and no secret's digest."""
    return signature(secret_key, f"reveal:{purpose}:{row_id}:{viewer.id}:{viewer.session_id or 0}")


def show_once(
    reader: Session, writers: sessionmaker[Session], held: str | None, pending: str, show: Callable[[Session], T]
) -> T | None:
    """``show`` in a write transaction of its own, only while the row still ``held`` the pending digest: the page
    is a GET, and a view with nothing to show (a reload, anyone else) writes nothing and never takes SQLite's
    write lock. The swap inside ``show`` is still conditional, so two first views at once show one secret."""
    if held != pending:
        return None
    reader.rollback()  # what the page then reads is a new snapshot, after the swap
    with session_scope(writers) as db:
        return show(db)
