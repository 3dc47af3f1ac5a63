"""A user's e-mail history (history.py, MessageService.ListUserMessages): their messages only,
newest first, page by page without gaps or repeats, never a body; bad paging input refused
naming the field."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_notifier import history
from gatehouse_notifier.messages import HistoryEntry, Status

from . import factories

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def _messages_of(
    connection: AsyncConnection, user_id: uuid.UUID, created: list[datetime]
) -> list[uuid.UUID]:
    return [
        await factories.message(
            connection,
            status=Status.SENT,
            recipient_user_id=str(user_id),
            subject=f"Subject {number}",
            body_text=f"secret link {number}",
            created_at=at,
        )
        for number, at in enumerate(created)
    ]


async def _all_pages(
    database: Database, user_id: uuid.UUID, page_size: int
) -> tuple[list[HistoryEntry], int]:
    entries: list[HistoryEntry] = []
    token, pages = "", 0
    while True:
        page = await history.user_messages(
            database, user_id=user_id, page_size=page_size, page_token=token
        )
        entries += page.messages
        pages += 1
        token = page.next_page_token
        if not token:
            return entries, pages


async def test_pages_hold_the_users_messages_newest_first_once_each(
    db_connection: AsyncConnection, rolled_back_database: Database
) -> None:
    anna, bo = uuid.uuid4(), uuid.uuid4()
    # Two messages at the same instant: the id orders them, and a page may end between them.
    times = [START, START + timedelta(minutes=1), START + timedelta(minutes=1)]
    times += [START + timedelta(hours=hours) for hours in (2, 3)]
    annas = await _messages_of(db_connection, anna, times)
    await _messages_of(db_connection, bo, [START, START + timedelta(hours=5)])

    entries, pages = await _all_pages(rolled_back_database, anna, page_size=2)

    by_time = sorted(zip(times, annas, strict=True), reverse=True)
    assert [entry.id for entry in entries] == [message_id for _, message_id in by_time]
    assert pages == 3
    assert {entry.subject for entry in entries} == {f"Subject {n}" for n in range(5)}
    assert all(entry.status == Status.SENT for entry in entries)
    names = {field.name for field in fields(HistoryEntry)}
    assert not names & {"body_text", "body_html", "recipient_email", "recipient_name"}

    one_page = await history.user_messages(
        rolled_back_database, user_id=anna, page_size=0, page_token=""
    )
    assert len(one_page.messages) == 5
    assert one_page.next_page_token == ""


async def test_an_unknown_user_has_no_messages(rolled_back_database: Database) -> None:
    page = await history.user_messages(
        rolled_back_database, user_id=uuid.uuid4(), page_size=10, page_token=""
    )
    assert (page.messages, page.next_page_token) == ([], "")


def test_the_page_size_is_bounded() -> None:
    assert history.page_size_of(0) == history.DEFAULT_PAGE_SIZE
    assert history.page_size_of(7) == 7
    assert history.page_size_of(10_000) == history.MAX_PAGE_SIZE
    with pytest.raises(history.InvalidHistoryRequestError) as refused:
        history.page_size_of(-1)
    assert refused.value.field == "page_size"


@pytest.mark.parametrize(
    "token", ["not base64 !", "bm90IGEgY3Vyc29y", "MjAyNi0wMS0wNVQwOTowMDowMHxub3QtYS11dWlk", "="]
)
async def test_a_page_token_not_handed_out_is_refused(
    rolled_back_database: Database, token: str
) -> None:
    with pytest.raises(history.InvalidHistoryRequestError) as refused:
        await history.user_messages(
            rolled_back_database, user_id=uuid.uuid4(), page_size=10, page_token=token
        )
    assert refused.value.field == "page_token"
