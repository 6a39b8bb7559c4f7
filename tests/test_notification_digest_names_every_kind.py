"""The daily digest (and an entry grouping several objects of one kind) names every kind it counts.

Found as a partner: the street changed the quantity of two lines the partner had claimed and cancelled a
shift their people staffed; the evening digest said "You have 3 unread messages today: 3 other notifications"
(今天您有 3 条未读消息：其他消息 3 条), as if nothing in particular had happened, because the need-change kinds
had no digest sentence. Each kind now says what it counts, in the reader's language ("2 changes to lines you
take part in" / 您参与的资源项有 2 处变更); and every kind a notification can have is walked, so a kind added
later without its sentence fails here.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.i18n import current_locale
from marketplace.i18n.numbers import counted
from marketplace.notifications import daily
from marketplace.notifications.messages import RENDERERS, SUMMARIES, render
from marketplace.notifications.outbox import send
from tests import matches_factories as mf

TITLE = "湖岛街道楼道照明改造"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    token = current_locale.set(locale)
    try:
        yield
    finally:
        current_locale.reset(token)


def _generic(count: int) -> tuple[str, str]:
    """What a digest says of what it has no sentence for: "N other notifications", "You have N new notifications"."""
    return (
        counted("%(num)d other notification", "%(num)d other notifications", count),
        counted("You have %(num)d new notification", "You have %(num)d new notifications", count),
    )


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_every_kind_has_its_own_digest_sentence_in_both_languages(kind: str) -> None:
    assert kind in SUMMARIES, f"{kind} has no digest sentence (messages.SUMMARIES)"
    said: dict[str, tuple[str, str]] = {}
    for locale in ("en", "zh_CN"):
        with speaking(locale):
            other, some = _generic(2)
            digest = render("daily_digest", {"kinds": {kind: 2}, "total": 2}).text
            grouped = render(kind, {"need_id": 7, "need_title": TITLE}, count=2, subjects=2).text
        assert other not in digest and "2" in digest, (locale, digest)
        assert grouped != some and "2" in grouped, (locale, grouped)
        said[locale] = (digest, grouped)
    # The Chinese is translated, with no English left in it.
    assert said["zh_CN"] != said["en"]
    for text in said["zh_CN"]:
        assert not any("a" <= char.lower() <= "z" for char in text), text


def test_a_partners_digest_says_what_changed_on_the_projects_they_take_part_in(
    client: TestClient[Litestar], session: Session
) -> None:
    partner = mf.partner(session)
    user_id = partner.user.id or 0
    need = mf.project(session, title=TITLE)
    line = {"need_id": need.id, "need_title": TITLE, "line": "LED灯", "unit": "个", "outcome": "released"}
    for before, after in (("10", "12"), ("12", "8")):
        send(session, user_id, "need_line_changed", line | {"before": before, "after": after}, echo=False)
    shift = {"need_id": need.id, "need_title": TITLE, "shift": "楼道清扫", "outcome": "whole"}
    send(session, user_id, "need_shift_cancelled", shift, echo=False)
    send(
        session, user_id, "need_cancelled", {"need_id": need.id, "need_title": TITLE, "outcome": "released"}, echo=False
    )
    session.commit()
    daily.send_digests(session, utcnow())
    session.commit()

    def digest_text(language: dict[str, str]) -> str:
        answer = client.get("/api/v1/notifications", headers=partner.headers | language)
        assert answer.status_code == 200, answer.text
        (entry,) = [d for d in answer.json()["digests"] if d["kind"] == "daily_digest"]
        return str(entry["text"])

    english = digest_text(EN)
    assert english == (
        "You have 4 unread messages today: 2 changes to lines you take part in; "
        "1 project was cancelled; 1 shift you take part in was cancelled"
    ), english
    chinese = digest_text(ZH)
    assert "您参与的资源项有 2 处变更" in chinese and "您参与的 1 个班次已取消" in chinese, chinese
    assert "1 个项目已取消" in chinese and "其他消息" not in chinese, chinese


def test_a_cancelled_shift_told_without_its_time_leaves_no_gap() -> None:
    """A row that does not say when the shift was reads "the shift 楼道清扫 was cancelled", not "… on was …"."""
    payload = {"need_id": 7, "need_title": TITLE, "shift": "楼道清扫", "outcome": "whole"}
    with speaking("en"):
        english = render("need_shift_cancelled", payload).text
    with speaking("zh_CN"):
        chinese = render("need_shift_cancelled", payload).text
    assert english.startswith(f"{TITLE}: the shift 楼道清扫 was cancelled;"), english
    assert chinese.startswith(f"“{TITLE}”：班次“楼道清扫”已取消；"), chinese
