"""Every number a person types (an id in a form or an address, a count, a weekday, a spreadsheet cell) is read in
ASCII digits only, by one parser (``marketplace.whole_numbers.whole_number``): a superscript ("¹", which
``isdigit()`` accepts and ``int()`` refuses) is a 4xx naming the field, never a 500, and a full-width or other
script's digit ("１", "٣") is no number, never one nobody meant.

The second security probe fixed the public report form, the set-grid form and the review queue's filters, and
listed the paths still open (the volunteer form's home grid and employer, the accounts form's ids, the need form's
row counts); this closes the class: a scan holds every ``isdigit()`` in the app to the rule, and the paths a
person reaches are asked with each kind of digit.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.exchange.columns import CellProblem
from marketplace.exchange.need_columns import whole_number as cell_number
from marketplace.exchange.volunteer_import import hours_cap
from marketplace.settings import Settings
from marketplace.volunteers.services import slots_from_keys
from tests.orgs_helpers import form_post, make_places
from tests.security_helpers import make_user, sign_in_as
from tests.security_world import session_identity, use
from tests.test_volunteers import signup_form, skills

APP = Path(__file__).resolve().parents[1] / "marketplace"
OTHER_DIGITS = ("¹", "²³", "１", "٣")
# isdigit() on text that is ASCII already (the digits masking.phone_digits kept of a phone number), and the parser.
ASCII_ALREADY = {"needs/tracking.py", "privacy/residents.py", "whole_numbers.py"}


def test_every_isdigit_in_the_app_is_held_to_ascii() -> None:
    loose = []
    for path in APP.rglob("*.py"):
        name = str(path.relative_to(APP))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if ".isdigit()" in code and ".isascii()" not in code and name not in ASCII_ALREADY:
                loose.append(f"{name}:{number}: {line.strip()}")
    assert loose == [], "read typed numbers with marketplace.whole_numbers.whole_number:\n" + "\n".join(loose)


@pytest.mark.parametrize("typed", OTHER_DIGITS)
def test_spreadsheet_cells_and_weekdays_in_other_digits_are_problems_not_numbers(typed: str) -> None:
    with pytest.raises(CellProblem):
        cell_number(typed)
    with pytest.raises(CellProblem):
        hours_cap(typed)
    assert slots_from_keys([f"{typed}-morning"]) is None
    assert cell_number("12") == 12 and hours_cap("8") == 8 and slots_from_keys(["6-evening"])


@pytest.mark.parametrize("field", ["home_grid_id", "employer_organization_id", "slots", "weekly_hour_cap"])
def test_volunteer_registration_refuses_other_digits_naming_the_field(
    client: TestClient[Any], session: Session, settings: Settings, field: str
) -> None:
    _s, _c, grids = make_places(session)
    skill_rows = skills(session)
    session.commit()
    client.cookies.set("lang", "en")
    for typed in OTHER_DIGITS:
        value: Any = [f"{typed}-morning"] if field == "slots" else typed
        form = signup_form(grids[0].id, [skill_rows[0].id], **{field: value})
        response = form_post(client, settings, "/register/volunteer", form)
        assert response.status_code == 400, (typed, response.status_code)
        assert f"{field}-error" in response.text, typed
    session.rollback()
    assert session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def test_the_token_form_refuses_a_user_in_other_digits(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    identity = session_identity(session_factory, settings, admin)
    use(client, identity)
    client.cookies.set("lang", "en")
    for typed in OTHER_DIGITS:
        data = {"csrf_token": identity.csrf, "name": "hotline", "scopes": ["needs:read"], "user": typed}
        response = client.post("/admin/tokens", data=data, follow_redirects=False)
        assert response.status_code == 400, (typed, response.status_code)
        assert "No such user" in response.text


def test_addresses_with_other_digits_answer_without_a_500(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    for typed in OTHER_DIGITS:
        assert client.get(f"/calendar/{typed}-{'a' * 32}/shifts.ics").status_code == 404, typed
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    for typed in OTHER_DIGITS:
        queue = client.get("/review", params={"q": f"#{typed}"})
        assert queue.status_code == 200, typed  # a search for the text, not an id
        privacy = client.get("/admin/privacy", params={"erased": typed})
        assert privacy.status_code == 200 and not re.search(r"Account #\S+ is erased", privacy.text), typed
