"""The outbox: with no mail server, messages to users go to the notification table (and the log in development)."""

import logging
from typing import Any

from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.notifications.models import Notification

log = logging.getLogger("marketplace.outbox")


def send(
    db: Session,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    echo: bool = True,
    subject_type: str = "user",
    subject_id: int | None = None,
    digest_key: str | None = None,
) -> Notification:
    """Queue a message for ``user_id`` in the caller's transaction; ``echo`` also logs it (development).

    Callers about one object pass ``subject_type``/``subject_id`` and a ``digest_key``
    (``marketplace.notifications.digest.digest_key_for``) so a busy day shows as one digest.
    """
    row = Notification(
        user_id=user_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=user_id if subject_id is None else subject_id,
        digest_key=digest_key or f"{kind}:{user_id}",
        payload=payload,
    )
    db.add(row)
    db.flush()
    if echo:
        user = db.get(User, user_id)
        log.warning("[outbox] to %s: %s %s", user.username if user else user_id, kind, payload)
    return row
