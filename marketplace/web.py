"""Template engine: Jinja2 with gettext, autoescaping every template, and shared helpers."""

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from marketplace import i18n


def build_jinja_environment(templates_dir: Path) -> Environment:
    # A custom Environment is needed for the i18n extension; it must autoescape every template.
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        current_locale=i18n.current_locale.get,
        supported_locales=i18n.SUPPORTED_LOCALES,
        language_names=i18n.LANGUAGE_NAMES,
        html_lang=lambda: i18n.HTML_LANG[i18n.current_locale.get()],
        localized_name=localized_name,
    )
    return env


def localized_name(obj: Any) -> str:
    """``name_en`` in English where the object has one, else the Chinese ``name``."""
    if i18n.current_locale.get() == "en":
        english = getattr(obj, "name_en", None)
        if english:
            return str(english)
    return str(obj.name)


def template_config(templates_dir: Path) -> TemplateConfig[JinjaTemplateEngine]:
    env = build_jinja_environment(templates_dir)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
