"""Counts in sentences written from Python (notifications and their digests, the review groups, a withdrawn
offer, an item's re-resolved keys, the too-many-requests pages, refusals, a cancelled project) are written as
the reader's locale writes numbers: "12,345 proposals", never "12345", in English and in Chinese alike
(``i18n.numbers.counted``, as the jobs domain and the templates' ngettext do)."""

from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest

from marketplace.accounts.registration_limit import _window_rule
from marketplace.i18n import current_locale
from marketplace.items.pages import _done_message
from marketplace.matches.refusals import claims_blocker
from marketplace.needs.change_forms import refusal_message
from marketplace.needs.changes import ChangeRefused
from marketplace.notifications import messages
from marketplace.notifications.groups import group_heading
from marketplace.notifications.need_change_messages import need_cancelled, shift_changed
from marketplace.offers.pages import withdrawn_notice
from marketplace.organizations.served_streets import SHOWN, _listed
from marketplace.too_many import try_again_in

N = 12345
GROUPED = "12,345"  # what babel writes for both en and zh_CN
PAYLOAD = {"title": "Pavilion repair", "need_id": 7, "organization": "Qingdao Bricks"}


@pytest.fixture(params=["en", "zh_CN"])
def locale(request: pytest.FixtureRequest) -> Iterator[str]:
    token = current_locale.set(request.param)
    try:
        yield request.param
    finally:
        current_locale.reset(token)


def _sentences() -> dict[str, Callable[[], str]]:
    said: dict[str, Callable[[], str]] = {
        "try again in minutes": lambda: try_again_in(N * 60),
        "withdrawn offer": lambda: withdrawn_notice(N, N),
        "item keys re-resolved": lambda: _done_message("saved", N, N) or "",
        "registration rule": lambda: _window_rule(N, timedelta(hours=N)),
        "claims blocker": lambda: claims_blocker(N).said,
        "fewer than confirmed": lambda: refusal_message(
            ChangeRefused("slots", "below_confirmed", "below confirmed", confirmed=N)
        ),
        "listed and more": lambda: _listed([], N + SHOWN),
        "shift places": lambda: shift_changed(PAYLOAD | {"shift": "Carry", "slots": N}, 1).text,
        "cancelled project items": lambda: need_cancelled(PAYLOAD | {"items": [{}] * N}, 1).text,
        "daily digest": lambda: messages.render("daily_digest", {"kinds": {"match_proposed": N}, "total": N}).text,
        "daily digest, others": lambda: (
            messages.render("daily_digest", {"kinds": {f"kind{i}": N for i in range(6)}, "total": N}).text
        ),
        "unknown kind": lambda: messages.render("no_such_kind", PAYLOAD, count=N).text,
        "review group of a round": lambda: group_heading("match_proposed", "x:round:3", date(2026, 1, 5), N, "T").text,
        "review group answered": lambda: (
            group_heading("proposal_answered", "x:need:3:accepted", date(2026, 1, 5), N, "T").text
        ),
    }
    for kind in messages.SUMMARIES:
        said[f"summary {kind}"] = lambda kind=kind: messages.render(kind, PAYLOAD, count=N, subjects=2).text
    for kind in messages.RENDERERS:
        if kind not in messages.NOT_ABOUT_A_PROJECT and kind != "daily_digest":
            said[f"digest {kind}"] = lambda kind=kind: messages.render(kind, PAYLOAD, count=N).text
    return said


@pytest.mark.parametrize("name", sorted(_sentences()))
def test_a_count_in_a_python_sentence_is_grouped_as_the_locale_writes_it(locale: str, name: str) -> None:
    text = _sentences()[name]()
    assert GROUPED in text, (locale, name, text)
    assert str(N) not in text, (locale, name, text)
