"""How many accounts one client address may try to register: the same rule for every public sign-up form.

The sign-in page answers an unknown user name exactly as a wrong password and is throttled
(security/throttle.py); the registration forms must say "this username is taken", so without a limit they
would answer the question the sign-in page refuses, as fast as anyone can ask (and create accounts as fast).
Every submitted registration (valid or not, taken name or new) is counted per address before anything is
checked; past ``REGISTRATION_LIMIT`` in ``REGISTRATION_WINDOW`` the form answers 429 with Retry-After.

The count shares the public need form's rows and lock (needs/submissions.py) under the key
``register:<address>``, as the tracking page's lookups do under ``track:<address>``: one serialised count
every worker process sees, and addresses kept no longer than a day.
"""

from datetime import timedelta

from litestar.exceptions import TooManyRequestsException
from sqlmodel import Session

from marketplace.i18n.numbers import counted
from marketplace.needs.services import NeedSubmission, TooManySubmissions, count_in

# An hour's sign-ups from one address: a grid station registering its residents at a desk, not a script.
REGISTRATION_LIMIT = 20
REGISTRATION_WINDOW = timedelta(hours=1)


def count_registration(
    db: Session,
    address: str | None,
    *,
    limit: int = REGISTRATION_LIMIT,
    window: timedelta = REGISTRATION_WINDOW,
) -> None:
    """Count one registration attempt from ``address`` in the caller's transaction (it must commit whatever
    the attempt's outcome), or raise 429 (nothing counted) when the address is at its limit."""
    key = ("register:" + (address or "unknown"))[:64]
    try:
        now = count_in(db, key, limit=limit, window=window)
    except TooManySubmissions as error:
        raise TooManyRequestsException(
            _window_rule(limit, window),
            headers={"Retry-After": str(error.retry_after)},
        ) from None
    db.add(NeedSubmission(client_address=key, submitted_at=now, need_id=None))
    db.flush()


def _window_rule(limit: int, window: timedelta) -> str:
    """The rule in words: "at most 20 an hour" (the window in hours when it is whole hours, else minutes)."""
    minutes = max(1, window // timedelta(minutes=1))
    if minutes % 60 == 0:
        hours = minutes // 60
        return counted(
            "Every registration from one address is counted: at most %(limit)d in %(num)d hour.",
            "Every registration from one address is counted: at most %(limit)d in %(num)d hours.",
            hours,
            limit=limit,
            also_counts=("limit",),
        )
    return counted(
        "Every registration from one address is counted: at most %(limit)d in %(num)d minute.",
        "Every registration from one address is counted: at most %(limit)d in %(num)d minutes.",
        minutes,
        limit=limit,
        also_counts=("limit",),
    )
