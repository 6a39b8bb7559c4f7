"""A resident whose lookups hit the limit reads the same 429 page as every other public limit: what happened,
when to try again (from Retry-After), how many lookups are allowed, and a way back to the form with their
reference kept; the API keeps its JSON answer."""

from typing import Any

import pytest
from litestar.testing import TestClient

from marketplace.needs import tracking
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, post_form
from tests.test_too_many_page import _assert_too_many_page

LIMIT_SENTENCE = {
    "en": f"At most {tracking.LOOKUP_LIMIT} lookups an hour can be made from one connection.",
    "zh_CN": f"同一网络每小时最多查询 {tracking.LOOKUP_LIMIT} 次。",
}
BACK = {"en": "Back to the lookup form", "zh_CN": "返回查询页"}


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_the_lookup_limit_shows_the_too_many_page(locale: str, client: TestClient[Any], settings: Settings) -> None:
    client.cookies.set("lang", locale)
    for n in range(tracking.LOOKUP_LIMIT):
        answer = post_form(client, settings, "/track", {"ref": "XQ-000202", "phone": f"139{n:08d}"})
        assert answer.status_code == 404, answer.status_code
    refused = post_form(client, settings, "/track", {"ref": "XQ-000202", "phone": "13912345678"})
    _assert_too_many_page(refused, locale, "/track?ref=XQ-000202")
    assert LIMIT_SENTENCE[locale] in refused.text and BACK[locale] in refused.text
    assert 'name="phone"' not in refused.text  # the page, not the form with an error line
    api = client.post(
        "/api/v1/track",
        json={"ref": "XQ-000202", "phone": "13912345678"},
        headers={"X-CSRF-Token": csrf_for(client, settings)},
    )
    assert api.status_code == 429 and api.headers["content-type"].startswith("application/json")
