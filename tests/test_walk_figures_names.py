"""The public figures name each top partner in the reader's language, and count its projects in a sentence
that agrees with the count.

Found walking the demo: the English figures page listed "青岛鲁青物流有限公司: 3 projects" although the
organization has an English name (the admin's list shows it), and a partner that helped one project read
"1 projects".
"""

from types import SimpleNamespace

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace import i18n
from marketplace.dashboard.figure_charts import _partners_chart
from marketplace.dashboard.figures import PartnerContribution
from marketplace.organizations.models import Organization
from tests.test_figures_live import World, world  # noqa: F401  (the fixture: two partners with delivered claims)


def name_in_english(session_factory: sessionmaker[Session], name: str, name_en: str) -> None:
    with session_factory() as session:
        session.execute(sa.update(Organization).where(Organization.name == name).values(name_en=name_en))
        session.commit()


def test_the_english_figures_name_partners_in_english_and_the_chinese_in_chinese(
    client: TestClient[Litestar],
    session_factory: sessionmaker[Session],
    world: World,  # noqa: F811
) -> None:
    name_in_english(session_factory, "青岛港集团", "Qingdao Port Group")

    client.cookies.set("lang", "en")
    english = client.get("/figures").text
    assert "Qingdao Port Group" in english and "青岛港集团" not in english
    assert "湖岛物业" in english  # no English name: its Chinese one

    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/figures").text
    assert "青岛港集团" in chinese and "Qingdao Port Group" not in chinese


def test_a_partner_of_one_project_is_counted_in_the_singular() -> None:
    partners = [
        PartnerContribution(organization_id=1, organization_name="湖岛物业", projects_helped=1, delivered=[]),
        PartnerContribution(organization_id=2, organization_name="青岛港集团", projects_helped=1200, delivered=[]),
    ]
    token = i18n.current_locale.set("en")
    try:
        chart = _partners_chart(SimpleNamespace(partners=partners))  # type: ignore[arg-type]
    finally:
        i18n.current_locale.reset(token)
    assert chart is not None
    assert [row.value_text for row in chart.rows] == ["1 project", "1,200 projects"]
