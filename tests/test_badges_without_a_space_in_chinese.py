"""A small badge or count after words sits right after them in Chinese and after a space in English.

"张三<管理员>" and "全部12" on a Chinese page (the heading's badge keeps its distance through CSS), "Zhang San
<Admin>" and "All 12" on an English one; an escalated need's badge and a merged report's heading say their
colon in the page's language ("已吹哨：社区", "Escalated: Community").
"""

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.security_helpers import make_user, sign_in_as

GAP = {"zh_CN": "", "en": " "}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_badges_and_counts_follow_their_words_as_the_language_writes_them(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    shown = make_user(session, Role.STAFF, display_name="张三")
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", lang)

    user_page = client.get(f"/admin/users/{shown.id}").text
    assert re.search(rf"张三{GAP[lang]}<span class=\"badge\">", user_page), user_page[:2000]

    queue = client.get("/review").text
    all_tab = {"zh_CN": "全部", "en": "All"}[lang]
    assert f'{all_tab}{GAP[lang]}<span class="review-count">' in queue
