"""The deployment files (Dockerfile, compose.yaml, deploy/) name real commands and settings, and pass the
checkers this machine has.

The image was never built here (no Docker daemon, no Docker Hub), so what can be checked is checked:
compose.yaml parses and wires the services docs/operations.md describes; every ``marketplace`` command in
the Dockerfile, compose.yaml and the systemd units is a real subcommand with real options; every
``MARKETPLACE_*`` they set is a setting the application reads, and every setting the application reads is
in docs/operations.md; ``systemd-analyze verify`` accepts the units and ``nginx -t`` the nginx example
(each skipped, saying so, where the tool is missing); the operator's wrapper runs a command with the
service's settings.
"""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.live_server import PROJECT_ROOT
from tests.test_documented_commands import resolve_marketplace

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
SETTING = re.compile(r"\bMARKETPLACE_[A-Z][A-Z0-9_]*\b")
# Read by the test suite and the benchmarks, never by the application.
NOT_APPLICATION_SETTINGS = {"MARKETPLACE_TEST_DATABASE_URL", "MARKETPLACE_CI_POSTGRES_URL"}


def application_settings() -> set[str]:
    """Every MARKETPLACE_* variable the application reads: settings.py's ``_env*("NAME")`` and literals elsewhere."""
    names: set[str] = set()
    for path in (PROJECT_ROOT / "marketplace").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= {f"MARKETPLACE_{name}" for name in re.findall(r"_env\w*\(\s*\"([A-Z][A-Z0-9_]*)\"", text)}
        names |= set(SETTING.findall(text))
    return names - NOT_APPLICATION_SETTINGS


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def check_marketplace_command(words: list[str], where: str) -> None:
    assert words and (words[0] == "marketplace" or words[0].endswith("/bin/marketplace")), f"{where}: {words}"
    try:
        resolve_marketplace(words[1:])
    except AssertionError as problem:
        raise AssertionError(f"{where}: {' '.join(words)}: {problem}") from None


def test_compose_wires_the_services_of_the_operations_guide() -> None:
    services = compose()["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["web"]["command"][:2] == ["marketplace", "serve"]
    assert services["web"]["command"][-2:] == ["--workers", "2"]
    assert services["worker"]["command"] == ["marketplace", "worker"]
    assert services["migrate"]["command"] == ["marketplace", "db", "upgrade"]
    # Nothing serves or works before the schema is current; nothing starts before its database.
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    volumes = set(compose()["volumes"])
    assert {"postgres-data", "redis-data", "marketplace-var"} <= volumes
    for name, service in services.items():
        for volume in service.get("volumes", []):
            assert volume.split(":", 1)[0] in volumes, f"{name}: {volume} is not a named volume"
        command = service.get("command")
        if command and command[0] == "marketplace":
            check_marketplace_command(command, f"compose.yaml {name}")


def test_compose_keeps_each_containers_metrics_files_apart() -> None:
    # prometheus_client names its files by pid; two containers' pids collide in a shared directory.
    services = compose()["services"]
    for name in ("web", "worker"):
        directory = services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert any(directory.startswith(mount) for mount in services[name]["tmpfs"]), name
        assert not any(directory.startswith(volume.split(":")[1]) for volume in services[name]["volumes"]), name


def test_compose_takes_secrets_from_an_env_file_git_and_docker_ignore() -> None:
    text = (PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8")
    services = compose()["services"]
    for name in ("web", "worker", "migrate"):
        assert services[name]["env_file"] == ".env"
        assert "MARKETPLACE_SECRET_KEY" not in services[name]["environment"]
    assert "MARKETPLACE_SECRET_KEY" not in text
    assert "MARKETPLACE_SECRET_KEY=" in (DEPLOY / "env.example").read_text(encoding="utf-8")
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT_ROOT, check=False)
    assert ignored.returncode == 0, ".env must be ignored by git"
    assert ".env" in (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def test_dockerfile_builds_the_locked_environment_as_a_user_of_its_own() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert "pip install --no-cache-dir uv==" in text
    assert "uv sync --frozen --no-dev" in text
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    for sources in re.findall(r"^COPY (.+) \S+$", text, re.MULTILINE):
        for source in sources.split():
            assert (PROJECT_ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
    command = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert command
    check_marketplace_command(yaml.safe_load(command.group(1)), "Dockerfile CMD")
    assert "/readyz" in text


def test_deployment_files_set_only_real_settings() -> None:
    known = application_settings()
    files = [PROJECT_ROOT / "Dockerfile", PROJECT_ROOT / "compose.yaml", DEPLOY / "env.example", *UNITS]
    files += [DEPLOY / "Caddyfile", DEPLOY / "nginx.conf", PROJECT_ROOT / "docs" / "operations.md"]
    for path in files:
        unknown = set(SETTING.findall(path.read_text(encoding="utf-8"))) - known - {"MARKETPLACE_SITE_NAME"}
        assert not unknown, f"{path.relative_to(PROJECT_ROOT)} names settings the application never reads: {unknown}"


def test_every_setting_is_in_the_operations_guide() -> None:
    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = sorted(name for name in application_settings() if f"`{name}`" not in guide)
    assert not missing, f"docs/operations.md's settings table lacks {missing}"


def unit_settings(path: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_systemd_unit_runs_a_real_command_confined(unit: Path) -> None:
    settings = unit_settings(unit)
    check_marketplace_command(shlex.split(settings["ExecStart"][0]), unit.name)
    assert settings["User"] == ["marketplace"]
    assert settings["EnvironmentFile"] == ["/etc/marketplace/marketplace.env"]
    assert settings["NoNewPrivileges"] == ["yes"]
    assert settings["ProtectSystem"] == ["strict"]
    assert settings["ReadWritePaths"] == ["/var/lib/marketplace"]
    assert settings["Restart"] == ["on-failure"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # Verify checks that ExecStart exists: point the units at this checkout and a settings file of the test's.
    env_file = tmp_path / "marketplace.env"
    env_file.write_text("MARKETPLACE_ENVIRONMENT=production\n")
    copies = []
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace("/opt/marketplace", str(PROJECT_ROOT))
        copy = tmp_path / unit.name
        copy.write_text(text.replace("/etc/marketplace/marketplace.env", str(env_file)))
        copies.append(str(copy))
    result = subprocess.run(["systemd-analyze", "verify", *copies], capture_output=True, text=True, check=False)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "marketplace" in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


OPENSSL_SELF_SIGNED = shlex.split("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=marketplace.test")


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here (apt-get install nginx-core)")
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    certificate, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        [*OPENSSL_SELF_SIGNED, "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/letsencrypt/live/marketplace.example.org/fullchain.pem", str(certificate))
    site = site.replace("/etc/letsencrypt/live/marketplace.example.org/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "[emerg]" not in result.stderr, result.stderr


def test_caddyfile_proxies_to_the_service_and_checks_readiness() -> None:
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy 127.0.0.1:8000" in text
    assert "health_uri /readyz" in text
    assert text.count("{") == text.count("}")


def test_the_application_answers_the_paths_the_health_checks_use(tmp_path: Path) -> None:
    from marketplace.app import create_app
    from marketplace.settings import DatabaseSettings, Settings

    database = DatabaseSettings(url=f"sqlite:///{tmp_path / 'routes.sqlite3'}")
    app = create_app(Settings(database=database, secret_key="x" * 32, var_dir=tmp_path))
    paths = {route.path for route in app.routes}
    assert {"/healthz", "/readyz"} <= paths


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_operator_wrapper_runs_a_command_with_the_service_settings(tmp_path: Path) -> None:
    # No `marketplace` account here: a stand-in sudo drops `-u USER` and runs the rest as this user.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text('#!/bin/sh\n[ "$1" = -u ] && shift 2\nexec "$@"\n')
    (bin_dir / "sudo").chmod(0o755)
    database = tmp_path / "var" / "marketplace.sqlite3"
    env_file = tmp_path / "marketplace.env"
    env_file.write_text(
        "# the service's settings, as in deploy/env.example\n"
        f"MARKETPLACE_VAR_DIR={tmp_path / 'var'}\nMARKETPLACE_DATABASE_URL=sqlite:///{database}\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARKETPLACE_")}
    env |= {
        "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
        "MARKETPLACE_HOME": str(PROJECT_ROOT),
        "MARKETPLACE_ENV_FILE": str(env_file),
    }
    result = subprocess.run(
        [str(DEPLOY / "marketplace"), "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database at head" in result.stdout
    assert database.exists()
