"""The API's description (/schema/openapi.json) reads in English: no Chinese words in a summary, description or
title, where an English reader found "Acknowledge (报到) an escalation step" and "(口头 / 书面 / 电话)".

Examples are data and may be Chinese (a need's title, a unit such as 桶); the words that explain stay English.
"""

import re
from collections.abc import Iterator
from typing import Any

from litestar.testing import TestClient

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
EXPLAINING = ("summary", "description", "title")


def _explaining_texts(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "examples"):
                continue  # data
            if key in EXPLAINING and isinstance(value, str):
                yield f"{where}/{key}", value
            yield from _explaining_texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _explaining_texts(value, f"{where}[{index}]")


def test_every_summary_description_and_title_of_the_api_is_english(client: TestClient[Any]) -> None:
    spec = client.get("/schema/openapi.json")
    assert spec.status_code == 200
    texts = list(_explaining_texts(spec.json()))
    assert any("escalation step" in text for _where, text in texts)  # the scan reaches the operations
    chinese = [(where, text) for where, text in texts if CJK.search(text)]
    assert chinese == []
