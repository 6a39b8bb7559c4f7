"""Every count a sentence carries is written as the page writes numbers, not only ngettext's ``num``: the count
of a ``{% trans count=… %}`` block ("12,345 items pending" in the city admin's inbox) and the board's "Showing
1,001–1,020 of 50,000 projects"; a number that is no count (a year) is left as it is."""

from types import SimpleNamespace

import pytest

from tests.test_counted_numbers import TEMPLATES, render  # noqa: F401  (fixture)

PENDING = "{% trans count=n %}{{ count }} item pending{% pluralize %}{{ count }} items pending{% endtrans %}"


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_trans_block_groups_its_count(render, locale: str) -> None:  # noqa: F811  (the fixture)
    out = render(PENDING, locale, n=12_345)
    assert "12,345" in out and "12345" not in out
    if locale == "en":
        assert out == "12,345 items pending"
        assert render(PENDING, locale, n=1) == "1 item pending"


def test_the_inbox_total_of_a_big_city_is_grouped(render) -> None:  # noqa: F811  (the fixture)
    source = (TEMPLATES / "review" / "queue.html").read_text(encoding="utf-8")
    block = source[source.index("{% trans count=counts.total %}") : source.index("{% endtrans %}") + 14]
    assert render(block, "en", counts={"total": 48_210}) == "48,210 items pending"


def test_the_board_shows_every_number_of_its_range_grouped(render) -> None:  # noqa: F811  (the fixture)
    source = (TEMPLATES / "needs" / "partials" / "board_results.html").read_text(encoding="utf-8")
    source = source[source.index('<p class="result-summary">') : source.index("</p>") + 4]  # the summary only
    results = SimpleNamespace(total=50_000, first_index=1_001, last_index=1_020)
    out = " ".join(render(source, "en", results=results).split())
    assert "Showing 1,001–1,020 of 50,000 projects" in out


def test_a_year_is_no_count(render) -> None:  # noqa: F811  (the fixture)
    source = '{{ ngettext("%(num)d claim delivered in %(year)d", "%(num)d claims delivered in %(year)d", n, year=y) }}'
    assert render(source, "en", n=2026, y=2026) == "2,026 claims delivered in 2026"


def test_the_inbox_tabs_and_the_bulk_choice_group_a_city_admins_counts(render) -> None:  # noqa: F811  (the fixture)
    source = (TEMPLATES / "review" / "queue.html").read_text(encoding="utf-8")
    tabs = source[source.index('<a href="{{ inbox_url(kind=None) }}"') : source.index("{% if counts.total == 0 %}")]
    start = source.index("{% if counts.total > bulk_limit %}")
    bulk = source[start : source.index("</label>", start)]
    counts = SimpleNamespace(
        total=27_533,
        kinds={"volunteer_shift": 20_238, "offer_line": 7_295},
        due_today=2_513,
        conflicts={"any": 1_670},
    )
    values = {
        "counts": counts,
        "filters": SimpleNamespace(kind=None, due_today=False, conflict=None),
        "groups": ["volunteer_shift", "offer_line"],
        "group_title": str,
        "inbox_url": lambda **changes: "/review",
        "bulk_limit": 500,
    }
    out = render(tabs + bulk, "en", **values)
    for grouped in ("27,533", "20,238", "7,295", "2,513", "1,670"):
        assert grouped in out
    assert "27533" not in out and "20238" not in out
