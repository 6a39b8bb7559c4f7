"""The `marketplace demo` command, run as a real process on a free port, serves Hudao Street."""

import httpx
import pytest

from tests.live_server import LiveServer

pytestmark = [pytest.mark.xdist_group("demo_server"), pytest.mark.slow]


def test_demo_prints_a_login_for_every_role(demo_server: LiveServer) -> None:
    output = demo_server.output()
    for username in ("admin", "staff", "partner", "volunteer"):
        assert username in output
    assert "hudao-demo-2026" in output
    assert demo_server.base_url in output


def test_demo_serves_the_board_in_chinese_with_the_21_grids(demo_server: LiveServer) -> None:
    grids = httpx.get(f"{demo_server.base_url}/api/v1/grids", timeout=10).json()
    assert len(grids) == 21

    board = httpx.get(f"{demo_server.base_url}/", timeout=10)
    assert board.status_code == 200
    assert 'lang="zh-CN"' in board.text
    assert "湖岛" in board.text
    assert "项目" in board.text
    # The grid filter offers every grid of the street, by its Chinese name.
    missing = [grid["name"] for grid in grids if grid["name"] not in board.text]
    assert missing == []


def test_demo_board_lists_published_hudao_projects(demo_server: LiveServer) -> None:
    projects = httpx.get(f"{demo_server.base_url}/api/v1/projects", timeout=10).json()
    assert projects["total"] > 0
    board = httpx.get(f"{demo_server.base_url}/", timeout=10).text
    assert projects["items"][0]["title"] in board
