"""The refusals that still answered in English without a code (a full shift, a project claimed already, a line
closed as enough, a cancelled shift, a project claimed whole or closed, not enough left, a candidate proposed
already, a project not yet ready to verify) say it once, in the reader's language, in the API's ``detail``;
``extra.code`` says which refusal it is and ``extra`` keeps the raw facts (ids, the stored cancel reason, the
need's status value, the stable English of what verification waits for).
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from tests import factories
from tests import matches_factories as mf
from tests.security_helpers import make_grid

LANGS = {"zh_CN": "zh-CN", "en": "en"}


def _api(person: mf.Person, lang: str) -> dict[str, str]:
    return person.headers | {"Accept-Language": LANGS[lang]}


def _refused(response: Any, code: str, said: str) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["extra"]["code"] == code, body
    assert body["detail"] == said, body
    return body["extra"]


def _said(lang: str, zh: str, en: str) -> str:
    return {"zh_CN": zh, "en": en}[lang]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_signing_up_for_a_full_shift_says_it_is_full(client: TestClient[Any], session: Session, lang: str) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), slots=1)
    first, _ = mf.volunteer(session, grid)
    assert client.post(f"/api/v1/shifts/{shift.id}/signups", headers=first.headers).status_code == 201
    second, _ = mf.volunteer(session, grid)
    refused = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=_api(second, lang))
    extra = _refused(refused, "shift_full", _said(lang, "该班次刚刚报满。", "This shift has just filled up."))
    assert extra["shift_id"] == shift.id


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_signing_up_for_a_cancelled_shift_keeps_the_streets_reason_in_extra(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid))
    row = session.get(Shift, shift.id)
    assert row is not None
    row.cancelled_at, row.cancel_reason = utcnow(), "下雨"
    session.add(row)
    session.commit()
    person, _ = mf.volunteer(session, grid)
    refused = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=_api(person, lang))
    extra = _refused(refused, "shift_cancelled", _said(lang, "街道已取消该班次。", "The street cancelled this shift."))
    assert extra["reason"] == "下雨" and extra["shift_id"] == shift.id


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_claiming_a_project_claimed_whole_already(client: TestClient[Any], session: Session, lang: str) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    first, second = mf.partner(session), mf.partner(session)
    url = f"/api/v1/projects/{need.id}/claims"
    assert client.post(url, json={"kind": "whole"}, headers=first.headers).status_code == 201
    again = client.post(url, json={"kind": "whole"}, headers=_api(second, lang))
    said = _said(lang, "其他合伙人刚刚认领了整个项目。", "Another partner has just claimed the whole project.")
    assert _refused(again, "already_claimed", said)["need_id"] == need.id
    offer = mf.offer_of(session, second.user, "10")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"}
    part = client.post(url, json=body, headers=_api(second, lang))
    said = _said(
        lang,
        "已有合伙人认领整个项目，目前不能再认领其中的部分。",
        "A partner has claimed the whole project; no part of it can be claimed now.",
    )
    _refused(part, "project_claimed_whole", said)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_claiming_a_line_closed_as_enough(client: TestClient[Any], session: Session, lang: str) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    row = session.get(ResourceLine, line.id)
    assert row is not None
    row.closed_at, row.closed_reason = utcnow(), "够了"
    session.add(row)
    session.commit()
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, "10")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"}
    refused = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=_api(partner, lang))
    said = _said(
        lang,
        "街道已将该资源项部分办结，不再接受认领。",
        "The street closed this line as enough; it takes no more claims.",
    )
    assert _refused(refused, "line_closed", said)["resource_line_id"] == line.id


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_approving_more_than_the_line_needs_says_not_enough_left(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    boss = mf.admin(session)
    ids = []
    for _ in range(2):
        partner = mf.partner(session)
        offer = mf.offer_of(session, partner.user, "10")
        body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "6"}
        claim = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=partner.headers)
        assert claim.status_code == 201, claim.text
        ids.append(claim.json()["id"])
    decide = {"decision": "approve"}
    assert client.post(f"/api/v1/matches/{ids[0]}/decision", json=decide, headers=boss.headers).status_code == 200
    refused = client.post(f"/api/v1/matches/{ids[1]}/decision", json=decide, headers=_api(boss, lang))
    said = _said(
        lang,
        "剩余数量不足，无法批准该认领；它仍在待审核中。",
        "Not enough left to approve this claim; it stays pending.",
    )
    extra = _refused(refused, "not_enough_left", said)
    assert extra["short_of"] == "line" and extra["resource_line_id"] == line.id
    bulk = client.post("/api/v1/matches/bulk-approve", json={"ids": [ids[1]]}, headers=_api(boss, lang))
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["failed"] == [{"id": ids[1], "reason": said, "code": "not_enough_left"}]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_approving_a_claim_on_a_closed_project_names_its_status(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    partner, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "10")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"}
    claim = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=partner.headers)
    assert claim.status_code == 201, claim.text
    row = session.get(Need, need.id)
    assert row is not None
    row.status = NeedStatus.CANCELLED
    session.add(row)
    session.commit()
    decide = {"decision": "approve"}
    refused = client.post(f"/api/v1/matches/{claim.json()['id']}/decision", json=decide, headers=_api(boss, lang))
    label = _said(lang, "已取消", "Cancelled")
    said = _said(
        lang,
        f"该项目已不再开放（当前：{label}），不再接受认领或报名。",
        f"This project is no longer open (now: {label}); it takes no claims or sign-ups.",
    )
    assert _refused(refused, "project_closed", said)["status"] == "cancelled"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_proposing_a_candidate_proposed_already(client: TestClient[Any], session: Session, lang: str) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    partner, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "10")
    url = f"/api/v1/needs/{need.id}/proposals"
    body = {"kind": "offers", "part_id": line.id, "candidate_id": offer.id}
    first = client.post(url, json=body, headers=boss.headers)
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers=_api(boss, lang))
    said = _said(
        lang,
        "该人选在此事项上已有进行中的推荐、认领或报名。",
        "This candidate already has a live proposal, claim or sign-up for this part.",
    )
    extra = _refused(again, "already_live", said)
    assert extra["offer_id"] == offer.id and extra["need_id"] == need.id


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_verifying_too_early_names_what_the_project_still_waits_for(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, title="修缮凉亭")
    line = mf.line(session, need, "5000")
    shift = mf.shift(session, need, title="搬运")
    boss = mf.admin(session)
    refused = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 5}, headers=_api(boss, lang))
    row = session.get(ResourceLine, line.id)
    assert row is not None
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["extra"]["code"] == "not_verifiable_yet"
    assert body["extra"]["blockers"] == [
        f"resource line #{line.id} still needs 5000.00 {row.unit}",
        f"shift #{shift.id} is not over",
    ]
    said = _said(lang, "该项目暂不能验收：资源项“", "This project cannot be verified yet: Resource line “")
    over = _said(lang, "尚未结束。", "is not over yet.")
    assert body["detail"].startswith(said) and body["detail"].endswith(over), body
    assert _said(lang, "班次“搬运”（", "Shift “搬运” on ") in body["detail"]  # named with its day and hours
    assert "5,000" in body["detail"]  # the number as the pages write it, not the stored 5000.00


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_claiming_in_a_street_the_organization_does_not_serve_has_a_code(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    make_grid(session)  # the partner's organization's own street, the default one
    other = factories.make_street(session, name="四方街道", name_en="Sifang Street")
    grid = factories.make_grid(session, factories.make_community(session, other), 7)
    need = mf.project(session, grid)
    partner = mf.partner(session)
    refused = client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=_api(partner, lang))
    assert refused.status_code == 403, refused.text
    body = refused.json()
    said = _said(lang, "贵单位不服务四方街道。", "Your organization does not serve Sifang Street.")
    assert body["extra"] == {"code": "street_not_served_by_you", "street_id": other.id}
    assert body["detail"] == said, body
