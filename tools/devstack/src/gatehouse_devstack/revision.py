"""`gatehouse-dev revision <service> "what changes"`: the next Alembic revision of a service,
written from the difference between its tables.py and its migrations.

A throw-away embedded PostgreSQL is migrated to head, then Alembic compares it with the
metadata. The file it writes is a draft: read it, complete what autogenerate cannot see (data,
functions, triggers: gatehouse_common.schema), and run the service's tests/schema.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from gatehouse_common.migrations import alembic_config, next_revision_id, upgrade
from gatehouse_devstack.postgres import EmbeddedPostgres
from gatehouse_devstack.pytest_plugin import free_port


def write_revision(service: str, message: str) -> int:
    package = f"gatehouse_{service}"
    with tempfile.TemporaryDirectory(prefix="gatehouse-revision-") as scratch:
        server = EmbeddedPostgres(Path(scratch) / "data", free_port(), durable=False)
        server.start()
        try:
            url = server.create_database("revision")
            upgrade(url, package=package)
            script = command.revision(
                alembic_config(package, url),
                message=message,
                autogenerate=True,
                rev_id=next_revision_id(package),
            )
        finally:
            server.stop()
    written = script[0] if isinstance(script, list) else script
    if written is None:
        print("Nothing written")
        return 1
    # In the project's style at once (Alembic's template output is not).
    for tool in (["check", "--fix", "--quiet"], ["format", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *tool, written.path], check=False)
    print(f"Wrote {written.path}: read it, complete it, and run the service's tests/schema")
    return 0
