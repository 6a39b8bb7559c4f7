"""Notification sentences, rendered from ``kind`` and ``payload`` in the reader's language.

Every sentence names the project (its title; the line or shift when it is about one) and the outcome,
and comes with the next step: what the reader does now, and where. One renderer per kind gives the
message for one notification and for a digest of ``count`` of them about one object; ``SUMMARIES``
gives a digest's heading when it is about several objects (the centre lists those items one by one).
The payload vocabulary is described in ``marketplace.notifications.phrases``.

A password reset notification never shows its one-time link here: the centre is no place for a secret.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marketplace.i18n import gettext as _
from marketplace.i18n import ngettext
from marketplace.i18n.numbers import counted, with_counts_formatted
from marketplace.matches.services import said_reason
from marketplace.notifications import need_change_messages  # its renderers are registered below
from marketplace.notifications.phrases import (
    APPROVED,
    CANCELLED,
    FULFILLED,
    REJECTED,
    NextStep,
    acknowledge_escalation,
    check_in_in_my_shifts,
    deliver_in_my_claims,
    line_phrase,
    nothing_to_do,
    outcome,
    review_in_the_queue,
    shift_phrase,
    starts_phrase,
)
from marketplace.whole_numbers import whole_number


@dataclass(frozen=True)
class Message:
    text: str
    link: str | None = None
    next_step: str | None = None
    next_link: str | None = None


Renderer = Callable[[dict[str, Any], int], Message]


def _title(payload: dict[str, Any]) -> str:
    return str(payload.get("need_title") or payload.get("title") or _("a project"))


def _project_link(payload: dict[str, Any]) -> str | None:
    need_id = payload.get("need_id")
    number = need_id if isinstance(need_id, int) else whole_number(str(need_id))
    return f"/projects/{number}" if number is not None else None


def _staff_need_link(payload: dict[str, Any]) -> str | None:
    link = _project_link(payload)
    return link.replace("/projects/", "/needs/", 1) if link else None


def _with_reason(text: str, payload: dict[str, Any]) -> str:
    # A reason the service stored (a released claim, a moved shift) in the reader's words; typed ones as typed.
    reason = said_reason(payload.get("reason"), own=True)
    return _("%(text)s. Reason: %(reason)s") % {"text": text, "reason": reason} if reason else text


def _message(text: str, link: str | None, step: NextStep | None) -> Message:
    return Message(text, link, step.text if step else None, step.link if step else None)


# --- Decisions on a claim or a sign-up: one sentence per (what was decided, outcome) -----------------


def _decided_line(payload: dict[str, Any], status: str) -> str | None:
    line = line_phrase(payload)
    if line is None:
        return None
    values = {"title": _title(payload), "line": line}
    if status == REJECTED:
        return _("Your claim of %(line)s for %(title)s was rejected") % values
    if status == CANCELLED:
        return _("Your claim of %(line)s for %(title)s was cancelled") % values
    return _("Your claim of %(line)s for %(title)s was approved") % values


def _decided_whole(payload: dict[str, Any], status: str) -> str:
    values = {"title": _title(payload)}
    if status == REJECTED:
        return _("Your claim of the whole project %(title)s was rejected") % values
    if status == CANCELLED:
        return _("Your claim of the whole project %(title)s was cancelled") % values
    return _("Your claim of the whole project %(title)s was approved") % values


def _decided_shift(payload: dict[str, Any], status: str) -> str:
    shift = shift_phrase(payload)
    values = {"title": _title(payload), "shift": shift}
    if shift is None:
        if status == REJECTED:
            return _("Your sign-up for %(title)s was not accepted") % values
        if status == CANCELLED:
            return _("Your sign-up for %(title)s was cancelled") % values
        return _("Your sign-up for %(title)s is confirmed") % values
    if status == REJECTED:
        return _("Your sign-up for %(shift)s of %(title)s was not accepted") % values
    if status == CANCELLED:
        return _("Your sign-up for %(shift)s of %(title)s was cancelled") % values
    return _("Your sign-up for %(shift)s of %(title)s is confirmed") % values


def _decided_proposal(payload: dict[str, Any], status: str) -> str:
    values = {"title": _title(payload)}
    if status == REJECTED:
        return _("Your proposal for %(title)s was rejected") % values
    if status == CANCELLED:
        return _("Your proposal for %(title)s was cancelled") % values
    return _("Your proposal for %(title)s was approved") % values


def decision_message(payload: dict[str, Any], status: str) -> Message:
    """One decision on the reader's claim or sign-up: project, line or shift, outcome (with reason), next step."""
    kind = payload.get("match_kind")
    if status == FULFILLED:
        status = APPROVED  # the decision was an approval; the delivery came after
    text: str | None = None
    step: NextStep | None = None
    if kind == "offer_line":
        text, step = _decided_line(payload, status), deliver_in_my_claims()
    elif kind == "whole_need":
        text, step = _decided_whole(payload, status), deliver_in_my_claims()
    elif kind == "volunteer_shift":
        text, step = _decided_shift(payload, status), check_in_in_my_shifts()
    if text is None:  # a line no longer known, or a match of unknown kind (rows stored before match_kind)
        text = _decided_proposal(payload, status)
    if status in (REJECTED, CANCELLED):
        return _message(_with_reason(text, payload), _project_link(payload), nothing_to_do())
    if step is None:
        step = NextStep(_("Next: open the project to see what to do."), _project_link(payload))
    return _message(text, _project_link(payload), step)


def _decided_as(default: str | None, match_kind: str | None = None) -> Renderer:
    """A renderer for a decision kind; ``default`` is the outcome (and ``match_kind`` what was decided)
    that the kind itself implies, for rows that do not say."""

    def render(payload: dict[str, Any], count: int) -> Message:
        status = outcome(payload) or default
        if count == 1 and status is not None:
            return decision_message({"match_kind": match_kind} | payload if match_kind else payload, status)
        text = with_counts_formatted(
            _("A decision was made on your proposal for %(title)s")
            if count == 1
            else ngettext(
                "A decision was made on %(num)d of your proposals for %(title)s",
                "Decisions were made on %(num)d of your proposals for %(title)s",
                count,
            ),
            {"num": count, "title": _title(payload)},
        )
        return Message(text, _project_link(payload))

    return render


def _approved_digest(singular: Renderer, plural: Callable[[int], str]) -> Renderer:
    """An approval kind: one is a decision sentence, several about one project are counted."""

    def render(payload: dict[str, Any], count: int) -> Message:
        if count == 1:
            return singular(payload, 1)
        one = singular(payload, 1)
        return Message(
            with_counts_formatted(plural(count), {"num": count, "title": _title(payload)}),
            one.link,
            one.next_step,
            one.next_link,
        )

    return render


def _match_proposed(payload: dict[str, Any], count: int) -> Message:
    text = with_counts_formatted(
        _("A new proposal for %(title)s is waiting for review")
        if count == 1
        else ngettext(
            "%(num)d new proposal for %(title)s is waiting for review",
            "%(num)d new proposals for %(title)s are waiting for review",
            count,
        ),
        {"num": count, "title": _title(payload)},
    )
    what = line_phrase(payload) or shift_phrase(payload)
    if count == 1 and what:
        text = _("A new proposal for %(what)s of %(title)s is waiting for review") % {
            "what": what,
            "title": _title(payload),
        }
    return _message(text, _project_link(payload), review_in_the_queue())


def _shift_reminder(payload: dict[str, Any], count: int) -> Message:
    starts = starts_phrase(payload)
    if count == 1 and starts is not None:
        day, time = starts
        shift = str(payload.get("shift") or "").strip()
        values = {"title": _title(payload), "shift": shift, "day": day, "time": time}
        text = (
            _("Reminder: your shift %(shift)s for %(title)s starts %(day)s at %(time)s")
            if shift
            else _("Reminder: your shift for %(title)s starts %(day)s at %(time)s")
        ) % values
        place = str(payload.get("location") or "").strip()
        if place:
            text = _("%(text)s, at %(place)s") % {"text": text, "place": place}
        return _message(text, _project_link(payload), check_in_in_my_shifts())
    text = with_counts_formatted(
        _("Reminder: you have a shift coming for %(title)s")
        if count == 1
        else ngettext(
            "Reminder: you have %(num)d shift coming for %(title)s",
            "Reminder: you have %(num)d shifts coming for %(title)s",
            count,
        ),
        {"num": count, "title": _title(payload)},
    )
    return _message(text, _project_link(payload), check_in_in_my_shifts())


def _need_closed(payload: dict[str, Any], count: int) -> Message:
    text = with_counts_formatted(
        _("%(title)s is closed: every line is fulfilled and verified")
        if count == 1
        else ngettext(
            "%(num)d project is closed: %(title)s", "%(num)d projects are closed, the latest %(title)s", count
        ),
        {"num": count, "title": _title(payload)},
    )
    return _message(text, _project_link(payload), NextStep(_("Nothing to do. Thank you for taking part.")))


def _escalation_opened(payload: dict[str, Any], count: int) -> Message:
    level = _level_label(payload.get("level"))
    if count == 1 and level:
        text = _("%(title)s was escalated to the %(level)s level and needs your acknowledgement") % {
            "title": _title(payload),
            "level": level,
        }
    else:
        text = with_counts_formatted(
            _("%(title)s was escalated and needs your acknowledgement")
            if count == 1
            else ngettext(
                "%(num)d escalation step for %(title)s needs your acknowledgement",
                "%(num)d escalation steps for %(title)s need your acknowledgement",
                count,
            ),
            {"num": count, "title": _title(payload)},
        )
    return _message(text, _staff_need_link(payload), acknowledge_escalation())


def _level_label(value: Any) -> str | None:
    from marketplace.needs.models import EscalationLevel  # a label of the needs domain's vocabulary

    return EscalationLevel(value).label if value in {level.value for level in EscalationLevel} else None


def _need_published(payload: dict[str, Any], count: int) -> Message:
    text = with_counts_formatted(
        _("%(title)s was published as a project")
        if count == 1
        else ngettext(
            "%(num)d of your needs was published: %(title)s",
            "%(num)d of your needs were published, the latest %(title)s",
            count,
        ),
        {"num": count, "title": _title(payload)},
    )
    step = NextStep(_("Nothing to do: partners and volunteers can take part now."))
    return _message(text, _staff_need_link(payload), step)


def _need_rejected(payload: dict[str, Any], count: int) -> Message:
    text = with_counts_formatted(
        _("%(title)s was not accepted")
        if count == 1
        else ngettext(
            "%(num)d of your needs was not accepted: %(title)s",
            "%(num)d of your needs were not accepted, the latest %(title)s",
            count,
        ),
        {"num": count, "title": _title(payload)},
    )
    return _message(_with_reason(text, payload) if count == 1 else text, _staff_need_link(payload), nothing_to_do())


def _organization(decided: str) -> Renderer:
    def render(payload: dict[str, Any], count: int) -> Message:
        name = str(payload.get("organization") or _("your organization"))
        text = {
            "approve": _("The street approved %(organization)s: you can now publish offers and claim projects"),
            "reject": _("The street rejected the registration of %(organization)s"),
            "suspend": _("The street suspended %(organization)s"),
            "reinstate": _("The street reinstated %(organization)s"),
        }[decided] % {"organization": name}
        step = (
            NextStep(_("Next: publish your offers and claim projects."), "/offers")
            if decided in ("approve", "reinstate")
            else NextStep(_("Next: correct your application and send it again."), "/organization/application")
            if decided == "reject"
            else NextStep(_("Nothing to do; ask the street if you think this is a mistake."))
        )
        return _message(_with_reason(text, payload), "/organization", step)

    return render


def _organization_link(payload: dict[str, Any]) -> str | None:
    number = whole_number(str(payload.get("organization_id")))
    return f"/admin/organizations/{number}" if number is not None else None


def _organization_registered(payload: dict[str, Any], count: int) -> Message:
    """To the street's admins: an organization registered and waits to be vetted."""
    name = str(payload.get("organization") or _("an organization"))
    text = _("%(organization)s applied to join as a partner") % {"organization": name}
    link = _organization_link(payload)
    return _message(text, link, NextStep(_("Next: review the application."), link))


def _organization_resubmitted(payload: dict[str, Any], count: int) -> Message:
    """To the street's admins: a rejected organization corrected its application and sent it again."""
    name = str(payload.get("organization") or _("an organization"))
    text = _("%(organization)s corrected its application and sent it again") % {"organization": name}
    link = _organization_link(payload)
    return _message(text, link, NextStep(_("Next: review it again."), link))


def _password_reset(payload: dict[str, Any], count: int) -> Message:
    # The payload holds the one-time link; it is deliberately not shown.
    return Message(_("An administrator issued a password reset for your account. Ask them for the link."))


# --- A matching round's proposals: offered to their candidate, answered to the admins ----------------------


def _proposal_offered(payload: dict[str, Any], count: int) -> Message:
    """To the volunteer or partner: what the street proposes to them, and that they accept or decline it."""
    title = _title(payload)
    # "it" for one, "them" for several: the step agrees with the count the entry says.
    if payload.get("match_kind") == "volunteer_shift":
        step = NextStep(
            ngettext("Next: accept or decline it in My shifts.", "Next: accept or decline them in My shifts.", count),
            "/signups",
        )
    else:
        step = NextStep(
            ngettext("Next: accept or decline it in My claims.", "Next: accept or decline them in My claims.", count),
            "/claims",
        )
    shift, line, offer = shift_phrase(payload), line_phrase(payload), str(payload.get("offer") or "").strip()
    if count > 1:
        text = counted(
            "The street proposes %(num)d item to you, for %(title)s",
            "The street proposes %(num)d items to you, the latest for %(title)s",
            count,
            title=title,
        )
    elif shift:
        text = _("The street proposes you for the shift %(shift)s of %(title)s") % {"shift": shift, "title": title}
    elif line and offer:
        text = _("The street proposes your offer %(offer)s for %(line)s of %(title)s") % {
            "offer": offer,
            "line": line,
            "title": title,
        }
    else:
        text = _("The street proposes you for %(title)s") % {"title": title}
    return _message(text, step.link, step)


def _proposal_answered(payload: dict[str, Any], count: int) -> Message:
    """To the admins: a candidate accepted (approve it now) or declined (with the reason) a round's proposal."""
    title = _title(payload)
    if count > 1:
        text = counted(
            "%(num)d proposal for %(title)s was answered",
            "%(num)d proposals for %(title)s were answered",
            count,
            title=title,
        )
        return _message(text, "/review", review_in_the_queue())
    values = {"who": str(payload.get("who") or _("The candidate")), "title": title}
    what = shift_phrase(payload) or line_phrase(payload)
    if payload.get("answer") == "declined":
        text = (
            _("%(who)s declined the proposal for %(what)s of %(title)s")
            if what
            else _("%(who)s declined the proposal for %(title)s")
        ) % (values | {"what": what})
        return _message(_with_reason(text, payload), _project_link(payload), nothing_to_do())
    text = (
        _("%(who)s accepted the proposal for %(what)s of %(title)s")
        if what
        else _("%(who)s accepted the proposal for %(title)s")
    ) % (values | {"what": what})
    return _message(text, "/review", review_in_the_queue())


def _proposal_withdrawn(payload: dict[str, Any], count: int) -> Message:
    """To the candidate: an admin turned down a round's proposal before they answered it."""
    title = _title(payload)
    if count > 1:
        text = counted(
            "The street withdrew %(num)d proposal for %(title)s",
            "The street withdrew %(num)d proposals for %(title)s",
            count,
            title=title,
        )
        return _message(text, _project_link(payload), nothing_to_do())
    what = shift_phrase(payload) or line_phrase(payload)
    text = (
        _("The street withdrew its proposal for %(what)s of %(title)s")
        if what
        else _("The street withdrew its proposal for %(title)s")
    ) % {"what": what, "title": title}
    return _message(_with_reason(text, payload), _project_link(payload), nothing_to_do())


RENDERERS: dict[str, Renderer] = {
    "match_proposed": _match_proposed,
    "match_approved": _approved_digest(
        _decided_as(APPROVED),
        lambda n: ngettext(
            "%(num)d of your proposals for %(title)s was approved",
            "%(num)d of your proposals for %(title)s were approved",
            n,
        ),
    ),
    "match_decided": _decided_as(None),
    "claim_approved": _approved_digest(
        _decided_as(APPROVED),
        lambda n: ngettext(
            "%(num)d of your claims on %(title)s was approved", "%(num)d of your claims on %(title)s were approved", n
        ),
    ),
    "signup_confirmed": _approved_digest(
        _decided_as(APPROVED, "volunteer_shift"),
        lambda n: ngettext("%(num)d sign-up confirmed for %(title)s", "%(num)d sign-ups confirmed for %(title)s", n),
    ),
    "shift_reminder": _shift_reminder,
    "need_closed": _need_closed,
    "escalation_opened": _escalation_opened,
    "need_published": _need_published,
    "need_rejected": _need_rejected,
    "organization.approve": _organization("approve"),
    "organization.reject": _organization("reject"),
    "organization.suspend": _organization("suspend"),
    "organization.reinstate": _organization("reinstate"),
    "organization.register": _organization_registered,
    "organization.resubmit": _organization_resubmitted,
    "password_reset": _password_reset,
    # Changes staff make to a published need (marketplace.needs.changes).
    **need_change_messages.RENDERERS,
    "proposal_offered": _proposal_offered,
    "proposal_answered": _proposal_answered,
    "proposal_withdrawn": _proposal_withdrawn,
}

# Kinds that are not about a project (the coverage test does not ask them to name a title).
NOT_ABOUT_A_PROJECT: set[str] = {
    "organization.approve",
    "organization.reject",
    "organization.suspend",
    "organization.reinstate",
    "organization.register",
    "organization.resubmit",
    "password_reset",
}

# A digest's heading when it is about several objects: "3 of your claims were approved", then the items.
SUMMARIES: dict[str, Callable[[int], str]] = {
    "match_proposed": lambda n: counted(
        "%(num)d new proposal is waiting for review", "%(num)d new proposals are waiting for review", n
    ),
    "match_approved": lambda n: counted(
        "%(num)d of your proposals was approved", "%(num)d of your proposals were approved", n
    ),
    "match_decided": lambda n: counted(
        "%(num)d of your claims or sign-ups was decided", "%(num)d of your claims or sign-ups were decided", n
    ),
    "claim_approved": lambda n: counted(
        "%(num)d of your claims was approved", "%(num)d of your claims were approved", n
    ),
    "signup_confirmed": lambda n: counted(
        "%(num)d of your sign-ups was confirmed", "%(num)d of your sign-ups were confirmed", n
    ),
    "shift_reminder": lambda n: counted(
        "Reminder: you have %(num)d shift coming", "Reminder: you have %(num)d shifts coming", n
    ),
    "need_closed": lambda n: counted("%(num)d project is closed", "%(num)d projects are closed", n),
    "escalation_opened": lambda n: counted(
        "%(num)d escalation needs your acknowledgement", "%(num)d escalations need your acknowledgement", n
    ),
    "need_published": lambda n: counted(
        "%(num)d of your needs was published", "%(num)d of your needs were published", n
    ),
    "need_rejected": lambda n: counted(
        "%(num)d of your needs was not accepted", "%(num)d of your needs were not accepted", n
    ),
    "proposal_offered": lambda n: counted(
        "%(num)d proposal is waiting for your answer", "%(num)d proposals are waiting for your answer", n
    ),
    "proposal_answered": lambda n: counted("%(num)d proposal was answered", "%(num)d proposals were answered", n),
    "proposal_withdrawn": lambda n: counted(
        "The street withdrew %(num)d proposal", "The street withdrew %(num)d proposals", n
    ),
    "organization.approve": lambda n: counted(
        "The street approved %(num)d organization", "The street approved %(num)d organizations", n
    ),
    "organization.reject": lambda n: counted(
        "The street rejected %(num)d organization's registration",
        "The street rejected %(num)d organizations' registrations",
        n,
    ),
    "organization.suspend": lambda n: counted(
        "The street suspended %(num)d organization", "The street suspended %(num)d organizations", n
    ),
    "organization.reinstate": lambda n: counted(
        "The street reinstated %(num)d organization", "The street reinstated %(num)d organizations", n
    ),
    "organization.register": lambda n: counted(
        "%(num)d organization applied to join as a partner", "%(num)d organizations applied to join as partners", n
    ),
    "organization.resubmit": lambda n: counted(
        "%(num)d organization sent its application again", "%(num)d organizations sent their applications again", n
    ),
    "password_reset": lambda n: counted(
        "%(num)d password reset was issued for your account", "%(num)d password resets were issued for your account", n
    ),
    # Changes staff make to a published need (marketplace.needs.changes).
    **need_change_messages.SUMMARIES,
}


# A daily digest names at most this many kinds; the rest are counted together.
DIGEST_KINDS_NAMED = 4


def _daily_digest(payload: dict[str, Any], count: int) -> Message:
    """Once a day, to anyone with unread news: how many, and of what kinds (marketplace/notifications/daily.py)."""
    kinds = payload.get("kinds") if isinstance(payload.get("kinds"), dict) else {}
    numbers = [(str(kind), whole_number(str(n))) for kind, n in kinds.items()]
    # The most frequent kinds first, as daily.payload wrote them: PostgreSQL's JSONB does not keep a dict's order.
    numbered = sorted(((kind, n) for kind, n in numbers if n is not None), key=lambda item: (-item[1], item[0]))
    total = whole_number(str(payload.get("total", "")), minimum=0)
    total = sum(n for _kind, n in numbered) if total is None else total
    parts: list[str] = []
    others = 0
    for kind, n in numbered:
        summary = SUMMARIES.get(kind)
        if summary is None or len(parts) >= DIGEST_KINDS_NAMED:
            others += n
        else:
            parts.append(summary(n))
    if others:
        parts.append(counted("%(num)d other notification", "%(num)d other notifications", others))
    if len(parts) == 1 and not others and numbered:
        # One kind: its own sentence carries the count ("45 new proposals …"); saying the total too repeats it.
        text = _("Unread today: %(items)s") % {"items": parts[0]}
    elif parts:
        text = counted(
            "You have %(num)d unread message today: %(items)s",
            "You have %(num)d unread messages today: %(items)s",
            total,
            items=_("; ").join(parts),
        )
    else:
        text = counted("You have %(num)d unread message today", "You have %(num)d unread messages today", total)
    step = NextStep(_("Next: read them in your notifications."), "/notifications")
    return _message(text, "/notifications", step)


RENDERERS["daily_digest"] = _daily_digest
NOT_ABOUT_A_PROJECT.add("daily_digest")
SUMMARIES["daily_digest"] = lambda n: counted("%(num)d daily digest", "%(num)d daily digests", n)


def _unknown(payload: dict[str, Any], count: int) -> Message:
    text = (
        _("You have a new notification")
        if count == 1
        else counted("You have %(num)d new notification", "You have %(num)d new notifications", count)
    )
    return Message(text, _project_link(payload))


def render(kind: str, payload: dict[str, Any] | None, count: int = 1, subjects: int = 1) -> Message:
    """The message for one notification, or the heading of a digest of ``count`` of the same kind.

    A digest about several objects (``subjects``) gets its kind's summary ("3 of your claims were
    approved"); the page and the API list the items under it, each with its own project and outcome.
    """
    payload = dict(payload or {})
    renderer = RENDERERS.get(kind, _unknown)
    if subjects > 1 and count > 1:
        summary = SUMMARIES.get(kind)
        text = (
            summary(count)
            if summary
            else counted("You have %(num)d new notification", "You have %(num)d new notifications", count)
        )
        return Message(text)
    return renderer(payload, count)
