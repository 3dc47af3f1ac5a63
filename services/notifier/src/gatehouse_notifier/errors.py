"""Failures the consumer treats differently from a bug: wait and try the same event again."""

from __future__ import annotations


class TransientError(Exception):
    """A dependency (identity, registry, the database) is unavailable for now."""
