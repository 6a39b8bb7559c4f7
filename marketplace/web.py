"""Template engine: Jinja2 with gettext, autoescaping every template, and shared helpers."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, format_timedelta
from babel.numbers import format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from marketplace import i18n
from marketplace.accounts.devices import device_name
from marketplace.choose_one import choose_one
from marketplace.i18n.numbers import babel_locale as _babel_locale
from marketplace.i18n.numbers import format_number, with_counts_formatted
from marketplace.i18n.punctuation import bracketed_markup, label_colon, word_gap
from marketplace.opening_hours import opening_hours
from marketplace.quantity_display import unit_name, with_unit  # with_unit stays importable from here too
from marketplace.security import context as security_context
from marketplace.street_clock import last_day, street_time

# The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). Forms refuse them since
# the fourth probe (validation._CONTROL); rows written before (old imports, the seed) may still hold them, and
# one U+202E in a name turned every following character around on the page ("时小 92" for 29 小时).
_DIRECTION_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def without_direction_controls(value: Any) -> Any:
    """Every value a template prints, without the direction controls (Markup stays Markup: ``translate`` keeps
    its type); everything else as it is. Jinja's ``finalize``: one place for every page."""
    return value.translate(_DIRECTION_CONTROLS) if isinstance(value, str) else value


def build_jinja_environment(templates_dir: Path, *, auto_reload: bool = False) -> Environment:
    # A custom Environment is needed for the i18n extension; it must autoescape every template.
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        # Checking every template file's mtime on every render costs a stat per template per page.
        auto_reload=auto_reload,
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=without_direction_controls,
    )
    # Whitespace inside {% trans %} blocks is collapsed, so msgids do not depend on indentation.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
    )
    env.globals["ngettext"] = counted_ngettext
    env.globals.update(
        current_locale=i18n.current_locale.get,
        supported_locales=i18n.SUPPORTED_LOCALES,
        language_names=i18n.LANGUAGE_NAMES,
        html_lang=lambda: i18n.HTML_LANG[i18n.current_locale.get()],
        localized_name=localized_name,
        other_name=other_name,
        other_name_lang=other_name_lang,
        localized_district=localized_district,
        device_name=device_name,
        csrf_token=security_context.current_csrf_token.get,
        current_user=security_context.current_user.get,
        url_with=url_with,
        here=here,
        street_today=street_today,
        list_separator=list_separator,
        choose_one=choose_one,  # a select's "choose one" first option, one wording everywhere
        word_gap=word_gap,  # " " between a sentence and the link continuing it in English, none in Chinese
        label_colon=label_colon,  # "：" after a label in Chinese, ": " in English
    )
    env.filters.update(
        number=format_number,
        with_unit=with_unit,  # "60桶" / "60 barrels": the quantity and its unit in the page's language
        unit_name=unit_name,  # the unit alone: "桶" / "barrels"
        percent=format_share,
        local_date=local_date,
        until_day=until_day,
        local_day=local_day,
        year_month=year_month,  # a "2026-12" month key as 2026年12月 / Dec 2026
        local_time=local_time,
        time_ago=time_ago,
        bracketed=bracketed_markup,  # "待审核（3）" / "Pending (3)": the page's brackets, never a literal " ("
        opening_hours=opening_hours,  # a station's "每日 8:00-20:00" reads "Daily 8:00-20:00" on an English page
    )
    return env


def list_separator() -> str:
    """Between the items of a list written out in a sentence or a cell: "、" in Chinese, ", " in English."""
    return ", " if i18n.current_locale.get().startswith("en") else "、"


# The street's clock: shift windows and dates are shown in Qingdao's time, whatever the server's zone.
STREET_TIMEZONE = ZoneInfo("Asia/Shanghai")


@pass_context
def counted_ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    """Jinja's newstyle ``ngettext``, the count written as the locale writes numbers ("1,555 open steps"), in
    ``ngettext`` calls and ``{% trans count=… %}`` blocks alike (``COUNT_PLACEHOLDERS``).

    ``%(num)d`` would print 1555; the sentence keeps its msgid and the count is formatted here, once for
    every template, rather than by a ``|number`` beside each call."""
    translated = i18n.ngettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)
    variables.setdefault("num", num)
    return with_counts_formatted(translated, variables)  # always a format string, as Jinja's own


def format_share(value: float) -> str:
    """A share between 0 and 1 as a percentage with at most one decimal."""
    return format_percent(value, format="#,##0.#%", locale=_babel_locale())


def _local(value: datetime) -> datetime:
    return street_time(value)  # never overflows on a stored year-9999 instant


def street_today() -> date:
    """Today's date on the street's clock (for "overdue")."""
    return datetime.now(STREET_TIMEZONE).date()


def local_date(value: date | datetime) -> str:
    """A date (or the street-local date of a moment) in the reader's language: 2026年6月1日 / Jun 1, 2026."""
    if isinstance(value, datetime):
        value = _local(value).date()
    return format_date(value, format="medium", locale=_babel_locale())


def until_day(value: datetime) -> str:
    """The last street day a window ending (exclusively) at ``value`` covers: valid until 2027年6月30日."""
    return local_date(last_day(value))


def local_day(value: datetime) -> str:
    """Weekday and day of a moment in the street's zone: 6月4日周四 / Thu, Jun 4."""
    return format_skeleton("MMMEd", _local(value), locale=_babel_locale())


def year_month(month: str) -> str:
    """A month kept as "2026-12" (the hours' months), in the page's language: 2026年12月 / Dec 2026; a key of
    another shape as it is."""
    try:
        day = datetime.strptime(month, "%Y-%m")
    except ValueError:
        return month
    return format_skeleton("yMMM", day, locale=_babel_locale())


def local_time(value: datetime) -> str:
    """Hours and minutes in the street's zone (24-hour clock, as the street's notices use)."""
    return format_time(_local(value), format="HH:mm", locale=_babel_locale())


def time_ago(value: datetime, now: datetime | None = None) -> str:
    """How long ago, in words: "3天前" / "3 days ago"."""
    delta = value - (now or datetime.now(UTC))
    return format_timedelta(delta, add_direction=True, threshold=1, locale=_babel_locale())


def here(request: Request[Any, Any, Any]) -> str:
    """The current path and query, for links that come back here (the language switch)."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def url_with(request: Request[Any, Any, Any], **changes: Any) -> str:
    """The current path with some query parameters replaced; ``None`` or "" removes one."""
    params = {key: value for key, value in request.query_params.items() if key not in changes}
    params.update({key: value for key, value in changes.items() if value not in (None, "")})
    query = urlencode([(key, value) for key, value in params.items() if value not in (None, "")])
    return f"{request.url.path}?{query}" if query else request.url.path


def localized_name(obj: Any) -> str:
    """``name_en`` in English where the object has one, else the Chinese ``name``."""
    if i18n.current_locale.get() == "en":
        english = getattr(obj, "name_en", None)
        if english:
            return str(english)
    return str(obj.name)


def other_name(obj: Any) -> str:
    """The name ``localized_name`` does not show, for secondary text beside it: the Chinese ``name`` to an English
    reader, ``name_en`` to a Chinese one; empty when the object has no English name (a proper name is not
    translated, so there is nothing else to show)."""
    english = getattr(obj, "name_en", None)
    if not english or english == obj.name:
        return ""
    return str(obj.name) if i18n.current_locale.get() == "en" else str(english)


def other_name_lang() -> str:
    """The ``lang`` of ``other_name``: Chinese beside an English page, English beside a Chinese one."""
    return "zh-CN" if i18n.current_locale.get() == "en" else "en"


def localized_district(obj: Any) -> str:
    """A street's (or a row's) district: ``district_en`` in English where there is one, else the Chinese."""
    if i18n.current_locale.get() == "en":
        english = getattr(obj, "district_en", None)
        if english:
            return str(english)
    return str(obj.district)


def template_config(templates_dir: Path, *, auto_reload: bool = False) -> TemplateConfig[JinjaTemplateEngine]:
    env = build_jinja_environment(templates_dir, auto_reload=auto_reload)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
