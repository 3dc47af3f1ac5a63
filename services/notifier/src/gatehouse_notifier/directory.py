"""Who receives a message and the links it carries, asked of identity over gRPC.

Events name users by id only and never carry secrets, so the address, name, e-mail language and
any password link are fetched when the event is handled. Handlers depend on the `Directory`
protocol, not on gRPC, so they can be exercised without a server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

import grpc
from grpc import aio

from gatehouse.identity.v1 import user_service_pb2 as pb
from gatehouse.identity.v1 import user_service_pb2_grpc as pb_grpc
from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls
from gatehouse_common.service_auth import authenticated_channel
from gatehouse_notifier.errors import TransientError
from gatehouse_notifier.gathering import Gatherer

# Worth waiting for: the call may well succeed later without anyone changing the event.
# UNAUTHENTICATED/PERMISSION_DENIED mean a misconfigured secret and UNIMPLEMENTED an identity
# not yet upgraded; both are fixed by operators, and the event must still be there when they are.
TRANSIENT_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)
# The request can never succeed for this user; the message is recorded as abandoned.
REFUSED_CODES = frozenset(
    {
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.INVALID_ARGUMENT,
    }
)
RPC_TIMEOUT_S = 5.0
# identity's BatchGetUsers takes at most 500 ids per call.
BATCH_SIZE = 200


class LinkPurpose(Enum):
    SET = pb.PASSWORD_LINK_PURPOSE_SET
    RESET = pb.PASSWORD_LINK_PURPOSE_RESET
    # "This wasn't me" in a new-device notice; the event id names the notice.
    SIGN_IN_REPORT = pb.PASSWORD_LINK_PURPOSE_SIGN_IN_REPORT


@dataclass(frozen=True)
class Recipient:
    user_id: str
    email: str
    first_name: str
    last_name: str
    language: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class PasswordLink:
    url: str
    expires_at: datetime | None


class RefusedError(Exception):
    """Identity or the registry answered that the request cannot be met (unknown id, state)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


class Directory(Protocol):
    async def get_user(self, user_id: str) -> Recipient:
        """The user as a recipient; RefusedError if identity does not know them."""
        ...

    async def get_users(self, user_ids: Sequence[str]) -> dict[str, Recipient]:
        """The users identity knows among `user_ids`, by id; unknown ones are left out."""
        ...

    async def create_password_link(
        self, *, user_id: str, purpose: LinkPurpose, event_id: str
    ) -> PasswordLink:
        """A fresh single-use link; RefusedError if identity will not issue one."""
        ...


# (user id, purpose, event id): what one password link is asked for.
LinkKey = tuple[str, LinkPurpose, str]


class IdentityDirectory:
    """`Directory` backed by identity's `gatehouse.identity.v1.UserService`. Users and links
    asked for at the same moment (the handlers of one batch of events) are fetched with one
    BatchGetUsers and one BatchCreatePasswordLinks."""

    def __init__(self, *, target: str, secret: bytes, tls: GrpcTls = PLAINTEXT) -> None:
        self._channel = authenticated_channel(target, secret=secret, caller="notifier", tls=tls)
        self._stub = pb_grpc.UserServiceStub(self._channel)
        self._users = Gatherer(self._batch_get_users)
        self._links = Gatherer(self._batch_create_links)

    async def get_user(self, user_id: str) -> Recipient:
        recipient = await self._users.get(user_id)
        if recipient is None:
            raise RefusedError("NOT_FOUND", f"identity does not know user {user_id}")
        return recipient

    async def get_users(self, user_ids: Sequence[str]) -> dict[str, Recipient]:
        wanted = list(dict.fromkeys(user_ids))
        found = await asyncio.gather(*(self._users.get(user_id) for user_id in wanted))
        return {user_id: user for user_id, user in zip(wanted, found, strict=True) if user}

    async def _get_one_user(self, user_id: str) -> Recipient:
        try:
            response = await self._stub.GetUser(
                pb.GetUserRequest(user_id=user_id), timeout=RPC_TIMEOUT_S
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "identity GetUser") from error
        return _recipient(response.user, user_id)

    async def _batch_get_users(self, user_ids: Sequence[str]) -> dict[str, Recipient]:
        wanted = list(dict.fromkeys(user_ids))
        found: dict[str, Recipient] = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start : start + BATCH_SIZE]
            try:
                response = await self._stub.BatchGetUsers(
                    pb.BatchGetUsersRequest(user_ids=chunk), timeout=RPC_TIMEOUT_S
                )
            except aio.AioRpcError as error:
                translated = translate_rpc_error(error, "identity BatchGetUsers")
                if not isinstance(translated, RefusedError):
                    raise translated from error
                # One malformed id refuses the whole batch: ask for each, so only it is missing.
                found.update(await self._one_by_one(chunk))
                continue
            found.update({user.user_id: _recipient(user, user.user_id) for user in response.users})
        return found

    async def _one_by_one(self, user_ids: Sequence[str]) -> dict[str, Recipient]:
        found: dict[str, Recipient] = {}
        for user_id in user_ids:
            try:
                found[user_id] = await self._get_one_user(user_id)
            except RefusedError:
                continue
        return found

    async def create_password_link(
        self, *, user_id: str, purpose: LinkPurpose, event_id: str
    ) -> PasswordLink:
        link = await self._links.get((user_id, purpose, event_id))
        if link is None:
            raise RefusedError("NOT_FOUND", f"identity does not know user {user_id}")
        return link

    async def _batch_create_links(self, wanted: Sequence[LinkKey]) -> dict[LinkKey, PasswordLink]:
        found: dict[LinkKey, PasswordLink] = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start : start + BATCH_SIZE]
            request = pb.BatchCreatePasswordLinksRequest(
                requests=[_link_request(key) for key in chunk]
            )
            try:
                response = await self._stub.BatchCreatePasswordLinks(request, timeout=RPC_TIMEOUT_S)
            except aio.AioRpcError as error:
                translated = translate_rpc_error(error, "identity BatchCreatePasswordLinks")
                if not isinstance(translated, RefusedError):
                    raise translated from error
                # One malformed id refuses the whole batch: ask for each, so only it is missing.
                for key in chunk:
                    with contextlib.suppress(RefusedError):
                        found[key] = await self._create_one_link(key)
                continue
            found.update(
                (key, _password_link(link))
                for key, link in zip(chunk, response.links, strict=True)
                if not link.user_not_found
            )
        return found

    async def _create_one_link(self, key: LinkKey) -> PasswordLink:
        try:
            response = await self._stub.CreatePasswordLink(
                _link_request(key), timeout=RPC_TIMEOUT_S
            )
        except aio.AioRpcError as error:
            raise translate_rpc_error(error, "identity CreatePasswordLink") from error
        return _password_link(response)

    async def close(self) -> None:
        await self._channel.close()


def _link_request(key: LinkKey) -> pb.CreatePasswordLinkRequest:
    user_id, purpose, event_id = key
    return pb.CreatePasswordLinkRequest(user_id=user_id, purpose=purpose.value, event_id=event_id)


def _password_link(link: pb.CreatePasswordLinkResponse | pb.CreatedPasswordLink) -> PasswordLink:
    expires_at = link.expire_time.ToDatetime(tzinfo=UTC) if link.HasField("expire_time") else None
    return PasswordLink(url=link.url, expires_at=expires_at)


def _recipient(user: pb.User, user_id: str) -> Recipient:
    return Recipient(
        user_id=user.user_id or user_id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        language=user.email_language,
    )


def translate_rpc_error(error: aio.AioRpcError, method: str) -> Exception:
    """RefusedError, TransientError, or (a bug on one side) RuntimeError for a failed call."""
    code = error.code()
    # The details are the other service's own words about the request, never about a secret.
    detail = f"{method} answered {code.name}: {error.details() or ''}".strip()
    if code in REFUSED_CODES:
        return RefusedError(code.name, detail)
    if code in TRANSIENT_CODES:
        return TransientError(detail)
    return RuntimeError(detail)
