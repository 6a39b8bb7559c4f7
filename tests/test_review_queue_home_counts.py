"""The admins' home page counts of the review queue (by kind and by age) are the review inbox's numbers, for a
city admin (every street) and for each street's admin (theirs only), read in one grouped query that reads the
pending matches (and a street admin's needs) and none of the rows the inbox's cards show."""

from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.matches import inbox, summaries
from marketplace.matches.models import MatchKind
from marketplace.settings import Settings
from tests.street_fixtures import actor, build_two_streets


def test_the_home_counts_are_the_inboxs_for_the_city_admin_and_each_street_admin(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    now = utcnow()
    today_starts, recent_starts = now - timedelta(hours=1), now - timedelta(days=3)
    seen: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = session.get_bind()
    totals = {}
    for user in (world.city_admin, world.a.admin, world.b.admin):
        viewer = actor(user)
        with session_factory() as db:
            expected = inbox.count_inbox(db, inbox.InboxFilters().within(viewer), inbox.Clock.at(db=db))
            seen.clear()
            event.listen(engine, "before_cursor_execute", spy)
            try:
                counts = summaries.review_queue(db, viewer, today_starts=today_starts, recent_starts=recent_starts)
            finally:
                event.remove(engine, "before_cursor_execute", spy)
        assert counts.total == expected.total > 0
        assert counts.kinds == {kind: expected.kinds.get(kind, 0) for kind in MatchKind}
        assert counts.today + counts.recent + counts.older == counts.total
        assert counts.today == counts.total  # everything was proposed a moment ago
        [statement] = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
        assert "offer" not in statement.lower().split("from", 1)[1] and "shift" not in statement.lower()
        totals[user.username] = counts.total
    # The streets' admins see their own items, the city admin every one.
    assert totals[world.city_admin.username] == totals[world.a.admin.username] + totals[world.b.admin.username]
