"""The outbox: with no mail server, messages to users go to the notification table (and the log in development).

The log line says what the centre says (``messages.render``), in the addressee's preferred language:
one set of sentences whether a message is read in the centre, the API or, one day, a mail.
"""

import logging
from typing import Any

from sqlmodel import Session

from marketplace.accounts.models import User
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
