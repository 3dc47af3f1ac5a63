"""Schema migrations with yoyo: each service keeps numbered SQL files in its own package.

Deployments run `python -m gatehouse_<service> migrate` before the service starts; yoyo takes a
lock in the database so two replicas migrating at once cannot both apply a step.
"""

from __future__ import annotations

import logging
from pathlib import Path

from yoyo import get_backend, read_migrations

logger = logging.getLogger(__name__)


def yoyo_url(database_url: str) -> str:
    """asyncpg takes postgresql://; yoyo needs the driver named (psycopg 3)."""
    scheme, separator, rest = database_url.partition("://")
    if not separator or scheme not in {"postgres", "postgresql"}:
        raise ValueError("DATABASE_URL must start with postgresql://")
    return f"postgresql+psycopg://{rest}"


def apply_migrations(database_url: str, migrations_dir: Path) -> int:
    """Apply every pending migration; returns how many were applied."""
    backend = get_backend(yoyo_url(database_url))
    migrations = read_migrations(str(migrations_dir))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    logger.info("migrations applied", extra={"count": len(pending)})
    return len(pending)
