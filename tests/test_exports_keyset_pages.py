"""Every list export holds every row of its list once, in the list's order, however many pages it spans:
each page starts after the last row seen (its order key and id, ``exchange.paging``), not at an OFFSET. The
needs and projects files once stopped at 5,000 rows and the offers file at 50,000, without a word.

With pages of 2 rows, each list (needs, offers, projects, volunteers by every sort, organizations by every
sort) is exported as CSV and .xlsx: the file holds the same rows in the same order as one page holding the
whole list (the list's plain ORDER BY), every created row once, and ``X-Export-Rows`` names the count. The
lists have ties in their order keys (the same creation time, name or rate) and NULLs in them (undated
projects, volunteers without a rate or a service), which the database sorts its own way (PostgreSQL puts
NULL last going up, SQLite first). A needs file still masks residents' names and phones."""

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.exchange import paging
from marketplace.masking import mask_name, mask_phone
from marketplace.needs.models import NeedStatus
from tests import factories
from tests.factories import BENEFICIARY_ADDRESS, BENEFICIARY_NAME, BENEFICIARY_PHONE, NOW
from tests.security_helpers import default_street, make_community, make_grid, make_org, sign_in_as


def _csv_ids(content: bytes) -> list[str]:
    return [row[0] for row in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]]


def _xlsx_ids(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def _exported(client: TestClient[Any], monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[list[str], bytes]:
    """The file's ids with pages of 2 rows, checked against one page holding the whole list, CSV and .xlsx."""

    def at(file_format: str) -> str:  # the needs' format is in the path, the others' in the query
        if "{fmt}" in url:
            return url.replace("{fmt}", file_format)
        return f"{url}{'&' if '?' in url else '?'}format={file_format}"

    monkeypatch.setattr(paging, "PAGE_ROWS", 100_000)
    whole = client.get(at("csv"))
    assert whole.status_code == 200, whole.text
    expected = _csv_ids(whole.content)
    monkeypatch.setattr(paging, "PAGE_ROWS", 2)
    paged = client.get(at("csv"))
    assert paged.status_code == 200
    ids = _csv_ids(paged.content)
    assert ids == expected, url  # the list's order, page after page
    assert len(ids) == len(set(ids)) == int(paged.headers["x-export-rows"]), url  # every row once, counted
    sheet = client.get(at("xlsx"))
    assert sheet.status_code == 200 and sheet.headers["x-export-rows"] == str(len(ids))
    assert _xlsx_ids(sheet.content) == ids, url
    return ids, paged.content


def test_the_needs_file_holds_every_need_once_in_order_masked(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = make_grid(session, make_community(session, default_street(session)))
    tied = NOW - timedelta(days=1)
    made = [
        factories.make_need(session, grid, NeedStatus.SUBMITTED, created_at=tied if n % 3 else NOW - timedelta(hours=n))
        for n in range(9)
    ]
    session.commit()
    sign_in_as(client, session, Role.ADMIN)  # the street's admin

    ids, content = _exported(client, monkeypatch, "/needs/export.{fmt}")
    assert sorted(ids) == sorted(str(need.id) for need in made)
    text = content.decode("utf-8-sig")
    assert BENEFICIARY_NAME not in text and BENEFICIARY_PHONE not in text and BENEFICIARY_ADDRESS not in text
    assert str(mask_name(BENEFICIARY_NAME)) in text and str(mask_phone(BENEFICIARY_PHONE)) in text
    _exported(client, monkeypatch, "/needs/export.{fmt}?status=submitted")


def test_the_projects_file_holds_every_project_once_in_the_boards_order(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = make_grid(session, make_community(session, default_street(session)))
    tied = NOW - timedelta(days=2)
    made = []
    for n in range(9):
        need = factories.make_need(
            session,
            grid,
            NeedStatus.PUBLISHED if n % 4 else NeedStatus.IN_PROGRESS,
            created_at=tied if n % 2 else NOW - timedelta(hours=n),
            due_date=None if n % 3 == 0 else date(2026, 6, 1 + n % 2),  # undated ones among dated ties
        )
        factories.add_resource_line(session, need)
        made.append(need)
    session.commit()

    ids, _content = _exported(client, monkeypatch, "/projects/export")
    assert sorted(ids) == sorted(str(need.id) for need in made)
    _exported(client, monkeypatch, "/api/v1/projects/export")


def test_the_offers_file_holds_every_offer_once_in_order(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    organization = make_org(session, name="导出分页企业")
    tied = NOW - timedelta(days=3)
    made = [
        factories.make_offer(session, organization, created_at=tied if n % 2 else NOW - timedelta(hours=n))
        for n in range(7)
    ]
    session.commit()
    sign_in_as(client, session, Role.ADMIN)

    ids, _content = _exported(client, monkeypatch, "/offers/export")
    assert sorted(ids) == sorted(str(offer.id) for offer in made)
    _exported(client, monkeypatch, "/api/v1/offers/export")


@pytest.mark.parametrize("sort", ["name", "hours", "last_service", "reliability"])
def test_the_volunteers_file_holds_every_volunteer_once_in_each_sorts_order(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    grid = make_grid(session, make_community(session, default_street(session)))
    made = []
    for n in range(8):
        volunteer = factories.make_volunteer(
            session,
            grid,
            reliability_rate=None if n % 3 == 0 else 0.5 if n % 2 else 0.8,
        )
        volunteer_user = session.get(User, volunteer.user_id)
        assert volunteer_user is not None
        volunteer_user.display_name = f"同名志愿者{n % 3}"  # ties on the name: the id decides
        made.append(volunteer)
    session.commit()
    sign_in_as(client, session, Role.ADMIN)

    ids, _content = _exported(client, monkeypatch, f"/volunteers/export?sort={sort}")
    assert sorted(ids) == sorted(str(volunteer.id) for volunteer in made)


@pytest.mark.parametrize("sort", ["name", "contributions", "open_offers"])
def test_the_organizations_file_holds_every_organization_once_in_each_sorts_order(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    made = [make_org(session, name=f"同名导出企业{n % 2}") for n in range(6)]
    for organization in made[:3]:
        factories.make_offer(session, organization)
    session.commit()
    sign_in_as(client, session, Role.ADMIN)

    ids, _content = _exported(client, monkeypatch, f"/directory/organizations/export?sort={sort}")
    assert {str(organization.id) for organization in made} <= set(ids)
