"""The place a page's header names: a city admin works over every street, so their header names the city's
streets, never the deployment's first street; a street admin's names their own street. On a seeded city of
two streets (Hudao Street first, then Badaguan Street), in Chinese and in English, error pages included."""

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from marketplace.settings import Settings
from seeds.city import seed_city
from seeds.demo_accounts import DEMO_PASSWORD
from tests import hostile_files
from tests.security_helpers import csrf_for, login

BRAND = re.compile(r'<span class="brand-street">([^<]*)</span>')
TITLE = re.compile(r"<title>([^<]*)</title>")
FOOTER = re.compile(r'<p class="footer-about">\s*<strong>([^<]*)</strong>')


@pytest.fixture
def two_streets(clean_engine: sa.Engine) -> None:
    seed_city(clean_engine, streets=2, today=date(2026, 5, 1))


def _header(client: TestClient[Litestar], path: str, lang: str) -> tuple[str, str, str]:
    client.cookies.set("lang", lang)
    page = client.get(path)
    brand, title, footer = BRAND.search(page.text), TITLE.search(page.text), FOOTER.search(page.text)
    assert brand and title and footer, (path, page.status_code, page.text[:500])
    return html.unescape(brand.group(1)), html.unescape(title.group(1)), html.unescape(footer.group(1))


# (account, what its header says in Chinese, in English)
VIEWERS = [
    ("city", "青岛市全部街道", "Every street"),
    ("admin", "湖岛街道", "Hudao Street"),
    ("badaguan-admin", "八大关街道", "Badaguan Street"),
]


def test_the_header_names_the_viewers_scope_not_the_first_street(
    two_streets: None, client: TestClient[Litestar]
) -> None:
    for username, chinese, english in VIEWERS:
        client.cookies.clear()
        assert login(client, username, DEMO_PASSWORD).status_code == 303
        for path in ("/review", "/admin", "/needs/999999999"):  # the last a 404: an error page, from memory
            for lang, expected in (("zh_CN", chinese), ("en", english)):
                brand, title, footer = _header(client, path, lang)
                assert brand == expected, (username, path, lang, brand)
                assert title.endswith(f" · {expected}") and footer == expected, (username, path, lang)
                if username != "admin":
                    assert "湖岛" not in brand + title + footer and "Hudao" not in brand + title + footer


def test_a_visitor_still_sees_the_deployments_street(two_streets: None, client: TestClient[Litestar]) -> None:
    brand, _title, _footer = _header(client, "/", "zh_CN")
    assert brand == "湖岛街道"


def test_an_upload_over_the_limit_names_the_city_admins_scope_too(
    two_streets: None, client: TestClient[Litestar], settings: Settings
) -> None:
    """The 413 page is worded before any handler runs and names the place from memory, as error pages do."""
    assert login(client, "city", DEMO_PASSWORD).status_code == 303
    _header(client, "/review", "zh_CN")  # a page of theirs read the city
    refused = client.post(
        "/needs/import",
        files={"file": ("big.csv", hostile_files.oversized_body(), "text/csv")},
        data={"csrf_token": csrf_for(client, settings)},
    )
    assert refused.status_code == 413
    brand = BRAND.search(refused.text)
    assert brand is not None and html.unescape(brand.group(1)) == "青岛市全部街道"
