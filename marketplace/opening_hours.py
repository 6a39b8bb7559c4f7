"""A service station's opening hours in the reader's language.

Stations keep their hours as the street writes them, in Chinese ("周一至周五 8:30-17:30", "每日 8:00-20:00"). An
English page reads them with the day words in English ("Mon–Fri 8:30-17:30", "Daily 8:00-20:00"); hours holding
any other Chinese words are shown as written, never half translated.
"""

import re

from marketplace import i18n

# Longest first, so that 周一至周五 is read before 周一.
_DAY_WORDS = (
    ("每日", "Daily"),
    ("每天", "Daily"),
    ("工作日", "Weekdays"),
    ("周末", "Weekends"),
    ("节假日", "public holidays"),
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
    ("至", "–"),
    ("、", ", "),
    ("，", ", "),
    ("；", "; "),
)
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def opening_hours(text: str) -> str:
    """``text`` as written on a Chinese page; with its day words in English on an English one."""
    if not i18n.current_locale.get().startswith("en") or not _CJK.search(text):
        return text
    english = text
    for chinese, words in _DAY_WORDS:
        english = english.replace(chinese, words)
    return text if _CJK.search(english) else english
