"""A stateful test of the whole lifecycle: Hypothesis drives the JSON API as partners, volunteers, staff and
admins would, in random order, and checks the invariants over the whole database after every step.

Offers are published; needs recorded with lines and shifts and published; partners claim lines and whole
projects; volunteers sign up; admins approve and reject; claims and sign-ups are cancelled; claims are
delivered; volunteers check in and out; staff change lines and shifts, escalate, merge duplicates and verify.
A "time passes" step moves every shift (and check-in time) back, as the clock moving forward would.

Every request goes through the real application in-process (validation, guards, services, the real SQLite
or PostgreSQL database). A 4xx is a fine answer (the data's state refused it) if it changed nothing; a 5xx
is a failure. After each step the checks of tests/lifecycle_invariants.py must find nothing, and a step
that changed state must have written an audit row.

Most rules pick, four times in five, an item the action likely succeeds on (a proposed match to decide, an
open line to claim); the fifth time any item, for the refusals. ``push_forward`` takes a project's next
step (approve, deliver, check in or out, let its shifts end, close what came as enough, verify), because
random steps alone rarely walk a project to verification.

CI runs 200 examples of up to 10 steps (Hypothesis derandomized, so every run is the same): about 2 minutes
on SQLite and on PostgreSQL on the 2-core machine when it is otherwise idle. The benchmark
benchmarks/lifecycle_state_machine.py runs the same machine longer.
"""

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, SQLModel

from marketplace.accounts.models import Role
from marketplace.app import create_app
from marketplace.audit.models import AuditEvent
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.places.models import Department
from marketplace.security.tokens import create_api_token
from marketplace.settings import DatabaseSettings, Settings
from marketplace.volunteers.models import ShiftSignup, VolunteerProfile, VolunteerSegment
from tests import lifecycle_invariants as inv
from tests.conftest import empty_all_tables
from tests.security_helpers import make_community, make_grid, make_user

SCOPES = ["needs:read", "needs:write", "offers:read", "offers:write", "matches:read", "matches:write"]
# (kind, category, unit, what): offers and lines of one pair serve each other, of two pairs never.
ITEMS = [("material", "renovation", "m²", "透水砖"), ("service", "elderly_care", "份", "午餐")]
QUANTITIES = ["1", "2", "5", "10", "30"]
PICK = st.integers(min_value=0, max_value=10_000)
# Steps per example in CI (200 examples); the benchmark runs longer stories.
STEPS_IN_CI = 10
# Shift starts relative to now (hours): one already running, the others to come (some overlap).
STARTS = [-1, 1, 2, 3, 5, 24]


@dataclass
class Stats:
    """What the runs did: examples, steps, rules fired and their answers, violations, time."""

    examples: int = 0
    steps: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "steps": self.steps,
            "rules_fired": dict(sorted(self.rules.items())),
            "answers": dict(sorted(self.answers.items())),
            "violations": len(self.violations),
            "violation_samples": self.violations[:10],
            "seconds": round(self.seconds, 1),
        }


@dataclass
class Person:
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _person(session: Session, user_id: int) -> Person:
    secret, _ = create_api_token(session, user_id=user_id, name="lifecycle", scopes=SCOPES, created_by_id=None)
    return Person(user_id, secret)


@dataclass
class World:
    """One example's people and places, made directly in the database (as the other API tests do)."""

    grid_ids: list[int]
    department_id: int
    staff: Person
    admin: Person
    partners: list[Person]
    volunteers: list[Person]

    @classmethod
    def build(cls, engine: sa.Engine) -> "World":
        with Session(engine) as session:
            community = make_community(session)
            grids = [make_grid(session, community), make_grid(session, community)]
            department = Department(street_id=community.street_id, name="城管委", name_en="City management")
            session.add(department)
            session.flush()
            staff = make_user(session, Role.STAFF, community_id=community.id)
            admin = make_user(session, Role.ADMIN)
            partners = [make_user(session, Role.PARTNER) for _ in range(2)]
            volunteers = [make_user(session, Role.VOLUNTEER) for _ in range(3)]
            for user in volunteers:
                session.add(
                    VolunteerProfile(user_id=user.id or 0, home_grid_id=grids[0].id, segment=VolunteerSegment.RESIDENT)
                )
            world = cls(
                grid_ids=[grid.id or 0 for grid in grids],
                department_id=department.id or 0,
                staff=_person(session, staff.id or 0),
                admin=_person(session, admin.id or 0),
                partners=[_person(session, user.id or 0) for user in partners],
                volunteers=[_person(session, user.id or 0) for user in volunteers],
            )
            session.commit()
        return world


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _pick(items: list[Any], index: int) -> Any:
    return items[index % len(items)]


def empty_quickly(engine: sa.Engine) -> None:
    """Every table emptied with DELETE, children first: on PostgreSQL TRUNCATE of every table takes ~0.4 s
    per example (here), DELETE of a few dozen rows ~15 ms. Ids go on counting; nothing here depends on them."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


class StepFailed(AssertionError):
    pass


class LifecycleMachine(RuleBasedStateMachine):
    """Bound to one engine, client and stats by ``machine_for`` (a subclass per run)."""

    engine: sa.Engine
    client: TestClient[Litestar]
    stats: Stats

    def __init__(self) -> None:
        super().__init__()
        empty_quickly(self.engine)
        self.world = World.build(self.engine)
        self.stats.examples += 1
        self.offers: list[tuple[int, int]] = []  # (offer id, partner index)
        self.needs: list[int] = []
        self.lines: list[tuple[int, int]] = []  # (line id, need id)
        self.shifts: list[tuple[int, int]] = []  # (shift id, need id)
        self.claims: list[tuple[int, int]] = []  # (match id, partner index)
        self.signups: list[tuple[int, int, int]] = []  # (sign-up id, volunteer index, match id)
        self.escalations: list[int] = []
        # The state after the last request, the next one's "before" (only the clock changes rows in between).
        self._seen: tuple[inv.StateFingerprint, int] | None = None

    # --- one request, checked ----------------------------------------------------------------------------

    def act(self, rule: str, method: str, path: str, who: Person, body: Any = None) -> Any:
        """Send one request; a 5xx fails, a refusal must change nothing, a change must be audited."""
        before, audits_before = self._seen or self._look()
        response = self.client.request(method, path, json=body, headers=who.headers)
        self.stats.steps += 1
        self.stats.rules[rule] += 1
        self.stats.answers[f"{rule} {response.status_code}"] += 1
        if response.status_code >= 500:
            self._fail(f"{rule}: {method} {path} {body!r} answered {response.status_code}: {response.text[:500]}")
        after, audits_after = self._seen = self._look()
        problems = inv.audit_problems(before, after, audits_before, audits_after, succeeded=response.status_code < 400)
        if problems:
            self._fail(f"{rule}: {method} {path} {body!r} → {response.status_code} {response.text[:300]}: {problems}")
        return response

    def _look(self) -> tuple[inv.StateFingerprint, int]:
        with self.engine.connect() as connection:
            return inv.StateFingerprint.take(connection), inv.audit_count(connection)

    def _fail(self, message: str) -> None:
        self.stats.violations.append(message)
        raise StepFailed(message)

    def _ids(self, sql: str, **params: Any) -> list[int]:
        """Ids the database holds now (a client reads what it acts on, as a person looks at the page)."""
        with self.engine.connect() as connection:
            return [int(row[0]) for row in connection.execute(sa.text(sql), params)]

    def _choose(self, likely: list[Any], every: list[Any], index: int, wild: int) -> Any:
        """Mostly one of the items the action likely succeeds on; for ``wild`` 4 any item (often a refusal)."""
        return _pick(likely if likely and wild < 4 else every, index)

    def _open_lines(self) -> list[tuple[int, int]]:
        open_ids = set(self._ids("SELECT id FROM resource_line WHERE closed_at IS NULL"))
        return [line for line in self.lines if line[0] in open_ids]

    def _coming_shifts(self) -> list[tuple[int, int]]:
        coming = set(self._ids("SELECT id FROM shift WHERE cancelled_at IS NULL AND ends_at > :now", now=_now()))
        return [shift for shift in self.shifts if shift[0] in coming]

    def _version(self, need_id: int) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(sa.text("SELECT version FROM need WHERE id = :id"), {"id": need_id}).scalar_one()
            )

    # --- offers and needs ----------------------------------------------------------------------------------

    @initialize(first=st.integers(0, 1), quantities=st.lists(st.sampled_from(QUANTITIES), min_size=2, max_size=2))
    def first_offers(self, first: int, quantities: list[str]) -> None:
        """Each partner offers one of the two kinds of item, so claims have something to claim from."""
        for partner, quantity in enumerate(quantities):
            self.publish_offer(partner, ITEMS[(first + partner) % 2], quantity)

    @precondition(lambda self: len(self.offers) < 6)  # a few offers; the steps go to what is done with them
    @rule(partner=st.integers(0, 1), item=st.sampled_from(ITEMS), quantity=st.sampled_from(QUANTITIES))
    def publish_offer(self, partner: int, item: tuple[str, str, str, str], quantity: str) -> None:
        kind, category, unit, what = item
        body = {
            "kind": kind,
            "category": category,
            "title": f"捐赠{what}",
            "quantity": quantity,
            "unit": unit,
            "grid_ids": self.world.grid_ids,
        }
        answer = self.act("publish_offer", "POST", "/api/v1/offers", self.world.partners[partner], body)
        if answer.status_code == 201:
            self.offers.append((answer.json()["id"], partner))

    @initialize(
        lines=st.lists(st.tuples(st.sampled_from(ITEMS), st.sampled_from(QUANTITIES)), min_size=1, max_size=2),
        shifts=st.lists(
            st.tuples(st.sampled_from(STARTS), st.integers(2, 4), st.integers(1, 2), st.booleans()), max_size=2
        ),
    )
    def first_need(self, lines: list[Any], shifts: list[Any]) -> None:
        self.record_need(0, lines, shifts, True)

    @precondition(lambda self: len(self.needs) < 4)
    @rule(
        grid=st.integers(0, 1),
        lines=st.lists(st.tuples(st.sampled_from(ITEMS), st.sampled_from(QUANTITIES)), max_size=2),
        shifts=st.lists(
            st.tuples(st.sampled_from(STARTS), st.integers(2, 4), st.integers(1, 2), st.booleans()), max_size=2
        ),
        publish=st.booleans(),
    )
    def record_need(self, grid: int, lines: list[Any], shifts: list[Any], publish: bool) -> None:
        now = _now()
        body = {
            "title": "老旧小区改造",
            "description": "凉亭破损，需要透水砖和志愿者。",
            "category": "renovation",
            "grid_id": self.world.grid_ids[grid],
            "channel": "grid_walk",
            "urgency": "normal",
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
            "resource_lines": [
                {"kind": kind, "category": category, "quantity": quantity, "unit": unit, "description": what}
                for (kind, category, unit, what), quantity in lines
            ],
            "shifts": [
                {
                    "title": "志愿服务",
                    "location": "社区广场",
                    "starts_at": (now + timedelta(hours=start)).isoformat(),
                    "ends_at": (now + timedelta(hours=start + hours)).isoformat(),
                    "slots": slots,
                    "requires_approval": approval,
                }
                for start, hours, slots, approval in shifts
            ],
        }
        answer = self.act("record_need", "POST", "/api/v1/needs", self.world.staff, body)
        if answer.status_code != 201:
            return
        need = answer.json()
        self.needs.append(need["id"])
        self.lines += [(line["id"], need["id"]) for line in need["resource_lines"]]
        self.shifts += [(shift["id"], need["id"]) for shift in need["shifts"]]
        if publish:
            self.publish_need(len(self.needs) - 1, 0)

    @precondition(lambda self: self.needs)
    @rule(need=PICK, wild=st.integers(0, 4))
    def publish_need(self, need: int, wild: int) -> None:
        waiting = self._ids("SELECT id FROM need WHERE status IN ('submitted', 'under_review') ORDER BY id")
        need_id = self._choose(waiting, self.needs, need, wild)
        body = {"version": self._version(need_id)}
        self.act("publish_need", "POST", f"/api/v1/needs/{need_id}/publish", self.world.staff, body)

    # --- claims and sign-ups ---------------------------------------------------------------------------

    @precondition(lambda self: self.lines and self.offers)
    @rule(
        partner=st.integers(0, 1), line=PICK, offer=PICK, quantity=st.sampled_from(QUANTITIES), wild=st.integers(0, 4)
    )
    def claim_line(self, partner: int, line: int, offer: int, quantity: str, wild: int) -> None:
        open_lines = self._ids(
            "SELECT resource_line.id FROM resource_line JOIN need ON need.id = resource_line.need_id WHERE "
            "closed_at IS NULL AND still_needed > 0 AND need.status IN "
            "('published', 'partially_matched', 'matched', 'in_progress') ORDER BY resource_line.id"
        )
        line_id = self._choose(open_lines, [line_id for line_id, _ in self.lines], line, wild)
        need_id = dict(self.lines)[line_id]
        fitting = self._ids(
            "SELECT offer.id FROM offer JOIN resource_line ON resource_line.id = :line WHERE offer.unit = "
            "resource_line.unit AND offer.remaining_quantity > 0 AND offer.organization_id = (SELECT "
            "organization_id FROM user_account WHERE id = :user) ORDER BY offer.id",
            line=line_id,
            user=self.world.partners[partner].user_id,
        )
        offer_id = self._choose(fitting, [offer_id for offer_id, _ in self.offers], offer, wild)
        if wild < 4:  # mostly a part that fits; sometimes more than is left
            with self.engine.connect() as connection:
                left = connection.execute(
                    sa.text(
                        "SELECT resource_line.still_needed, offer.remaining_quantity FROM resource_line, offer "
                        "WHERE resource_line.id = :line AND offer.id = :offer"
                    ),
                    {"line": line_id, "offer": offer_id},
                ).one()
            fits = min(Decimal(quantity), *(Decimal(value) for value in left))
            quantity = format(fits.normalize(), "f") if fits > 0 else quantity
        body = {"kind": "line", "resource_line_id": line_id, "offer_id": offer_id, "quantity": quantity}
        answer = self.act(
            "claim_line", "POST", f"/api/v1/projects/{need_id}/claims", self.world.partners[partner], body
        )
        if answer.status_code == 201:
            self.claims.append((answer.json()["id"], partner))

    @precondition(lambda self: self.needs)
    @rule(partner=st.integers(0, 1), need=PICK)
    def claim_whole(self, partner: int, need: int) -> None:
        need_id = _pick(self.needs, need)
        answer = self.act(
            "claim_whole", "POST", f"/api/v1/projects/{need_id}/claims", self.world.partners[partner], {"kind": "whole"}
        )
        if answer.status_code == 201:
            self.claims.append((answer.json()["id"], partner))

    @precondition(lambda self: self.shifts)
    @rule(volunteer=st.integers(0, 2), shift=PICK, wild=st.integers(0, 4))
    def sign_up(self, volunteer: int, shift: int, wild: int) -> None:
        shift_id, _ = self._choose(self._coming_shifts(), self.shifts, shift, wild)
        answer = self.act("sign_up", "POST", f"/api/v1/shifts/{shift_id}/signups", self.world.volunteers[volunteer])
        if answer.status_code == 201:
            row = answer.json()
            self.signups.append((row["id"], volunteer, row["match_id"]))

    def _match_ids(self) -> list[int]:
        return [match_id for match_id, _ in self.claims] + [match_id for _, _, match_id in self.signups]

    @precondition(lambda self: self.claims or self.signups)
    @rule(match=PICK, approve=st.integers(0, 3), wild=st.integers(0, 4))
    def decide(self, match: int, approve: int, wild: int) -> None:
        proposed = self._ids("SELECT id FROM match WHERE status = 'proposed' ORDER BY id")
        match_id = self._choose(proposed, self._match_ids(), match, wild)
        approving = approve < 3  # three in four decisions approve
        body = {"decision": "approve"} if approving else {"decision": "reject", "reason": "与项目需求不符"}
        self.act(
            "approve" if approving else "reject", "POST", f"/api/v1/matches/{match_id}/decision", self.world.admin, body
        )

    @precondition(lambda self: self.claims)
    @rule(claim=PICK, as_owner=st.integers(0, 4), wild=st.integers(0, 4))
    def cancel_claim(self, claim: int, as_owner: int, wild: int) -> None:
        live = self._ids("SELECT id FROM match WHERE status IN ('proposed', 'approved') ORDER BY id")
        match_id, owner = self._choose([c for c in self.claims if c[0] in live], self.claims, claim, wild)
        partner = self.world.partners[owner if as_owner < 4 else 1 - owner]
        self.act("cancel_claim", "POST", f"/api/v1/claims/{match_id}/cancel", partner, {"reason": "物资调配变化"})

    @precondition(lambda self: self.claims)
    @rule(claim=PICK, wild=st.integers(0, 4))
    def deliver(self, claim: int, wild: int) -> None:
        approved = self._ids("SELECT id FROM match WHERE status = 'approved' ORDER BY id")
        match_id, owner = self._choose([c for c in self.claims if c[0] in approved], self.claims, claim, wild)
        self.act("deliver", "POST", f"/api/v1/claims/{match_id}/delivered", self.world.partners[owner])

    @precondition(lambda self: self.signups)
    @rule(signup=PICK, wild=st.integers(0, 4))
    def cancel_signup(self, signup: int, wild: int) -> None:
        likely = self._ids("SELECT id FROM shift_signup WHERE status IN ('pending', 'confirmed') ORDER BY id")
        signup_id, volunteer, _ = self._choose([s for s in self.signups if s[0] in likely], self.signups, signup, wild)
        self.act("cancel_signup", "POST", f"/api/v1/signups/{signup_id}/cancel", self.world.volunteers[volunteer])

    @precondition(lambda self: self.signups)
    @rule(signup=PICK, wild=st.integers(0, 4))
    def check_in(self, signup: int, wild: int) -> None:
        likely = self._ids("SELECT id FROM shift_signup WHERE status IN ('confirmed') ORDER BY id")
        signup_id, volunteer, _ = self._choose([s for s in self.signups if s[0] in likely], self.signups, signup, wild)
        self.act("check_in", "POST", f"/api/v1/signups/{signup_id}/check-in", self.world.volunteers[volunteer])

    @precondition(lambda self: self.signups)
    @rule(signup=PICK, wild=st.integers(0, 4))
    def check_out(self, signup: int, wild: int) -> None:
        likely = self._ids("SELECT id FROM shift_signup WHERE status IN ('checked_in') ORDER BY id")
        signup_id, volunteer, _ = self._choose([s for s in self.signups if s[0] in likely], self.signups, signup, wild)
        self.act("check_out", "POST", f"/api/v1/signups/{signup_id}/check-out", self.world.volunteers[volunteer])

    @precondition(lambda self: self.needs)
    @rule(need=PICK, as_admin=st.booleans(), wild=st.integers(0, 4))
    def verify(self, need: int, as_admin: bool, wild: int) -> None:
        likely = self._ids(
            "SELECT id FROM need WHERE status IN ('partially_matched', 'matched', 'in_progress', 'completed') "
            "ORDER BY id"
        )
        need_id = self._choose(likely, self.needs, need, wild)
        who = self.world.admin if as_admin else self.world.staff
        self.act("verify", "POST", f"/api/v1/needs/{need_id}/verify", who, {"satisfaction": 5, "comment": "很满意"})

    # --- changes to a need ---------------------------------------------------------------------------------

    @precondition(lambda self: self.lines)
    @rule(line=PICK, quantity=st.sampled_from(QUANTITIES), stale=st.integers(0, 9), wild=st.integers(0, 4))
    def change_line(self, line: int, quantity: str, stale: int, wild: int) -> None:
        line_id, need_id = self._choose(self._open_lines(), self.lines, line, wild)
        version = self._version(need_id) - (1 if stale == 0 else 0)
        body = {"version": version, "quantity": quantity, "reason": "实际需求有变"}
        self.act("change_line", "PATCH", f"/api/v1/needs/{need_id}/lines/{line_id}", self.world.staff, body)

    @precondition(lambda self: self.lines)
    @rule(line=PICK, wild=st.integers(0, 4))
    def close_line(self, line: int, wild: int) -> None:
        line_id, need_id = self._choose(self._open_lines(), self.lines, line, wild)
        body = {"version": self._version(need_id), "reason": "已够用"}
        self.act("close_line", "POST", f"/api/v1/needs/{need_id}/lines/{line_id}/close", self.world.staff, body)

    @precondition(lambda self: self.shifts)
    @rule(
        shift=PICK,
        start=st.sampled_from(STARTS),
        hours=st.integers(1, 4),
        slots=st.none() | st.integers(1, 3),
        wild=st.integers(0, 4),
    )
    def move_shift(self, shift: int, start: int, hours: int, slots: int | None, wild: int) -> None:
        shift_id, need_id = self._choose(self._coming_shifts(), self.shifts, shift, wild)
        now = _now()
        body: dict[str, Any] = {
            "version": self._version(need_id),
            "starts_at": (now + timedelta(hours=start)).isoformat(),
            "ends_at": (now + timedelta(hours=start + hours)).isoformat(),
        }
        if slots is not None:
            body["slots"] = slots
        self.act("move_shift", "PATCH", f"/api/v1/needs/{need_id}/shifts/{shift_id}", self.world.staff, body)

    @precondition(lambda self: self.shifts)
    @rule(shift=PICK, slots=st.integers(1, 3), wild=st.integers(0, 4))
    def resize_shift(self, shift: int, slots: int, wild: int) -> None:
        shift_id, need_id = self._choose(self._coming_shifts(), self.shifts, shift, wild)
        body = {"version": self._version(need_id), "slots": slots}
        self.act("resize_shift", "PATCH", f"/api/v1/needs/{need_id}/shifts/{shift_id}", self.world.staff, body)

    @precondition(lambda self: self.shifts)
    @rule(shift=PICK, wild=st.integers(0, 4))
    def cancel_shift(self, shift: int, wild: int) -> None:
        shift_id, need_id = self._choose(self._coming_shifts(), self.shifts, shift, wild)
        body = {"version": self._version(need_id), "reason": "天气原因取消"}
        self.act("cancel_shift", "POST", f"/api/v1/needs/{need_id}/shifts/{shift_id}/cancel", self.world.staff, body)

    @precondition(lambda self: self.needs)
    @rule(need=PICK, as_admin=st.booleans())
    def escalate(self, need: int, as_admin: bool) -> None:
        need_id = _pick(self.needs, need)
        who = self.world.admin if as_admin else self.world.staff
        body = {"reason": "网格内无法解决", "department_id": self.world.department_id}
        answer = self.act("escalate", "POST", f"/api/v1/needs/{need_id}/escalate", who, body)
        if answer.status_code == 201:
            self.escalations.append(answer.json()["id"])

    @precondition(lambda self: self.escalations)
    @rule(escalation=PICK)
    def acknowledge(self, escalation: int) -> None:
        escalation_id = _pick(self.escalations, escalation)
        self.act("acknowledge", "POST", f"/api/v1/escalations/{escalation_id}/acknowledge", self.world.admin)

    @precondition(lambda self: len(self.needs) >= 2)
    @rule(need=PICK, into=PICK)
    def merge(self, need: int, into: int) -> None:
        need_id, target_id = _pick(self.needs, need), _pick(self.needs, into)
        body = {"target_id": target_id, "version": self._version(need_id)}
        self.act("merge", "POST", f"/api/v1/needs/{need_id}/merge", self.world.staff, body)

    # --- a project pushed forward ----------------------------------------------------------------------------

    @precondition(lambda self: self.needs)
    @rule(need=PICK)
    def push_forward(self, need: int) -> None:
        """Someone takes the project's next step: an admin approves what waits, a partner delivers, a
        volunteer checks in or out, time passes until its shifts are over, staff close what came as enough,
        then verify. Random steps alone rarely walk a project this far."""
        need_id = _pick(self.needs, need)
        if self._ids("SELECT id FROM need WHERE id = :n AND status = 'published'", n=need_id) and not self._ids(
            "SELECT id FROM match WHERE need_id = :n AND status != 'rejected' AND status != 'cancelled'", n=need_id
        ):
            partner = self.world.partners[need % 2]
            answer = self.act("claim_whole", "POST", f"/api/v1/projects/{need_id}/claims", partner, {"kind": "whole"})
            if answer.status_code == 201:
                self.claims.append((answer.json()["id"], need % 2))
            return
        proposed = self._ids("SELECT id FROM match WHERE need_id = :n AND status = 'proposed' ORDER BY id", n=need_id)
        if proposed:
            body = {"decision": "approve"}
            self.act("approve", "POST", f"/api/v1/matches/{proposed[0]}/decision", self.world.admin, body)
            return
        owners = dict(self.claims)
        approved = [
            m
            for m in self._ids("SELECT id FROM match WHERE need_id = :n AND status = 'approved' ORDER BY id", n=need_id)
            if m in owners
        ]
        if approved:
            partner = self.world.partners[owners[approved[0]]]
            self.act("deliver", "POST", f"/api/v1/claims/{approved[0]}/delivered", partner)
            return
        volunteers = {signup_id: volunteer for signup_id, volunteer, _ in self.signups}
        now = _now()
        # Out once the shift has started (after its end too); in from half an hour before it until it ends.
        for status, step, path, opens, closes in (
            ("checked_in", "check_out", "check-out", now, now - timedelta(days=365)),
            ("confirmed", "check_in", "check-in", now + timedelta(minutes=30), now),
        ):
            ready = self._ids(
                "SELECT shift_signup.id FROM shift_signup JOIN shift ON shift.id = shift_signup.shift_id WHERE "
                "shift.need_id = :n AND shift_signup.status = :s AND shift.starts_at <= :opens "
                "AND shift.ends_at > :closes",
                n=need_id,
                s=status,
                opens=opens,
                closes=closes,
            )
            if ready and ready[0] in volunteers:
                who = self.world.volunteers[volunteers[ready[0]]]
                self.act(step, "POST", f"/api/v1/signups/{ready[0]}/{path}", who)
                return
        if self._ids(
            "SELECT id FROM shift WHERE need_id = :n AND cancelled_at IS NULL AND ends_at > :now", n=need_id, now=_now()
        ):
            self.time_passes(6)
            return
        lines = self._ids(
            "SELECT id FROM resource_line WHERE need_id = :n AND closed_at IS NULL AND still_needed > 0", n=need_id
        )
        if lines:
            body = {"version": self._version(need_id), "reason": "已够用"}
            self.act("close_line", "POST", f"/api/v1/needs/{need_id}/lines/{lines[0]}/close", self.world.staff, body)
            return
        self.act("verify", "POST", f"/api/v1/needs/{need_id}/verify", self.world.staff, {"satisfaction": 4})

    # --- the clock -------------------------------------------------------------------------------------------

    @rule(hours=st.sampled_from([1, 2, 6, 30]))
    def time_passes(self, hours: int) -> None:
        """The clock moves forward: every shift and check-in moves back by the same time (so no overlap
        appears or disappears); a check-out still open stays open."""
        self.stats.steps += 1
        self.stats.rules["time_passes"] += 1
        back = timedelta(hours=hours)
        with Session(self.engine) as session:
            for shift in session.execute(sa.select(Shift)).scalars():
                shift.starts_at, shift.ends_at = shift.starts_at - back, shift.ends_at - back
            for signup in session.execute(sa.select(ShiftSignup)).scalars():
                if signup.checked_in_at is not None:
                    signup.checked_in_at -= back
                if signup.checked_out_at is not None:
                    signup.checked_out_at -= back
            session.commit()
        self._seen = None

    # --- the invariants --------------------------------------------------------------------------------------

    @invariant()
    def the_lifecycle_invariants_hold(self) -> None:
        with self.engine.connect() as connection:
            found = inv.violations(connection)
        if found:
            self._fail(f"invariants violated: {found}")


def machine_for(engine: sa.Engine, client: TestClient[Litestar], stats: Stats) -> type[LifecycleMachine]:
    return type("BoundLifecycleMachine", (LifecycleMachine,), {"engine": engine, "client": client, "stats": stats})


def run_lifecycle(database_url: str, var_dir: Path, *, examples: int, steps: int, stats: Stats | None = None) -> Stats:
    """Run the machine for ``examples`` examples of up to ``steps`` steps against ``database_url``."""
    stats = stats or Stats()
    app_settings = Settings(
        database=DatabaseSettings(url=database_url),
        secret_key="test-secret-key-not-for-production",
        var_dir=var_dir,
        allowed_hosts=("testserver.local", "127.0.0.1", "localhost"),
    )
    engine = inv_engine(database_url)
    started = time.perf_counter()
    try:
        with TestClient(app=create_app(app_settings)) as client:
            machine = machine_for(engine, client, stats)
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=examples,
                    stateful_step_count=steps,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    print_blob=True,
                    suppress_health_check=list(HealthCheck),
                ),
            )
    finally:
        stats.seconds = time.perf_counter() - started
        empty_all_tables(engine)
        engine.dispose()
    return stats


def inv_engine(database_url: str) -> sa.Engine:
    from marketplace.db.engine import create_db_engine

    return create_db_engine(DatabaseSettings(url=database_url))


@pytest.fixture
def lifecycle_stats() -> Iterator[Stats]:
    stats = Stats()
    yield stats
    print(f"\nlifecycle state machine: {stats.as_dict()}")


@pytest.mark.timeout(900)  # ~2-3 minutes alone; twice that on a machine busy with other suites
def test_the_lifecycle_keeps_its_invariants_through_200_random_stories(
    database_url: str, tmp_path: Path, lifecycle_stats: Stats
) -> None:
    stats = run_lifecycle(database_url, tmp_path, examples=200, steps=STEPS_IN_CI, stats=lifecycle_stats)
    assert stats.violations == []
    assert stats.examples >= 200


# --- regressions the machine found -------------------------------------------------------------------------


def test_a_need_with_a_live_claim_is_not_merged_away(client: TestClient[Any], session: Session) -> None:
    """Merging cancels the need: its proposed claim would wait in the review queue for a cancelled project
    (and, approved, keep the offer's quantity for it). The merge is refused; the other way round works."""
    from tests import matches_factories as mf

    grid = make_grid(session)
    claimed = mf.project(session, grid)
    line = mf.line(session, claimed, "5")
    duplicate = mf.project(session, grid, NeedStatus.SUBMITTED)
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, "5")
    staff = make_user(session, Role.STAFF, community_id=grid.community_id)
    staff_token = _person(session, staff.id or 0)
    session.commit()
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"}
    assert client.post(f"/api/v1/projects/{claimed.id}/claims", json=body, headers=partner.headers).status_code == 201

    refused = client.post(
        f"/api/v1/needs/{claimed.id}/merge", json={"target_id": duplicate.id, "version": 1}, headers=staff_token.headers
    )
    # The refusal names the need's field and its own code, with the live claim counted (docs/api_refusals.md).
    assert refused.status_code == 409, refused.text
    [entry] = refused.json()["extra"]
    assert (entry["key"], entry["code"]) == ("need_id", "merge_live_parts"), entry
    assert (entry["need_id"], entry["target_id"], entry["live"]) == (claimed.id, duplicate.id, 1), entry
    merged = client.post(
        f"/api/v1/needs/{duplicate.id}/merge", json={"target_id": claimed.id, "version": 1}, headers=staff_token.headers
    )
    assert merged.status_code == 200, merged.text
    with Session(session.get_bind()) as fresh:
        assert inv.violations(fresh.connection()) == {}


@dataclass
class ClosedLine:
    """A line closed as enough while approved claims of one partner held it; the first claim then withdrawn."""

    need: Any
    line: Any
    offer: Any
    partner: Any
    boss: Any
    claim_body: dict[str, Any]


def _close_then_withdraw(client: TestClient[Any], session: Session, quantity: str, claims: int) -> ClosedLine:
    from tests import matches_factories as mf

    grid = make_grid(session)
    need = mf.project(session, grid)
    line = mf.line(session, need, quantity)
    partner, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "5")
    staff = _person(session, make_user(session, Role.STAFF, community_id=grid.community_id).id or 0)
    session.commit()
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "1"}
    claim_path = f"/api/v1/projects/{need.id}/claims"
    made = [client.post(claim_path, json=body, headers=partner.headers) for _ in range(claims)]
    assert [claim.status_code for claim in made] == [201] * claims, [claim.text for claim in made]
    for claim in made:
        decided = client.post(
            f"/api/v1/matches/{claim.json()['id']}/decision", json={"decision": "approve"}, headers=boss.headers
        )
        assert decided.status_code == 200, decided.text
    closing = {"version": 1, "reason": "已够用"}
    closed = client.post(f"/api/v1/needs/{need.id}/lines/{line.id}/close", json=closing, headers=staff.headers)
    assert closed.status_code == 200, closed.text
    withdrawn = client.post(
        f"/api/v1/claims/{made[0].json()['id']}/cancel", json={"reason": "物资调配变化"}, headers=partner.headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    return ClosedLine(need, line, offer, partner, boss, body)


def test_withdrawing_an_approved_claim_on_a_line_closed_as_enough_opens_the_line_for_what_it_held(
    client: TestClient[Any], session: Session
) -> None:
    """The line (3) was closed as enough while an approved claim held 1 of it; the claim is then withdrawn. The
    offer gets its 1 back and the line opens again needing that 1, its quantity now the 1 staff called enough.
    (Giving 1 back to a line left closed meant no claim could ever cover it; leaving it closed at 0 left a
    published need asking for nothing with nothing held, which no one could complete either.) Another claim
    then covers it and the need is matched."""
    world = _close_then_withdraw(client, session, "3", claims=1)
    need, line, offer = world.need, world.line, world.offer
    partner, boss, body = world.partner, world.boss, world.claim_body
    decision = {"decision": "approve"}
    with Session(session.get_bind()) as fresh:
        reopened = fresh.get(ResourceLine, line.id)
        assert reopened is not None and reopened.closed_at is None
        assert (reopened.quantity, reopened.still_needed) == (1, 1)
        assert fresh.get(Offer, offer.id).remaining_quantity == 5  # type: ignore[union-attr]
        assert fresh.get(Need, need.id).status is NeedStatus.PUBLISHED  # type: ignore[union-attr]
        assert inv.violations(fresh.connection()) == {}
        trail = fresh.execute(sa.select(AuditEvent).where(AuditEvent.action == "need.line.reopen")).scalars().all()
        assert [(event.object_id, event.after["still_needed"]) for event in trail] == [(line.id, "1.00")]

    again = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=partner.headers)
    assert again.status_code == 201, again.text
    decided = client.post(f"/api/v1/matches/{again.json()['id']}/decision", json=decision, headers=boss.headers)
    assert decided.status_code == 200, decided.text
    with Session(session.get_bind()) as fresh:
        assert fresh.get(Need, need.id).status is NeedStatus.MATCHED  # type: ignore[union-attr]
        assert inv.violations(fresh.connection()) == {}


def test_withdrawing_one_of_two_claims_on_a_line_closed_as_enough_asks_again_for_that_one_only(
    client: TestClient[Any], session: Session
) -> None:
    """Closed as enough at 2 held of 10 (1 + 1); one claim is withdrawn: the line needs 1 of 2, the other claim
    still holds its 1, and the need is partly matched, not finished and not empty."""
    world = _close_then_withdraw(client, session, "10", claims=2)
    need, line = world.need, world.line
    with Session(session.get_bind()) as fresh:
        reopened = fresh.get(ResourceLine, line.id)
        assert reopened is not None and reopened.closed_at is None
        assert (reopened.quantity, reopened.still_needed) == (2, 1)
        assert fresh.get(Need, need.id).status is NeedStatus.PARTIALLY_MATCHED  # type: ignore[union-attr]
        assert inv.violations(fresh.connection()) == {}
