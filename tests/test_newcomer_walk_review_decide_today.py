"""The review queue's mark for items to decide today is not read as the need's due date.

Found walking the demo as an admin on a phone: a card carried the badge "Due today" right above "Critical · due
Dec 15, 2026" (the mark means decide today: the shift starts today, the need is due or overdue, or it is
critical). The mark, its tab and its filter now say "Decide today" (今日须处理), the badge says why in its
title; and the keyboard keys' hint is not shown on a touch screen, where there are no keys.
"""

from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from marketplace.vocabulary import Urgency
from tests import matches_factories as mf
from tests.busy_street import volunteer_profile
from tests.security_helpers import make_grid, post_form, sign_in_as

REVIEW_CSS = Path(__file__).resolve().parents[1] / "marketplace" / "static" / "css" / "review.css"


def _sign_up_then_admin(
    client: TestClient[Any], session: Session, settings: Settings, need_fields: dict[str, Any], starts_in_hours: float
) -> None:
    """A volunteer signs up for a shift that needs approval; then the client is the street's admin."""
    grid = make_grid(session)
    need = mf.project(session, grid, **need_fields)
    shift = mf.shift(session, need, starts_in_hours=starts_in_hours, requires_approval=True)
    volunteer = sign_in_as(client, session, Role.VOLUNTEER)
    volunteer_profile(session, volunteer, grid)
    session.commit()
    assert post_form(client, settings, f"/shifts/{shift.id}/sign-up").status_code == 303
    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)


def test_a_critical_sign_up_is_marked_decide_today_not_due_today(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _sign_up_then_admin(client, session, settings, {"urgency": Urgency.CRITICAL, "title": "独居老人探访"}, 24 * 9)
    client.cookies.set("lang", "en")
    page = client.get("/review").text
    assert "独居老人探访" in page
    assert "Due today" not in page
    assert (
        '<span class="badge inbox-due" title="The shift starts today, the need is due today or overdue, or it is'
        in page
    )
    assert ">Decide today</span>" in page and "Decide today only" in page

    client.cookies.set("lang", "zh_CN")
    page = client.get("/review").text
    assert ">今日须处理</span>" in page and "今日到期" not in page


def test_the_keyboard_hint_is_hidden_on_touch_screens() -> None:
    css = REVIEW_CSS.read_text(encoding="utf-8")
    rule = css[css.index("@media (pointer: coarse)") :]
    assert ".inbox-keys { display: none; }" in rule[: rule.index("}\n") + 2]


def test_the_notice_after_a_decision_names_the_project(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    """Found on the same walk: "Item #1174 was approved." named nothing the admin had read on the card."""
    _sign_up_then_admin(client, session, settings, {"title": "楼道灯更换"}, 24)
    client.cookies.set("lang", "en")
    match_id = client.get("/review?q=楼道灯更换").text.split('id="item-', 1)[1].split('"', 1)[0]
    done = post_form(client, settings, f"/review/{match_id}/approve")
    assert done.status_code == 303
    assert f"Item #{match_id} (楼道灯更换) was approved." in client.get(done.headers["location"]).text
    client.cookies.set("lang", "zh_CN")
    assert f"事项 #{match_id}（楼道灯更换）已批准。" in client.get(done.headers["location"]).text
    # An id that is not a number, or not in the admin's street, says nothing or only the number.
    assert "已批准" not in client.get("/review?done=approved&id=abc").text
    assert "事项 #999999 已批准。" in client.get("/review?done=approved&id=999999").text
