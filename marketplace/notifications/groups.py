"""An entry of several proposals waiting for the admin, said once with its count and linked to exactly them.

The centre groups notifications at read time (``centre.centre_page``: one entry per digest key and
street day, each row kept as it was sent, so every one can still be read and marked on its own). A
round's proposals, a staff member's batch or a day of new proposals thus arrive as one entry; this
module gives such an entry its sentence ("45 proposals from this round wait for your approval") and a
link to the review queue filtered to those items: the round (``round=``), the project (``need=``) or
the day they were proposed (``from=``/``to=``), with ``answer=accepted`` when they are answers.

What the entry is about is read from its digest key, which senders write as ``kind:type:id[:answer]``
(``proposal_answered:round:12:accepted``); keys the seed data writes (``kind:user:day``) name the day.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from marketplace.i18n import ngettext
from marketplace.i18n.numbers import with_counts_formatted
from marketplace.notifications.messages import Message
from marketplace.notifications.phrases import review_in_the_queue
from marketplace.whole_numbers import whole_number

# Kinds telling an admin that proposals wait for their decision (match_proposed: a new one; proposal_answered:
# a candidate accepted or declined a round's or staff member's proposal).
REVIEW_KINDS = ("match_proposed", "proposal_answered")


@dataclass(frozen=True)
class Target:
    """What a group of notifications is about: a round, a project, or (neither) the day."""

    round_id: int | None
    need_id: int | None
    answer: str | None


def target_of(digest_key: str) -> Target:
    parts = digest_key.split(":")

    def after(name: str) -> int | None:
        if name in parts[1:-1]:
            return whole_number(parts[parts.index(name, 1) + 1])
        return None

    answer = parts[-1] if parts[-1] in ("accepted", "declined") else None
    return Target(after("round"), after("need"), answer)


def review_link(target: Target, day: date, *, answers: bool) -> str:
    """The review queue showing exactly the group's items still pending."""
    query: list[tuple[str, str]] = []
    if target.round_id is not None:
        query.append(("round", str(target.round_id)))
    elif target.need_id is not None:
        query.append(("need", str(target.need_id)))
    elif not answers:
        query += [("from", day.isoformat()), ("to", day.isoformat())]
    if answers:
        query.append(("answer", "accepted"))
    return "/review?" + urlencode(query)


def group_heading(kind: str, digest_key: str, day: date, count: int, title: str | None) -> Message | None:
    """The entry's sentence and link when it gathers several proposals for the admin; None for other groups."""
    if kind not in REVIEW_KINDS or count < 2:
        return None
    target = target_of(digest_key)
    values = {"num": count, "title": title or ""}
    if kind == "proposal_answered":
        if target.answer == "declined":
            if target.round_id is not None:
                text = ngettext(
                    "%(num)d proposal from this round was declined",
                    "%(num)d proposals from this round were declined",
                    count,
                )
            else:
                return None  # the digest's own sentence says it ("3 proposals for … were answered")
            return Message(with_counts_formatted(text, values))
        if target.answer != "accepted":
            return None  # older rows mixed both answers under one key: the digest's own sentence stands
        if target.round_id is not None:
            text = ngettext(
                "%(num)d proposal from this round was accepted and waits for your approval",
                "%(num)d proposals from this round were accepted and wait for your approval",
                count,
            )
        else:
            text = ngettext(
                "%(num)d proposal for %(title)s was accepted and waits for your approval",
                "%(num)d proposals for %(title)s were accepted and wait for your approval",
                count,
            )
        link = review_link(target, day, answers=True)
    else:
        if target.round_id is not None:
            text = ngettext(
                "%(num)d proposal from this round waits for your approval",
                "%(num)d proposals from this round wait for your approval",
                count,
            )
        elif target.need_id is not None:
            text = ngettext(
                "%(num)d proposal for %(title)s waits for your approval",
                "%(num)d proposals for %(title)s wait for your approval",
                count,
            )
        else:
            text = ngettext(
                "%(num)d new proposal waits for your approval", "%(num)d new proposals wait for your approval", count
            )
        link = review_link(target, day, answers=False)
    step = review_in_the_queue()
    return Message(with_counts_formatted(text, values), link, step.text, link)
