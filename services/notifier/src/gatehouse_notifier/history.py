"""A user's e-mail history, for identity's *My data* export (issue 18, point 3): what the notifier
wrote to them, newest first, a page at a time (gatehouse.notifier.v1.MessageService).

Messages are described, never reproduced: subject, template, language, status and times. Bodies
hold single-use links and the recipient address is identity's to export, so neither leaves here.
A page ends at a (created_at, id) cursor, handed out as an opaque token."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from gatehouse_common.db import Database
from gatehouse_common.errors import DomainError
from gatehouse_notifier import queries
from gatehouse_notifier.messages import HistoryEntry

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


class InvalidHistoryRequestError(DomainError):
    code = "invalid_history_request"


@dataclass(frozen=True)
class HistoryPage:
    messages: list[HistoryEntry]
    next_page_token: str  # "" on the last page


def _token(entry: HistoryEntry) -> str:
    raw = f"{entry.created_at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(page_token: str) -> tuple[datetime, uuid.UUID] | None:
    if not page_token:
        return None
    try:
        raw = base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)).decode()
        created_at, _, message_id = raw.partition("|")
        cursor = (datetime.fromisoformat(created_at), uuid.UUID(message_id))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidHistoryRequestError(
            "page_token is not a token this service handed out", field="page_token"
        ) from error
    if cursor[0].tzinfo is None:
        raise InvalidHistoryRequestError(
            "page_token is not a token this service handed out", field="page_token"
        )
    return cursor


def page_size_of(requested: int) -> int:
    """0: the default; above the maximum: the maximum; negative: refused."""
    if requested < 0:
        raise InvalidHistoryRequestError("page_size must not be negative", field="page_size")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


async def user_messages(
    database: Database, *, user_id: uuid.UUID, page_size: int, page_token: str
) -> HistoryPage:
    """One page of the messages written to `user_id`, newest first."""
    size = page_size_of(page_size)
    cursor = _cursor(page_token)
    async with database.connection() as connection:
        found = await queries.user_messages(
            connection, user_id=str(user_id), after=cursor, limit=size + 1
        )
    page = found[:size]
    more = len(found) > size
    return HistoryPage(messages=page, next_page_token=_token(page[-1]) if more else "")
