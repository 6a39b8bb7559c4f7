"""The application factory: ``create_app(settings)`` wires the database, templates, locale and routes."""

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
from litestar import Litestar, Request, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.static_files import create_static_files_router
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.accounts import devices
from marketplace.dashboard.memo import FiguresMemo
from marketplace.db.deps import provide_db, provide_reader
from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.i18n.middleware import locale_middleware_factory
from marketplace.page_cache import COMPRESSED_HERE, PageCache, watch_writes
from marketplace.pages import APP_EXCEPTION_HANDLERS, identify_for_error_page
from marketplace.path_ids import refuse_out_of_range_ids
from marketplace.recommend.records import DistanceScales, use_distance_scales
from marketplace.rendered import remember_request, render_off_loop
from marketplace.routes import route_handlers
from marketplace.security.authentication import authentication_middleware_factory
from marketplace.security.csrf import csrf_middleware_factory
from marketplace.security.deps import provide_actor, provide_client_address, provide_viewer
from marketplace.security.guards import PUBLIC
from marketplace.security.headers import security_headers_hook
from marketplace.security.hosts import allowed_hosts_middleware_factory
from marketplace.security.slow_clients import client_gone_middleware_factory
from marketplace.serving.logs import litestar_logging_config
from marketplace.serving.request_id import request_id_middleware_factory
from marketplace.settings import Settings
from marketplace.system import metrics
from marketplace.system.health import ReadinessController
from marketplace.system.openapi_responses import CompleteApiReferencePlugin, CompleteJsonRenderPlugin
from marketplace.web import template_config

STATIC_DIR = Path(__file__).parent / "static"


async def _before_each_request(request: Request[Any, Any, Any]) -> None:
    remember_request(request)  # for render_off_loop, which Litestar hands the response alone
    await refuse_out_of_range_ids(request)


def create_app(settings: Settings, *, extra_route_handlers: Sequence[Any] = ()) -> Litestar:
    """Build the application for ``settings``; nothing is read from the environment here."""
    engine = create_db_engine(settings.database)
    # The matching's distance scales are the settings' (the index builders have no app state to read).
    use_distance_scales(DistanceScales.of(settings))
    state = State(
        {
            "settings": settings,
            "engine": engine,
            "session_factory": make_session_factory(engine),
            "reader_factory": make_session_factory(engine, readonly=True),
            "page_cache": PageCache(),
        }
    )
    state.figures_memo = FiguresMemo(state.page_cache)

    # This process's writes empty the anonymous page cache at once (other workers' within its TTL).
    watch_writes(engine, state.page_cache)

    def dispose_engine() -> None:
        engine.dispose()

    def limit_threads() -> None:
        # Handlers and login checks share these threads; the pool holds a connection for each of them,
        # so a thread never waits for a connection and extra requests queue on the loop, not in the pool.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.thread_limit

    def warm_device_names() -> None:
        # The account page names each session's device; the parser's rules compile once, here, off any request.
        threading.Thread(target=devices.warm, name="warm-device-names", daemon=True).start()

    app = Litestar(
        route_handlers=[
            *route_handlers(),
            ReadinessController,
            metrics.MetricsController,
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False, opt=PUBLIC),
            *extra_route_handlers,
        ],
        state=state,
        dependencies={
            "db": Provide(provide_db),
            "reader": Provide(provide_reader),
            "viewer": Provide(provide_viewer, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "client_address": Provide(provide_client_address, sync_to_thread=False),
        },
        # Outermost first: the request id (every log line of a request carries it), the Host check,
        # language, then who is asking, then CSRF (which needs to know the session).
        middleware=[
            request_id_middleware_factory(settings),
            client_gone_middleware_factory,  # a body the client never finished sending is a 4xx
            allowed_hosts_middleware_factory(settings),
            locale_middleware_factory(settings.default_locale),
            authentication_middleware_factory(settings),
            csrf_middleware_factory(settings),
        ],
        before_send=[security_headers_hook(settings)],
        before_request=_before_each_request,
        after_request=render_off_loop,  # pages render in a worker thread, never on the event loop
        template_config=template_config(settings.templates_dir, auto_reload=settings.debug),
        # gzip at level 6: 85% smaller pages for about 0.1 ms of CPU; level 9 costs twice that for 1% more.
        compression_config=CompressionConfig(
            backend="gzip", gzip_compress_level=6, minimum_size=1024, exclude_opt_key=COMPRESSED_HERE
        ),
        openapi_config=OpenAPIConfig(
            title="Red Partners Marketplace API",
            version="1",
            description="The three lists of a street: needs, resources and projects.",
            # The published API description is public like the data it describes.
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC),
            # A page rendered by the server: no CDN script, which the CSP would block anyway. Both
            # renderers add the error answers the generator cannot see (401/403/404/409/413/429/503).
            render_plugins=[CompleteApiReferencePlugin(), CompleteJsonRenderPlugin()],
        ),
        exception_handlers=APP_EXCEPTION_HANDLERS,
        # An address no route serves never met the authentication middleware: its error page looks the reader up.
        after_exception=[identify_for_error_page],
        logging_config=litestar_logging_config(),
        on_startup=[limit_threads, warm_device_names],
        on_shutdown=[dispose_engine],
        debug=settings.debug,
    )
    metrics.install(app, settings)  # counts every request, routed or not
    return app


def metadata() -> Any:
    """The whole schema, for tools that want it without an app."""
    return SQLModel.metadata
