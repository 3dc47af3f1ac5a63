"""Identity's Alembic environment: `python -m gatehouse_identity migrate` runs it."""

from gatehouse_common.migrations import run_environment
from gatehouse_identity.tables import metadata

run_environment(metadata)
