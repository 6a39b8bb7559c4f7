"""Every list's file names each column once in each language: a newcomer opened the offers' export in Chinese
and found two columns headed 单位 (the unit, and the organization offering it). Checked on every list's
columns (offers, needs, projects, organizations, volunteers; export and import), so a new column cannot
take a header its list already uses."""

from collections import Counter

import pytest

import marketplace.app  # noqa: F401  (every model and label registered)
from marketplace.exchange import need_columns, offers, organizations, projects, volunteer_import, volunteers
from marketplace.exchange.columns import ColumnSpec

LISTS = {
    "offers": lambda: offers.offer_columns(),
    "needs (export)": lambda: need_columns.export_columns(),
    "needs (import)": lambda: need_columns.import_columns(),
    "projects": lambda: projects.project_columns(),
    "organizations (zh)": lambda: organizations.organization_columns("zh"),
    "organizations (en)": lambda: organizations.organization_columns("en"),
    "volunteers (zh)": lambda: volunteers.volunteer_columns("zh"),
    "volunteers (en)": lambda: volunteers.volunteer_columns("en"),
    "volunteers (import)": lambda: volunteer_import.volunteer_import_columns(),
}


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_two_columns_share_a_header(name: str, language: str) -> None:
    columns: list[ColumnSpec] = LISTS[name]()
    counts = Counter(getattr(column, f"header_{language}") for column in columns)
    assert [header for header, count in counts.items() if count > 1] == []


def test_the_offers_file_names_the_organization_apart_from_the_unit() -> None:
    headers = {column.name: column.header_zh for column in offers.offer_columns()}
    assert headers["unit"] == "单位" and headers["organization"] == "提供单位"
