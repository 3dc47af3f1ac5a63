"""Transport security (issue 13, finding 6): gRPC between services over TLS and mutual TLS, with
a certificate authority made here (a real server and real channels on a local port), and HSTS."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gatehouse_common.grpc_server import start_grpc_server
from gatehouse_common.grpc_tls import PLAINTEXT, GrpcTls, GrpcTlsError
from gatehouse_common.service_auth import authenticated_channel
from gatehouse_common.settings import ServiceSettings
from gatehouse_common.web_security import SecurityHeadersMiddleware
from gatehouse_devstack.certificates import Authority, IssuedCertificate

SECRET = b"a-service-auth-secret-for-the-tls-test"


@dataclass(frozen=True)
class Pki:
    ca: Authority
    other_ca: Authority  # an authority the services do not trust
    server: IssuedCertificate
    client: IssuedCertificate
    stranger: IssuedCertificate  # a client certificate from the other authority


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca, other = Authority.create(directory, "gatehouse"), Authority.create(directory, "other")
    return Pki(
        ca=ca,
        other_ca=other,
        server=ca.issue(directory, "identity"),
        client=ca.issue(directory, "registry"),
        stranger=other.issue(directory, "stranger"),
    )


def _own(certificate: IssuedCertificate, **settings: Any) -> GrpcTls:
    return GrpcTls(cert_file=certificate.cert_file, key_file=certificate.key_file, **settings)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _serve(tls: GrpcTls) -> tuple[aio.Server, str]:
    port = _free_port()
    server = await start_grpc_server(
        service="tls-test",
        host="127.0.0.1",
        port=port,
        registrations=[],
        service_names=["tls.test.Service"],
        auth_secret=SECRET,
        tls=tls,
    )
    return server, f"localhost:{port}"


async def _status(target: str, tls: GrpcTls) -> grpc.StatusCode:
    """Health of the server over a channel built as the services build theirs."""
    async with authenticated_channel(target, secret=SECRET, caller="registry", tls=tls) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        except aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


async def test_server_certificate_is_verified_and_plaintext_is_refused(pki: Pki) -> None:
    server, target = await _serve(_own(pki.server))
    try:
        assert await _status(target, GrpcTls(ca_file=pki.ca.ca_file)) == grpc.StatusCode.OK
        assert await _status(target, PLAINTEXT) == grpc.StatusCode.UNAVAILABLE
        untrusted = GrpcTls(ca_file=pki.other_ca.ca_file)
        assert await _status(target, untrusted) == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(None)


async def test_mutual_tls_refuses_callers_without_a_certificate_from_the_ca(pki: Pki) -> None:
    ca = pki.ca.ca_file
    server_tls = GrpcTls(
        cert_file=pki.server.cert_file,
        key_file=pki.server.key_file,
        ca_file=ca,
        require_client_cert=True,
    )
    server, target = await _serve(server_tls)
    try:
        member = _own(pki.client, ca_file=ca)
        assert await _status(target, member) == grpc.StatusCode.OK
        assert await _status(target, GrpcTls(ca_file=ca)) == grpc.StatusCode.UNAVAILABLE
        stranger = GrpcTls(
            cert_file=pki.stranger.cert_file, key_file=pki.stranger.key_file, ca_file=ca
        )
        assert await _status(target, stranger) == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(None)


def test_settings_refuse_tls_combinations_that_cannot_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEHOUSE_ENVIRONMENT", "test")
    monkeypatch.setenv("GRPC_TLS_CERT_FILE", "/etc/tls/tls.crt")
    with pytest.raises(ValueError, match="GRPC_TLS_KEY_FILE"):
        ServiceSettings()
    monkeypatch.setenv("GRPC_TLS_KEY_FILE", "/etc/tls/tls.key")
    monkeypatch.setenv("GRPC_TLS_REQUIRE_CLIENT_CERT", "true")
    with pytest.raises(ValueError, match="GRPC_TLS_CA_FILE"):
        ServiceSettings()
    monkeypatch.setenv("GRPC_TLS_CA_FILE", "/etc/tls/ca.crt")
    tls = ServiceSettings().grpc_tls
    assert tls.serves_tls
    assert tls.calls_tls
    with pytest.raises(GrpcTlsError, match=r"/etc/tls/tls\.key"):
        tls.server_credentials()  # files are read when used, and a missing one is named


def test_hsts_is_on_by_default_for_https_public_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_ENVIRONMENT", "test")
    monkeypatch.setenv("PUBLIC_URL", "https://login.example.se")
    assert ServiceSettings().hsts_header == "max-age=31536000; includeSubDomains"
    monkeypatch.setenv("HSTS_MAX_AGE_S", "600")
    assert ServiceSettings().hsts_header == "max-age=600; includeSubDomains"
    monkeypatch.setenv("HSTS_ENABLED", "false")
    assert ServiceSettings().hsts_header is None
    monkeypatch.setenv("PUBLIC_URL", "http://localhost:8001")
    monkeypatch.delenv("HSTS_ENABLED")
    assert ServiceSettings().hsts_header is None
    monkeypatch.setenv("HSTS_ENABLED", "true")
    assert ServiceSettings().hsts_header is not None


def test_security_headers_carry_hsts_when_configured() -> None:
    app = FastAPI()
    app.add_middleware(SecurityHeadersMiddleware, hsts="max-age=600; includeSubDomains")

    @app.get("/")
    async def page() -> dict[str, str]:
        return {}

    with TestClient(app) as client:
        headers = client.get("/").headers
    assert headers["strict-transport-security"] == "max-age=600; includeSubDomains"
