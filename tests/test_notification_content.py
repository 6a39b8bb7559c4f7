"""Notifications say what and which: the project's title (and the line or shift), the outcome, the next step.

In both languages, for every kind; for rows stored before payloads carried titles; for digests, which list
their items; on the centre page and in the API; and in the outbox's log line. A scan of the sources checks
that every kind passed to the outbox's ``send`` anywhere in marketplace/ has a renderer naming the title.
"""

import ast
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.i18n import current_locale
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.notifications.messages import NOT_ABOUT_A_PROJECT, RENDERERS, render
from marketplace.notifications.models import Notification
from marketplace.notifications.outbox import sentence
from tests import matches_factories as mf
from tests.security_helpers import reading, sign_in_as
from tests.test_query_counts import statements_of

SOURCES = Path(__file__).resolve().parent.parent / "marketplace"
TITLE = "湖岛路口袋公园改造"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
# 09:00 in Qingdao on Thursday 2026-06-04.
STARTS = datetime(2026, 6, 4, 1, 0, tzinfo=UTC).isoformat()

LINE = {"match_kind": "offer_line", "line": "再生透水砖", "line_kind": "material", "quantity": "120.00", "unit": "m²"}
WHOLE = {"match_kind": "whole_need"}
SHIFT = {"match_kind": "volunteer_shift", "shift": "垃圾分类督导", "starts_at": STARTS}


@contextmanager
def speaking(locale: str) -> Iterator[None]:
    token = current_locale.set(locale)
    try:
        yield
    finally:
        current_locale.reset(token)


def said(kind: str, payload: dict[str, Any], locale: str, count: int = 1) -> str:
    """The sentence and its next step, as the reader sees them."""
    with speaking(locale):
        message = render(kind, {"need_id": 41, "need_title": TITLE, **payload}, count)
    return f"{message.text} | {message.next_step or ''} | {message.link or ''} {message.next_link or ''}"


# (kind, payload, what the English says, what the Chinese says) — each names the title too.
CASES = [
    (
        "claim_approved",
        LINE | {"status": "approved"},
        ["再生透水砖 (120 m²)", "was approved", "mark as delivered in My claims", "/claims"],
        ["再生透水砖（120 m²）", "已获批准", "我的认领"],
    ),
    (
        "claim_approved",
        WHOLE | {"status": "approved"},
        ["whole project", "was approved", "My claims"],
        ["整个项目", "已获批准", "我的认领"],
    ),
    (
        "match_decided",
        LINE | {"status": "rejected", "reason": "规格不符"},
        ["再生透水砖", "was rejected", "Reason: 规格不符", "Nothing to do"],
        ["再生透水砖", "未获批准", "理由：规格不符", "无需操作"],
    ),
    (
        "match_decided",
        WHOLE | {"status": "cancelled", "reason": "单位撤回"},
        ["whole project", "was cancelled", "单位撤回"],
        ["整个项目", "已取消", "单位撤回"],
    ),
    (
        "signup_confirmed",
        SHIFT | {"status": "approved"},
        ["垃圾分类督导 on Thu, Jun 4 at 09:00", "is confirmed", "check in", "one hour before", "/signups"],
        ["垃圾分类督导（6月4日周四 09:00）", "已确认", "签到", "我的班次"],
    ),
    (
        "match_decided",
        SHIFT | {"status": "rejected", "reason": "名额已满"},
        ["垃圾分类督导", "was not accepted", "名额已满"],
        ["垃圾分类督导", "未获通过", "名额已满"],
    ),
    # Rows stored before the vocabulary was fixed said "decision".
    (
        "match_decided",
        LINE | {"decision": "rejected", "reason": "重复"},
        ["was rejected", "重复"],
        ["未获批准", "重复"],
    ),
    # The seed data's approvals: a match approved then delivered still reads as its approval.
    ("match_approved", {"status": "fulfilled"}, ["was approved"], ["已获批准"]),
    ("match_proposed", LINE, ["再生透水砖", "waiting for review", "/review"], ["再生透水砖", "待审核", "审核队列"]),
    (
        "shift_reminder",
        SHIFT,
        ["Reminder", "垃圾分类督导", "Thu, Jun 4 at 09:00", "check in"],
        ["提醒", "09:00", "签到"],
    ),
    (
        "need_closed",
        {},
        ["is closed", "fulfilled and verified", "Nothing to do"],
        ["已办结", "无需操作"],
    ),
    (
        "escalation_opened",
        {"level": "community"},
        ["escalated to the Community level", "acknowledge", "/escalations"],
        ["已吹哨上报至社区", "报到"],
    ),
    ("need_published", {}, ["was published", "Nothing to do", "/needs/41"], ["已发布为项目", "无需操作"]),
    ("need_rejected", {"reason": "与XQ-000202重复"}, ["was not accepted", "与XQ-000202重复"], ["未被受理", "理由"]),
]


@pytest.mark.parametrize(("kind", "payload", "english", "chinese"), CASES)
def test_each_kind_names_the_project_the_outcome_and_the_next_step(
    kind: str, payload: dict[str, Any], english: list[str], chinese: list[str]
) -> None:
    for locale, expected in (("en", english), ("zh_CN", chinese)):
        text = said(kind, payload, locale)
        assert TITLE in text, (locale, text)
        missing = [part for part in expected if part not in text]
        assert missing == [], (locale, text)
    assert "一个项目" not in said(kind, payload, "zh_CN")


# --- every kind sent anywhere has a renderer that names the title -----------------------------------------


def _outbox_callers(tree: ast.Module) -> set[str]:
    """How a module calls the outbox's send: ``send`` (imported from the outbox or, in another domain, from the
    notifications' services) and/or ``outbox.send`` / ``notifications_services.send``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in (
            "marketplace.notifications.outbox",
            "marketplace.notifications.services",
        ):
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "send"}
        if isinstance(node, ast.ImportFrom) and node.module == "marketplace.notifications":
            names |= {
                f"{alias.asname or alias.name}.send" for alias in node.names if alias.name in ("outbox", "services")
            }
    return names


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        return f"{call.func.value.id}.{call.func.attr}"
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


class KindScan:
    """Every value a ``kind`` argument of the outbox's ``send`` can take, followed through variables and
    through the parameters of the functions that pass it on (``_tell_creator(db, actor, need, "x")``)."""

    def __init__(self) -> None:
        self.modules = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SOURCES.rglob("*.py"))}
        self.parents: dict[ast.AST, ast.AST] = {}
        for tree in self.modules.values():
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[child] = node
        self.kinds: set[str] = set()
        self.patterns: set[str] = set()
        self.unresolved: list[str] = []

    def run(self) -> "KindScan":
        for path, tree in self.modules.items():
            callers = _outbox_callers(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _call_name(node) in callers:
                    self._resolve(self._argument(node, 2, "kind"), node, path, depth=0)
        return self

    @staticmethod
    def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
        if len(call.args) > position and not any(isinstance(arg, ast.Starred) for arg in call.args[: position + 1]):
            return call.args[position]
        return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)

    def _function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def _resolve(self, expr: ast.expr | None, at: ast.AST, path: Path, depth: int) -> None:
        where = f"{path.relative_to(SOURCES.parent)}:{getattr(at, 'lineno', '?')}"
        if expr is None or depth > 4:
            self.unresolved.append(where)
        elif isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            self.kinds.add(expr.value)
        elif isinstance(expr, ast.IfExp):
            self._resolve(expr.body, at, path, depth)
            self._resolve(expr.orelse, at, path, depth)
        elif isinstance(expr, ast.JoinedStr):
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in expr.values]
            self.patterns.add("".join(parts))
        elif isinstance(expr, ast.Name):
            self._resolve_name(expr.id, at, path, depth, where)
        else:
            self.unresolved.append(where)

    def _resolve_name(self, name: str, at: ast.AST, path: Path, depth: int, where: str) -> None:
        function = self._function_of(at)
        assigned = [] if function is None else self._assigned(function, name)
        for value in assigned:
            self._resolve(value, value, path, depth + 1)
        if function is not None and self._is_parameter(function, name):
            self._resolve_parameter(function, name, depth, where)
        elif not assigned:
            constant = self._module_constant(name, path)
            if constant is None:
                self.unresolved.append(where)
            else:
                self._resolve(constant[0], constant[0], constant[1], depth + 1)

    @staticmethod
    def _assigned(scope: ast.AST, name: str) -> list[ast.expr]:
        values: list[ast.expr] = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                values.append(node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
                values += [node.value] if node.value is not None else []
        return values

    @staticmethod
    def _is_parameter(function: ast.FunctionDef, name: str) -> bool:
        arguments = function.args
        return name in [arg.arg for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]

    def _resolve_parameter(self, function: ast.FunctionDef, name: str, depth: int, where: str) -> None:
        positional = [arg.arg for arg in (*function.args.posonlyargs, *function.args.args)]
        position = positional.index(name) if name in positional else 10_000
        found = False
        for caller_path, tree in self.modules.items():
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and (_call_name(node) or "").split(".")[-1] == function.name:
                    found = True
                    self._resolve(self._argument(node, position, name), node, caller_path, depth + 1)
        if not found:
            self.unresolved.append(where)

    def _module_constant(self, name: str, path: Path) -> tuple[ast.expr, Path] | None:
        """A module-level constant of ``path``, or one it imports from another module of marketplace/."""
        tree = self.modules[path]
        for node in tree.body:
            values = self._assigned(node, name) if isinstance(node, ast.Assign | ast.AnnAssign) else []
            if values:
                return values[0], path
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("marketplace"):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        source = SOURCES.parent / (str(node.module).replace(".", "/") + ".py")
                        if source in self.modules:
                            return self._module_constant(alias.name, source)
        return None


@pytest.fixture(scope="module")
def scan() -> KindScan:
    return KindScan().run()


def test_the_scan_finds_the_kinds_sent_today(scan: KindScan) -> None:
    """Guard the guard: literals, a conditional, a parameter passed on, and an f-string are all followed."""
    assert scan.unresolved == []
    assert {"match_decided", "claim_approved", "signup_confirmed", "need_closed", "escalation_opened"} <= scan.kinds
    assert {"need_published", "need_rejected", "password_reset"} <= scan.kinds
    assert any(re.fullmatch(pattern, "organization.approve") for pattern in scan.patterns)


def test_every_kind_sent_anywhere_has_a_renderer_that_names_the_title(scan: KindScan) -> None:
    without_renderer = sorted(kind for kind in scan.kinds if kind not in RENDERERS)
    assert without_renderer == [], "add a renderer in marketplace/notifications/messages.py"
    for pattern in scan.patterns:
        assert any(re.fullmatch(pattern, kind) for kind in RENDERERS), pattern
    about_projects = {kind for kind in scan.kinds | set(RENDERERS) if kind not in NOT_ABOUT_A_PROJECT}
    for kind in sorted(about_projects):
        for locale in ("zh_CN", "en"):
            for count in (1, 3):
                text = said(kind, {}, locale, count)
                assert TITLE in text, (kind, locale, count, text)


# --- stored rows, digests, the centre page and the API ----------------------------------------------------


def _line_claim(client: TestClient[Litestar], session: Session, title: str) -> tuple[int, mf.Person, int]:
    need = mf.project(session, title=title)
    line = mf.line(session, need, "100")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining="50")
    made = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "12"},
        headers=person.headers,
    )
    assert made.status_code == 201, made.text
    return made.json()["id"], person, need.id or 0


def _notes(client: TestClient[Litestar], person: mf.Person, headers: dict[str, str]) -> list[dict[str, Any]]:
    body = client.get("/api/v1/notifications", headers=person.headers | headers).json()
    return [note for digest in body["digests"] for note in digest["notifications"]]


def test_a_decision_names_project_line_outcome_reason_and_next_step(
    client: TestClient[Litestar], session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    rejected_id, rejected_partner, _ = _line_claim(client, session, "台东三路路灯更换")
    approved_id, approved_partner, need_id = _line_claim(client, session, "湖岛新村透水砖铺设")
    boss = mf.admin(session)
    url = "/api/v1/matches/{}/decision"
    answer = client.post(
        url.format(rejected_id), json={"decision": "reject", "reason": "数量超出所需"}, headers=boss.headers
    )
    assert answer.status_code == 200
    with caplog.at_level(logging.INFO, logger="marketplace.outbox"):
        assert (
            client.post(url.format(approved_id), json={"decision": "approve"}, headers=boss.headers).status_code == 200
        )

    (note,) = _notes(client, rejected_partner, EN)
    assert note["title"] == "台东三路路灯更换"
    assert note["text"] == "Your claim of 透水砖 (12 m²) for 台东三路路灯更换 was rejected. Reason: 数量超出所需"
    assert note["next_step"] == "Nothing to do."
    # One notification per approval (no second "a decision was made" beside it).
    (note,) = _notes(client, approved_partner, ZH)
    assert note["text"] == "您为“湖岛新村透水砖铺设”认领的透水砖（12 m²）已获批准"
    assert note["next_step"] == "下一步：交付后，在“我的认领”中标记为已交付。"
    assert (note["link"], note["next_link"]) == (f"/projects/{need_id}", "/claims")
    assert any("湖岛新村透水砖铺设" in line and "我的认领" in line for line in caplog.messages)
    with reading(session) as fresh:
        stored = fresh.execute(sa.select(Notification.payload).where(Notification.subject_id == approved_id)).scalar()
    assert stored is not None and stored["need_title"] == "湖岛新村透水砖铺设" and stored["status"] == "approved"
    assert "decision" not in stored


def test_a_volunteer_sign_up_names_the_shift(client: TestClient[Litestar], session: Session) -> None:
    need = mf.project(session, title="湖岛街道核酸采样点")
    shift = mf.shift(session, need, title="采样引导")
    person, _ = mf.volunteer(session, mf.make_grid(session))
    assert client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).status_code in (200, 201)
    (note,) = _notes(client, person, EN)
    assert note["text"].startswith("Your sign-up for 采样引导 on ")
    assert note["text"].endswith(" of 湖岛街道核酸采样点 is confirmed")
    assert note["next_link"] == "/signups" and "one hour before" in note["next_step"]


def _store(session: Session, user_id: int, rows: list[tuple[str, str, int, dict[str, Any]]]) -> None:
    """Rows as senders wrote them before payloads carried titles (kind, subject type, subject id, payload)."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    session.add_all(
        Notification(
            user_id=user_id,
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            digest_key=f"old:{kind}",
            payload=payload,
            created_at=start + timedelta(minutes=n),
        )
        for n, (kind, subject_type, subject_id, payload) in enumerate(rows)
    )
    session.commit()


def test_rows_stored_without_titles_are_told_with_them(client: TestClient[Litestar], session: Session) -> None:
    match_id, person, need_id = _line_claim(client, session, "湖岛社区适老化改造")
    boss = mf.admin(session)
    client.post(
        f"/api/v1/matches/{match_id}/decision", json={"decision": "reject", "reason": "不符"}, headers=boss.headers
    )
    shift = mf.shift(session, mf.project(session, title="垃圾分类桶前值守"), title="晚间值守")
    with reading(session) as fresh:
        fresh.execute(sa.delete(Notification).where(Notification.user_id == person.user.id))
        fresh.commit()
    _store(
        session,
        person.user.id or 0,
        [
            # As review.py wrote them: no title, "decision" for the outcome.
            ("match_decided", "match", match_id, {"match_id": match_id, "need_id": need_id, "decision": "rejected"}),
            # No outcome at all: the match tells it (rejected, with its reason).
            ("match_decided", "match", match_id, {"need_id": need_id}),
            # signups.py's auto-confirmed sign-ups: the shift and the need, no title.
            ("signup_confirmed", "shift", shift.id or 0, {"shift_id": shift.id, "need_id": shift.need_id}),
            ("need_closed", "need", need_id, {}),
        ],
    )
    notes = _notes(client, person, EN)
    assert [note["title"] for note in notes] == [
        "湖岛社区适老化改造",
        "垃圾分类桶前值守",
        "湖岛社区适老化改造",
        "湖岛社区适老化改造",
    ]
    texts = [note["text"] for note in notes]
    assert texts[0] == "湖岛社区适老化改造 is closed: every line is fulfilled and verified"
    assert texts[1].startswith("Your sign-up for 晚间值守 on ") and texts[1].endswith(
        "of 垃圾分类桶前值守 is confirmed"
    )
    assert texts[2] == "Your claim of 透水砖 (12 m²) for 湖岛社区适老化改造 was rejected. Reason: 不符"
    assert texts[3] == "Your claim of 透水砖 (12 m²) for 湖岛社区适老化改造 was rejected"


def test_a_digest_lists_each_item_with_its_outcome_and_link(client: TestClient[Litestar], session: Session) -> None:
    person = mf.partner(session)
    boss = mf.admin(session)
    titles = ["湖岛一路护栏", "湖岛二路路灯", "湖岛三路座椅"]
    ids = []
    for title in titles:
        need = mf.project(session, title=title)
        line = mf.line(session, need, "10")
        offer = mf.offer_of(session, person.user, remaining="10")
        made = client.post(
            f"/api/v1/projects/{need.id}/claims",
            json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"},
            headers=person.headers,
        )
        ids.append((made.json()["id"], need.id))
    for match_id, _ in ids:
        client.post(f"/api/v1/matches/{match_id}/decision", json={"decision": "approve"}, headers=boss.headers)
    body = client.get("/api/v1/notifications", headers=person.headers | EN).json()
    (digest,) = body["digests"]
    assert (digest["count"], digest["subjects"]) == (3, 3)
    assert digest["text"] == "3 of your claims were approved"
    assert digest["next_step"] == "Next: deliver, then mark as delivered in My claims."
    assert digest["next_link"] == "/claims"
    items = digest["notifications"]
    assert [item["title"] for item in items] == titles[::-1]
    assert all("was approved" in item["text"] and item["title"] in item["text"] for item in items)
    assert [item["link"] for item in items] == [f"/projects/{need_id}" for _, need_id in ids[::-1]]


def test_the_centre_page_shows_titles_outcomes_items_and_next_steps(
    client: TestClient[Litestar], session: Session
) -> None:
    user = sign_in_as(client, session, Role.PARTNER)
    needs = [mf.project(session, title=title) for title in ("湖岛甲路改造", "湖岛乙路改造")]
    lines = [mf.line(session, need, "10") for need in needs]
    offer = mf.offer_of(session, user)
    matches = [
        Match(
            need_id=need.id or 0,
            kind=MatchKind.OFFER_LINE,
            source=MatchSource.PARTNER_CLAIM,
            resource_line_id=line.id,
            offer_id=offer.id,
            quantity=Decimal("3"),
            organization_id=user.organization_id,
            status=MatchStatus.REJECTED,
            decision_reason="重复认领",
        )
        for need, line in zip(needs, lines, strict=True)
    ]
    session.add_all(matches)
    session.commit()
    match_ids = [match.id or 0 for match in matches]
    # Two old rejections on one day under one key: one digest about two claims.
    start = datetime.now(UTC) - timedelta(minutes=10)
    session.add_all(
        Notification(
            user_id=user.id or 0,
            kind="match_decided",
            subject_type="match",
            subject_id=match_id,
            digest_key=f"match_decided:{user.id}",
            payload={"match_id": match_id, "need_id": need.id, "decision": "rejected", "reason": "重复认领"},
            created_at=start + timedelta(minutes=n),
        )
        for n, (match_id, need) in enumerate(zip(match_ids, needs, strict=True))
    )
    session.commit()
    client.cookies.set("lang", "zh_CN")
    page = client.get("/notifications").text
    assert "您的 2 项认领或报名已有审核结果" in page
    for title in ("湖岛甲路改造", "湖岛乙路改造"):
        assert f"您为“{title}”认领的透水砖（3 m²）未获批准。理由：重复认领" in page
    assert "无需操作。" in page and "一个项目" not in page
    client.cookies.set("lang", "en")
    page = client.get("/notifications").text
    assert "Your claim of 透水砖 (3 m²) for 湖岛甲路改造 was rejected. Reason: 重复认领" in page
    assert "Nothing to do." in page


def test_the_centre_looks_titles_up_once_for_the_whole_page(client: TestClient[Litestar], session: Session) -> None:
    match_id, person, need_id = _line_claim(client, session, "湖岛路面修补")
    shift = mf.shift(session, mf.project(session, title="湖岛义诊"))

    def add(n: int) -> None:
        _store(
            session,
            person.user.id or 0,
            [
                ("match_decided", "match", match_id, {"need_id": need_id, "decision": "rejected"}),
                ("signup_confirmed", "shift", shift.id or 0, {"shift_id": shift.id, "need_id": shift.need_id}),
                ("need_closed", "need", need_id, {}),
            ]
            * n,
        )

    def statements() -> int:
        app = client.app
        assert client.get("/api/v1/notifications", headers=person.headers).status_code == 200
        with statements_of(app.state.engine) as seen:
            body = client.get("/api/v1/notifications", headers=person.headers).json()
        assert all("湖岛" in note["text"] for d in body["digests"] for note in d["notifications"])
        return len(seen)

    add(2)
    few = statements()
    add(5)
    assert statements() == few


def test_the_outbox_line_is_the_centres_sentence_in_the_readers_language() -> None:
    payload = {"need_id": 3, "need_title": TITLE, **LINE, "status": "approved"}
    assert sentence("claim_approved", payload, "zh_CN") == (
        f"您为“{TITLE}”认领的再生透水砖（120 m²）已获批准。下一步：交付后，在“我的认领”中标记为已交付。"
    )
    assert sentence("claim_approved", payload, "en") == (
        f"Your claim of 再生透水砖 (120 m²) for {TITLE} was approved. "
        "Next: deliver, then mark as delivered in My claims."
    )
