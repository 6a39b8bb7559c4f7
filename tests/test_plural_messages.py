"""Counted notification sentences agree with their count: "1 project is closed", "2 projects are closed".

Every sentence of the notifications domain (the centre, its digests and the daily digest) that prints a
number goes through ``ngettext``, so English says one or many and zh_CN (one plural form) says its one
sentence. Notifications are stored as kind and payload and rendered when read, so rows stored before
this change read the new way too.
"""

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.notifications.messages import SUMMARIES, render
from marketplace.notifications.models import Notification
from tests.security_helpers import sign_in_as
from tests.test_notification_content import speaking

NOTIFICATIONS = Path(__file__).resolve().parent.parent / "marketplace" / "notifications"
# An integer placeholder: "%(num)d", "%(slots)d" is a count.
COUNTED = re.compile(r"%\(\w+\)d")


def said(kind: str, payload: dict[str, Any], locale: str, count: int = 1, subjects: int = 1) -> str:
    with speaking(locale):
        return render(kind, {"need_id": 41, "need_title": "楼道清理", **payload}, count, subjects).text


def digest_of(kinds: dict[str, int], locale: str) -> str:
    return said("daily_digest", {"total": sum(kinds.values()), "kinds": kinds}, locale)


def test_no_counted_sentence_in_the_notifications_goes_through_plain_gettext() -> None:
    """The class of the defect: a number printed in a sentence that has one form for every count."""
    offenders: list[str] = []
    for path in sorted(NOTIFICATIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ("_", "gettext") or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and COUNTED.search(first.value):
                offenders.append(f"{path.name}:{node.lineno}: {first.value}")
    assert not offenders, "counted sentences without ngettext:\n" + "\n".join(offenders)


@pytest.mark.parametrize("kind", sorted(SUMMARIES))
def test_every_digest_summary_says_one_in_the_singular(kind: str) -> None:
    with speaking("en"):
        one, two = SUMMARIES[kind](1), SUMMARIES[kind](2)
    assert "1" in one and "2" in two
    assert one != two.replace("2", "1"), f"{kind}: {one!r} is the plural sentence with a 1 in it"


def test_the_daily_digest_in_english_singular_and_plural() -> None:
    # One kind says its count once, in its own sentence.
    assert digest_of({"need_closed": 1}, "en") == "Unread today: 1 project is closed"
    assert digest_of({"signup_confirmed": 3, "need_closed": 2}, "en") == (
        "You have 5 unread messages today: 3 of your sign-ups were confirmed; 2 projects are closed"
    )
    assert digest_of({"claim_approved": 1, "escalation_opened": 1}, "en") == (
        "You have 2 unread messages today: 1 of your claims was approved; 1 escalation needs your acknowledgement"
    )
    # It names its most frequent kinds (messages.DIGEST_KINDS_NAMED); the rest are counted together: one "other
    # notification", three "other notifications".
    named = {"match_proposed": 4, "match_approved": 4, "claim_approved": 4, "signup_confirmed": 4}
    assert digest_of(named | {"need_closed": 1}, "en").endswith("; 1 other notification")
    assert digest_of(named | {"need_closed": 3}, "en").endswith("; 3 other notifications")
    assert said("daily_digest", {"total": 1, "kinds": {}}, "en") == "You have 1 unread message today"


def test_the_daily_digest_in_chinese() -> None:
    assert digest_of({"need_closed": 1}, "zh_CN") == "今天的未读消息：1 个项目已办结"
    assert digest_of({"need_closed": 2}, "zh_CN") == "今天的未读消息：2 个项目已办结"


def test_counted_digest_headings_in_both_languages() -> None:
    """A digest about several projects, and counted sentences about one project."""
    assert said("need_closed", {}, "en", count=2, subjects=2) == "2 projects are closed"
    assert said("need_closed", {}, "en", count=3) == "3 projects are closed, the latest 楼道清理"
    assert said("need_closed", {}, "zh_CN", count=3) == "3 个项目已办结，最近一个是“楼道清理”"
    assert said("need_line_changed", {}, "en", count=2) == "2 changes to 楼道清理"
    assert said("proposal_answered", {}, "en", count=2) == "2 proposals for 楼道清理 were answered"
    # A shift cut to one place: one place, not "1 places".
    shift = {"shift": "周六上午", "slots": 1}
    assert "the shift 周六上午 now has 1 place;" in said("need_shift_changed", shift, "en")
    assert "the shift 周六上午 now has 3 places;" in said("need_shift_changed", shift | {"slots": 3}, "en")
    assert "现有1个名额" in said("need_shift_changed", shift, "zh_CN")


def test_a_digest_stored_before_reads_in_the_singular_on_the_centre(
    client: TestClient[Litestar], session: Session
) -> None:
    """Rows hold kind and payload, not text: a digest the job stored earlier reads the new way."""
    user = sign_in_as(client, session, Role.VOLUNTEER)
    session.add(
        Notification(
            user_id=user.id or 0,
            kind="daily_digest",
            subject_type="user",
            subject_id=user.id or 0,
            digest_key=f"daily_digest:{user.id}",
            payload={"day": "2026-06-04", "total": 1, "kinds": {"need_closed": 1}},
        )
    )
    session.commit()
    client.cookies.set("lang", "en")
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "Unread today: 1 project is closed" in page.text
    assert "1 projects" not in page.text and "1 unread messages" not in page.text
    client.cookies.set("lang", "zh_CN")
    assert "今天的未读消息：1 个项目已办结" in client.get("/notifications").text


# Placeholders that are a bound, a size, a position or a label, never a count of things the reader has.
NOT_COUNTED = {"max", "min", "size", "ratio", "line", "row", "position", "id", "n"}
# Counted sentences that stay as they are: a count that is never 1 here, or "(s)" (a sentence with two
# counts puts each through ngettext and joins them, as the item vocabulary's "1 offer and 3 resource lines").
ALLOWED = {
    "A unified social credit code has 18 characters; this one has %(count)d.",
    "Use at least %(count)d characters.",
    "%(when)s · %(confirmed)d of %(slots)d confirmed",
}
MARKETPLACE = NOTIFICATIONS.parent


def test_no_counted_sentence_anywhere_goes_through_plain_gettext() -> None:
    """The same class over the whole app ("Try again in 1 minutes", "1 proposals" on the admin's home)."""
    offenders: list[str] = []
    for path in sorted(MARKETPLACE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
                continue
            first = node.args[0]
            if node.func.id not in ("_", "gettext", "N_") or not isinstance(first, ast.Constant):
                continue
            text = first.value
            if not isinstance(text, str) or text in ALLOWED or "(s)" in text:
                continue
            counts = set(re.findall(r"%\((\w+)\)d", text)) - NOT_COUNTED
            if counts:
                offenders.append(f"{path.relative_to(MARKETPLACE)}:{node.lineno}: {text}")
    assert not offenders, "counted sentences without ngettext:\n" + "\n".join(offenders)


TEMPLATES = MARKETPLACE.parent / "templates"
# A ``_("...")`` / ``_('...')`` call in a template and its literal text (the ``(?<![\w.])`` keeps out ``ngettext(``).
TEMPLATE_GETTEXT = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# The rule for templates: a placeholder (``%(name)d`` or ``%(name)s``: templates often pass a number already
# formatted by the ``number`` filter) whose name says it counts things the reader has. Bounds, sizes, labels,
# positions and times (mb, max, limit, id, n, step, page, time, stage, first, last, start, end, year, hours
# and seconds printed as "h"/"s") are not in the list.
TEMPLATE_COUNTS = {
    "count", "num", "total", "offers", "lines", "collected", "solved", "open", "grids", "days", "minutes",
    "confirmed", "slots", "events", "jobs", "items", "needs", "rows", "pairs", "groups", "volunteers",
}  # fmt: skip
# Template sentences that are right as they are, each with the reason.
TEMPLATE_ALLOWED = {
    # No noun follows the count: "1 disabled", "… and 1 more", "and 1 more", a label "Needs found: 1".
    "%(count)s disabled",
    "… and %(count)s more",
    "and %(num)s more",
    "and %(count)d more",
    "Needs found: %(count)d",
    # A limit of the upload form (20 MB and 5,000 rows), never 1.
    "Up to %(mb)d MB and %(rows)s rows. CSV may be UTF-8 or GBK (as Excel saves it on Chinese Windows).",
    # The screen refreshes every REFRESH_SECONDS // 60 = 5 minutes, a constant.
    "Updated %(time)s; refreshes every %(minutes)s minutes",
    # An average with one decimal ("2.5 days", "1.0 days"): English keeps the plural.
    "Whole street: %(days)s days on average.",
}


def test_no_counted_sentence_in_the_templates_goes_through_plain_gettext() -> None:
    """The same class in the templates ("Carried by 1 offers and 5 resource lines" on /admin/items/<key>)."""
    offenders: list[str] = []
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        source = path.read_text(encoding="utf-8")
        for match in TEMPLATE_GETTEXT.finditer(source):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            if text in TEMPLATE_ALLOWED:
                continue
            counts = set(re.findall(r"%\((\w+)\)[ds]", text)) & TEMPLATE_COUNTS
            # A sentence with two counts joins parts that each went through ngettext: "Carried by %(offers)s
            # and %(lines)s." with offers=ngettext("%(count)d offer", ...) inside the same {{ }} or {% %}.
            call = re.split(r"[}%]}", source[match.end() :], maxsplit=1)[0]
            counts -= set(re.findall(r"(\w+)=ngettext\(", call))
            if counts:
                line = source.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(TEMPLATES)}:{line}: {text}")
    assert not offenders, "counted sentences without ngettext in the templates:\n" + "\n".join(offenders)
