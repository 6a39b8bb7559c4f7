"""A label followed by its value is written with the page's colon: 用户名：admin on a Chinese page, "User name: admin"
on an English one (label_colon), never the half-width ": " after Chinese words the account and privacy pages had."""

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.security_helpers import sign_in_as


@pytest.mark.parametrize("path", ["/account", "/account/privacy"])
def test_labels_take_the_pages_colon(client: TestClient[Any], session: Session, path: str) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER)
    client.headers["Accept-Language"] = "zh-CN"
    page = client.get(path)
    assert page.status_code == 200
    assert f"用户名：<strong>{user.username}</strong>" in page.text
    assert not re.search(r"[\u4e00-\u9fff]: ", page.text), re.findall(r".{12}[\u4e00-\u9fff]: .{12}", page.text)
    client.headers["Accept-Language"] = "en"
    english = client.get(path)
    assert f"User name: <strong>{user.username}</strong>" in english.text
