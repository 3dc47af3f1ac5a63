"""gRPC between the services for single sign-on: TokenService.IntrospectToken, and the rules every
call follows (credentials, caller allow-list, deadlines, retries only for reads)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import grpc
import httpx
import pytest
from grpc import aio

from gatehouse.identity.v1 import token_service_pb2 as token_pb
from gatehouse.identity.v1 import token_service_pb2_grpc as token_grpc
from gatehouse.identity.v1 import user_service_pb2 as user_pb
from gatehouse.identity.v1 import user_service_pb2_grpc as user_grpc
from gatehouse_common.service_auth import authenticated_channel
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, free_ports
from gatehouse_registry.auth.identity_grpc import READ_METHODS, SERVICE_CONFIG, IdentityGrpc
from tests.oidc_helpers import Browser, new_account, query_of, register_client, sign_in

pytestmark = pytest.mark.stack


@pytest.fixture
async def registry_channel(stack: Stack) -> AsyncIterator[aio.Channel]:
    channel = authenticated_channel(
        stack.identity_grpc_target, secret=stack.service_auth_secret.encode(), caller="registry"
    )
    yield channel
    await channel.close()


@pytest.fixture(scope="module")
def access_token(stack: Stack) -> str:
    """A real access token: sign in, authorize a first-party client, exchange the code."""
    assert stack.mailbox_url
    with MailboxClient(stack.mailbox_url) as mailbox:
        account = new_account(stack, mailbox)
    browser = Browser()
    try:
        sign_in(stack, browser, account)
        client = register_client(stack, base_url="http://127.0.0.1:9", first_party=True)
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": "openid email",
            "state": secrets.token_urlsafe(8),
        }
        landed, _ = browser.navigate(
            f"{stack.identity_url}/oidc/authorize?{urlencode(query)}",
            stop=lambda url: url.startswith(client.redirect_uri),
        )
    finally:
        browser.close()
    tokens = httpx.post(
        f"{stack.identity_url}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(landed)["code"],
            "redirect_uri": client.redirect_uri,
        },
        auth=(client.client_id, client.client_secret or ""),
    )
    assert tokens.status_code == 200, tokens.text
    token: str = tokens.json()["access_token"]
    return token


async def test_introspection_answers_the_registry_about_active_and_unknown_tokens(
    registry_channel: aio.Channel, access_token: str
) -> None:
    stub = token_grpc.TokenServiceStub(registry_channel)
    active = await stub.IntrospectToken(
        token_pb.IntrospectTokenRequest(token=access_token), timeout=5
    )
    assert active.active
    assert uuid.UUID(active.user_id)
    assert active.client_id.startswith("test-")
    assert active.level == token_pb.AUTHENTICATION_LEVEL_PASSWORD
    assert list(active.amr) == ["pwd"]
    assert set(active.scopes) == {"openid", "email"}
    assert active.expire_time.ToSeconds() > active.auth_time.ToSeconds()

    unknown = await stub.IntrospectToken(
        token_pb.IntrospectTokenRequest(token=secrets.token_urlsafe(32)), timeout=5
    )
    assert unknown == token_pb.IntrospectTokenResponse(active=False)


# Access tokens may be JWTs (about 900 characters); longer than 4096 is no token of ours.
@pytest.mark.parametrize("token", ["", "x" * 4097, "ünïcode"])
async def test_malformed_tokens_are_invalid_argument(
    registry_channel: aio.Channel, token: str
) -> None:
    stub = token_grpc.TokenServiceStub(registry_channel)
    with pytest.raises(aio.AioRpcError) as failure:
        await stub.IntrospectToken(token_pb.IntrospectTokenRequest(token=token), timeout=5)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_calls_without_credentials_or_from_other_callers_are_refused(
    stack: Stack, access_token: str
) -> None:
    request = token_pb.IntrospectTokenRequest(token=access_token)
    async with aio.insecure_channel(stack.identity_grpc_target) as bare:
        with pytest.raises(aio.AioRpcError) as failure:
            await token_grpc.TokenServiceStub(bare).IntrospectToken(request, timeout=5)
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(aio.AioRpcError) as failure:
            await user_grpc.UserServiceStub(bare).GetUser(
                user_pb.GetUserRequest(user_id=str(uuid.uuid4())), timeout=5
            )
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    forged = authenticated_channel(stack.identity_grpc_target, secret=b"wrong", caller="registry")
    async with forged:
        with pytest.raises(aio.AioRpcError) as failure:
            await token_grpc.TokenServiceStub(forged).IntrospectToken(request, timeout=5)
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # Valid credentials, but introspection names users: only the relying services may ask.
    notifier = authenticated_channel(
        stack.identity_grpc_target, secret=stack.service_auth_secret.encode(), caller="notifier"
    )
    async with notifier:
        with pytest.raises(aio.AioRpcError) as failure:
            await token_grpc.TokenServiceStub(notifier).IntrospectToken(request, timeout=5)
        assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_user_lookups_answer_not_found_and_invalid_argument(
    registry_channel: aio.Channel,
) -> None:
    stub = user_grpc.UserServiceStub(registry_channel)
    with pytest.raises(aio.AioRpcError) as failure:
        await stub.GetUser(user_pb.GetUserRequest(user_id=str(uuid.uuid4())), timeout=5)
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(aio.AioRpcError) as failure:
        await stub.GetUser(user_pb.GetUserRequest(user_id="not-a-uuid"), timeout=5)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# --- deadlines and retries, against a stand-in identity ---------------------------------------


class FlakyTokenService(token_grpc.TokenServiceServicer):
    """Answers UNAVAILABLE `failures` times, then a real answer; records each call's deadline."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.time_remaining: list[float | None] = []

    async def IntrospectToken(  # noqa: N802
        self, _request: token_pb.IntrospectTokenRequest, context: aio.ServicerContext
    ) -> token_pb.IntrospectTokenResponse:
        self.calls += 1
        self.time_remaining.append(context.time_remaining())
        if self.calls <= self.failures:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
        return token_pb.IntrospectTokenResponse(active=False)


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[str, FlakyTokenService]]:
    service = FlakyTokenService(failures=2)
    server = aio.server()
    token_grpc.add_TokenServiceServicer_to_server(service, server)
    (port,) = free_ports(1)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    yield f"127.0.0.1:{port}", service
    await server.stop(None)


async def test_every_call_has_a_deadline_even_when_the_caller_sets_none(
    flaky: tuple[str, FlakyTokenService],
) -> None:
    target, service = flaky
    service.failures = 0
    async with authenticated_channel(target, secret=b"s" * 32, caller="registry") as channel:
        await token_grpc.TokenServiceStub(channel).IntrospectToken(
            token_pb.IntrospectTokenRequest(token="t")
        )
    (remaining,) = service.time_remaining
    assert remaining is not None
    assert 0 < remaining <= 5.5  # the interceptor's 5 s default (clocks differ slightly)


async def test_the_registry_retries_reads_when_identity_is_briefly_unavailable(
    flaky: tuple[str, FlakyTokenService],
) -> None:
    target, service = flaky
    client = IdentityGrpc(target=target, secret=b"s" * 32, timeout_s=3.0, cache_s=0)
    try:
        assert await client.introspect(secrets.token_urlsafe(32)) is None
    finally:
        await client.close()
    assert service.calls == 3  # two UNAVAILABLE answers, retried by the channel's policy
    assert all(remaining is not None and remaining <= 3.5 for remaining in service.time_remaining)
    # Only read methods carry a retry policy: a write must never be sent twice.
    (config,) = SERVICE_CONFIG["methodConfig"]
    named = {(name["service"], name["method"]) for name in config["name"]}
    assert named == {
        (service_name, method)
        for service_name, methods in READ_METHODS.items()
        for method in methods
    }
    assert all(method.startswith(("Get", "BatchGet", "Introspect")) for _, method in named)
