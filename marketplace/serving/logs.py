"""One log format for every process and request: time, level, process, logger, request id, message."""

import logging
import logging.config
import sys
from contextvars import ContextVar
from typing import Any

from litestar.logging.config import LoggingConfig
from litestar.types import Scope
from sqlalchemy import exc as sa_exc

# Set per request by the request-id middleware; anyio copies it into the handler's thread.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s req=%(request_id)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Route the server's, the framework's and our own loggers to one handler with one format."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {"plain": {"format": LOG_FORMAT}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "filters": ["request_id"],
                    "formatter": "plain",
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
