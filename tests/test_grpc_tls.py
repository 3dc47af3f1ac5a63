"""gRPC between the services over mutual TLS when certificates are configured (issue 13, finding
6): an identity process that requires client certificates, and registry processes calling it
with and without one — configured only through the environment variables a deployment sets; and
a notifier serving MessageService the same way."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from gatehouse.identity.v1 import user_service_pb2
from gatehouse.notifier.v1 import message_service_pb2
from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.certificates import Authority, IssuedCertificate
from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.stack import Stack, free_ports

pytestmark = pytest.mark.stack


def _tls_env(ca: Authority, own: IssuedCertificate | None) -> dict[str, str]:
    env = {"GRPC_TLS_CA_FILE": ca.ca_file}
    if own is not None:
        env |= {"GRPC_TLS_CERT_FILE": own.cert_file, "GRPC_TLS_KEY_FILE": own.key_file}
    return env


def _process(stack: Stack, service: str, name: str, env: dict[str, str]) -> ServiceProcess:
    http_port, grpc_port = free_ports(2)
    process = ServiceProcess(
        name,
        f"gatehouse_{service}",
        stack.env_for(service) | {"HTTP_PORT": str(http_port), "GRPC_PORT": str(grpc_port)} | env,
        log_path=stack.logs_dir / f"{name}.log",
        python=sys.executable,
    )
    process.start()
    return process


@pytest.fixture(scope="module")
def tls_processes(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ServiceProcess]]:
    directory: Path = tmp_path_factory.mktemp("pki")
    ca = Authority.create(directory, "gatehouse")
    identity = _process(
        stack,
        "identity",
        "identity-mtls",
        _tls_env(ca, ca.issue(directory, "identity")) | {"GRPC_TLS_REQUIRE_CLIENT_CERT": "true"},
    )
    started = {"identity": identity}
    try:
        target = {"IDENTITY_GRPC_TARGET": f"localhost:{identity.env['GRPC_PORT']}"}
        member = _tls_env(ca, ca.issue(directory, "registry"))
        started["registry"] = _process(stack, "registry", "registry-mtls", member | target)
        without = _tls_env(ca, None)  # trusts identity, but has no certificate to show
        started["registry-no-cert"] = _process(
            stack, "registry", "registry-no-cert", without | target
        )
        # A notifier replica (it shares the stack's consumer), so it reaches identity and the
        # registry over TLS as well: the processes above.
        peers = target | {
            "REGISTRY_GRPC_TARGET": f"localhost:{started['registry'].env['GRPC_PORT']}"
        }
        notifier = _tls_env(ca, ca.issue(directory, "notifier"))
        started["notifier"] = _process(
            stack,
            "notifier",
            "notifier-mtls",
            notifier | peers | {"GRPC_TLS_REQUIRE_CLIENT_CERT": "true"},
        )
        yield started
    finally:
        for process in started.values():
            process.stop()


def _introspect_through(registry: ServiceProcess) -> int:
    """A bearer token makes the registry ask identity over gRPC (IntrospectToken): 401 when
    identity answered "not active", 503 when it could not be reached."""
    answer = httpx.get(
        f"{registry.url}/api/v1/me",
        headers={"Authorization": "Bearer not-an-access-token"},
        timeout=30,
    )
    return answer.status_code


def test_registry_reaches_identity_over_mutual_tls_only_with_its_certificate(
    tls_processes: dict[str, ServiceProcess],
) -> None:
    assert _introspect_through(tls_processes["registry"]) == 401
    assert _introspect_through(tls_processes["registry-no-cert"]) == 503


def test_identity_serves_no_plaintext_grpc_when_certificates_are_configured(
    tls_processes: dict[str, ServiceProcess],
) -> None:
    target = tls_processes["identity"].grpc_target
    assert target is not None
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(
            "/gatehouse.identity.v1.UserService/GetUser",
            request_serializer=user_service_pb2.GetUserRequest.SerializeToString,
            response_deserializer=user_service_pb2.GetUserResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as refused:
            call(user_service_pb2.GetUserRequest(user_id="x"), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def _list_user_messages(channel: grpc.Channel, stack: Stack) -> grpc.StatusCode:
    call = channel.unary_unary(
        "/gatehouse.notifier.v1.MessageService/ListUserMessages",
        request_serializer=message_service_pb2.ListUserMessagesRequest.SerializeToString,
        response_deserializer=message_service_pb2.ListUserMessagesResponse.FromString,
    )
    token = mint_service_token(stack.service_auth_secret.encode(), caller="identity")
    try:
        call(
            message_service_pb2.ListUserMessagesRequest(user_id=str(uuid.uuid4())),
            metadata=[("authorization", f"Bearer {token}")],
            timeout=5,
        )
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_the_notifier_serves_message_history_over_mutual_tls_only(
    stack: Stack, tls_processes: dict[str, ServiceProcess]
) -> None:
    target = tls_processes["notifier"].grpc_target
    assert target is not None
    target = target.replace("127.0.0.1", "localhost")
    caller = tls_processes["registry"].env  # any certificate of the CA will do
    read = {
        name: Path(caller[f"GRPC_TLS_{name}_FILE"]).read_bytes() for name in ("CA", "CERT", "KEY")
    }
    with_cert = grpc.ssl_channel_credentials(read["CA"], read["KEY"], read["CERT"])
    without_cert = grpc.ssl_channel_credentials(read["CA"])
    with grpc.secure_channel(target, with_cert) as channel:
        assert _list_user_messages(channel, stack) == grpc.StatusCode.OK
    with grpc.secure_channel(target, without_cert) as channel:
        assert _list_user_messages(channel, stack) == grpc.StatusCode.UNAVAILABLE
    with grpc.insecure_channel(target) as channel:
        assert _list_user_messages(channel, stack) == grpc.StatusCode.UNAVAILABLE
