"""A counted sentence writes its count as the page writes numbers: "1,555 open steps", never "1555 open steps".

The templates pass counts to ``ngettext`` as ``%(num)d``; the page's ``ngettext`` formats the count with the
locale's grouping (``web.counted_ngettext``), in both languages, while the plural form still follows the count.
"""

from pathlib import Path

import pytest

from marketplace import i18n
from marketplace.web import build_jinja_environment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STEPS = '{{ ngettext("%(num)d open step", "%(num)d open steps", n) }}'


@pytest.fixture
def render():
    env = build_jinja_environment(TEMPLATES)

    def rendered(source: str, locale: str, **values: object) -> str:
        token = i18n.current_locale.set(locale)
        try:
            return env.from_string(source).render(**values)
        finally:
            i18n.current_locale.reset(token)

    return rendered


def test_a_large_count_is_grouped_in_english_and_in_chinese(render) -> None:
    assert render(STEPS, "en", n=1555) == "1,555 open steps"
    assert render(STEPS, "en", n=1) == "1 open step"
    assert render(STEPS, "en", n=1_234_567) == "1,234,567 open steps"
    chinese = render(STEPS, "zh_CN", n=1555)
    assert "1,555" in chinese and "1555" not in chinese


def test_other_placeholders_and_an_explicit_count_are_left_as_the_template_gives_them(render) -> None:
    source = '{{ ngettext("%(num)d of %(slots)d place open", "%(num)d of %(slots)d places open", n, slots=s) }}'
    assert render(source, "en", n=2, s=3) == "2 of 3 places open"
    explicit = '{{ ngettext("%(count)s event", "%(count)s events", n, count=n | number) }}'
    assert render(explicit, "en", n=2048) == "2,048 events"


def test_the_sentence_is_still_escaped_and_its_values_too(render) -> None:
    source = '{{ ngettext("%(num)d need for %(title)s", "%(num)d needs for %(title)s", n, title=t) }}'
    out = render(source, "en", n=1200, t="<b>灯</b>")
    assert out == "1,200 needs for &lt;b&gt;灯&lt;/b&gt;"
