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

from marketplace.security.identity import CurrentUser
from marketplace.security.secrets import signature


def pending_digest(secret_key: str, purpose: str, row_id: int, viewer: CurrentUser) -> str:
    """What ``purpose``'s row ``row_id`` holds in place of a digest until ``viewer`` (in this session) sees
    its secret; 64 hex characters like a digest, and no secret's digest."""
    return signature(secret_key, f"reveal:{purpose}:{row_id}:{viewer.id}:{viewer.session_id or 0}")
