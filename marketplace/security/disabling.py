"""Disabling an account ends every credential it had outstanding, for good.

Found by the fourth probe (docs/SECURITY.md): disabling ended the account's sessions, but its API tokens and
its password reset links were only refused while it stayed disabled (the one lookup of each reads
``is_active``). Enabling the account again brought them back: a token the admin meant to cut off answered
again, and a reset link made before the disabling (lingering in a chat or an outbox) set the password again.

The rule, the same for every path that disables (an admin's page, an organization's manager, ``marketplace
user disable``; an erasure ends them too, ``privacy/erasure.py``): sessions end, reset links expire, API tokens
are revoked. Enabling restores the account and its password only: the owner signs in again, an admin makes
new tokens and links.

Suspending an organization ends its members' credentials by the same rule (fifth probe: a suspended
organization's tokens and sessions went on reading residents' contacts). Its members may sign in again, to
read why and what next; reinstating it restores the organization, not the tokens.
"""

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken
from marketplace.accounts.models import User
from marketplace.db.types import utcnow
from marketplace.security.reset_links import retire_reset_links
from marketplace.security.sessions import revoke_all_sessions


def revoke_all_tokens(db: Session, user_id: int) -> int:
    """Revoke every live API token of ``user_id``; how many."""
    result = db.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))  # type: ignore[arg-type, union-attr]
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_credentials(db: Session, user_id: int) -> dict[str, int]:
    """End what ``user_id`` could still get in with; the counts, for the audit row."""
    return {
        "sessions_ended": revoke_all_sessions(db, user_id),
        "reset_links_expired": retire_reset_links(db, user_id),
        "tokens_revoked": revoke_all_tokens(db, user_id),
    }


def end_members_credentials(db: Session, organization_id: int) -> dict[str, int]:
    """What ``end_credentials`` ends, for every member of the organization (a suspension); the summed counts."""
    members = list(db.execute(sa.select(User.id).where(User.organization_id == organization_id)).scalars())  # type: ignore[arg-type]
    return {
        "sessions_ended": sum(revoke_all_sessions(db, user_id) for user_id in members),
        "reset_links_expired": sum(retire_reset_links(db, user_id) for user_id in members),
        "tokens_revoked": sum(revoke_all_tokens(db, user_id) for user_id in members),
    }
