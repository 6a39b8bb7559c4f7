"""The open escalations page: oldest first, overdue marked, acknowledged steps gone, scoped for staff,
acknowledge (报到) buttons only where the viewer may acknowledge."""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.needs.escalation_pages import PAGE_SIZE
from marketplace.needs.models import Escalation, EscalationLevel, Need, NeedStatus
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests import factories
from tests.security_helpers import audit_events, fetch, make_grid, post_form, sign_in_as


def _step(
    session: Session,
    grid: Grid,
    title: str,
    *,
    age: timedelta,
    level: EscalationLevel = EscalationLevel.GRID,
    deadline_in: timedelta = timedelta(days=1),
    acknowledged: bool = False,
) -> Escalation:
    need = factories.make_need(session, grid, NeedStatus.PUBLISHED, title=title, escalation_level=level)
    opened = utcnow() - age
    step = Escalation(
        need_id=need.id,  # type: ignore[arg-type]
        level=level,
        reason=f"{title}无人处理",
        opened_at=opened,
        deadline_at=utcnow() + deadline_in,
        acknowledged_at=utcnow() if acknowledged else None,
    )
    session.add(step)
    session.commit()
    return step


def test_open_steps_are_listed_oldest_first_with_overdue_marked(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    _step(session, grid, "新近的问题", age=timedelta(hours=2))
    _step(
        session, grid, "最早的问题", age=timedelta(days=3), level=EscalationLevel.STREET, deadline_in=timedelta(days=2)
    )
    _step(
        session,
        grid,
        "逾期的问题",
        age=timedelta(days=1),
        level=EscalationLevel.STREET,
        deadline_in=-timedelta(hours=1),
    )
    _step(session, grid, "已报到的问题", age=timedelta(days=4), acknowledged=True)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get("/escalations")
    assert page.status_code == 200
    text = page.text
    assert text.index("最早的问题") < text.index("逾期的问题") < text.index("新近的问题")
    assert text.count("Overdue</span>") == 1 and "1 overdue" in text and "3 steps not acknowledged" in text
    overdue_item = text[text.index("逾期的问题") - 600 : text.index("逾期的问题")]
    assert "is-overdue" in overdue_item
    assert text.count("Not acknowledged</span>") == 3
    acknowledged_item = text[text.index("已报到的问题") - 600 : text.index("已报到的问题")]
    assert "is-acknowledged" in acknowledged_item and "Acknowledged</span>" in acknowledged_item
    waiting = client.get("/escalations?waiting=true").text
    assert "已报到的问题" not in waiting and "最早的问题" in waiting


def test_staff_see_only_their_scope_and_acknowledge_their_levels(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid, elsewhere = make_grid(session), make_grid(session)
    mine = _step(session, grid, "本社区的问题", age=timedelta(hours=5))
    street = _step(session, grid, "街道级问题", age=timedelta(hours=4), level=EscalationLevel.STREET)
    _step(session, elsewhere, "别处的问题", age=timedelta(hours=3))
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    page = client.get("/escalations").text
    assert "本社区的问题" in page and "街道级问题" in page and "别处的问题" not in page
    assert f'action="/escalations/{mine.id}/acknowledge"' in page
    assert f'action="/escalations/{street.id}/acknowledge"' not in page  # the street level is the admins'
    response = post_form(client, settings, f"/escalations/{mine.id}/acknowledge")
    assert response.status_code == 303 and response.headers["location"] == "/escalations?done=acknowledged"
    assert fetch(session, Escalation, mine.id).acknowledged_at is not None
    assert [str(e.object_id) for e in audit_events(session, "escalation.acknowledge")] == [str(mine.id)]
    assert "本社区的问题" not in client.get("/escalations?waiting=true").text
    assert f'action="/escalations/{mine.id}/acknowledge"' not in client.get("/escalations").text
    refused = post_form(client, settings, f"/escalations/{street.id}/acknowledge")
    assert refused.status_code == 404
    assert fetch(session, Escalation, street.id).acknowledged_at is None


def test_acknowledging_twice_is_a_conflict(client: TestClient[Any], session: Session, settings: Settings) -> None:
    step = _step(session, make_grid(session), "问题", age=timedelta(hours=1))
    sign_in_as(client, session, Role.ADMIN)
    assert post_form(client, settings, f"/escalations/{step.id}/acknowledge").status_code == 303
    assert post_form(client, settings, f"/escalations/{step.id}/acknowledge").status_code == 409


def test_opening_the_page_runs_the_overdue_sweep(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = factories.make_need(
        session, grid, NeedStatus.PUBLISHED, title="过期未办", due_date=utcnow().date() - timedelta(days=2)
    )
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    page = client.get("/escalations")
    assert "过期未办" in page.text
    assert fetch(session, Need, need.id).escalation_level is EscalationLevel.GRID


def test_the_page_is_refused_to_partners(client: TestClient[Any], session: Session, settings: Settings) -> None:
    step = _step(session, make_grid(session), "问题", age=timedelta(hours=1))
    sign_in_as(client, session, Role.PARTNER)
    assert client.get("/escalations").status_code == 403
    assert post_form(client, settings, f"/escalations/{step.id}/acknowledge").status_code == 403


def test_steps_of_closed_needs_are_not_listed(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    step = _step(session, grid, "已办结的问题", age=timedelta(days=1))
    need = session.get(Need, step.need_id)
    assert need is not None
    need.status = NeedStatus.VERIFIED
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    assert "已办结的问题" not in client.get("/escalations").text


# --- pages of fifty: a city admin's list held 1,555 open steps (1.3 MB) on one page; the counts are over
# every step the filters keep, not over the page shown.

ITEM = '<li class="escalation-item'


def _escalated(client: TestClient[Any], session: Session, count: int) -> list[int]:
    """``count`` needs past their due date, escalated by the sweep the page runs: their step ids, oldest first."""
    grid = make_grid(session)
    overdue = utcnow().date() - timedelta(days=2)
    for number in range(count):
        factories.make_need(
            session,
            grid,
            NeedStatus.PUBLISHED,
            title=f"积水点 {number:03d}",
            due_date=overdue,
        )
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    assert client.get("/escalations").status_code == 200  # runs the sweep
    ids = session.exec(sa.select(Escalation.id).order_by(Escalation.opened_at, Escalation.id)).all()  # type: ignore[call-overload]
    return [row[0] for row in ids]


def test_the_list_pages_and_counts_every_step(client: TestClient[Any], session: Session) -> None:
    steps = _escalated(client, session, PAGE_SIZE + 5)
    client.cookies.set("lang", "en")
    assert len(steps) == PAGE_SIZE + 5
    first = client.get("/escalations").text
    assert first.count(ITEM) == PAGE_SIZE
    assert f"{PAGE_SIZE + 5} open steps" in first and f"{PAGE_SIZE + 5} steps not acknowledged" in first
    assert 'rel="next" href="/escalations?page=2"' in first and "1 / 2" in first
    second = client.get("/escalations", params={"page": 2}).text
    assert second.count(ITEM) == 5 and f"{PAGE_SIZE + 5} open steps" in second
    assert 'rel="prev" href="/escalations"' in second
    # Oldest first across the pages: the last page holds the newest steps.
    assert f"/escalations/{steps[-1]}/acknowledge" in second and f"/escalations/{steps[-1]}/acknowledge" not in first
    # A page past the last shows the last; a page that is no number is refused, naming it.
    assert client.get("/escalations", params={"page": 9}).text.count(ITEM) == 5
    refused = client.get("/escalations", params={"page": 0})
    assert refused.status_code == 400 and "page" in refused.text


def test_the_overdue_filter_counts_in_the_database(client: TestClient[Any], session: Session) -> None:
    steps = _escalated(client, session, 7)
    client.cookies.set("lang", "en")
    late = set(steps[:3])
    session.execute(
        sa.update(Escalation)
        .where(Escalation.id.in_(late))  # type: ignore[union-attr]
        .values(opened_at=utcnow() - timedelta(hours=3), deadline_at=utcnow() - timedelta(hours=1))
    )
    session.commit()
    page = client.get("/escalations", params={"overdue": "true"}).text
    assert page.count(ITEM) == 3 and "3 open steps" in page and "3 overdue" in page
    # The sweep the visit ran sent those three needs one level up: each has a new step, not overdue yet.
    open_now = session.exec(sa.select(sa.func.count()).select_from(Escalation)).one()[0]  # type: ignore[call-overload]
    assert open_now == 7 + 3
    everything = client.get("/escalations").text
    assert everything.count(ITEM) == open_now and f"{open_now} open steps" in everything and "3 overdue" in everything
