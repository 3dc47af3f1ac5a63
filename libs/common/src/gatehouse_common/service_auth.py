"""Service-to-service credentials for gRPC: short-lived tokens signed with a shared secret.

A caller sends `authorization: Bearer v1.<caller>.<expires>.<signature>` where the signature is
HMAC-SHA256 over `v1.<caller>.<expires>`. The callee checks signature and expiry before any
method runs (health and reflection stay open so orchestrators can probe). Tokens are minted per
call, so nothing long-lived crosses the wire.

Rotating the shared secret without downtime (docs/KEY_ROTATION.md): verifiers accept a list of
secrets, the current one first and then SERVICE_AUTH_PREVIOUS_SECRETS; tokens are always minted
with the current one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any

import grpc
from grpc import aio

from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls
from gatehouse_common.tracing import TracingClientInterceptor, tracing_enabled

TOKEN_VERSION = "v1"  # noqa: S105  (a format version, not a secret)
TOKEN_TTL_S = 60
METADATA_KEY = "authorization"
CALLER_METADATA_KEY = "x-gatehouse-caller"
OPEN_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


class InvalidServiceTokenError(Exception):
    pass


# The caller ServiceAuthServerInterceptor verified for the call being handled. grpcio runs a
# call's interceptors and its handler in one task of their own, so a handler reads what was
# verified for its own call instead of checking the token's signature a second time.
_verified_caller: ContextVar[str | None] = ContextVar("gatehouse_verified_caller", default=None)


def verified_caller() -> str | None:
    """The service that makes the gRPC call being handled, as the server's interceptor verified
    it; None outside such a call."""
    return _verified_caller.get()


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def mint_service_token(secret: bytes, *, caller: str, now: float | None = None) -> str:
    if not caller.isidentifier():
        raise ValueError("caller must be a plain service name")
    expires = int((now if now is not None else time.time()) + TOKEN_TTL_S)
    payload = f"{TOKEN_VERSION}.{caller}.{expires}"
    return f"{payload}.{_signature(secret, payload)}"


Secrets = bytes | Sequence[bytes]


def secret_list(secrets: Secrets) -> list[bytes]:
    """One secret or several (current first), as a list."""
    return [secrets] if isinstance(secrets, bytes) else list(secrets)


def verify_service_token(secret: Secrets, token: str, *, now: float | None = None) -> str:
    """Returns the caller's name, or raises InvalidServiceTokenError (and nothing else, whatever
    `token` holds). `secret` may be a list: the current secret, then previous ones still
    accepted while a rotation is under way."""
    candidates = secret_list(secret)
    if not candidates:
        raise ValueError("at least one service-auth secret is needed")
    parts = token.split(".")
    if (
        len(parts) != 4
        or parts[0] != TOKEN_VERSION
        or not parts[2].isascii()
        or not parts[2].isdigit()
        or len(parts[2]) > 12
    ):
        raise InvalidServiceTokenError("malformed service token")
    payload = ".".join(parts[:3])
    try:
        presented = parts[3].encode("ascii")
    except UnicodeEncodeError as error:
        raise InvalidServiceTokenError("bad signature") from error
    # Every candidate is checked (no early exit), so timing does not tell which secret matched.
    matches = [
        hmac.compare_digest(_signature(key, payload).encode(), presented) for key in candidates
    ]
    if not any(matches):
        raise InvalidServiceTokenError("bad signature")
    if int(parts[2]) < (now if now is not None else time.time()):
        raise InvalidServiceTokenError("expired service token")
    return parts[1]


class ServiceAuthServerInterceptor(aio.ServerInterceptor):  # type: ignore[misc]
    """Refuses every call without a valid service token with UNAUTHENTICATED."""

    def __init__(self, secret: Secrets) -> None:
        self._secret = secret_list(secret)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method
        if method.startswith(OPEN_SERVICES):
            return await continuation(handler_call_details)
        metadata = dict(handler_call_details.invocation_metadata or ())
        header = str(metadata.get(METADATA_KEY, ""))
        if not header.startswith("Bearer "):
            return _refusing_handler("missing service token")
        try:
            caller = verify_service_token(self._secret, header.removeprefix("Bearer "))
        except InvalidServiceTokenError as error:
            return _refusing_handler(str(error))
        _verified_caller.set(caller)
        return await continuation(handler_call_details)


def _refusing_handler(reason: str) -> grpc.RpcMethodHandler:
    async def refuse(_request: Any, context: aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, reason)

    return grpc.unary_unary_rpc_method_handler(refuse)


class ServiceAuthClientInterceptor(aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Adds a fresh service token to every call and a default deadline to calls without one."""

    def __init__(self, secret: bytes, *, caller: str, default_timeout_s: float = 5.0) -> None:
        self._secret = secret
        self._caller = caller
        self._default_timeout_s = default_timeout_s

    async def intercept_unary_unary(
        self,
        continuation: Callable[[aio.ClientCallDetails, Any], Awaitable[Any]],
        client_call_details: aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        metadata = list(client_call_details.metadata or ())
        token = mint_service_token(self._secret, caller=self._caller)
        metadata.append((METADATA_KEY, f"Bearer {token}"))
        details = aio.ClientCallDetails(
            method=client_call_details.method,
            timeout=client_call_details.timeout or self._default_timeout_s,
            metadata=aio.Metadata(*metadata)
            if not isinstance(metadata, aio.Metadata)
            else metadata,
            credentials=client_call_details.credentials,
            wait_for_ready=client_call_details.wait_for_ready,
        )
        return await continuation(details, request)


def authenticated_channel(
    target: str,
    *,
    secret: bytes,
    caller: str,
    options: Iterable[tuple[str, Any]] = (),
    tls: GrpcTls = PLAINTEXT,
) -> aio.Channel:
    """A channel whose calls carry service tokens and deadlines, over TLS when `tls` says so
    (gatehouse_common.grpc_tls).

    Retries are configured by service config for idempotent (read) methods only.
    """
    interceptors: list[aio.ClientInterceptor] = [
        ServiceAuthClientInterceptor(secret, caller=caller)
    ]
    if tracing_enabled():
        interceptors.insert(0, TracingClientInterceptor())
    all_options = [("grpc.enable_retries", 1), *options]
    credentials = tls.channel_credentials()
    if credentials is None:
        return aio.insecure_channel(target, options=all_options, interceptors=interceptors)
    return aio.secure_channel(target, credentials, options=all_options, interceptors=interceptors)
