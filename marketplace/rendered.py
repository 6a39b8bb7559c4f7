"""Pages rendered in a worker thread, never on the event loop.

Litestar renders a ``Template`` after the handler returns, on the event loop: while a worker renders a
heavy page (the review queue's 50 cards: 24-32 ms here), every other request of that worker waits, the
health probe included. So the app's ``after_request`` hook (``render_off_loop``) renders every returned
``Template`` in a thread and hands Litestar the bytes; ``remember_request`` (a ``before_request`` step) keeps
the request the template's context needs, as the hook itself is given only the response.

Error pages made by exception handlers are small and still render on the loop.

Renders take their threads from a limiter of their own, not the default one the handlers use: a request
renders while it still holds its database session (Litestar closes dependencies after the response is
made), so if renders waited for the handlers' threads, and those handlers waited for a pooled connection
held by a request waiting to render, fifty logged-in requests on a pool of two would wait on each other
until the pool's timeout (tests/test_event_loop.py found it).
"""

import asyncio
from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from anyio import CapacityLimiter, to_thread
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Template

_REQUEST: ContextVar[Request[Any, Any, Any] | None] = ContextVar("page_request", default=None)
RENDER_THREADS = 4  # rendering is CPU work under the GIL: more threads would only queue on it
_limiters: "WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter]" = WeakKeyDictionary()


def _render_limiter() -> CapacityLimiter:
    """The renders' own threads, one limiter per event loop (a limiter belongs to the loop it was made in)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = CapacityLimiter(RENDER_THREADS)
    return limiter


def rendered(request: Request[Any, Any, Any], page: Template) -> Response[bytes]:
    """``page`` rendered now, with what Litestar would have sent: status (the route's default when the page
    names none), media type, headers, cookies and background task."""
    engine = request.app.template_engine
    assert engine is not None and page.template_name is not None
    context = page.create_template_context(request)
    body = engine.get_template(page.template_name).render(**context).encode(page.encoding)
    return Response(
        body,
        media_type=page.media_type or MediaType.HTML,
        status_code=page.status_code,
        headers=dict(page.headers),
        cookies=list(page.cookies),
        background=page.background,
    )


def remember_request(request: Request[Any, Any, Any]) -> None:
    """Kept for this request's ``render_off_loop`` (a context variable: each request runs in its own task)."""
    _REQUEST.set(request)


async def render_off_loop(response: Response[Any]) -> Response[Any]:
    """A returned page rendered in a worker thread; any other response as it is."""
    request = _REQUEST.get()
    if request is None or not isinstance(response, Template) or response.template_name is None:
        return response
    return await to_thread.run_sync(rendered, request, response, limiter=_render_limiter())
