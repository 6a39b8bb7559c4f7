"""The list of problems above a need form reads as the language writes it: "遇到了什么问题：此项为必填项。",
not "遇到了什么问题？: 此项为必填项。" (an English colon after a Chinese question mark).

Found walking the demo: a resident sending the public form empty saw each problem as "label?: problem".
"""

import re
from typing import Any

from litestar.testing import TestClient

from tests.security_helpers import csrf_from


def summary_items(client: TestClient[Any]) -> list[str]:
    form = client.get("/submit")
    response = client.post("/submit", data={"csrf_token": csrf_from(form.text), "title": ""})
    assert response.status_code in (400, 422), response.status_code
    summary = re.search(r'<div class="banner banner-problem need-error-summary".*?</ul>', response.text, re.S)
    assert summary, "no error summary"
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)]


def test_the_chinese_summary_uses_a_full_width_colon_after_the_field(client: TestClient[Any]) -> None:
    client.cookies.set("lang", "zh_CN")
    items = summary_items(client)
    assert "遇到了什么问题：此项为必填项。" in items, items
    assert not any("?:" in item or "？:" in item or "？：" in item for item in items)
    assert all("：" in item for item in items)


def test_the_english_summary_keeps_its_colon_and_links_to_each_field(client: TestClient[Any]) -> None:
    client.cookies.set("lang", "en")
    form = client.get("/submit")
    response = client.post("/submit", data={"csrf_token": csrf_from(form.text), "title": ""})
    assert '<a href="#f-title">' in response.text
    items = summary_items(client)
    assert any(item.endswith(": This field is required.") for item in items), items
    assert not any("?:" in item for item in items)
