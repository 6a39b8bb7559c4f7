"""QR check-in at the service station: staff print a shift's two codes; a volunteer's scan checks their own
sign-up in and out through the domain's rules, only in the code's window; a made-up code opens nothing."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, csrf_for, fetch, login, make_grid, sign_in_as


def _printed_paths(client: TestClient[Any], shift_id: int | None) -> dict[str, str]:
    """The addresses the sheet's QR codes hold (each SVG carries its address as its title)."""
    sheet = client.get(f"/station/shifts/{shift_id}/qr")
    assert sheet.status_code == 200, sheet.text[:300]
    assert sheet.text.count('class="segno"') == 2
    urls = re.findall(r"<title>(https?://[^<]+)</title>", sheet.text)
    return {url.split("/")[-2]: "/" + url.split("://", 1)[1].split("/", 1)[1] for url in urls}


def _as_volunteer(client: TestClient[Any], person: mf.Person) -> None:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", "en")


def test_a_volunteer_checks_in_and_out_by_scanning_the_stations_codes(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    person, profile = mf.volunteer(session, grid)
    # Read the clock now, not at import: a long run imports the module well before the test runs.
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    shift = factories.add_shift(session, need, 3, starts_at=starts, ends_at=starts + timedelta(hours=2))
    signup = ShiftSignup(shift_id=shift.id, volunteer_id=profile.id, status=SignupStatus.CONFIRMED)  # type: ignore[arg-type]
    session.add(signup)
    session.commit()

    sign_in_as(client, session, Role.STAFF, grid_ids=[grid.id])
    client.cookies.set("lang", "en")
    paths = _printed_paths(client, shift.id)
    assert set(paths) == {"check-in", "check-out"}

    # Signed out, the scan leads to sign-in and back to the same code.
    client.cookies.clear()
    anonymous = client.get(paths["check-in"], follow_redirects=False)
    assert anonymous.status_code == 303 and paths["check-in"].replace("/", "%2F") in anonymous.headers["location"]

    _as_volunteer(client, person)
    page = client.get(paths["check-in"])
    assert page.status_code == 200 and "Check in now" in page.text
    done = client.post(paths["check-in"], data={"csrf_token": csrf_for(client, settings)}, follow_redirects=False)
    assert done.status_code == 303 and "done=checked_in" in done.headers["location"]
    assert fetch(session, ShiftSignup, signup.id).status is SignupStatus.CHECKED_IN

    # The check-out code opens only from the shift's start: 20 minutes early it refuses and changes nothing.
    early = client.post(paths["check-out"], data={"csrf_token": csrf_for(client, settings)})
    assert early.status_code == 409 and "works only during the shift" in early.text
    assert fetch(session, ShiftSignup, signup.id).status is SignupStatus.CHECKED_IN


def test_a_code_outside_its_window_a_made_up_code_and_no_sign_up_are_refused(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    person, profile = mf.volunteer(session, grid)
    stranger, _ = mf.volunteer(session, grid)
    tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    shift = factories.add_shift(session, need, 3, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=2))
    signup = ShiftSignup(shift_id=shift.id, volunteer_id=profile.id, status=SignupStatus.CONFIRMED)  # type: ignore[arg-type]
    session.add(signup)
    session.commit()
    sign_in_as(client, session, Role.STAFF, grid_ids=[grid.id])
    paths = _printed_paths(client, shift.id)

    _as_volunteer(client, person)
    token = {"csrf_token": csrf_for(client, settings)}
    assert client.get(paths["check-in"]).status_code == 409
    refused = client.post(paths["check-in"], data=token)
    assert refused.status_code == 409 and "works only during the shift" in refused.text
    assert fetch(session, ShiftSignup, signup.id).status is SignupStatus.CONFIRMED
    forged = paths["check-in"].rsplit("/", 1)[0] + "/" + "0" * 24
    assert client.get(forged).status_code == 404
    other_shift = paths["check-in"].replace(f"/{shift.id}/", f"/{shift.id + 1}/")
    assert client.get(other_shift).status_code == 404

    _as_volunteer(client, stranger)
    nobody = client.get(paths["check-in"])
    assert nobody.status_code == 409 and "You have no sign-up for this shift." in nobody.text


def test_only_staff_of_the_shifts_grid_print_its_codes(client: TestClient[Any], session: Session) -> None:
    grid, elsewhere = make_grid(session), make_grid(session)
    need = mf.project(session, grid)
    shift = factories.add_shift(session, need, 3)
    session.commit()
    sign_in_as(client, session, Role.STAFF, grid_ids=[elsewhere.id])
    assert client.get(f"/station/shifts/{shift.id}/qr").status_code == 404
    client.cookies.clear()
    person, _ = mf.volunteer(session, grid)
    session.commit()
    _as_volunteer(client, person)
    assert client.get(f"/station/shifts/{shift.id}/qr").status_code == 403
