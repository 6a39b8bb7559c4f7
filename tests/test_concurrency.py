"""Invariants under real concurrent HTTP requests against a uvicorn server on 127.0.0.1."""

from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)


def test_live_server_answers_health(live_app: LiveApp) -> None:  # noqa: F811
    with live_app.client() as client:
        assert client.get("/healthz").status_code == 200
    assert "database is locked" not in live_app.log()
