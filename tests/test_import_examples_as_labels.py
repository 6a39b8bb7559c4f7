"""An import page's column table gives each vocabulary column's example as the reader would write it: the
label in their language (老旧小区改造 / the English label), never the stored code (renovation) the newcomer's
walk found there. The importer accepts either label, so the example is something the reader can copy."""

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.i18n import current_locale
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency
from marketplace.volunteers.models import VolunteerSegment
from tests.security_helpers import sign_in_as

PAGES = [
    ("/offers/import", Role.PARTNER, {"category": Category, "kind": ResourceKind}),
    ("/needs/import", Role.ADMIN, {"category": Category, "channel": IntakeChannel, "urgency": Urgency}),
    ("/volunteers/import", Role.ADMIN, {"segment": VolunteerSegment}),
]


def example_cells(page: str) -> list[str]:
    return re.findall(r"<td><code>([^<]*)</code></td></tr>", page)


def labels_in(locale: str, vocabulary: Any) -> set[str]:
    token = current_locale.set(locale)
    try:
        return {str(label) for _code, label in vocabulary.choices()}
    finally:
        current_locale.reset(token)


@pytest.mark.parametrize(("path", "role", "vocabularies"), PAGES, ids=[p[0] for p in PAGES])
def test_vocabulary_examples_are_labels_in_the_readers_language(
    client: TestClient[Any], session: Session, path: str, role: Role, vocabularies: dict[str, Any]
) -> None:
    sign_in_as(client, session, role)
    codes = {code for vocabulary in vocabularies.values() for code, _label in vocabulary.choices()}
    for language, locale in (("zh-CN", "zh_CN"), ("en", "en")):
        client.headers["Accept-Language"] = language
        response = client.get(path)
        assert response.status_code == 200, response.text[:500]
        cells = example_cells(response.text)
        assert cells, "no column table on the import page"
        assert not codes & set(cells), f"{path} ({locale}) shows stored codes as examples: {codes & set(cells)}"
        for vocabulary in vocabularies.values():
            assert labels_in(locale, vocabulary) & set(cells), f"{path} ({locale}) lacks a {vocabulary.__name__} label"
