"""Every route of the application is guarded or explicitly public; public routes change nothing
except the documented public forms. Routes are enumerated from the app, so new ones are covered.
"""

from litestar import Litestar

from tests.security_world import UNSAFE_METHODS, app_routes

# The only routes anyone may POST to without signing in (each is a form a stranger must be able to send).
PUBLIC_UNSAFE_ROUTES = frozenset(
    {
        "POST /login",
        "POST /logout",
        "POST /register",
        "POST /register/organization",
        "POST /register/volunteer",
        "POST /reset/{token:str}",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/logout",
        "POST /submit",  # residents report a need without an account; rate-limited per address
        "POST /track",  # residents follow their report by reference and phone; lookups rate-limited per address
        "POST /api/v1/track",
    }
)


def test_every_route_has_a_guard_or_is_marked_public(app: Litestar) -> None:
    routes = app_routes(app)
    assert len(routes) > 10
    offenders = [route.label for route in routes if not route.guard_names and not route.is_public]
    assert not offenders, "routes with neither a guard nor opt=PUBLIC:\n" + "\n".join(offenders)


def test_no_route_is_both_public_and_guarded(app: Litestar) -> None:
    """A guard on a PUBLIC route means one of the two is a mistake."""
    confused = [f"{r.label} {r.guard_names}" for r in app_routes(app) if r.is_public and r.guard_names]
    assert not confused, "routes marked PUBLIC that also have guards:\n" + "\n".join(confused)


def test_public_routes_change_nothing_but_the_documented_forms(app: Litestar) -> None:
    offenders = [
        route.label
        for route in app_routes(app)
        if route.is_public and route.method in UNSAFE_METHODS and route.label not in PUBLIC_UNSAFE_ROUTES
    ]
    assert not offenders, "public state-changing routes not on the allow-list:\n" + "\n".join(offenders)


def test_static_files_and_the_schema_are_public(app: Litestar) -> None:
    public = {route.path for route in app_routes(app) if route.is_public}
    assert "/static/{file_path:path}" in public
    assert "/schema/openapi.json" in public


def test_admin_routes_are_admin_only(app: Litestar) -> None:
    """Everything under /admin and /api/v1/admin carries the admin guard, not merely login_required.

    One exception, on purpose: a job's own page (its progress, retry, an export's download) is open to the
    staff member who started it too; the service checks that it is theirs (tests/test_jobs_exchange.py)."""
    staff_job_pages = "/admin/jobs/{job_id:int}"
    loose = [
        f"{r.label} {r.guard_names}"
        for r in app_routes(app)
        if r.path.startswith(("/admin", "/api/v1/admin", "/api/v1/audit"))
        and "roles_admin" not in r.guard_names
        and not (r.path.startswith(staff_job_pages) and "roles_admin_staff" in r.guard_names)
    ]
    assert not loose, "admin routes without the admin guard:\n" + "\n".join(loose)
