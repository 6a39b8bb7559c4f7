# The Red Partners Marketplace: one image for the web service and the job worker.
#
#   docker build -t red-partners-marketplace .
#   docker compose up -d          # see compose.yaml and docs/operations.md
#
# Not built on the machine these files were written on (no Docker daemon, no Docker Hub there):
# tests/test_deploy_files.py checks that the commands and settings named here exist.
FROM python:3.11-slim

# pg_dump/pg_restore for `marketplace backup` and `restore` on PostgreSQL (the client must be at
# least as new as the server: Debian's is). Nothing else: the wheels in uv.lock are prebuilt.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# uv from the package registry, pinned as in the README's Quick start.
RUN python -m pip install --no-cache-dir uv==0.13.8

ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    PYTHONUNBUFFERED=1 \
    PATH="/app/.venv/bin:$PATH" \
    MARKETPLACE_VAR_DIR=/var/lib/marketplace

WORKDIR /app

# Dependencies first (their layer is reused until uv.lock changes), exactly the locked versions.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Then the application. The project is installed editable (uv's default), so templates/ and the
# translations are read from /app, where marketplace/settings.py looks for them.
COPY marketplace ./marketplace
COPY matching ./matching
COPY seeds ./seeds
COPY templates ./templates
COPY README.md babel.cfg ./
RUN uv sync --frozen --no-dev

# A user of its own; it may write only the var dir (rankers, backups, the demo's key if unset).
RUN groupadd --system marketplace \
    && useradd --system --gid marketplace --home-dir /var/lib/marketplace --shell /usr/sbin/nologin marketplace \
    && mkdir -p /var/lib/marketplace \
    && chown marketplace:marketplace /var/lib/marketplace
USER marketplace
VOLUME ["/var/lib/marketplace"]

EXPOSE 8000

# /readyz: 200 when this process can serve (database reachable). Its Host is 127.0.0.1, so
# MARKETPLACE_ALLOWED_HOSTS must list 127.0.0.1 next to the site's names (compose.yaml does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]

# Migrations are not run here: `marketplace db upgrade` runs once per release (compose.yaml's
# migrate service), never from several workers at once.
CMD ["marketplace", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
