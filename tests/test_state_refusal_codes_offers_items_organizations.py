"""A refusal of a state in the offers, items and organizations API says which refusal it is: a stable code a
program compares (``offer_withdrawn``, ``offer_changed``, ``offer_already_withdrawn``, ``item_retired``, ...),
the field at fault (``key``) where one is, and the sentence in the reader's language. Before, each answered the
generic ``conflict``, so a client could not tell "reload, someone edited it" from "it is gone for good".
docs/api_refusals.md lists them."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.items.services import install_curated
from marketplace.offers.models import Offer
from marketplace.security.tokens import create_api_token
from marketplace.vocabulary import Category, ResourceKind
from seeds.data.item_vocabulary import CURATED_ITEMS
from tests.needs_helpers import token_for
from tests.security_helpers import make_org, make_user

LANGS = {"zh_CN": "zh-CN", "en": "en"}


def _partner_with_offer(session: Session, lang: str) -> tuple[dict[str, str], int]:
    org = make_org(session)
    user = make_user(session, Role.PARTNER, organization_id=org.id)
    offer = Offer(
        organization_id=org.id,  # type: ignore[arg-type]
        kind=ResourceKind.MATERIAL,
        category=Category.RENOVATION,
        title="透水砖",
        quantity=Decimal(5),
        unit="块",
        remaining_quantity=Decimal(5),
        valid_from=utcnow() - timedelta(days=2),
    )
    session.add(offer)
    session.flush()
    secret, _row = create_api_token(
        session,
        user_id=user.id,  # type: ignore[arg-type]
        name="t",
        scopes=["offers:read", "offers:write"],
        created_by_id=user.id,
    )
    session.commit()
    return {"Authorization": f"Bearer {secret}", "Accept-Language": LANGS[lang]}, offer.id  # type: ignore[return-value]


def _refused(response: Any, code: str, key: str | None, said: str) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["extra"]["code"] == code, body
    assert body["extra"].get("key") == key, body
    assert body["detail"] == said, body


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_editing_an_offer_from_an_old_version_or_after_withdrawing_it_says_which(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    headers, offer_id = _partner_with_offer(session, lang)
    english = lang == "en"

    stale = client.patch(f"/api/v1/offers/{offer_id}", json={"version": 99, "title": "红砖"}, headers=headers)
    _refused(
        stale,
        "offer_changed",
        "version",
        "This offer was changed by someone else; reload it and try again." if english else stale.json()["detail"],
    )
    if not english:
        assert "重新" in stale.json()["detail"] or "刷新" in stale.json()["detail"], stale.json()

    assert client.post(f"/api/v1/offers/{offer_id}/withdraw", headers=headers).status_code == 200
    again = client.post(f"/api/v1/offers/{offer_id}/withdraw", headers=headers)
    _refused(
        again, "offer_already_withdrawn", None, "This offer is already withdrawn." if english else "这项资源已经撤回。"
    )

    version = client.get(f"/api/v1/offers/{offer_id}", headers=headers).json()["version"]
    edited = client.patch(f"/api/v1/offers/{offer_id}", json={"version": version, "title": "红砖"}, headers=headers)
    assert edited.status_code == 409 and edited.json()["extra"]["code"] == "offer_withdrawn", edited.text
    assert ("withdrawn" in edited.json()["detail"]) if english else ("撤回" in edited.json()["detail"])


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_retiring_a_retired_item_or_editing_an_old_version_says_which(
    client: TestClient[Any], session: Session, lang: str
) -> None:
    install_curated(session, CURATED_ITEMS)
    headers = {
        "Authorization": f"Bearer {token_for(session, make_user(session, Role.ADMIN), ('items:read', 'items:write'))}",
        "Accept-Language": LANGS[lang],
    }
    session.commit()
    stale = client.patch("/api/v1/items/light_bulb", json={"version": 99, "name_en": "bulbs"}, headers=headers)
    assert stale.status_code == 409 and stale.json()["extra"] == {"code": "item_changed", "key": "version"}, stale.text
    assert client.post("/api/v1/items/light_bulb/retire", headers=headers).status_code == 200
    again = client.post("/api/v1/items/light_bulb/retire", headers=headers)
    said = "This item is already retired." if lang == "en" else again.json()["detail"]
    _refused(again, "item_retired", None, said)
    assert client.post("/api/v1/items/light_bulb/restore", headers=headers).status_code == 200
    restored = client.post("/api/v1/items/light_bulb/restore", headers=headers)
    assert restored.status_code == 409 and restored.json()["extra"]["code"] == "item_not_retired", restored.text
    if lang == "zh_CN":
        assert "停用" in again.json()["detail"] or "退役" in again.json()["detail"], again.text
