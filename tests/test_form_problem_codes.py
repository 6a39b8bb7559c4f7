"""Every field problem (400) and refusal the claim, proposal and review routes raise carries a stable code and is
said in the reader's language: programs and pages compare ``extra[i].code`` (a 400) or ``extra.code`` (a 409,
a bulk item's ``code``), never an English sentence. The class is walked, not one instance: each raiser of
``field_problem`` in the code passes a known code, each sentence has its Chinese, each route's problems answer
in Chinese under ``Accept-Language: zh-CN``; the pages that used to match English phrases no longer do.
"""

import ast
import importlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.i18n import current_locale, gettext
from marketplace.matches import field_problems, review
from marketplace.matches.models import Match
from marketplace.offers.models import OfferGrid, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.recommend import services as recommend_service
from marketplace.settings import Settings
from marketplace.vocabulary import Category
from tests import matches_factories as mf
from tests.factories import make_offer
from tests.security_helpers import make_grid, make_org, make_user, post_form, reading, sign_in_as
from tests.test_compatibility import _pending_incompatible_claim

ROOT = Path(__file__).resolve().parent.parent / "marketplace"
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
# Raisers outside the matches domain that pass a sentence of their own (already translated) with the default code.
DEFAULT_CODE_CALLERS = {"needs/tracking_pages.py"}


def _field_problem_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name == "field_problem":
                    calls.append((str(path.relative_to(ROOT)), node))
    return calls


def test_every_field_problem_raised_passes_a_known_code() -> None:
    calls = _field_problem_calls()
    assert len(calls) >= 25  # claims, pages, staff proposals, review, delivery, round proposals, the inbox filter
    for where, call in calls:
        if where in DEFAULT_CODE_CALLERS:
            continue
        code = call.args[2] if len(call.args) > 2 else next((k.value for k in call.keywords if k.arg == "code"), None)
        if isinstance(code, ast.Name):  # a module's constant (compatibility.INCOMPATIBLE)
            module = importlib.import_module("marketplace." + where.removesuffix(".py").replace("/", "."))
            code = ast.Constant(getattr(module, code.id, None))
        assert isinstance(code, ast.Constant), f"{where}:{call.lineno} raises a field problem without a code"
        assert code.value in field_problems.CODES, f"{where}:{call.lineno}: unknown code {code.value!r}"


def test_every_field_problem_sentence_is_said_in_chinese() -> None:
    sentences = {
        name: value for name, value in vars(field_problems).items() if name.isupper() and isinstance(value, str)
    }
    assert len(sentences) >= 20
    token = current_locale.set("zh_CN")
    try:
        for name, sentence in sentences.items():
            said = gettext(sentence)
            assert said != sentence and CJK.search(said), name
            assert not re.search(r"[A-Za-z]{3,}", re.sub(r"%\(\w+\)s|（(whole|line|offers|volunteers)）", "", said))
    finally:
        current_locale.reset(token)


def test_pages_choose_by_code_never_by_an_english_phrase() -> None:
    """No ``"some words" in message`` nor ``detail.startswith("quantity")`` left in the pages that show them."""
    for module in ("recommend/pages.py", "matches/page_forms.py", "matches/review_pages.py"):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
                phrase = node.left.value
                assert not (isinstance(phrase, str) and " " in phrase), f"{module}:{node.lineno} matches {phrase!r}"
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "startswith":
                assert not any(isinstance(a, ast.Constant) for a in node.args), f"{module}:{node.lineno}"
            if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Attribute) and c.attr == "BUSY" for c in node.comparators
            ):
                raise AssertionError(f"{module}:{node.lineno} compares with review.BUSY")


def _said(response: Any, status: int, code: str, key: str | None = None, *, zh: bool = True) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    [problem] = body["extra"]
    assert problem["code"] == code, body
    if key is not None:
        assert problem["key"] == key, body
    assert bool(CJK.search(problem["message"])) is zh and bool(CJK.search(body["detail"])) is zh, body
    return problem


@pytest.fixture(autouse=True)
def fresh_indexes() -> Any:
    recommend_service.forget()
    yield
    recommend_service.forget()


def test_every_claim_field_problem_has_a_code_and_is_said_in_chinese(client: TestClient[Any], session: Session) -> None:
    need, other = mf.project(session), mf.project(session)
    line, elsewhere = mf.line(session, need, "10"), mf.line(session, other, "10")
    person, stranger = mf.partner(session), mf.partner(session)
    offer = mf.offer_of(session, person.user, "30")
    small = mf.offer_of(session, person.user, "5")
    withdrawn = mf.offer_of(session, person.user, "30", status=OfferStatus.WITHDRAWN)
    lamps = mf.offer_of(session, person.user, "30", unit="盏", title="LED路灯")
    foreign = mf.offer_of(session, stranger.user, "30")
    url = f"/api/v1/projects/{need.id}/claims"

    def claim(headers: dict[str, str] = ZH, **body: Any) -> Any:
        sent = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"} | body
        return client.post(url, json={k: v for k, v in sent.items() if v is not None}, headers=person.headers | headers)

    _said(claim(offer_id=None), 400, "required", "offer_id")
    _said(claim(resource_line_id=elsewhere.id), 400, "line_not_in_project", "resource_line_id")
    _said(claim(offer_id=foreign.id), 400, "not_your_offer", "offer_id")
    inactive = _said(claim(offer_id=withdrawn.id), 400, "offer_not_active", "offer_id")
    assert inactive["status"] == "withdrawn" and "已撤回" in inactive["message"], inactive
    more = _said(claim(quantity="20"), 400, "more_than_line_needs", "quantity")
    assert more["left"] == "10.00" and "10" in more["message"], more
    _said(claim(offer_id=small.id, quantity="8"), 400, "more_than_offer_has", "quantity")
    unfit = _said(claim(offer_id=lamps.id), 400, "incompatible", "offer_id")
    assert unfit["reason_code"] and "盏" in unfit["message"], unfit
    # The same problems in English for a reader who asks for it, with the same codes.
    _said(claim(EN, quantity="20"), 400, "more_than_line_needs", "quantity", zh=False)
    assert "the offer is counted in" in _said(claim(EN, offer_id=lamps.id), 400, "incompatible", zh=False)["message"]
    with reading(session) as db:
        assert db.execute(sa.select(Match)).first() is None


def test_every_staff_proposal_field_problem_has_a_code_and_is_said_in_chinese(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, category=Category.RENOVATION, title="透水铺装改造")
    line, elsewhere = mf.line(session, need, "800"), mf.line(session, mf.project(session), "5")
    shift = mf.shift(session, need)
    organization = make_org(session, name="绿帆建材")
    fitting = make_offer(session, organization, title="透水砖", remaining_quantity=Decimal("300"))
    lamps = make_offer(session, organization, title="LED路灯", unit="盏", category=Category.RENOVATION)
    empty = make_offer(session, organization, title="透水砖（已用完）", remaining_quantity=Decimal("0"))
    session.add(OfferGrid(offer_id=fitting.id or 0, grid_id=grid.id or 0))
    session.commit()
    admin = mf.admin(session)
    url = f"/api/v1/needs/{need.id}/proposals"

    def propose(headers: dict[str, str] = ZH, **body: Any) -> Any:
        sent = {"kind": "offers", "part_id": line.id, "candidate_id": fitting.id} | body
        return client.post(url, json=sent, headers=admin.headers | headers)

    _said(propose(candidate_id=999_999), 400, "not_an_offer", "candidate_id")
    _said(propose(part_id=elsewhere.id), 400, "line_not_in_project", "part_id")
    unfit = _said(propose(candidate_id=lamps.id), 400, "incompatible", "candidate_id")
    assert unfit["reason_code"], unfit
    _said(propose(candidate_id=empty.id), 400, "nothing_left", "candidate_id")
    _said(propose(kind="volunteers", part_id=999_999), 400, "shift_not_in_project", "part_id")
    _said(propose(kind="volunteers", part_id=shift.id, candidate_id=999_999), 400, "not_a_volunteer", "candidate_id")
    row = session.get(Organization, organization.id)
    assert row is not None
    row.status, row.status_reason = OrganizationStatus.SUSPENDED, "投诉核查中"
    session.add(row)
    session.commit()
    _said(propose(), 400, "organization_not_approved", "candidate_id")
    _said(propose(EN), 400, "organization_not_approved", "candidate_id", zh=False)


def test_rejecting_without_a_reason_has_a_code_and_is_said_in_chinese(
    client: TestClient[Any], session: Session
) -> None:
    match, _bricks, _lamps = _pending_incompatible_claim(session)
    boss = mf.admin(session)
    refused = client.post(
        f"/api/v1/matches/{match.id}/decision", json={"decision": "reject"}, headers=boss.headers | ZH
    )
    problem = _said(refused, 400, "required", "reason")
    assert "500" in problem["message"]


@pytest.mark.parametrize(("headers", "why"), [(ZH, "该资源按“m²”计"), (EN, "the offer is counted in m²")])
def test_an_offer_that_cannot_serve_says_why_as_a_code_and_in_the_readers_language(
    client: TestClient[Any], session: Session, headers: dict[str, str], why: str
) -> None:
    match, bricks, _lamps = _pending_incompatible_claim(session)
    boss = mf.admin(session)
    refused = client.post(
        f"/api/v1/matches/{match.id}/decision", json={"decision": "approve"}, headers=boss.headers | headers
    )
    assert refused.status_code == 409, refused.text
    extra = refused.json()["extra"]
    assert extra["code"] == "offer_cannot_serve" and extra["offer_id"] == bricks.id
    assert extra["reason_code"] in ("unit", "measure", "count_words", "item"), extra
    assert why in extra["reason"], extra


class _LostRace(Exception):
    sqlstate = "40P01"


def test_a_bulk_item_lost_to_a_lock_race_or_gone_has_a_code_and_is_said_in_chinese(
    client: TestClient[Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    match, _bricks, _lamps = _pending_incompatible_claim(session)
    boss = mf.admin(session)

    def deadlocked(*_args: Any) -> Match:
        raise DBAPIError("UPDATE offer ...", {}, _LostRace())

    monkeypatch.setattr(review, "approve", deadlocked)
    for headers, zh in ((ZH, True), (EN, False)):
        answer = client.post("/api/v1/matches/bulk-approve", json={"ids": [match.id]}, headers=boss.headers | headers)
        assert answer.status_code == 200, answer.text
        [failed] = answer.json()["failed"]
        assert failed["code"] == "busy" and bool(CJK.search(failed["reason"])) is zh, failed
    monkeypatch.undo()
    gone = client.post("/api/v1/matches/bulk-approve", json={"ids": [match.id + 1000]}, headers=boss.headers | ZH)
    assert gone.status_code == 200, gone.text
    [failed] = gone.json()["failed"]
    assert failed["code"] == "match_not_found" and failed["reason"] == "该事项已不存在。", failed


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("zh_CN", "该资源不能满足此资源项：该资源按“盏”计"),
        ("en", "cannot serve this resource line: the offer is counted in lamps"),
    ],
)
def test_the_proposal_page_says_the_400_in_the_readers_language(
    client: TestClient[Any], session: Session, settings: Settings, locale: str, said: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, category=Category.RENOVATION, title="透水铺装改造")
    line = mf.line(session, need, "800")
    organization = make_org(session, name="绿帆建材")
    lamps = make_offer(session, organization, title="LED路灯", unit="盏", category=Category.RENOVATION)
    make_user(session, Role.PARTNER, organization_id=organization.id)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", locale)
    body = {"kind": "offers", "part_id": str(line.id), "candidate_id": str(lamps.id)}
    answer = post_form(client, settings, f"/needs/{need.id}/recommendations/propose", body)
    assert answer.status_code == 400
    assert said in answer.text, re.findall(r'role="alert".{0,400}', answer.text, re.S)
