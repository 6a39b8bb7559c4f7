# ruff: noqa: E501  (COMMANDS quotes the documented commands verbatim, however long)
"""Every shell command in README.md and docs/*.md runs as written, on a fresh machine after the Quick start.

The commands are read from the fenced code blocks tagged ``sh``, ``bash``, ``shell`` or untagged (a
block of output or a file tree is tagged ``text``, a settings file ``ini``). Each one is classified in
``COMMANDS`` below; a command the table does not know fails ``test_every_documented_command_is_classified``
with the line to add. The kinds:

- ``RUN``: safe against a throwaway database; run, and must exit 0.
- ``SERVE``: starts the server; started on a free port and 127.0.0.1, must answer ``/healthz``, stopped.
- ``REQUEST``: an HTTP request to the running service; a ``marketplace serve`` of the block's
  database is started first and ``http://127.0.0.1:8000`` points at it.
- ``SLOW``: needs the network (package registries, Docker) or a long time (benchmarks, the test suite).
- ``HOST``: changes this machine or needs what only an installed host has (sudo, systemd, /etc, /opt,
  packages, the working tree): destructive here.
- ``REFERENCE``: a usage line with placeholders (the README's command list).
- ``DAEMON``: runs until stopped and needs Redis (the job worker); its own tests run it.

Commands not run are still checked: a ``marketplace`` command must name real subcommands and options,
and a script or test file it names must exist.

Each block runs in one ``bash`` (so ``export`` and ``TOKEN=$(...)`` carry to the next command) with
``.venv/bin`` first on the PATH, the checkout as working directory, and a ``MARKETPLACE_VAR_DIR`` of
its own holding a copy of a database seeded once per test session: Hudao Street's demo, or for
docs/operations.md (a new install) a migrated empty one. What the text leaves to the reader is
filled in: ``MARKETPLACE_DATABASE_URL=...`` becomes a fresh empty database of the block's own (on
the PostgreSQL server of ``MARKETPLACE_TEST_DATABASE_URL`` when it names one), a secret key a random
one, ``/var/lib/marketplace`` the block's var dir, ``/tmp/`` the block's temporary directory, and a
server's host and port 127.0.0.1 and a free port. Interactive password prompts read a fixed password
from standard input.
"""

import contextlib
import enum
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from tests.live_server import PROJECT_ROOT, free_port

DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
COMMAND_LANGUAGES = {"", "sh", "bash", "shell", "console"}
# What an interactive `marketplace user create` reads for its password and its confirmation.
PROMPTED_PASSWORD = "documented-commands-9f3e"
# A block starts several processes of ~10 s of imports each; on a loaded machine that is minutes.
BLOCK_TIMEOUT = 840


class Kind(enum.Enum):
    RUN = "safe: run against a throwaway database, exit 0"
    SERVE = "starts the server: started on a free port, /healthz checked, stopped"
    REQUEST = "an HTTP request to the running service: a server of the block's database is started first"
    SLOW = "needs the network or a long time: not run"
    HOST = "changes the machine or needs an installed host: not run"
    REFERENCE = "a usage line with placeholders: not run"
    DAEMON = "a process that runs until stopped and needs Redis (the job worker): not run; tests/test_jobs* run it"


RUN, SERVE, REQUEST, SLOW, HOST, REFERENCE, DAEMON = Kind

# Every documented command per document, its comment removed and its whitespace squeezed, and what it is.
COMMANDS: dict[str, dict[str, Kind]] = {
    "README.md": {
        # The Quick start: the registries, and (the second) the whole suite; .ci/run runs both.
        "python3 -m pip install -qq --target .uv uv==0.13.8 && PYTHONPATH=.uv python3 -m uv run marketplace demo": SLOW,
        "python3 -m pip install -qq --target .uv uv==0.13.8 && PYTHONPATH=.uv python3 -m uv run pytest": SLOW,
        'head -c 24 /dev/urandom | base64 | .venv/bin/marketplace user create --username hotline --display-name "12345 热线" --role staff --community 湖岛社区 --password-stdin': RUN,
        'TOKEN=$(.venv/bin/marketplace token create --user hotline --name "12345 热线" --scope needs:write --expires-days 365)': RUN,
        'curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/tokens/me': REQUEST,
        ".venv/bin/marketplace token list": RUN,
        ".venv/bin/marketplace token revoke 1": RUN,
        "export MARKETPLACE_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:5432/marketplace": RUN,
        ".venv/bin/marketplace db upgrade": RUN,
        ".venv/bin/marketplace seed hudao": RUN,
        ".venv/bin/marketplace serve --host 0.0.0.0 --port 8000 --workers 2": SERVE,
        "MARKETPLACE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/pytest": SLOW,
        "marketplace demo [--host H] [--port P]": REFERENCE,
        "marketplace serve [--host H] [--port P] [--workers N]": REFERENCE,
        "marketplace db upgrade": REFERENCE,
        "marketplace seed hudao [--seed N] [--force]": REFERENCE,
        "marketplace seed synthetic --volunteers N": REFERENCE,
        "marketplace seed city --streets N": REFERENCE,
        "marketplace user create --username U --role admin|staff": REFERENCE,
        "marketplace user disable U": REFERENCE,
        "marketplace token create --user U --name N --scope needs:write": REFERENCE,
        "marketplace token list | revoke ID": REFERENCE,
        "marketplace offers expire": REFERENCE,
        "marketplace needs escalate": REFERENCE,
        "marketplace match round [--greedy] [--json]": REFERENCE,
        "marketplace match train [--kind K] [--json]": REFERENCE,
        "marketplace match evaluate [--json]": REFERENCE,
        "marketplace worker [--concurrency N]": REFERENCE,
        # Rewrites the catalogs in the working tree.
        ".venv/bin/python -m marketplace.i18n.catalog update": HOST,
        ".venv/bin/python -m marketplace.i18n.catalog check": RUN,
        ".venv/bin/python benchmarks/seed_synthetic.py --volunteers 10000 100000 [--database-url URL]": SLOW,
        ".venv/bin/python benchmarks/matching_topk.py --volunteers 10000 100000": SLOW,
        ".venv/bin/python benchmarks/recommend_http.py --volunteers 100000": SLOW,
        ".venv/bin/python benchmarks/web_load.py": SLOW,
    },
    "docs/RELIABILITY.md": {
        "export MARKETPLACE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test": RUN,
        ".venv/bin/pytest -q -s -n 0 tests/test_faults.py -k kill_9": SLOW,
        "MARKETPLACE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/pytest -q -s -n 0 tests/test_faults.py -k database_gone": SLOW,
        ".venv/bin/pytest -q -n 0 tests/test_backup_restore.py": SLOW,
        "MARKETPLACE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/pytest -q -n 0 tests/test_backup_restore.py": SLOW,
        "export MARKETPLACE_VAR_DIR=/tmp/drill/var": RUN,
        ".venv/bin/marketplace db upgrade && .venv/bin/marketplace seed hudao --today 2026-12-01": RUN,
        "time .venv/bin/marketplace backup /tmp/drill/hudao.sqlite3": RUN,
        "time MARKETPLACE_VAR_DIR=/tmp/drill/fresh .venv/bin/marketplace restore /tmp/drill/hudao.sqlite3": RUN,
        ".venv/bin/pytest -q tests/test_api_fuzz.py": SLOW,
        "MARKETPLACE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/pytest -q tests/test_api_fuzz.py": SLOW,
        ".venv/bin/python benchmarks/api_fuzz.py --examples 50 --stateful 50": SLOW,
        ".venv/bin/python benchmarks/api_fuzz.py --examples 50 --stateful 50 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fuzz_scratch": SLOW,
        ".venv/bin/pytest -q -n 0 tests/test_lifecycle_state_machine.py": SLOW,
        ".venv/bin/python benchmarks/lifecycle_state_machine.py --examples 1000 --steps 15": SLOW,
        ".venv/bin/python benchmarks/lifecycle_state_machine.py --examples 2000 --steps 15 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lifecycle_scratch": SLOW,
        ".venv/bin/pytest -q -s -n 0 tests/test_access_matrix.py tests/test_csrf.py tests/test_token_scopes_everywhere.py": SLOW,
    },
    "docs/allocation.md": {
        ".venv/bin/python benchmarks/donation_allocation.py": SLOW,
        ".venv/bin/python benchmarks/donation_allocation.py --quick": SLOW,
        ".venv/bin/python benchmarks/donation_allocation.py --seed 14": SLOW,
    },
    "docs/operations.md": {
        "sudo apt-get install -y git python3 python3-pip postgresql redis-server": HOST,
        "sudo useradd --system --home-dir /var/lib/marketplace --shell /usr/sbin/nologin marketplace": HOST,
        "sudo install -d -o marketplace -g marketplace -m 750 /var/lib/marketplace": HOST,
        "sudo git clone https://example.org/red-partners-marketplace.git /opt/marketplace": HOST,
        "cd /opt/marketplace": HOST,
        "sudo python3 -m pip install -qq --target .uv uv==0.13.8": HOST,
        "sudo env PYTHONPATH=.uv python3 -m uv sync --frozen --no-dev": HOST,
        "sudo install -m 755 deploy/marketplace /usr/local/bin/marketplace": HOST,
        "sudo -u postgres psql -c \"CREATE ROLE marketplace LOGIN PASSWORD 'CHANGE-ME'\"": HOST,
        "sudo -u postgres createdb --owner marketplace marketplace": HOST,
        "sudo sed -i 's/^appendonly no/appendonly yes/' /etc/redis/redis.conf": HOST,
        "sudo systemctl restart redis-server": HOST,
        "sudo install -d -m 755 /etc/marketplace": HOST,
        "sudo install -m 640 -g marketplace deploy/env.example /etc/marketplace/marketplace.env": HOST,
        'python3 -c "import secrets; print(secrets.token_urlsafe(48))"': RUN,
        "sudoedit /etc/marketplace/marketplace.env": HOST,
        "marketplace db upgrade": RUN,
        "marketplace user create --username admin --display-name 管理员 --role admin": RUN,
        "sudo cp deploy/systemd/marketplace-web.service /etc/systemd/system/": HOST,
        "sudo systemctl daemon-reload": HOST,
        "sudo systemctl enable --now marketplace-web": HOST,
        "curl -fsS http://127.0.0.1:8000/healthz": REQUEST,
        "marketplace serve --host 127.0.0.1 --port 8000 --workers 2": SERVE,
        "sudo cp deploy/systemd/marketplace-worker.service /etc/systemd/system/": HOST,
        "sudo systemctl enable --now marketplace-worker": HOST,
        "sudo apt-get install -y caddy": HOST,
        "sudo cp deploy/Caddyfile /etc/caddy/Caddyfile": HOST,
        "sudoedit /etc/caddy/Caddyfile": HOST,
        "sudo systemctl reload caddy": HOST,
        "sudo apt-get install -y nginx certbot": HOST,
        "sudo cp deploy/nginx.conf /etc/nginx/conf.d/marketplace.conf": HOST,
        "sudoedit /etc/nginx/conf.d/marketplace.conf": HOST,
        "sudo certbot certonly --webroot -w /var/www/html -d marketplace.example.org": HOST,
        "sudo nginx -t": HOST,
        "sudo systemctl reload nginx": HOST,
        "curl -fsS http://127.0.0.1:8000/readyz": REQUEST,
        "journalctl -u marketplace-web -u marketplace-worker --since today": HOST,
        "marketplace backup": RUN,
        "marketplace backup /var/lib/marketplace/backups/before-upgrade.dump": RUN,
        "sudo systemctl enable --now marketplace-backup.timer": HOST,
        "sudo systemctl stop marketplace-web marketplace-worker": HOST,
        # Overwrites the database from a file the block never made.
        "marketplace restore --force /var/lib/marketplace/backups/before-upgrade.dump": HOST,
        "sudo systemctl start marketplace-web marketplace-worker": HOST,
        "sudo git pull --ff-only": HOST,
        "sudo systemctl restart marketplace-web marketplace-worker": HOST,
        # Writes the deployment's secrets file into the working tree.
        "cp deploy/env.example .env": HOST,
        "chmod 600 .env": HOST,
        'python3 -c "import secrets; print(secrets.token_hex(24))"': RUN,
        "docker compose up -d --build": SLOW,
        "docker compose exec web marketplace user create --username admin --display-name 管理员 --role admin": SLOW,
        "docker compose exec web marketplace backup": SLOW,
    },
    "docs/city.md": {
        "export MARKETPLACE_DATABASE_URL=sqlite:////tmp/city.sqlite3": RUN,
        ".venv/bin/marketplace seed city --streets 3": RUN,
        "MARKETPLACE_DATABASE_URL=sqlite:////tmp/city.sqlite3 .venv/bin/marketplace serve --port 8000": SERVE,
        'head -c 24 /dev/urandom | base64 | .venv/bin/marketplace user create --username hudao-duty --display-name "湖岛街道值班管理员" --role admin --street 370203-hudao --password-stdin': RUN,
        'head -c 24 /dev/urandom | base64 | .venv/bin/marketplace user create --username city-duty --display-name "市级值班管理员" --role admin --city --password-stdin': RUN,
        'TOKEN=$(.venv/bin/marketplace token create --user city --name "city dashboard" --scope city:read --expires-days 30)': RUN,
        'curl -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8000/api/v1/city/streets?sort=-completion_rate"': REQUEST,
        'curl "http://127.0.0.1:8000/api/v1/stats?street=370203-hudao"': REQUEST,
    },
    "docs/jobs.md": {
        "MARKETPLACE_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/marketplace worker --concurrency 2": DAEMON,
        # An admin's $TOKEN and a failed job 12: examples to adapt.
        'curl -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8000/api/v1/jobs?status=failed"': REFERENCE,
        'curl -X POST -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/v1/jobs/12/retry': REFERENCE,
        # A setting as a shell assignment: runs (and sets nothing beyond its block).
        'MARKETPLACE_SCHEDULE="offers.expire=*/15 * * * *; needs.escalate=*/10 * * * *; privacy.retention=30 3 * * *; '
        'shifts.remind=*/15 * * * *; notifications.digest=0 18 * * *; jobs.prune=45 3 * * *; rounds.schedule=*/15 * * * *"': RUN,
    },
    "docs/serving.md": {
        "MARKETPLACE_ENVIRONMENT=production MARKETPLACE_SECRET_KEY=... MARKETPLACE_DATABASE_URL=postgresql+psycopg://... .venv/bin/marketplace serve --host 0.0.0.0 --port 8000 --workers 2": SERVE,
    },
}


@dataclass(frozen=True)
class Command:
    text: str  # as written, continuation lines joined
    key: str  # without a trailing comment, whitespace squeezed: the key of COMMANDS
    line: int


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    commands: tuple[Command, ...]

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(PROJECT_ROOT)}:{self.line}"


TRAILING_COMMENT = re.compile(r"\s+#(\s.*)?$")


def command_key(text: str) -> str:
    return " ".join(TRAILING_COMMENT.sub("", text).split())


def read_blocks(document: Path) -> list[Block]:
    """The fenced blocks of shell commands in ``document``, each a list of logical command lines."""
    blocks: list[Block] = []
    lines = document.read_text(encoding="utf-8").splitlines()
    inside, language, start, body = False, "", 0, list[tuple[int, str]]()
    for number, line in enumerate(lines, start=1):
        if line.startswith("```"):
            if not inside:
                inside, language, start, body = True, line[3:].strip().lower(), number, []
                continue
            inside = False
            if language in COMMAND_LANGUAGES:
                blocks.append(Block(document, start, tuple(logical_commands(body))))
            continue
        if inside:
            body.append((number, line))
    return [block for block in blocks if block.commands]


def logical_commands(body: list[tuple[int, str]]) -> Iterator[Command]:
    pending: list[str] = []
    first = 0
    for number, line in body:
        if not pending:
            first = number
            if not line.strip() or line.lstrip().startswith("#"):
                continue
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1].rstrip())
            continue
        pending.append(line.strip() if pending else line.rstrip())
        text = " ".join(pending)
        pending = []
        yield Command(text, command_key(text), first)


def all_blocks() -> list[Block]:
    return [block for document in DOCUMENTS for block in read_blocks(document)]


BLOCKS = all_blocks()
EXECUTED = {RUN, SERVE, REQUEST}


def kind_of(block: Block, command: Command) -> Kind | None:
    return COMMANDS.get(str(block.document.relative_to(PROJECT_ROOT)), {}).get(command.key)


def test_every_documented_command_is_classified() -> None:
    unknown = [(block, command) for block in BLOCKS for command in block.commands if kind_of(block, command) is None]
    advice = "\n".join(
        f"  {block.name.rsplit(':', 1)[0]}:{command.line}, under {block.name.rsplit(':', 1)[0]!r}:\n"
        f"    {command.key!r}: <KIND>,"
        for block, command in unknown
    )
    kinds = "\n".join(f"  {kind.name}: {kind.value}" for kind in Kind)
    assert not unknown, (
        f"documented commands this test does not know; add each to COMMANDS in {Path(__file__).name} "
        f"with its kind:\n{advice}\nkinds:\n{kinds}"
    )


def test_no_classified_command_has_left_the_documents() -> None:
    documented = {
        (str(block.document.relative_to(PROJECT_ROOT)), command.key) for block in BLOCKS for command in block.commands
    }
    classified = {(document, key) for document, table in COMMANDS.items() for key in table}
    stale = sorted(classified - documented)
    assert not stale, f"remove from COMMANDS, no document has them any more: {stale}"


# --- Commands not run are still checked: real subcommands, options, scripts and modules. ---

SHELL_SEPARATORS = re.compile(r"&&|\|\||[|;]|\$\(|\)")
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def invocations(text: str) -> Iterator[list[str]]:
    """The simple commands of a line, each as its words with leading assignments and ``time`` removed."""
    for piece in SHELL_SEPARATORS.split(text):
        try:
            words = shlex.split(piece, comments=True)
        except ValueError:
            words = piece.split()
        while words and (ENV_ASSIGNMENT.match(words[0]) or words[0] in {"time", "export", "env"}):
            words = words[1:]
        if words[:2] == ["docker", "compose"] and len(words) > 4 and words[2] == "exec":
            words = words[4:]  # docker compose exec SERVICE <command>
        if words[:2] == ["uv", "run"] or words[:4] == ["python3", "-m", "uv", "run"]:
            words = words[words.index("run") + 1 :]  # uv run <command>
        if words:
            yield words


def is_marketplace(program: str) -> bool:
    return program == "marketplace" or program.endswith("/bin/marketplace")


def resolve_marketplace(words: list[str]) -> tuple[click.Command, list[str]]:
    """The click command ``marketplace words...`` names, and the options it was given; fails on unknown ones."""
    from marketplace.cli import main

    command: click.Command = main
    path = ["marketplace"]
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"`{' '.join(path)}` has no subcommand {name!r}"
        command, path = found, [*path, name]
    assert not isinstance(command, click.Group), f"`{' '.join(path)}` needs a subcommand"
    options = [word.split("=", 1)[0].strip("[]") for word in rest if word.lstrip("[").startswith("--")]
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
    unknown = [option for option in options if option not in known]
    assert not unknown, f"`{' '.join(path)}` has no option {unknown}"
    return command, options


def check_names(text: str) -> None:
    for words in invocations(text):
        program, arguments = words[0], words[1:]
        if is_marketplace(program):
            resolve_marketplace(arguments)
        if program.endswith("python") or program.endswith("python3") or program.endswith("pytest"):
            for word in arguments:
                if word.endswith(".py") and not word.startswith("-"):
                    assert (PROJECT_ROOT / word).is_file(), f"{word} does not exist"
        if program.endswith("python") and arguments[:1] == ["-m"] and arguments[1].startswith("marketplace"):
            import importlib.util

            assert importlib.util.find_spec(arguments[1]) is not None, f"no module {arguments[1]}"
        if program.startswith(".venv/bin/"):
            assert (PROJECT_ROOT / program).exists(), f"{program} does not exist"
        for word in arguments:
            if word.startswith(("deploy/", "docs/")):
                assert (PROJECT_ROOT / word).exists(), f"{word} does not exist"


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_documented_commands_name_real_commands_and_files(block: Block) -> None:
    for command in block.commands:
        try:
            check_names(command.text)
        except AssertionError as problem:
            raise AssertionError(f"{block.document.name}:{command.line}: {command.text}\n{problem}") from None


# --- Running the blocks. ---


def migrated_var_dir(root: Path) -> Path:
    from marketplace.db.migrate import upgrade

    root.mkdir()
    upgrade(f"sqlite:///{root / 'marketplace.sqlite3'}")
    return root


@pytest.fixture(scope="session")
def empty_var_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir whose SQLite database is migrated and empty: a new install."""
    return migrated_var_dir(tmp_path_factory.mktemp("documented") / "empty")


@pytest.fixture(scope="session")
def demo_var_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir whose SQLite database holds Hudao Street's demo: seeded once per session (and xdist worker)."""
    from marketplace.db.engine import create_db_engine
    from marketplace.settings import DatabaseSettings
    from seeds.hudao import seed_hudao

    var_dir = migrated_var_dir(tmp_path_factory.mktemp("documented") / "demo")
    engine = create_db_engine(DatabaseSettings(url=f"sqlite:///{var_dir / 'marketplace.sqlite3'}"))
    try:
        seed_hudao(engine)
    finally:
        engine.dispose()
    return var_dir


def needs_demo(block: Block) -> bool:
    """The README and the other docs speak of the demo street; docs/operations.md of a new install, and a
    block that names its own database or var dir uses that."""
    if block.document.name == "operations.md" or names_own_database(block):
        return False
    return any("marketplace " in command.text or kind_of(block, command) is not RUN for command in executed(block))


@contextlib.contextmanager
def fresh_database(tmp: Path, name: str) -> Iterator[str]:
    """A migrated empty database for a block that names its own MARKETPLACE_DATABASE_URL; on the
    PostgreSQL server of MARKETPLACE_TEST_DATABASE_URL when it names one (dropped afterwards)."""
    from marketplace.db.migrate import upgrade
    from marketplace.db.scratch import scratch_postgres_database

    base = os.environ.get("MARKETPLACE_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        url = f"sqlite:///{tmp / 'fresh.sqlite3'}"
        upgrade(url)
        yield url
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with scratch_postgres_database(base, f"docs_{worker}_{name}".lower()[:60]) as url:
        upgrade(url)
        yield url


SERVER_FUNCTIONS = r"""
set -euo pipefail
# launch_server COMMAND LOG: start a server in the background (its pid in SERVER_PID).
launch_server() {
    bash -c "$1" >"$2" 2>&1 &
    SERVER_PID=$!
}
# wait_server PID URL LOG: wait until URL/healthz answers; fail if the server exits or takes 300 s.
wait_server() {
    for _ in $(seq 1 1500); do
        if curl -fsS -o /dev/null "$2/healthz" 2>/dev/null; then return 0; fi
        if ! kill -0 "$1" 2>/dev/null; then echo "server exited:" >&2; cat "$3" >&2; return 1; fi
        sleep 0.2
    done
    echo "server did not answer /healthz within 300 s:" >&2; cat "$3" >&2; return 1
}
# stop_server PID: SIGTERM (workers finish what they serve), SIGKILL after 40 s.
stop_server() {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$1" 2>/dev/null || true
}
# serve_and_check COMMAND URL LOG: the documented server command must answer /healthz; then it is stopped.
serve_and_check() {
    launch_server "$1" "$3"
    wait_server "$SERVER_PID" "$2" "$3"
    echo "served: $2/healthz answered" >&2
    stop_server "$SERVER_PID"
}
"""


def substituted(text: str, tmp: Path, var_dir: Path, base_url: str, database_url: str | None) -> str:
    """The command with what the text leaves to the reader filled in (see the module's docstring)."""
    text = text.replace("/var/lib/marketplace", str(var_dir)).replace("/tmp/", f"{tmp}/")
    text = text.replace("http://127.0.0.1:8000", base_url)
    if database_url:
        text = re.sub(r"MARKETPLACE_DATABASE_URL=\S+", f"MARKETPLACE_DATABASE_URL={database_url}", text)
    text = re.sub(r"MARKETPLACE_SECRET_KEY=\S+", f"MARKETPLACE_SECRET_KEY={secrets.token_urlsafe(32)}", text)
    # An HTTP error fails the command, not only a refused connection.
    if text.startswith("curl ") and not re.search(r"\s(-[a-zA-Z]*f[a-zA-Z]*|--fail\S*)\s", text):
        text = "curl --fail-with-body " + text.removeprefix("curl ")
    return text


def served_on(text: str, port: int) -> str:
    """A server command on 127.0.0.1 and ``port`` (click takes an option's last value)."""
    text = re.sub(r"--host \S+", "--host 127.0.0.1", text)
    text = re.sub(r"--port \S+", f"--port {port}", text)
    return text if f"--port {port}" in text else f"{text} --port {port}"


def already_run(block: Block) -> dict[str, int]:
    """Commands of this block run as written by an earlier block of its document, with that block's line:
    run once (each costs seconds of start-up), not in every block that repeats them."""
    earlier: dict[str, int] = {}
    for other in BLOCKS:
        if other.document != block.document or other.line >= block.line or names_own_database(other):
            continue
        for command in other.commands:
            if kind_of(other, command) is RUN:
                earlier.setdefault(command.key, other.line)
    return earlier


def names_own_database(block: Block) -> bool:
    # Such a block runs on a database of its own; its commands say nothing about the shared one.
    return any(
        "MARKETPLACE_DATABASE_URL=" in command.text or "MARKETPLACE_VAR_DIR=" in command.text
        for command in block.commands
    )


def executed(block: Block) -> list[Command]:
    repeated = already_run(block)
    return [
        command
        for command in block.commands
        if kind_of(block, command) in EXECUTED and not (kind_of(block, command) is RUN and command.key in repeated)
    ]


def block_script(block: Block, tmp: Path, var_dir: Path, database_url: str | None) -> str:
    lines = [SERVER_FUNCTIONS]
    to_run = executed(block)
    request_port = free_port()
    base_url = f"http://127.0.0.1:{request_port}"
    service_log = tmp / "service.log"
    if any(kind_of(block, command) is REQUEST for command in to_run):
        # The block talks to a running service of its own database: started now, while the commands
        # before its first request run, awaited before that request, stopped when the block ends.
        serve = f"marketplace serve --host 127.0.0.1 --port {request_port}"
        lines.append(f"launch_server {shlex.quote(serve)} {service_log}")
        lines.append("SERVICE_PID=$SERVER_PID")
        lines.append("trap 'stop_server \"$SERVICE_PID\"' EXIT")
    awaited = False
    for command in block.commands:
        kind = kind_of(block, command)
        text = substituted(command.text, tmp, var_dir, base_url, database_url)
        lines.append(f"echo {shlex.quote(f'$ {command.text}')} >&2")
        if command not in to_run:
            lines.append(f": not run here, {kind.name if kind else 'unclassified'}")
        elif kind is REQUEST:
            if not awaited:
                lines.append(f'wait_server "$SERVICE_PID" {base_url} {service_log}')
                awaited = True
            lines.append(text)
        elif kind is RUN:
            lines.append(text)
        elif kind is SERVE:
            port = free_port()
            log = tmp / f"serve-{command.line}.log"
            lines.append(f"serve_and_check {shlex.quote(served_on(text, port))} http://127.0.0.1:{port} {log}")
        else:
            lines.append(f": skipped, {kind.name if kind else 'unclassified'}")
    return "\n".join(lines) + "\n"


RUN_BLOCKS = [block for block in BLOCKS if executed(block)]


@pytest.mark.slow
@pytest.mark.timeout(BLOCK_TIMEOUT + 60)
@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[block.name for block in RUN_BLOCKS])
def test_documented_block_runs(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    template: Path = request.getfixturevalue("demo_var_template" if needs_demo(block) else "empty_var_template")
    var_dir = tmp_path / "var"
    shutil.copytree(template, var_dir)
    name = re.sub(r"\W", "_", block.name)
    names_database = any("MARKETPLACE_DATABASE_URL=" in command.text for command in block.commands)
    with fresh_database(tmp_path, name) if names_database else contextlib.nullcontext() as database_url:
        returncode, output = run_block(block_script(block, tmp_path, var_dir, database_url), var_dir)
    assert returncode == 0, f"{block.name} failed (exit {returncode}):\n{output}"


def run_block(script: str, var_dir: Path) -> tuple[int, str]:
    """The block's script in bash, from the checkout, with only the var dir of MARKETPLACE_* settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARKETPLACE_")}
    env["MARKETPLACE_VAR_DIR"] = str(var_dir)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    process = subprocess.Popen(
        ["bash", "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a timeout takes every server the block started with it
    )
    try:
        output, _ = process.communicate(f"{PROMPTED_PASSWORD}\n{PROMPTED_PASSWORD}\n".encode(), timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        output, _ = process.communicate()
        return -1, f"took longer than {BLOCK_TIMEOUT} s:\n{output.decode(errors='replace')}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
    return process.returncode, output.decode(errors="replace")
