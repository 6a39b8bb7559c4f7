"""The outbox: with no mail server, messages to users go to the notification table (and the log in development).

The log line says what the centre says (``messages.render``), in the addressee's preferred language:
one set of sentences whether a message is read in the centre, the API or, one day, a mail.
"""

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.db.types import utcnow
from marketplace.i18n import DEFAULT_LOCALE, current_locale, normalise_locale
from marketplace.i18n import gettext as _
from marketplace.notifications.messages import render
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
        locale = normalise_locale(user.preferred_locale if user else None) or DEFAULT_LOCALE
        log.warning("[outbox] to %s: %s %s", user.username if user else user_id, kind, sentence(kind, payload, locale))
    return row


def send_once(
    db: Session,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    once_key: str,
    subject_type: str,
    subject_id: int,
    digest_key: str,
) -> bool:
    """Queue a message unless one with ``once_key`` was ever sent; True when this call sent it.

    One conditional INSERT (``ON CONFLICT (once_key) DO NOTHING``) in the caller's transaction: two
    workers sending the same key at once both try, the unique key lets one row in (PostgreSQL makes the
    second wait for the first's commit, SQLite serialises the writers), and the other inserts nothing.
    """
    values = {
        "user_id": user_id,
        "kind": kind,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "digest_key": digest_key,
        "payload": payload,
        "created_at": utcnow(),
        "once_key": once_key,
    }
    table = Notification.__table__  # type: ignore[attr-defined]
    dialect = db.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(values)
    statement = insert.on_conflict_do_nothing(index_elements=[table.c.once_key]).returning(table.c.id)
    return db.execute(statement).first() is not None


def sent_once_keys(db: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` were sent already (so a sweep skips them without trying)."""
    if not keys:
        return set()
    table = Notification.__table__  # type: ignore[attr-defined]
    return {str(key) for key in db.execute(sa.select(table.c.once_key).where(table.c.once_key.in_(keys))).scalars()}


def sentence(kind: str, payload: dict[str, Any], locale: str) -> str:
    """What the message says, in ``locale``: the centre's sentence and its next step (a mail's body, one day)."""
    token = current_locale.set(locale)
    try:
        message = render(kind, payload)
        if not message.next_step:
            return message.text
        return _("%(text)s. %(next_step)s") % {"text": message.text, "next_step": message.next_step}
    finally:
        current_locale.reset(token)
