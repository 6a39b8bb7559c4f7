"""ASGI entry point for servers: ``uvicorn --factory marketplace.asgi:app_from_env``.

A factory rather than a module-level app, so importing this module reads no settings.
"""

from litestar import Litestar

from marketplace.app import create_app
from marketplace.settings import Settings


def app_from_env() -> Litestar:
    return create_app(Settings.from_env())
