"""The e-mails the notifier wrote to a user, for *My data* (issue 18, point 3): asked over gRPC
(gatehouse.notifier.v1.MessageService.ListUserMessages), page by page.

The notifier describes messages (subject, kind, language, status, times) and never sends their
bodies, which hold single-use links. `export.py` depends on the `EmailHistory` protocol;
`GrpcEmailHistory` is the real one, made once per process (context.py). When the notifier does
not answer within the timeout the export is made without the history and says so."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from gatehouse.notifier.v1 import message_service_pb2 as pb
from gatehouse.notifier.v1 import message_service_pb2_grpc as pb_grpc
from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls
from gatehouse_common.service_auth import authenticated_channel

PAGE_SIZE = 100
# More than anyone receives from a sign-in service; the export says when it was cut short.
MAX_MESSAGES = 2000

STATUS = {
    pb.MESSAGE_STATUS_QUEUED: "queued",
    pb.MESSAGE_STATUS_SENT: "sent",
    pb.MESSAGE_STATUS_FAILED: "failed",
    pb.MESSAGE_STATUS_ABANDONED: "abandoned",
}


class EmailHistoryUnavailableError(Exception):
    """The notifier did not answer in time (down, too slow, or refused the call)."""


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    subject: str
    template: str
    event_type: str
    language: str
    status: str
    created_at: datetime | None
    sent_at: datetime | None


@dataclass(frozen=True)
class EmailHistoryList:
    emails: list[SentEmail]
    complete: bool  # False: more than MAX_MESSAGES, the oldest left out


class EmailHistory(Protocol):
    async def emails_to(self, *, user_id: uuid.UUID) -> EmailHistoryList:
        """The e-mails written to the user, newest first; EmailHistoryUnavailableError when the
        notifier cannot tell in time."""
        ...


def _time(value: Timestamp, present: bool) -> datetime | None:
    return value.ToDatetime(tzinfo=UTC) if present else None


def _from_wire(message: pb.Message) -> SentEmail:
    return SentEmail(
        message_id=message.message_id,
        subject=message.subject,
        template=message.template,
        event_type=message.event_type,
        language=message.language,
        status=STATUS.get(message.status, "unknown"),
        created_at=_time(message.create_time, message.HasField("create_time")),
        sent_at=_time(message.send_time, message.HasField("send_time")),
    )


class GrpcEmailHistory:
    def __init__(
        self, *, target: str, secret: bytes, timeout_s: float, tls: GrpcTls = PLAINTEXT
    ) -> None:
        self._channel = authenticated_channel(target, secret=secret, caller="identity", tls=tls)
        self._messages = pb_grpc.MessageServiceStub(self._channel)
        self._timeout_s = timeout_s

    async def emails_to(self, *, user_id: uuid.UUID) -> EmailHistoryList:
        """Every page within one timeout: the whole history or none of it."""
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._all_pages(user_id)
        except TimeoutError as error:
            raise EmailHistoryUnavailableError("notifier ListUserMessages timed out") from error
        except aio.AioRpcError as error:
            raise EmailHistoryUnavailableError(
                f"notifier ListUserMessages answered {error.code().name}"
            ) from error

    async def _all_pages(self, user_id: uuid.UUID) -> EmailHistoryList:
        emails: list[SentEmail] = []
        token = ""
        while True:
            response = await self._messages.ListUserMessages(
                pb.ListUserMessagesRequest(
                    user_id=str(user_id), page_size=PAGE_SIZE, page_token=token
                ),
                timeout=self._timeout_s,
            )
            emails += [_from_wire(message) for message in response.messages]
            token = response.next_page_token
            if not token:
                return EmailHistoryList(emails=emails, complete=True)
            if len(emails) >= MAX_MESSAGES:
                return EmailHistoryList(emails=emails[:MAX_MESSAGES], complete=False)

    async def close(self) -> None:
        await self._channel.close()
