"""Helpers for the organization and volunteer tests: places, valid credit codes, signing in without /login."""

from itertools import count
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.organizations.credit_code import credit_code_check_digit, organization_code_check_digit
from marketplace.places.models import Community, Grid, Street
from marketplace.security.sessions import SESSION_COOKIE, Lifetimes, start_session
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, csrf_from

_serial = count(1)


def valid_credit_code(n: int | None = None) -> str:
    """A code that passes both check digits (GB 11714 and GB 32100)."""
    number = next(_serial) if n is None else n
    first16 = f"91370200MA{number:06d}"
    first17 = first16 + organization_code_check_digit(first16[8:16])
    return first17 + credit_code_check_digit(first17)


def make_places(session: Session) -> tuple[Street, list[Community], list[Grid]]:
    """A street with two communities of two grids each (committed)."""
    street = Street(code="hudao", name="湖岛街道", name_en="Hudao Street", district="市北区", city="青岛市")
    session.add(street)
    session.flush()
    communities, grids = [], []
    for c in range(2):
        community = Community(street_id=street.id, name=f"第{c + 1}社区", name_en=f"Community {c + 1}")  # type: ignore[arg-type]
        session.add(community)
        session.flush()
        communities.append(community)
        for g in range(2):
            number = c * 2 + g + 1
            grid = Grid(
                code=f"G{number:03d}",
                community_id=community.id,  # type: ignore[arg-type]
                number=number,
                name=f"第{number}网格",
                name_en=f"Grid {number}",
                latitude=36.1,
                longitude=120.3,
            )
            session.add(grid)
            session.flush()
            grids.append(grid)
    session.commit()
    return street, communities, grids


def sign_in(client: TestClient[Any], session: Session, user: User, settings: Settings) -> None:
    """Give ``client`` a live session for ``user`` (as a login would), independent of the login page."""
    secret, _row = start_session(session, user.id, Lifetimes.of(settings), client_address=None, user_agent=None)  # type: ignore[arg-type]
    session.commit()
    client.cookies.set(SESSION_COOKIE, secret)


def form_post(client: TestClient[Any], settings: Settings, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_for(client, settings)}, follow_redirects=False)


def page_token(client: TestClient[Any], path: str) -> str:
    return csrf_from(client.get(path).text)
