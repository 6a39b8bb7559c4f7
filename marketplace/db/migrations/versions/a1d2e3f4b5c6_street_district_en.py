"""street district in English: English pages group a city's streets under "Shibei District", not 市北区

A plain ADD COLUMN with an empty default on both databases; Qingdao's districts are filled in for streets
already there (a deployment elsewhere keeps "" and its pages show the Chinese name until it sets one).

Revision ID: a1d2e3f4b5c6
Revises: 9c0d1e2f3a4b
Create Date: 2026-12-06 04:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1d2e3f4b5c6"
down_revision: str | None = "9c0d1e2f3a4b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Qingdao's districts and county-level cities, as the street table names them.
_QINGDAO = {
    "市南区": "Shinan District",
    "市北区": "Shibei District",
    "李沧区": "Licang District",
    "崂山区": "Laoshan District",
    "城阳区": "Chengyang District",
    "黄岛区": "Huangdao District",
    "即墨区": "Jimo District",
    "胶州市": "Jiaozhou City",
    "平度市": "Pingdu City",
    "莱西市": "Laixi City",
}

_street = sa.table(
    "street", sa.column("city", sa.String()), sa.column("district", sa.String()), sa.column("district_en")
)


def upgrade() -> None:
    op.add_column(
        "street", sa.Column("district_en", sa.String(length=100), server_default=sa.text("''"), nullable=False)
    )
    for district, english in _QINGDAO.items():
        op.execute(
            _street.update()
            .where(_street.c.city == "青岛市", _street.c.district == district)
            .values(district_en=english)
        )


def downgrade() -> None:
    op.execute("ALTER TABLE street DROP COLUMN district_en")
