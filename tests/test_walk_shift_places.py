"""A shift's open places read as English: "1 of 4 places open" (the noun agrees with the shift's places, not with
the ones left), and the Chinese "4个名额，还剩1个".

Found walking the demo: after a volunteer signed up, the project's sign-up page said "1 of 4 place open".
"""

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches import signups
from tests import matches_factories as mf
from tests.busy_street import actor_of, volunteer_profile
from tests.security_helpers import make_grid, make_user, sign_in_as


def test_a_shift_with_one_place_left_of_four_reads_places_in_the_plural(
    client: TestClient[Litestar], session: Session
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="绿化带补植")
    shift = mf.shift(session, need, slots=4, starts_in_hours=72)
    for _ in range(3):
        user = make_user(session, Role.VOLUNTEER)
        volunteer_profile(session, user, grid)
        session.commit()
        signups.sign_up(session, actor_of(user), shift.id or 0)
        session.commit()

    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    volunteer_profile(session, volunteer, grid)
    session.commit()
    client.cookies.set("lang", "en")
    for path in (f"/projects/{need.id}", f"/projects/{need.id}/take-part"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "1 of 4 places open" in page.text and "1 of 4 place open" not in page.text, path

    client.cookies.set("lang", "zh_CN")
    assert "4个名额，还剩1个" in client.get(f"/projects/{need.id}/take-part").text
