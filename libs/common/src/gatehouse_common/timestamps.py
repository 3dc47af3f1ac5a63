"""datetime → google.protobuf.Timestamp, for every service's gRPC answers and events (written once:
five modules had their own copy)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def optional_timestamp(value: datetime | None) -> Timestamp | None:
    """None stays None: the field is left unset."""
    return None if value is None else timestamp(value)
