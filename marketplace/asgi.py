"""ASGI entry point for servers: settings from the environment (``uvicorn marketplace.asgi:app``)."""

from marketplace.app import create_app
from marketplace.settings import Settings

app = create_app(Settings.from_env())
