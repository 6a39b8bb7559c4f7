"""Helpers for the need-list tests: staff with tokens, valid need bodies, a live uvicorn server in a thread."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import uvicorn
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.app import create_app
from marketplace.places.models import Grid
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.security_helpers import make_community, make_grid, make_user


@dataclass
class StaffWithToken:
    user: User
    token: str
    grid: Grid

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def token_for(session: Session, user: User, scopes: tuple[str, ...] = ("needs:read", "needs:write")) -> str:
    secret, _row = create_api_token(session, user_id=user.id, name="test", scopes=list(scopes), created_by_id=None)  # type: ignore[arg-type]
    session.commit()
    return secret


def staff_with_token(session: Session, grid: Grid | None = None, **user_fields: Any) -> StaffWithToken:
    """A staff member of a fresh community (or of ``grid``'s community) with a needs token."""
    if grid is None:
        grid = make_grid(session, make_community(session))
    user = make_user(session, Role.STAFF, community_id=grid.community_id, **user_fields)
    return StaffWithToken(user=user, token=token_for(session, user), grid=grid)


def need_body(grid_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "独居老人需要助餐",
        "description": "张大爷行动不便，需要每天送午餐。",
        "category": "elderly_care",
        "grid_id": grid_id,
        "channel": "door_visit",
        "urgency": "high",
        "due_date": (date.today() + timedelta(days=10)).isoformat(),
        "beneficiary_name": "张三",
        "beneficiary_phone": "13812348000",
        "resource_lines": [
            {"kind": "service", "category": "elderly_care", "quantity": "30", "unit": "份", "description": "午餐"}
        ],
        "shifts": [
            {
                "title": "送餐",
                "location": "3号楼",
                "starts_at": "2030-01-05T03:00:00Z",
                "ends_at": "2030-01-05T05:00:00Z",
                "slots": 2,
            }
        ],
    }
    return body | overrides


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """The application under uvicorn on 127.0.0.1 in a background thread; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.1)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
