"""A volunteer's hours by month name each month in the reader's language (2026年12月 / Dec 2026), not as the
stored key "2026-12" (seen on the Chinese page by a newcomer's walk)."""

import html
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_skeleton
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.web import year_month
from tests.security_helpers import DEFAULT_PASSWORD, login
from tests.test_left_early_frees_the_rest import _left_early


def test_the_hours_page_names_the_month_in_each_language(client: TestClient[Any], session: Session) -> None:
    walk = _left_early(client, session)  # a stay checked out just now: hours this month
    key = walk["out"].astimezone(UTC).strftime("%Y-%m")
    assert login(client, walk["person"].user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    shown = {}
    for language, locale in (("zh-CN", "zh_CN"), ("en", "en")):
        client.headers["Accept-Language"] = language
        page = html.unescape(client.get("/volunteer/hours").text)
        month = datetime.strptime(key, "%Y-%m")
        shown[locale] = format_skeleton("yMMM", month, locale=locale)
        assert f"<td>{shown[locale]}</td>" in page, page[-3000:]
        assert f"<td>{key}</td>" not in page
    assert shown["zh_CN"].endswith("月") and shown["en"][:3].isalpha()


def test_a_month_key_of_another_shape_is_shown_as_it_is() -> None:
    assert year_month("earlier records") == "earlier records"
