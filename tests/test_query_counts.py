"""Each busy page sends a fixed number of SQL statements, whatever the size of the street.

A test builds a small street around its viewer, counts the statements one request of the page sends
to the application's engine, then makes the street ten times larger with needs, offers, volunteers,
sign-ups and claims the same viewer sees, and counts again. The count must not move (a query per row
shown is an N+1) and must stay under the page's bound (a needless query costs at every size). The page
is requested once before each count, so caches that fill on first use are not counted.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import ResourceLine
from tests.busy_street import BusyStreet, build_busy_street, sign_in

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
SMALL = 2  # units of the small street
GROWTH = 10  # the large street has this many times as many


@contextmanager
def statements_of(engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement sent through ``engine`` while the block runs, transaction control left out."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def statements_of_page(app: Litestar, client: TestClient[Litestar], path: str) -> list[str]:
    """The statements of one request of ``path``, asked once before so that caches are warm, except the
    anonymous page cache: emptied, so that what is counted is the page's own work."""
    assert client.get(path).status_code == 200, path
    page_cache = getattr(app.state, "page_cache", None)
    if page_cache is not None:
        page_cache.invalidate()
    with statements_of(app.state.engine) as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    return list(seen)


def _listing(statements: list[str]) -> str:
    return "\n".join(" ".join(statement.split())[:160] for statement in statements)


@pytest.fixture
def street(session: Session, app: Litestar) -> BusyStreet:
    return build_busy_street(session)


# (viewer, page, most statements it may send): the bound is today's count plus two.
PAGES = [
    ("volunteer", "/projects/{project}/take-part", 9),
    ("partner", "/projects/{project}/take-part", 11),
    ("volunteer", "/signups", 7),  # + the residents' consents and offices (one query)
    ("volunteer", "/volunteer/calendar", 5),  # the session, the user, the feed's generation (its address after a reset)
    ("partner", "/claims", 5),
    # The review inbox: counts for the fixed-valued filters, per community and per round, the filter's grids;
    # the page in two steps (its ids, then its rows by id: inbox.page_ids), one statement more than one join.
    ("admin", "/review", 11),
    ("admin", "/review?kind=whole_need", 10),
    ("admin", "/review?kind=offer_line", 10),
    ("admin", "/review?kind=volunteer_shift", 11),
    ("admin", "/review?need={project}", 11),  # + many streets: the need in the admin's street, its communities
    ("admin", "/review?q=项目&conflict=any&sort=shift", 11),
    # + the needs by month and the grids with their stations (the charts, the map), the needs by street
    ("anonymous", "/figures", 14),
    ("volunteer", "/figures", 15),
    ("staff", "/figures/screen", 16),  # the figures and charts of the viewer's own street
    ("admin", "/figures/screen", 15),
    ("staff", "/needs/{project}/recommendations", 10),  # + many streets: how many (one index or one per street)
    ("staff", "/needs/{project}/recommendations?kind=volunteers", 10),
    ("admin", "/needs/{project}/recommendations", 9),
    ("staff", "/needs", 8),
    ("admin", "/needs", 7),
    ("staff", "/needs/{project}", 18),  # + the resident's consents with who recorded them (one query)
    # + their interests, past work per community, skill groups (a query each), whole rows of the shifts shown
    ("volunteer", "/recommended", 17),
    ("partner", "/recommended", 12),  # + the organization's standing (require_approved_organization)
    # The directories: count, rows, hours, skills, interests, and the filter form's grids and skills.
    ("staff", "/volunteers", 12),
    ("staff", "/volunteers?sort=last_service&has_hours=yes", 12),
    ("admin", "/volunteers?sort=hours", 11),
    ("staff", "/directory/organizations?sort=contributions", 10),
    ("admin", "/directory/organizations?sort=open_offers", 9),
    ("partner", "/offers", 12),  # + many streets: the grids of the streets the organization serves
    ("partner", "/offers/new", 9),
    ("partner", "/offers/new?line={line}", 13),  # the take-part page's link: the form filled in from the line
    ("staff", "/offers", 12),
    ("anonymous", "/", 10),
    ("volunteer", "/", 11),
    ("anonymous", "/projects/{project}", 7),
    ("volunteer", "/projects/{project}", 8),
    # Each role's home: one count per card group (a query each), the escalation and offer sweeps' probes.
    ("staff", "/home", 11),
    ("admin", "/home", 12),
    ("partner", "/home", 12),
    ("volunteer", "/home", 25),  # + the recommended tasks (as /recommended), shifts, proposals and hours
]


def _first_line(street: BusyStreet) -> int:
    """A resource line of the project (each unit adds one the partner may claim)."""
    found = street.session.execute(
        sa.select(ResourceLine.id).where(ResourceLine.need_id == street.project.id).order_by(ResourceLine.id)
    ).scalar()
    street.session.commit()  # ends the read: the login that follows writes
    assert found is not None
    return int(found)


@pytest.mark.parametrize(("viewer", "page", "bound"), PAGES, ids=[f"{v} {p}" for v, p, _ in PAGES])
def test_a_page_sends_as_many_statements_on_a_street_ten_times_larger_and_no_more_than_its_bound(
    app: Litestar, client: TestClient[Litestar], street: BusyStreet, viewer: str, page: str, bound: int
) -> None:
    street.grow(SMALL)
    path = page.format(project=street.project.id, line=_first_line(street))
    sign_in(client, street.viewer(viewer))
    small = statements_of_page(app, client, path)
    street.grow(SMALL * GROWTH - SMALL)
    large = statements_of_page(app, client, path)
    assert len(large) == len(small), f"{len(small)} statements, then {len(large)}:\n{_listing(large)}"
    assert len(large) <= bound, f"{len(large)} statements, more than {bound}:\n{_listing(large)}"


def test_the_count_catches_a_page_that_reads_each_row_alone(
    app: Litestar, client: TestClient[Litestar], street: BusyStreet
) -> None:
    """The measure itself: my shifts made to read each sign-up's shift again sends more statements when larger."""
    from marketplace.matches import page_data

    original = page_data.signups_page

    def with_a_query_per_row(db: Session, actor: Any, now: Any) -> Any:
        page = original(db, actor, now)
        for row in page.current + page.past:
            db.refresh(row.shift)
        return page

    street.grow(SMALL)
    sign_in(client, street.volunteer)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(page_data, "signups_page", with_a_query_per_row)
        small = statements_of_page(app, client, "/signups")
        street.grow(SMALL * GROWTH - SMALL)
        large = statements_of_page(app, client, "/signups")
    assert len(large) - len(small) == 3 * (SMALL * GROWTH - SMALL)  # three sign-ups a unit
