"""Service tokens (gatehouse_common.service_auth): minting, verifying with the current and
previous secrets during a rotation, and arbitrary input never raising anything but
InvalidServiceTokenError."""

from __future__ import annotations

import socket

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2
from hypothesis import example, given
from hypothesis import strategies as st

from gatehouse_common.grpc_server import start_grpc_server
from gatehouse_common.service_auth import (
    InvalidServiceTokenError,
    authenticated_channel,
    mint_service_token,
    verified_caller,
    verify_service_token,
)
from gatehouse_common.settings import ServiceSettings

OLD = b"old-secret-0123456789abcdef"
NEW = b"new-secret-0123456789abcdef"
NOW = 1_750_000_000.0


def test_a_token_verifies_with_its_secret_and_names_its_caller() -> None:
    token = mint_service_token(NEW, caller="registry", now=NOW)
    assert verify_service_token(NEW, token, now=NOW) == "registry"
    with pytest.raises(InvalidServiceTokenError, match="bad signature"):
        verify_service_token(OLD, token, now=NOW)
    with pytest.raises(InvalidServiceTokenError, match="expired"):
        verify_service_token(NEW, token, now=NOW + 61)


def test_during_a_rotation_tokens_of_the_previous_secret_still_verify() -> None:
    accepted = [NEW, OLD]  # current first, then previous
    from_old = mint_service_token(OLD, caller="notifier", now=NOW)
    from_new = mint_service_token(NEW, caller="registry", now=NOW)
    assert verify_service_token(accepted, from_old, now=NOW) == "notifier"
    assert verify_service_token(accepted, from_new, now=NOW) == "registry"
    # After the rotation the old secret is dropped: its tokens are refused.
    with pytest.raises(InvalidServiceTokenError):
        verify_service_token([NEW], from_old, now=NOW)
    with pytest.raises(ValueError, match="at least one"):
        verify_service_token([], from_new, now=NOW)


def test_settings_list_the_current_secret_first_and_mint_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SERVICE_AUTH_SECRET", NEW.decode())
    monkeypatch.setenv("SERVICE_AUTH_PREVIOUS_SECRETS", f" {OLD.decode()} , ,older-secret-xyz")
    settings = ServiceSettings(gatehouse_environment="test")
    assert settings.service_auth_secrets == [NEW, OLD, b"older-secret-xyz"]
    assert "old-secret" not in repr(settings)  # SecretStr: never printed
    monkeypatch.delenv("SERVICE_AUTH_PREVIOUS_SECRETS")
    assert ServiceSettings(gatehouse_environment="test").service_auth_secrets == [NEW]


@given(st.text(max_size=300))
@example("v1.registry.99999999999999999999.x")
@example("v1.registry.²³.sig")
@example("v1.registry.9999999999.é")
@example("v1.registry.9999999999.\ud800")
@example("....")
def test_any_string_is_a_caller_or_invalid_service_token(token: str) -> None:
    try:
        caller = verify_service_token([NEW, OLD], token, now=NOW)
    except InvalidServiceTokenError:
        return
    raise AssertionError(f"forged token accepted for {caller!r}")


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True), st.binary(min_size=1))
def test_minted_tokens_verify_with_any_list_holding_their_secret(
    caller: str, secret: bytes
) -> None:
    token = mint_service_token(secret, caller=caller, now=NOW)
    assert verify_service_token([OLD, secret], token, now=NOW) == caller


async def test_a_handler_reads_the_caller_its_call_was_verified_for() -> None:
    """What identity's TokenService relies on to check who calls without verifying the token a
    second time: each call sees its own caller, and nothing outside a call sees one."""

    async def who(_request: object, _context: object) -> health_pb2.HealthCheckRequest:
        return health_pb2.HealthCheckRequest(service=verified_caller() or "")

    def register(server: aio.Server) -> None:
        method = grpc.unary_unary_rpc_method_handler(
            who,
            request_deserializer=health_pb2.HealthCheckRequest.FromString,
            response_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        )
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("test.Who", {"Am": method}),)
        )

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await start_grpc_server(
        service="test",
        host="127.0.0.1",
        port=port,
        registrations=[register],
        service_names=[],
        auth_secret=NEW,
    )
    try:
        answers = []
        for caller in ("registry", "notifier", "registry"):
            async with authenticated_channel(
                f"127.0.0.1:{port}", secret=NEW, caller=caller
            ) as channel:
                am = channel.unary_unary(
                    "/test.Who/Am",
                    request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                    response_deserializer=health_pb2.HealthCheckRequest.FromString,
                )
                answers.append((await am(health_pb2.HealthCheckRequest())).service)
    finally:
        await server.stop(None)
    assert answers == ["registry", "notifier", "registry"]
    assert verified_caller() is None
