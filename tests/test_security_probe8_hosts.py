"""Eighth probe: a Host header with a port no URL can hold, or a path in it, is a 400, never a 500.

Found on the live server (``marketplace serve --workers 2``): ``Host: 127.0.0.1:99999`` passed the allowed-hosts
check as 127.0.0.1 (the port was any five digits) and the sign-in page then failed building its language links
from the request's URL ("Port out of range 0-65535": 500, a traceback in the log); ``Host: localhost:8814/x`` is
refused by Litestar's router before any middleware ("Invalid host header", 400), but the error handler read
``request.url`` to choose between the API's answer and the page's, and that URL cannot be built: a 500 again.
"""

from typing import Any

import pytest
from litestar.testing import TestClient

from marketplace.security.hosts import host_allowed


@pytest.mark.parametrize("host", ["127.0.0.1:99999", "localhost:65536", "[::1]:70000"])
def test_a_port_past_65535_is_no_host(host: str) -> None:
    assert not host_allowed(host, ("127.0.0.1", "localhost", "[::1]"))
    assert not host_allowed(host, ("*",))


def test_port_65535_still_is(client: TestClient[Any]) -> None:
    assert host_allowed("localhost:65535", ("localhost",))


@pytest.mark.parametrize("host", ["127.0.0.1:99999", "localhost:65536", "localhost:8814/x", "localhost:80/evil"])
def test_the_application_answers_400_for_it(client: TestClient[Any], host: str) -> None:
    for path in ("/", "/login", "/needs", "/api/v1/needs", "/schema/openapi.json"):
        answer = client.get(path, headers={"Host": host})
        assert answer.status_code == 400, (host, path, answer.status_code, answer.text[:300])
        assert "Traceback" not in answer.text
