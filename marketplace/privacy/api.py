"""``GET /api/v1/me/data``: the caller's own data as JSON (a token needs the profile:read scope)."""

from typing import Any

from litestar import get

from marketplace.db.deps import ReaderSession
from marketplace.privacy.export import export_own
from marketplace.security.deps import Actor
from marketplace.security.guards import login_required, token_scope


@get(
    "/api/v1/me/data",
    operation_id="getMyPersonalData",
    summary="Everything held about me",
    description=(
        "The signed-in user's own data: account, volunteer profile, sign-ups and hours, matches, notifications, "
        "what the audit log recorded them doing, sessions and tokens (never a password hash or a token digest)."
    ),
    tags=["privacy"],
    guards=[login_required, token_scope("profile:read")],
    sync_to_thread=True,
)
def my_data(reader: ReaderSession, actor: Actor) -> dict[str, Any]:
    return export_own(reader, actor)
