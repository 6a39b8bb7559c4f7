"""ASGI entry point for servers: ``uvicorn --factory --no-proxy-headers marketplace.asgi:app_from_env``.

``--no-proxy-headers``: uvicorn's own X-Forwarded-For handling would believe anyone connecting from
127.0.0.1 before the application sees the request; MARKETPLACE_TRUSTED_PROXIES alone must decide
(``marketplace serve`` and ``marketplace demo`` turn it off themselves).

Prefer ``marketplace serve``: it also bounds what one connection may cost (headers at most 64 KiB, read
within 30 s, a stalled body closed after 60 s; ``marketplace/security/slow_clients.py``), which uvicorn run
by hand does not do, since its ``--http`` option takes no custom protocol. Behind a proxy that sets its own
limits (deploy/) the difference is smaller, not gone.

A factory rather than a module-level app, so importing this module reads no settings.
"""

from litestar import Litestar

from marketplace.app import create_app
from marketplace.jobs.embedded_schedule import attach as keep_schedule
from marketplace.recommend.services import warm_in_background
from marketplace.settings import Settings


def app_from_env() -> Litestar:
    app = create_app(Settings.from_env())
    # A server warms the recommendation indexes at start; tests build apps without this.
    warm_in_background(app.state.session_factory)
    # Without Redis no worker keeps MARKETPLACE_SCHEDULE: each server process does, once per slot between them.
    keep_schedule(app)
    return app
