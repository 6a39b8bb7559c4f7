"""Settings read from environment variables prefixed ``MARKETPLACE_``.

Nothing here is cached at module level: ``Settings.from_env()`` builds a fresh object and
``create_app(settings)`` takes it as an argument, so tests build their own.
"""

import math
import os
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from marketplace.vocabulary import Category, ResourceKind
from marketplace.whole_numbers import decimal_number, whole_number
from matching.exploration import MAX_SHARE as MAX_EXPLORATION

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Requests for any other Host are refused; production lists its own names.
DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"


class SettingsError(ValueError):
    """A setting is missing or malformed."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MARKETPLACE_{name}", default)


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None or not value.strip():
        return default
    number = whole_number(value.strip(), minimum=0, maximum=2**63)  # int() would take "１", "+3" and "3_000"
    if number is None:
        raise SettingsError(f"MARKETPLACE_{name} must be a whole number in the digits 0-9, not {value!r}")
    return number


def _env_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = _env(name)
    if value is None:
        return default
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Distance scales (km) of the matching's proximity: keyed by need category (volunteers) or by line
# category or resource kind (offers); the library's own (2 km, 3 km) serve where none is set.
PROXIMITY_KEYS = frozenset(c.value for c in Category)
AREA_KEYS = PROXIMITY_KEYS | frozenset(k.value for k in ResourceKind)
MAX_SCALE_KM = 100.0


def parse_scales(name: str, value: str | None, keys: Collection[str]) -> dict[str, float]:
    """``"elderly_care=1,renovation=3"`` → {"elderly_care": 1.0, "renovation": 3.0}; a clear error otherwise."""
    scales: dict[str, float] = {}
    for item in (value or "").split(","):
        if not item.strip():
            continue
        key, sep, number = (part.strip() for part in item.partition("="))
        if not sep or key not in keys:
            raise SettingsError(
                f"MARKETPLACE_{name}: {item.strip()!r} is not KEY=KM with KEY one of {', '.join(sorted(keys))}"
            )
        found = decimal_number(number)
        km = math.nan if found is None else float(found)
        if not 0 < km <= MAX_SCALE_KM:  # NaN fails this too
            raise SettingsError(
                f"MARKETPLACE_{name}: {key}={number!r} must be a distance in km, >0 and ≤{MAX_SCALE_KM:g}"
            )
        scales[key] = km
    return scales


def parse_exploration(value: str | None) -> float:
    """MARKETPLACE_MATCH_EXPLORATION: the share of shown lists with one slot randomised, 0 (off) when unset."""
    text = (value or "").strip()
    if not text:
        return 0.0
    found = decimal_number(text)
    share = math.nan if found is None else float(found)
    if not 0.0 <= share <= MAX_EXPLORATION:  # NaN fails this too
        raise SettingsError(
            f"MARKETPLACE_MATCH_EXPLORATION must be a share from 0 (off) to {MAX_EXPLORATION:g}, not {text!r}"
        )
    return share


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    echo: bool = False
    # Seconds SQLite waits for a lock before giving up; writers serialise through BEGIN IMMEDIATE.
    sqlite_busy_timeout: float = 30.0
    # Connections kept open; a request thread never waits for one while the pool has threads' worth.
    pool_size: int = 20
    # Extra connections beyond pool_size for background work (index warm-up, matching rounds).
    max_overflow: int = 10
    # Seconds a request waits for a free connection before it gets a 503 (a bounded wait, not a hang).
    pool_timeout: float = 10.0
    # Refuse (raise) any query made on the event loop's thread: it would block every request.
    forbid_event_loop_queries: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    secret_key: str
    environment: str = "development"
    default_locale: str = "zh_CN"
    templates_dir: Path = PROJECT_ROOT / "templates"
    var_dir: Path = DEFAULT_VAR_DIR
    page_size: int = 20
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    debug: bool = False
    # Sessions: Secure cookies when served over HTTPS; idle and absolute lifetimes.
    secure_cookies: bool = False
    session_idle_minutes: int = 120
    session_absolute_hours: int = 12
    # Addresses of reverse proxies whose X-Forwarded-For is believed; nobody else's is.
    trusted_proxies: tuple[str, ...] = ()
    login_failure_limit: int = 10
    login_failure_window_seconds: int = 300
    password_reset_hours: int = 24
    # Threads that run handlers and login checks; each may hold one database connection.
    thread_limit: int = 20
    # One line per request in the log (off by default: it costs throughput and fills disks).
    access_log: bool = False
    # Days personal data is kept after it is no longer needed (a closed need's contact, audit addresses); 0 = keep.
    personal_data_retention_days: int = 730
    # The matching's distance scales per category (volunteers) and per category or kind (offers), in km.
    match_proximity_km: Mapping[str, float] = field(default_factory=dict)
    match_area_km: Mapping[str, float] = field(default_factory=dict)
    # The share of recommendation lists with one slot given to a candidate from just below (0: off).
    match_exploration: float = 0.0
    # Who may read /metrics: these addresses or networks (the Prometheus server), or a bearer secret.
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    metrics_token: str = ""
    # Background jobs (docs/jobs.md): on SAQ at this Redis when set, else on a thread of the web process.
    redis_url: str | None = None
    job_queue: str = "marketplace"
    # A running job whose heartbeat is older than this is presumed dead: a worker reclaims it.
    job_stale_seconds: int = 60
    # Finished and failed jobs (and their files) are deleted this many days after they ended; 0 keeps them.
    job_retention_days: int = 30
    # (kind, cron) pairs run by the workers on the street's clock (MARKETPLACE_SCHEDULE, marketplace/jobs/schedule.py).
    schedule: tuple[tuple[str, str], ...] = ()
    # How long before a shift starts its confirmed volunteers are reminded (shifts.remind), in hours.
    shift_reminder_hours: int = 24
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The same rules for settings built in code as for the environment's.
        for name, scales, keys in (
            ("MATCH_PROXIMITY_KM", self.match_proximity_km, PROXIMITY_KEYS),
            ("MATCH_AREA_KM", self.match_area_km, AREA_KEYS),
        ):
            parse_scales(name, ",".join(f"{key}={km}" for key, km in scales.items()), keys)
        parse_exploration(repr(self.match_exploration))

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls) -> "Settings":
        """Read settings from the environment; in production the secret key is required."""
        var_dir = Path(_env("VAR_DIR", str(DEFAULT_VAR_DIR)) or DEFAULT_VAR_DIR)
        environment = _env("ENVIRONMENT", "development") or "development"
        database_url = _env("DATABASE_URL") or f"sqlite:///{var_dir / 'marketplace.sqlite3'}"
        secret_key = _env("SECRET_KEY")
        if not secret_key:
            if environment == "production":
                raise SettingsError("MARKETPLACE_SECRET_KEY is required when MARKETPLACE_ENVIRONMENT=production")
            secret_key = demo_secret_key(var_dir)
        return cls(
            database=DatabaseSettings(
                url=database_url,
                echo=_env_bool("DATABASE_ECHO", False),
                pool_size=_env_int("DATABASE_POOL_SIZE", DatabaseSettings.pool_size),
                max_overflow=_env_int("DATABASE_MAX_OVERFLOW", DatabaseSettings.max_overflow),
                pool_timeout=float(_env_int("DATABASE_POOL_TIMEOUT", int(DatabaseSettings.pool_timeout))),
            ),
            secret_key=secret_key,
            environment=environment,
            default_locale=_env("DEFAULT_LOCALE", "zh_CN") or "zh_CN",
            var_dir=var_dir,
            allowed_hosts=_env_list("ALLOWED_HOSTS", DEFAULT_ALLOWED_HOSTS) or DEFAULT_ALLOWED_HOSTS,
            debug=_env_bool("DEBUG", False),
            secure_cookies=_env_bool("SECURE_COOKIES", False),
            session_idle_minutes=_env_int("SESSION_IDLE_MINUTES", 120),
            session_absolute_hours=_env_int("SESSION_ABSOLUTE_HOURS", 12),
            trusted_proxies=_env_list("TRUSTED_PROXIES", ()),
            thread_limit=_env_int("THREAD_LIMIT", Settings.thread_limit),
            access_log=_env_bool("ACCESS_LOG", False),
            personal_data_retention_days=_retention_days(),
            match_proximity_km=parse_scales("MATCH_PROXIMITY_KM", _env("MATCH_PROXIMITY_KM"), PROXIMITY_KEYS),
            match_area_km=parse_scales("MATCH_AREA_KM", _env("MATCH_AREA_KM"), AREA_KEYS),
            match_exploration=parse_exploration(_env("MATCH_EXPLORATION")),
            metrics_allow=_env_list("METRICS_ALLOW", Settings.metrics_allow),
            metrics_token=_env("METRICS_TOKEN", "") or "",
            redis_url=(_env("REDIS_URL") or "").strip() or None,
            job_queue=(_env("JOB_QUEUE") or "").strip() or Settings.job_queue,
            job_stale_seconds=max(_env_int("JOB_STALE_SECONDS", Settings.job_stale_seconds), 2),
            job_retention_days=max(_env_int("JOB_RETENTION_DAYS", Settings.job_retention_days), 0),
            schedule=_schedule(),
            shift_reminder_hours=_shift_reminder_hours(),
        )


def _schedule() -> tuple[tuple[str, str], ...]:
    from marketplace.jobs.schedule import ScheduleError, parse_schedule

    try:
        return parse_schedule(_env("SCHEDULE"))
    except ScheduleError as error:
        raise SettingsError(str(error)) from None


def _shift_reminder_hours() -> int:
    hours = _env_int("SHIFT_REMINDER_HOURS", Settings.shift_reminder_hours)
    if not 1 <= hours <= 168:
        raise SettingsError("MARKETPLACE_SHIFT_REMINDER_HOURS must be a number of hours from 1 to 168")
    return hours


def _retention_days() -> int:
    days = _env_int("PERSONAL_DATA_RETENTION_DAYS", Settings.personal_data_retention_days)
    if days < 0:
        raise SettingsError("MARKETPLACE_PERSONAL_DATA_RETENTION_DAYS must be 0 (keep) or a number of days")
    return days


def demo_secret_key(var_dir: Path) -> str:
    """Generate the demo's secret key once and keep it under ``var/`` (never in the repository)."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
