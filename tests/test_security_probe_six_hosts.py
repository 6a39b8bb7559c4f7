"""Sixth probe: a Host header that is not a host name and a port is refused (400), not half-read.

Found on the live demo (``marketplace serve --workers 2``, allowed hosts 127.0.0.1 and localhost): the check cut
off the text after the last ":" as the port, so ``Host: 127.0.0.1:8804@evil.example`` passed as 127.0.0.1 (200;
Litestar then built the request's URL, and so the calendar feed's address and the language links, from the whole
header: ``http://127.0.0.1:8804@evil.example/...`` opens evil.example) and ``Host: 127.0.0.1:8804.evil.example``
passed too and was a 500 (the URL's port is not a number). Now only a name or an IPv6 literal and at most a
numeric port is a host; anything else is 400 "Unknown host" before any route.
"""

from typing import Any

import pytest
from litestar.testing import TestClient

from marketplace.security.hosts import host_allowed

ALLOWED = ("127.0.0.1", "localhost", "[::1]", "*.example.org")

NOT_HOSTS = [
    "127.0.0.1:8804@evil.example",
    "127.0.0.1:8804.evil.example",
    "localhost:80/evil",
    "localhost:x",
    "localhost:8000:9000",
    "user@localhost",
    "localhost\\evil.example",
    "[::1]evil.example",
    "local host",
]


@pytest.mark.parametrize("host", NOT_HOSTS)
def test_what_is_not_a_host_is_refused_even_where_any_host_is_allowed(host: str) -> None:
    assert not host_allowed(host, ALLOWED)
    assert not host_allowed(host, ("*",))


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8804", "LOCALHOST:8000", "[::1]", "[::1]:8804", "a.example.org:443"]
)
def test_hosts_and_ports_still_pass(host: str) -> None:
    assert host_allowed(host, ALLOWED)


@pytest.mark.parametrize("host", ["127.0.0.1:8804@evil.example", "localhost:8000.evil.example"])
def test_the_application_answers_400_not_a_page_nor_a_500(client: TestClient[Any], host: str) -> None:
    for path in ("/", "/login", "/needs", "/api/v1/needs"):
        answer = client.get(path, headers={"Host": host})
        assert answer.status_code == 400, (path, answer.status_code)
        assert answer.json()["detail"] == "Unknown host"
    assert client.get("/login", headers={"Host": "localhost:8000"}).status_code == 200
