"""Certificates of service hours: a volunteer issues one of the hours they have, downloads it as a Chinese PDF
or prints it, and anyone checks its code on a public page that masks the name; nobody else reads it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.recognition import services
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, csrf_for, login, make_grid

NOW = datetime.now(UTC).replace(microsecond=0)


def _volunteer_with_hours(session: Session) -> tuple[mf.Person, VolunteerProfile]:
    """2.75 h and 3 h on the platform, a no-show, and 4 h from the street's paper records: 9.75 h in all."""
    grid = make_grid(session)
    need = mf.project(session, grid)
    person, profile = mf.volunteer(session, grid)
    for days_ago, hours in ((60, "2.75"), (20, "3"), (10, "0")):
        starts = NOW - timedelta(days=days_ago)
        shift = factories.add_shift(session, need, 3, starts_at=starts, ends_at=starts + timedelta(hours=4))
        done = hours != "0"
        session.add(
            ShiftSignup(
                shift_id=shift.id,  # type: ignore[arg-type]
                volunteer_id=profile.id,  # type: ignore[arg-type]
                status=SignupStatus.COMPLETED if done else SignupStatus.NO_SHOW,
                checked_in_at=starts if done else None,
                checked_out_at=starts + timedelta(hours=float(hours)) if done else None,
                hours_credited=Decimal(hours),
            )
        )
    profile.hours_total = Decimal("5.75") + Decimal("4")
    session.add(profile)
    session.commit()
    return person, profile


def _with_profile_scopes(session: Session, person: mf.Person) -> mf.Person:
    secret, _ = create_api_token(
        session,
        user_id=person.user.id or 0,
        name="certificates",
        scopes=["profile:read", "profile:write"],
        created_by_id=None,
    )
    session.commit()
    return mf.Person(person.user, secret)


def _sign_in(client: TestClient[Any], person: mf.Person, lang: str = "zh_CN") -> None:
    client.cookies.clear()
    assert login(client, person.user.username, DEFAULT_PASSWORD).status_code == 303
    client.cookies.set("lang", lang)


def test_a_volunteer_issues_downloads_and_anyone_verifies_a_certificate(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person, _profile = _volunteer_with_hours(session)
    _sign_in(client, person)
    page = client.get("/volunteer/certificates")
    assert page.status_code == 200 and "尚未开具证明" in page.text

    issued = client.post(
        "/volunteer/certificates", data={"csrf_token": csrf_for(client, settings)}, follow_redirects=False
    )
    assert issued.status_code == 303
    code = issued.headers["location"].rsplit("/", 1)[1]
    assert services.normalise_code(code) == code
    printable = client.get(f"/volunteer/certificates/{code}").text
    assert "志愿服务时长证明" in printable
    assert f"兹证明 {person.user.display_name} 同志" in printable and "累计服务 9.75 小时（完成服务 2 次）" in printable
    assert services.grouped(code) in printable and f"/certificates/{code}" in printable

    # Nothing changed: issuing again gives the same certificate, not a second one.
    again = client.post(
        "/volunteer/certificates", data={"csrf_token": csrf_for(client, settings)}, follow_redirects=False
    )
    assert again.headers["location"].endswith(code)

    pdf = client.get(f"/volunteer/certificates/{code}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"STSong-Light" in pdf.content
    assert f"certificate-{services.grouped(code)}.pdf" in pdf.headers["content-disposition"]

    # Anyone, signed in or not, checks the code as printed (grouped, lower case, an O for a 0).
    client.cookies.clear()
    client.cookies.set("lang", "en")
    typed = services.grouped(code).lower().replace("0", "o")
    found = client.get("/certificates/", params={"code": typed}, follow_redirects=True)
    assert found.status_code == 200 and "This certificate is genuine." in found.text
    assert "9.75" in found.text and person.user.display_name not in found.text
    assert person.user.display_name[0] + "*" in found.text
    api = client.get(f"/api/v1/certificates/{services.grouped(code)}").json()
    assert api["valid"] is True and api["hours"] == 9.75 and api["shifts"] == 2
    assert api["holder"] != person.user.display_name


def test_unknown_and_malformed_codes_are_said_plainly(client: TestClient[Any]) -> None:
    client.cookies.set("lang", "en")
    missing = client.get("/certificates/ABCDEFGHJKMN")
    assert missing.status_code == 404 and "No certificate has this code" in missing.text
    malformed = client.get("/certificates/", params={"code": "not a code!"})
    assert malformed.status_code == 400 and "This is not a certificate code." in malformed.text
    assert client.get("/api/v1/certificates/ABCDEFGHJKMN").status_code == 404


def test_nobody_else_reads_a_certificate_and_no_hours_means_no_certificate(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    person, _profile = _volunteer_with_hours(session)
    person = _with_profile_scopes(session, person)
    made = client.post("/api/v1/volunteers/me/certificates/", headers=person.headers)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    raw = services.normalise_code(code)
    listed = client.get("/api/v1/volunteers/me/certificates/", headers=person.headers).json()
    assert [row["code"] for row in listed["certificates"]] == [code]

    newcomer, _ = mf.volunteer(session, make_grid(session))
    newcomer = _with_profile_scopes(session, newcomer)
    refused = client.post("/api/v1/volunteers/me/certificates/", headers=newcomer.headers)
    assert refused.status_code == 409 and "no service hours" in refused.text
    _sign_in(client, newcomer, lang="en")
    assert client.get(f"/volunteer/certificates/{raw}").status_code == 404
    assert client.get(f"/volunteer/certificates/{raw}/pdf").status_code == 404
    page = client.post("/volunteer/certificates", data={"csrf_token": csrf_for(client, settings)})
    assert page.status_code == 409 and "complete a shift first" in page.text


def test_codes_avoid_letters_that_read_as_digits() -> None:
    codes = {services.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert not any(set(code) & set("ILOU") for code in codes)
    assert all(services.normalise_code(services.grouped(code)) == code for code in list(codes)[:50])


def test_the_verify_form_opens_empty(client: TestClient[Any]) -> None:
    client.cookies.set("lang", "en")
    page = client.get("/certificates/")
    assert page.status_code == 200 and 'name="code"' in page.text and "form-error" not in page.text
