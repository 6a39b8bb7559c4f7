"""A page rendered in its handler's thread, not on the event loop.

Litestar renders a ``Template`` after the handler returns, on the event loop: while a worker renders a
heavy page (the review queue's 50 cards: 24-32 ms here), every other request of that worker waits, the
health probe included. A handler that runs in a thread (``sync_to_thread=True``) can hand back the page
already rendered instead: the same template, context, CSRF input and status, as bytes.
"""

from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Template


def rendered(request: Request[Any, Any, Any], page: Template) -> Response[bytes]:
    """``page`` rendered now (call it from the handler's thread), with its status, headers and cookies."""
    engine = request.app.template_engine
    assert engine is not None and page.template_name is not None
    context = page.create_template_context(request)
    body = engine.get_template(page.template_name).render(**context).encode(page.encoding)
    return Response(
        body,
        media_type=page.media_type or MediaType.HTML,
        status_code=page.status_code or 200,
        headers=dict(page.headers),
        cookies=list(page.cookies),
    )
