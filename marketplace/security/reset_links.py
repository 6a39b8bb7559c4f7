"""A password reset link lives only while the password it was made to replace does.

Found by the third probe (docs/SECURITY.md): an admin who made a second link for someone left the first one
working; after a link was used, any other still set the password again (and ended the owner's sessions); a
link made before the owner changed their own password still worked afterwards, and so did one of an
account since disabled. A link that lingers in an outbox or a chat is then a way into the account long
after its owner has a password of their own again.

Two rules (accounts/services.py). Wherever a password is set (a link used, one's own change) and when an
admin makes a new link, the account's other live links expire now (``retire_reset_links``). And a link
opens only for an account that is active (``account_is_active``, checked by the one lookup of a link):
disabling by an admin or the command line, and an erasure, end them all. Their page says the link has
expired and to ask an admin for a new one.
"""

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.credentials import PasswordReset
from marketplace.accounts.models import User
from marketplace.db.types import utcnow


def retire_reset_links(db: Session, user_id: int, *, keep_id: int | None = None) -> int:
    """Expire every live reset link of ``user_id`` but ``keep_id``'s; how many."""
    now = utcnow()
    conditions = [
        PasswordReset.user_id == user_id,
        PasswordReset.used_at.is_(None),  # type: ignore[union-attr]
        PasswordReset.expires_at > now,
        PasswordReset.created_at < now,  # expires_at > created_at holds (a link made this instant is the new one)
    ]
    if keep_id is not None:
        conditions.append(PasswordReset.id != keep_id)
    result = db.execute(
        sa.update(PasswordReset)
        .where(*conditions)  # type: ignore[arg-type]
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def account_is_active(db: Session, user_id: int) -> bool:
    """The account exists and may sign in (not disabled, not erased)."""
    return bool(db.execute(sa.select(User.is_active).where(User.id == user_id)).scalar_one_or_none())  # type: ignore[arg-type]
