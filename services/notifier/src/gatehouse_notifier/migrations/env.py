"""The notifier's Alembic environment: `python -m gatehouse_notifier migrate` runs it."""

from gatehouse_common.migrations import run_environment
from gatehouse_notifier.tables import metadata

run_environment(metadata)
