"""``MARKETPLACE_LOG_FORMAT=json``: every line a real ``marketplace serve --workers 2`` writes is one JSON
object with the same keys, and a request's lines carry the id its response echoes, for log shippers."""

import io
import json
import logging
from pathlib import Path

import httpx
import pytest

from marketplace.serving.logs import JsonFormatter, RequestIdFilter, current_request_id
from tests.live_server import start_marketplace, start_serve

KEYS = {"time", "level", "pid", "logger", "request_id", "message", "exception"}


def test_every_line_of_a_served_process_tree_is_json_with_the_request_id(database_url: str, tmp_path: Path) -> None:
    settings = {"SECRET_KEY": "json-logs-test", "LOG_FORMAT": "json", "ACCESS_LOG": "1"}
    server = start_serve(database_url, tmp_path, workers=2, settings=settings)
    try:
        for n in range(6):  # new connections: both workers log
            answer = httpx.get(f"{server.base_url}/healthz", headers={"X-Request-ID": f"json-probe-{n}"})
            assert answer.headers["x-request-id"] == f"json-probe-{n}"
        httpx.get(f"{server.base_url}/api/v1/needs/1", headers={"X-Request-ID": "json-unauthorised"})
    finally:
        server.stop()  # the shutdown's lines too

    lines = [line for line in server.output().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line, or this raises
    assert all(set(entry) == KEYS for entry in entries)
    by_id = {entry["request_id"]: entry for entry in entries if entry["logger"] == "marketplace.access"}
    for n in range(6):
        entry = by_id[f"json-probe-{n}"]
        assert entry["level"] == "INFO" and entry["message"].startswith("GET /healthz 200 ")
    assert by_id["json-unauthorised"]["message"].startswith("GET /api/v1/needs/1 401 ")
    assert len({entry["pid"] for entry in entries}) >= 3  # the supervisor and both workers
    assert any("worker 2 started" in entry["message"] for entry in entries)


def test_an_exception_is_one_line_with_its_traceback_in_exception() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.propagate = False
    token = current_request_id.set("req-with-error")
    try:
        try:
            {}["missing"]
        except KeyError:
            logger.exception("lookup failed for %s", "居民")
    finally:
        current_request_id.reset(token)
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["request_id"] == "req-with-error" and entry["message"] == "lookup failed for 居民"
    assert entry["level"] == "ERROR" and entry["exception"].startswith("Traceback")
    assert "KeyError: 'missing'" in entry["exception"]
    assert line.isascii()  # one line, whatever the terminal's encoding


def test_an_unknown_log_format_stops_the_start(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="MARKETPLACE_LOG_FORMAT must be one of plain, json"):
        start_marketplace(
            ["serve"], tmp_path, settings={"DATABASE_URL": database_url, "LOG_FORMAT": "yaml"}, timeout=60
        )
