"""The registry's gRPC calls to identity: token introspection (cached briefly) and user lookups.

Every call carries a service token and a deadline (authenticated_channel's interceptor adds a
default; these calls set their own). Only the read methods are retried, by the channel's service
config, on UNAVAILABLE: retrying a write could apply it twice.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass

import grpc
from grpc import aio

from gatehouse.identity.v1 import token_service_pb2 as token_pb
from gatehouse.identity.v1 import token_service_pb2_grpc as token_grpc
from gatehouse.identity.v1 import user_service_pb2 as user_pb
from gatehouse.identity.v1 import user_service_pb2_grpc as user_grpc
from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls
from gatehouse_common.service_auth import authenticated_channel

READ_METHODS = {
    "gatehouse.identity.v1.UserService": ["GetUser", "BatchGetUsers", "GetUserByEmail"],
    "gatehouse.identity.v1.TokenService": ["IntrospectToken"],
}
RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.1s",
    "maxBackoff": "1s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}
SERVICE_CONFIG = {
    "methodConfig": [
        {
            "name": [
                {"service": service, "method": method}
                for service, methods in READ_METHODS.items()
                for method in methods
            ],
            "retryPolicy": RETRY_POLICY,
        }
    ]
}
LEVEL_FROM_WIRE = {
    token_pb.AUTHENTICATION_LEVEL_PASSWORD: "password",
    token_pb.AUTHENTICATION_LEVEL_MULTI_FACTOR: "multi_factor",
    token_pb.AUTHENTICATION_LEVEL_PHISHING_RESISTANT: "phishing_resistant",
}
INACTIVE_CACHE_S = 5.0
MAX_CACHE_ENTRIES = 10_000


class IdentityUnavailableError(Exception):
    """identity could not answer in time; the caller answers 503."""


@dataclass(frozen=True)
class ActiveToken:
    user_id: uuid.UUID
    client_id: str
    level: str
    amr: list[str]
    scopes: list[str]
    expires_at: float  # epoch seconds
    # The DPoP key the token is bound to (cnf.jkt, RFC 9449 §6.1); None for a bearer token.
    dpop_jkt: str | None = None


@dataclass(frozen=True)
class IdentityUser:
    user_id: uuid.UUID
    full_name: str
    email: str


class IdentityGrpc:
    def __init__(
        self,
        *,
        target: str,
        secret: bytes,
        timeout_s: float,
        cache_s: float,
        tls: GrpcTls = PLAINTEXT,
    ) -> None:
        self._target = target
        self._tls = tls
        self._secret = secret
        self._timeout_s = timeout_s
        self._cache_s = cache_s
        self._channel: aio.Channel | None = None
        self._tokens: dict[bytes, tuple[float, ActiveToken | None]] = {}
        self._users: dict[uuid.UUID, tuple[float, IdentityUser]] = {}

    def _channel_now(self) -> aio.Channel:
        # Created on first use: an aio channel belongs to the running event loop.
        if self._channel is None:
            self._channel = authenticated_channel(
                self._target,
                secret=self._secret,
                caller="registry",
                options=[("grpc.service_config", json.dumps(SERVICE_CONFIG))],
                tls=self._tls,
            )
        return self._channel

    def channel(self) -> aio.Channel:
        """The authenticated channel to identity, for the other services' stubs."""
        return self._channel_now()

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def introspect(self, token: str) -> ActiveToken | None:
        """The active token's facts, or None. Answers are reused for INTROSPECTION_CACHE_S
        (inactive ones for a few seconds, to blunt floods of made-up tokens)."""
        key = hashlib.sha256(token.encode()).digest()
        now = time.time()
        cached = self._tokens.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        stub = token_grpc.TokenServiceStub(self._channel_now())
        try:
            answer = await stub.IntrospectToken(
                token_pb.IntrospectTokenRequest(token=token), timeout=self._timeout_s
            )
        except aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                return None  # not even shaped like a token
            raise IdentityUnavailableError(str(error.code())) from error
        active = None
        until = now + INACTIVE_CACHE_S
        if answer.active:
            expires_at = answer.expire_time.ToSeconds()
            active = ActiveToken(
                user_id=uuid.UUID(answer.user_id),
                client_id=answer.client_id,
                level=LEVEL_FROM_WIRE.get(answer.level, ""),
                amr=list(answer.amr),
                scopes=list(answer.scopes),
                expires_at=expires_at,
            )
            until = min(now + self._cache_s, expires_at)
        if len(self._tokens) >= MAX_CACHE_ENTRIES:
            self._tokens.clear()
        self._tokens[key] = (until, active)
        return active

    async def get_user_by_email(self, email: str) -> IdentityUser | None:
        """The account with this e-mail address (case-insensitive), or None; not cached (an
        operating command asks once)."""
        stub = user_grpc.UserServiceStub(self._channel_now())
        try:
            answer = await stub.GetUserByEmail(
                user_pb.GetUserByEmailRequest(email=email), timeout=self._timeout_s
            )
        except aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise IdentityUnavailableError(str(error.code())) from error
        return IdentityUser(
            user_id=uuid.UUID(answer.user.user_id),
            full_name=f"{answer.user.first_name} {answer.user.last_name}",
            email=answer.user.email,
        )

    async def get_user(self, user_id: uuid.UUID) -> IdentityUser | None:
        now = time.time()
        cached = self._users.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        stub = user_grpc.UserServiceStub(self._channel_now())
        try:
            answer = await stub.GetUser(
                user_pb.GetUserRequest(user_id=str(user_id)), timeout=self._timeout_s
            )
        except aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise IdentityUnavailableError(str(error.code())) from error
        user = IdentityUser(
            user_id=user_id,
            full_name=f"{answer.user.first_name} {answer.user.last_name}",
            email=answer.user.email,
        )
        if len(self._users) >= MAX_CACHE_ENTRIES:
            self._users.clear()
        self._users[user_id] = (now + self._cache_s, user)
        return user
