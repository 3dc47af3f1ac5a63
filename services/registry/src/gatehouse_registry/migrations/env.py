"""The registry's Alembic environment: `python -m gatehouse_registry migrate` runs it."""

from gatehouse_common.migrations import run_environment
from gatehouse_registry.tables import metadata

run_environment(metadata)
