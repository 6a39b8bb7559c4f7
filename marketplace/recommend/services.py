"""Ranked, explained candidates for one need, from indexes built once and kept warm.

Building the candidate indexes costs seconds at 100,000 volunteers, so they are cached per database.
An index is out of date when its candidate table changed (a new profile, sign-up, offer or match:
cheap max-id probes) or after ``MAX_AGE`` seconds, which bounds how stale an in-place edit (a new
skill or window) can be. A small street rebuilds at once, so the next request sees the change; a large
one (``SYNC_LIMIT`` candidates or more) keeps serving the index it has while a background thread
builds the new one, so no request waits for a rebuild, and rebuilds at most once every
``REBUILD_INTERVAL`` seconds: during a burst of sign-ups each one changed the index, and rebuilding
after every one kept a core busy (and the other requests waiting for the interpreter). Servers warm
both indexes at start (``warm_in_background``). The ranking itself is the library's vectorised top-k.

Many streets in one deployment: a need in street S is ranked against only the volunteers serving S and the
offers of organizations serving S (``_build`` filters the candidates, the one place this is said), from an
index kept per street. A deployment of one street keeps one index of every candidate, which is the same.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.db.types import utcnow
from marketplace.domain_surface import surface_attribute
from marketplace.matches import services as matches_services
from marketplace.matches.models import Match
from marketplace.needs import services
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.organizations.services import organization_ids_serving, standing_probe, volunteer_ids_serving
from marketplace.places.models import Street
from marketplace.places.services import grids_of_streets, street_of_grid
from marketplace.recommend import records as rows
from marketplace.recommend import training
from marketplace.settings import SettingsError, parse_exploration
from marketplace.volunteers.models import ShiftSignup, VolunteerProfile, VolunteerStreet
from matching import exploration, ranker
from matching.explain import Ranked

if TYPE_CHECKING:
    from marketplace.recommend.for_me import tasks_for_volunteer as tasks_for_volunteer
    from marketplace.recommend.records import LINE_COLUMNS as LINE_COLUMNS
    from marketplace.recommend.records import SHIFT_COLUMNS as SHIFT_COLUMNS
    from marketplace.recommend.records import line_records as line_records
    from marketplace.recommend.records import line_records_of as line_records_of
    from marketplace.recommend.records import offer_records as offer_records
    from marketplace.recommend.records import rows_of_needs as rows_of_needs
    from marketplace.recommend.records import shift_records as shift_records
    from marketplace.recommend.records import shift_records_of as shift_records_of
    from marketplace.recommend.records import volunteer_records as volunteer_records
    from marketplace.recommend.training import train as train

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "LINE_COLUMNS": "records",
    "SHIFT_COLUMNS": "records",
    "line_records": "records",
    "line_records_of": "records",
    "offer_records": "records",
    "rows_of_needs": "records",
    "shift_records": "records",
    "shift_records_of": "records",
    "tasks_for_volunteer": "for_me",
    "train": "training",
    "volunteer_records": "records",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


MAX_AGE = 300.0
SYNC_LIMIT = 5_000
# A large street's index is rebuilt at most this often (seconds): how late a change may show there.
REBUILD_INTERVAL = 30.0
# Seconds a request waits for another's first build of an index before building its own.
FIRST_BUILD_WAIT = 120.0
KINDS = ("offers", "volunteers")
log = logging.getLogger("marketplace.recommend")


@dataclass
class _Cached:
    signature: tuple[Any, ...]
    built: float
    index: Any
    size: int


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: dict[tuple[Any, ...], _Cached] = field(default_factory=dict)
    building: set[tuple[Any, ...]] = field(default_factory=set)
    # The first build of an index, which later callers wait for instead of building it again.
    first_builds: dict[tuple[Any, ...], threading.Event] = field(default_factory=dict)


_CACHE = _Cache()


def _signature(db: Session, kind: str, street_id: int | None = None) -> tuple[Any, ...]:
    """The max-id probes, each on its own index, asked in one statement (for a street's index, also the
    count of the rows saying who serves which street)."""
    if street_id is None:
        probes = (
            [sa.select(sa.func.max(VolunteerProfile.id)), sa.select(sa.func.max(ShiftSignup.id)), _disabled_probe()]
            if kind == "volunteers"
            else [*(sa.select(sa.func.max(col)) for col in (Offer.id, Offer.updated_at, Match.id)), standing_probe()]
        )
    else:
        # A street's index changes with its own candidates' rows only: a sign-up or claim in another street
        # of the city (several a second under load) must not make every street rebuild its index.
        serving = serving_query(kind, street_id)
        if kind == "volunteers":
            probes = [
                sa.select(sa.func.max(VolunteerProfile.id)),
                sa.select(sa.func.max(ShiftSignup.id)).where(ShiftSignup.volunteer_id.in_(serving)),  # type: ignore[attr-defined]
                sa.select(sa.func.count(VolunteerStreet.volunteer_id)),
                _disabled_probe(),
            ]
        else:
            probes = [
                sa.select(sa.func.max(Offer.id)),
                sa.select(sa.func.max(Offer.updated_at)).where(Offer.id.in_(serving)),  # type: ignore[union-attr]
                sa.select(sa.func.max(Match.id)).where(Match.offer_id.in_(serving)),  # type: ignore[union-attr]
                sa.select(sa.func.count(OrganizationGrid.organization_id)),
                sa.select(sa.func.max(Organization.id)),
                standing_probe(),
            ]
    subqueries = (probe if isinstance(probe, sa.ScalarSelect) else probe.scalar_subquery() for probe in probes)
    return tuple(db.execute(sa.select(*subqueries)).one())


def _disabled_probe() -> Any:
    """What changes when an account is disabled or enabled again (an erasure disables it too): how many are
    disabled and the sum of their ids, for the volunteers' index (a profile's own rows do not change then)."""
    disabled = sa.select(User.id).where(User.is_active.is_(False)).subquery()  # type: ignore[attr-defined]
    return sa.select(sa.func.count(disabled.c.id) * 1_000_000_007 + sa.func.coalesce(sa.func.sum(disabled.c.id), 0))


def _standing_changed(cached: "_Cached", signature: tuple[Any, ...]) -> bool:
    """An organization's standing (offers) or an account's (volunteers) changed since the index was built (the
    last probe of each signature): the index is never served then, however large the street, or a suspended
    organization's offers or a disabled volunteer would be offered until the background rebuild."""
    return cached.signature[-1:] != signature[-1:]


def serving_query(kind: str, street_id: int) -> Any:
    """Rule 5 as an id query: the volunteers serving the street, or the offers of organizations serving it."""
    streets = frozenset({street_id})
    if kind == "volunteers":
        return volunteer_ids_serving(streets)
    return sa.select(Offer.id).where(Offer.organization_id.in_(organization_ids_serving(streets)))  # type: ignore[attr-defined]


def serving_candidates(db: Session, kind: str, street_id: int) -> set[int]:
    """Rule 5: the volunteers serving the street, or the offers of organizations serving it."""
    return {int(i) for i in db.execute(serving_query(kind, street_id)).scalars()}


def _build(db: Session, kind: str, street_id: int | None = None) -> tuple[Any, int]:
    """The index of every candidate of ``kind`` (None when there is none) and how many candidates it holds;
    with a street, only the candidates serving it."""
    grids = rows.grid_points(db)
    # A street's index reads only its candidates' rows: in a city, one street's is a hundredth of the whole.
    among = None if street_id is None else serving_query(kind, street_id)
    candidates: list[Any] = (
        rows.volunteer_records(db, among=among) if kind == "volunteers" else rows.offer_records(db, among=among)
    )
    if not candidates:
        return None, 0
    if street_id is not None:
        grids = _grids_of_street_index(db, grids, street_id, kind, candidates)
    groups = rows.skill_groups(db) if kind == "volunteers" else None
    return rows.candidate_index(kind, candidates, grids, skill_groups=groups), len(candidates)


def _grids_of_street_index(
    db: Session, grids: list[Any], street_id: int, kind: str, candidates: list[Any]
) -> list[Any]:
    """The grids a street's index needs: the street's own (where its needs are) and its candidates' (homes,
    or the areas offers serve). The index keeps grid x grid tables (distances, proximity per scale, same
    community): over a city's 2,100 grids each is 35 MB and took 0.35 s per rebuild, for every street."""
    used = set(db.execute(grids_of_streets(frozenset({street_id}))).scalars())
    if kind == "volunteers":
        used |= {candidate.home_grid_id for candidate in candidates}
    else:
        used |= {grid_id for candidate in candidates for grid_id in candidate.grid_ids}
    return [grid for grid in grids if grid.id in used]


def _key(db: Session, kind: str, street_id: int | None = None) -> tuple[Any, ...]:
    base = (str(db.get_bind().url), kind)
    return base if street_id is None else (*base, street_id)


def _build_for(db: Session, kind: str, street_id: int | None) -> tuple[Any, int]:
    return _build(db, kind) if street_id is None else _build(db, kind, street_id)


def _rebuild(factory: sessionmaker[Session], key: tuple[Any, ...], kind: str, street_id: int | None = None) -> None:
    """Build the index of ``kind`` in its own session and publish it (the background path)."""
    try:
        started = time.perf_counter()
        with factory() as db:
            signature = _signature(db, kind, street_id)
            index, size = _build_for(db, kind, street_id)
        with _CACHE.lock:
            _CACHE.entries[key] = _Cached(signature, time.monotonic(), index, size)
        log.info("%s index rebuilt: %d candidates in %.1f s", kind, size, time.perf_counter() - started)
    except Exception:  # a failed rebuild keeps the index already served; the next request tries again
        log.exception("rebuilding the %s index failed", kind)
    finally:
        with _CACHE.lock:
            _CACHE.building.discard(key)


def index_for(db: Session, kind: str, street_id: int | None = None) -> Any:
    """The index of ``kind`` for this database: fresh on a small street, never waited for on a large one.
    With ``street_id``, of only the candidates serving that street (None: every candidate)."""
    key = _key(db, kind, street_id)
    signature = _signature(db, kind, street_id)
    with _CACHE.lock:
        cached = _CACHE.entries.get(key)
        fresh = cached and cached.signature == signature and time.monotonic() - cached.built < MAX_AGE
        if cached and fresh:
            return cached.index
        if cached and cached.size >= SYNC_LIMIT and not _standing_changed(cached, signature):
            recently_built = time.monotonic() - cached.built < REBUILD_INTERVAL
            if key not in _CACHE.building and not recently_built:
                _CACHE.building.add(key)
                factory = sessionmaker(bind=db.get_bind(), class_=Session, expire_on_commit=False)
                threading.Thread(target=_rebuild, args=(factory, key, kind, street_id), daemon=True).start()
            return cached.index
        # No index yet: one caller builds it (the start-up warm-up, usually); the others wait for that
        # build rather than each making its own, which on a large street would multiply the wait.
        first = _CACHE.first_builds.get(key) if cached is None else None
        mine = cached is None and first is None
        if mine:
            _CACHE.first_builds[key] = threading.Event()
    if first is not None:
        first.wait(timeout=FIRST_BUILD_WAIT)
        with _CACHE.lock:
            if (ready := _CACHE.entries.get(key)) is not None:
                return ready.index
    try:
        index, size = _build_for(db, kind, street_id)
        with _CACHE.lock:
            _CACHE.entries[key] = _Cached(signature, time.monotonic(), index, size)
        return index
    finally:
        with _CACHE.lock:
            if mine and (event := _CACHE.first_builds.pop(key, None)) is not None:
                event.set()


def warm_in_background(factory: sessionmaker[Session]) -> threading.Thread:
    """Build both indexes off the request path, so the first visitor after a start does not wait."""

    def warm() -> None:
        for kind in KINDS:
            try:
                with factory() as db:
                    # A city ranks each need among its street's candidates (street_for_candidates): the index of
                    # every candidate would serve no request, and held a city's 100,000 volunteers per worker.
                    if _streets(db) > 1:
                        return
                    index_for(db, kind)
            except Exception:  # warming is an optimisation; a request will build what is missing
                log.exception("warming the %s index failed", kind)

    thread = threading.Thread(target=warm, name="warm-recommendation-indexes", daemon=True)
    thread.start()
    return thread


def forget() -> None:
    """Drop every cached index (tests that rebuild a database under the same address)."""
    with _CACHE.lock:
        _CACHE.entries.clear()
        for event in _CACHE.first_builds.values():
            event.set()
        _CACHE.first_builds.clear()


@dataclass(frozen=True)
class PartRanking:
    """The ranked candidates for one resource line or shift of the need; ``explored_slot`` is the 0-based
    place given to a candidate from just below the list (exploration), None when the list is as ranked."""

    part_id: int
    title: str
    ranked: list[Ranked]
    explored_slot: int | None = None


EXPLORATION_SETTING = "MARKETPLACE_MATCH_EXPLORATION"


def exploration_share() -> float:
    """The setting read from the environment, for callers without an application's settings (the
    application checks it at start and passes ``settings.match_exploration``). A value that is not a number
    in [0, 0.5] is logged and treated as 0 here: recommendations keep working."""
    try:
        return parse_exploration(os.environ.get(EXPLORATION_SETTING))
    except SettingsError as error:
        log.error("%s; exploration is off", error)
        return 0.0


def recommend(
    db: Session,
    need: Need,
    kind: str,
    k: int,
    var_dir: Path | None = None,
    *,
    share: float | None = None,
    rng: np.random.Generator | None = None,
) -> list[PartRanking]:
    """The top ``k`` offers for each open resource line, or volunteers for each open shift, of ``need``.

    The learned ranker serves when one has been trained and stored for ``kind`` (see training.py);
    otherwise the documented default scorer does. With exploration on (``share``, by default the
    setting), a share of the lists has one slot given to a candidate from just below them."""
    now = utcnow()
    index = index_for(db, kind, street_id=street_for_candidates(db, need))
    model = training.load_model(var_dir, kind) if var_dir is not None else None
    share = exploration_share() if share is None else share
    rng = rng if rng is not None else np.random.default_rng()

    def top(part: Any, count: int) -> list[Ranked]:
        if index is None:
            return []
        if model is None:
            return index.rank(part, now, k=count) if kind == "offers" else index.rank(part, k=count)
        scorer = training.scorer_for(model, {part.id: part.category})
        return ranker.rank(scorer, index.pair_features(part, now), count)

    def part_ranking(part: Any, title: str) -> PartRanking:
        if share <= 0:
            return PartRanking(part.id, title, top(part, k))
        found = top(part, exploration.REACH * k)
        by_id = {r.candidate_id: r for r in found}
        shown = [r.candidate_id for r in found[:k]]
        explored = exploration.explore(shown, [r.candidate_id for r in found[k:]], share, rng)
        return PartRanking(part.id, title, [by_id[i] for i in explored.ids], explored.slot)

    if kind == "offers":
        # Only lines that take claims (matches_services.py): not closed as enough, not covered by a whole claim.
        line_rows = matches_services.open_lines(db, services.lines_of(db, need.id or 0))
        titles = {line.id: line.description or line.category.label for line in line_rows}
        lines = [line for line in rows.line_records(db, need, line_rows) if line.still_needed > 0]
        return [part_ranking(line, titles.get(line.id, "")) for line in lines]
    shift_rows = matches_services.open_shifts(db, services.shifts_of(db, need.id or 0))
    titles = {shift.id: shift.title for shift in shift_rows}
    shifts = [
        shift for shift in rows.shift_records(db, need, shift_rows) if shift.open_slots > 0 and shift.ends_at > now
    ]
    return [part_ranking(shift, titles.get(shift.id, "")) for shift in shifts]


def street_for_candidates(db: Session, need: Need) -> int | None:
    """The street whose serving candidates a need is ranked against; None (every candidate) when the
    deployment has one street, where every candidate serves it and the shared index is the same."""
    if _streets(db) <= 1:
        return None
    return street_of_grid(db, need.grid_id)


def _streets(db: Session) -> int:
    return int(db.execute(sa.select(sa.func.count()).select_from(Street)).scalar_one())


def scorer_name(kind: str, var_dir: Path | None) -> str:
    return "learned" if var_dir is not None and training.load_model(var_dir, kind) is not None else "default"


def candidate_names(db: Session, kind: str, ids: set[int]) -> dict[int, str]:
    """What a reader calls each candidate: the offer's title and organization, or the volunteer's name."""
    if not ids:
        return {}
    if kind == "offers":
        query = sa.select(Offer.id, Offer.title, Organization.name).join(
            Organization,
            Organization.id == Offer.organization_id,  # type: ignore[arg-type]
        )
        found = db.execute(query.where(Offer.id.in_(ids))).all()  # type: ignore[union-attr]
        return {row[0]: f"{row[1]} · {row[2]}" for row in found}
    query = sa.select(VolunteerProfile.id, User.display_name).join(User, User.id == VolunteerProfile.user_id)  # type: ignore[arg-type]
    return {row[0]: row[1] for row in db.execute(query.where(VolunteerProfile.id.in_(ids))).all()}  # type: ignore[union-attr]
