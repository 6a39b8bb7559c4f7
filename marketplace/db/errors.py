"""Which database errors mean "busy or away, try again" rather than a fault in our code."""

import sqlite3

from sqlalchemy import exc as sa_exc

# SQLite reports both a held lock and a missing column as OperationalError; only these are transient.
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "unable to open database", "disk i/o error")


def is_unavailable(error: BaseException) -> bool:
    """True for a pool timeout, a lock held too long or a lost connection: the request may be retried."""
    if isinstance(error, sa_exc.TimeoutError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.OperationalError):
        return any(marker in str(error.orig).lower() for marker in _SQLITE_TRANSIENT)
    # psycopg raises OperationalError for lost or refused connections; faults in SQL are other classes.
    return True
