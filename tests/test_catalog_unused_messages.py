"""The catalog check refuses a msgid no source uses any more, in any of the zh_CN topic catalogs.

A reworded message leaves its old entry behind in a topic file ("List import (in the request)", an old
units hint): nobody sees it, and it hides which translations are live. ``python -m marketplace.i18n.catalog
check`` lists each such entry with its file and exits 1, as it does for a missing or untranslated one.
"""

import subprocess
import sys
from pathlib import Path

from marketplace.i18n.catalog import PROJECT_ROOT, check

CATALOG = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: zh_CN\\n"

msgid "Still asked for"
msgstr "仍在使用"

msgid "List import (in the request)"
msgstr "清单导入（在请求中）"
"""


def test_a_msgid_no_source_uses_is_flagged_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "marketplace").mkdir()
    (tmp_path / "marketplace" / "page.py").write_text(
        'from marketplace.i18n import gettext as _\n_("Still asked for")\n'
    )
    topic = tmp_path / "reload_safe.po"
    topic.write_text(CATALOG, encoding="utf-8")

    report = check("zh_CN", root=tmp_path, paths=[topic])

    assert report.unused == ["reload_safe.po: List import (in the request)"]
    assert report.added == [] and report.complete  # nothing missing or untranslated: only the stale entry


def test_the_project_catalogs_pass_the_check() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "marketplace.i18n.catalog", "check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 unused" in done.stdout
