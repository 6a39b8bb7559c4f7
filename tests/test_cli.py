"""The ``marketplace`` command in a fresh interpreter, as an operator types it.

Subcommands are imported when called; each must still work when nothing else has been imported
(a lazily loaded ``user create`` once failed on a foreign key to a table nobody had imported).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.cli import LAZY_COMMANDS
from tests.live_server import PROJECT_ROOT


def _marketplace(*args: str, database_url: str, var_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    env |= {"MARKETPLACE_DATABASE_URL": database_url, "MARKETPLACE_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "marketplace", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", sorted(LAZY_COMMANDS))
def test_every_subcommand_answers_help(command: str, database_url: str, tmp_path: Path) -> None:
    done = _marketplace(command, "--help", database_url=database_url, var_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout


def test_user_create_works_in_a_fresh_process(database_url: str, clean_engine: sa.Engine, tmp_path: Path) -> None:
    args = ("user", "create", "--username", "first-admin", "--display-name", "管理员", "--role", "admin")
    done = _marketplace(
        *args, "--password-stdin", database_url=database_url, var_dir=tmp_path, stdin="a-long-street-password-2026\n"
    )
    assert done.returncode == 0, done.stderr
    with clean_engine.connect() as connection:
        role = connection.execute(sa.text("SELECT role FROM user_account WHERE username = 'first-admin'")).scalar()
    assert role == "admin"
