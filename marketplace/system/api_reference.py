"""The API reference at /schema: the OpenAPI document rendered as a plain HTML page by the server.

A JavaScript viewer from a CDN cannot work here: the street's intranet may have no internet and the
site's Content-Security-Policy allows scripts from itself only. So the page is built from the schema
itself: operations grouped by tag, each with its parameters, request body and responses, and a link
to the machine-readable document (/schema/openapi.json) for clients and code generators.
"""

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

_METHODS = ("get", "post", "put", "patch", "delete")
# The site's own stylesheet: the CSP allows styles from the site itself, not inline ones.
_STYLESHEET = "<link rel='stylesheet' href='/static/css/api_reference.css'>"


def _schema_name(schema: dict[str, Any] | None) -> str:
    """A short reader's name for a schema: its component name, its type, or the types it may be."""
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " | ".join(_schema_name(part) for part in schema[key])
    kind = str(schema.get("type", ""))
    if kind == "array":
        return f"array of {_schema_name(schema.get('items'))}"
    extra = f" ({schema['format']})" if "format" in schema else ""
    if "enum" in schema:
        extra = " (" + ", ".join(str(value) for value in schema["enum"][:12]) + ")"
    return kind + extra


def _parameters(operation: dict[str, Any]) -> str:
    rows = [
        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            escape(str(parameter.get("name", ""))),
            escape(str(parameter.get("in", ""))),
            "required" if parameter.get("required") else "",
            escape(_schema_name(parameter.get("schema"))),
            escape(str(parameter.get("description", ""))),
        )
        for parameter in operation.get("parameters", [])
    ]
    if not rows:
        return ""
    head = "<tr><th>Parameter</th><th>In</th><th></th><th>Type</th><th>Description</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _body(operation: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    parts = [
        f"<code>{escape(media)}</code> {escape(_schema_name(body.get('schema')))}" for media, body in content.items()
    ]
    return f"<p><strong>Body</strong>: {'; '.join(parts)}</p>" if parts else ""


def _responses(operation: dict[str, Any]) -> str:
    items = []
    for code, response in operation.get("responses", {}).items():
        media = ", ".join(escape(name) for name in response.get("content", {}))
        items.append(
            f"<li><code>{escape(str(code))}</code> {escape(str(response.get('description', '')))}"
            + (f" <span class='muted'>({media})</span>" if media else "")
            + "</li>"
        )
    return f"<p><strong>Responses</strong></p><ul>{''.join(items)}</ul>" if items else ""


def _operations_by_tag(schema: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    grouped: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in _METHODS:
            operation = item.get(method)
            if operation is not None:
                tag = (operation.get("tags") or ["other"])[0]
                grouped.setdefault(str(tag), []).append((method, path, operation))
    return dict(sorted(grouped.items()))


def render_reference(schema: dict[str, Any], json_url: str) -> str:
    info = schema.get("info", {})
    groups = _operations_by_tag(schema)
    toc = "".join(
        f"<li><a href='#tag-{escape(tag)}'>{escape(tag)}</a> ({len(ops)})</li>" for tag, ops in groups.items()
    )
    sections = []
    for tag, operations in groups.items():
        cards = []
        for method, path, operation in operations:
            cards.append(
                f"<div class='op' id='{escape(str(operation.get('operationId', '')))}'>"
                f"<h3><span class='method {method}'>{method.upper()}</span><code>{escape(path)}</code></h3>"
                f"<p>{escape(str(operation.get('summary', '')))}</p>"
                + (
                    f"<p class='muted'>{escape(str(operation['description']))}</p>"
                    if operation.get("description")
                    else ""
                )
                + _parameters(operation)
                + _body(operation)
                + _responses(operation)
                + "</div>"
            )
        sections.append(f"<h2 id='tag-{escape(tag)}'>{escape(tag)}</h2>{''.join(cards)}")
    title = escape(str(info.get("title", "API")))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title>{_STYLESHEET}</head><body>"
        f"<h1>{title} <span class='muted'>v{escape(str(info.get('version', '')))}</span></h1>"
        f"<p>{escape(str(info.get('description', '')))}</p>"
        f"<p>Machine-readable: <a href='{escape(json_url)}'>{escape(json_url)}</a>. People sign in with the "
        "session cookie; systems send <code>Authorization: Bearer &lt;token&gt;</code> with the scopes a route "
        "names.</p>"
        f"<nav><ul>{toc}</ul></nav>{''.join(sections)}</body></html>"
    )


class ApiReferencePlugin(OpenAPIRenderPlugin):
    """Serves the reference at /schema (and /schema/reference) without any script."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/reference"], favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return render_reference(openapi_schema, self.get_openapi_json_route(request)).encode()
