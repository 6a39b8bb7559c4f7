"""One log format for every process and request: time, level, process, logger, request id, message.

Two renderings of it: a line for people (the default) and, with ``MARKETPLACE_LOG_FORMAT=json``, one
JSON object per line for log shippers (Loki, Elasticsearch, a cloud's log service):
``{"time", "level", "pid", "logger", "request_id", "message", "exception"}``.
"""

import json
import logging
import logging.config
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.logging.config import LoggingConfig
from litestar.types import Scope
from sqlalchemy import exc as sa_exc

from marketplace.settings import SettingsError

# Set per request by the request-id middleware; anyio copies it into the handler's thread.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s req=%(request_id)s %(message)s"
LOG_FORMATS = ("plain", "json")


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, the same keys on every line (``exception`` is null without one).

    ASCII only (other characters escaped): a line stays one line and valid whatever the terminal's encoding.
    """

    def format(self, record: logging.LogRecord) -> str:
        exception = None
        if record.exc_info:
            exception = self.formatException(record.exc_info)
        elif record.exc_text:
            exception = record.exc_text
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "pid": record.process,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
            "exception": exception,
        }
        return json.dumps(entry, default=str)


def log_format_from_env() -> str:
    """``MARKETPLACE_LOG_FORMAT``: ``plain`` (default) or ``json``; anything else stops the start."""
    chosen = (os.environ.get("MARKETPLACE_LOG_FORMAT") or "plain").strip().lower()
    if chosen not in LOG_FORMATS:
        raise SettingsError(f"MARKETPLACE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {chosen!r}")
    return chosen


def configure_logging(level: str = "INFO", log_format: str | None = None) -> None:
    """Route the server's, the framework's and our own loggers to one handler with one format."""
    log_format = log_format or log_format_from_env()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {"plain": {"format": LOG_FORMAT}, "json": {"()": JsonFormatter}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "filters": ["request_id"],
                    "formatter": log_format,
                }
            },
            "root": {"handlers": ["stderr"], "level": level},
            "loggers": {
                "uvicorn": {"handlers": [], "propagate": True, "level": level},
                "uvicorn.error": {"handlers": [], "propagate": True},
                # Our middleware writes the access log (with the request id) when it is switched on.
                "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            },
        }
    )


def log_server_error(logger: Any, scope: Scope, traceback_lines: list[str]) -> None:
    """Log unhandled errors (5xx) with their traceback; 4xx answers are the client's business."""
    error = sys.exc_info()[1]
    if getattr(error, "status_code", 500) < 500 or isinstance(error, sa_exc.TimeoutError | sa_exc.OperationalError):
        return  # logged once, by the handler that answers them (marketplace.pages.database_unavailable)
    method, path = scope.get("method", ""), scope.get("path", "")
    logger.error("unhandled error on %s %s\n%s", method, path, "".join(traceback_lines))


def litestar_logging_config() -> LoggingConfig:
    """Litestar's loggers propagate to the root handler above; exceptions are logged in production too."""
    return LoggingConfig(
        configure_root_logger=False,
        loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
        log_exceptions="always",
        exception_logging_handler=log_server_error,
    )
