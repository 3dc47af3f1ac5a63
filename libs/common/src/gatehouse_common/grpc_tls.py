"""TLS for gRPC between the services, when certificates are configured.

Without certificates gRPC is plaintext (development, tests, a mesh that encrypts for us); the
HMAC service tokens (service_auth) authenticate callers either way. With them:

- a server with GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE serves TLS only;
- a client with GRPC_TLS_CA_FILE calls over TLS and accepts only servers whose certificate
  chains to that CA and names the host it dialled (IDENTITY_GRPC_TARGET=identity:50051 needs
  "identity" among the certificate's names);
- GRPC_TLS_REQUIRE_CLIENT_CERT makes it mutual: the server refuses callers that do not show a
  certificate from GRPC_TLS_CA_FILE, and every client shows its own GRPC_TLS_CERT_FILE.

One certificate per service serves both roles (extended key usage serverAuth and clientAuth),
as cert-manager or a service mesh issues them. Files are read when the server starts or the
first channel opens, so a migrate job can share the settings without mounting them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc import aio


class GrpcTlsError(ValueError):
    """The TLS settings cannot work together; the message says which to set."""


@dataclass(frozen=True)
class GrpcTls:
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    require_client_cert: bool = False

    def __post_init__(self) -> None:
        if bool(self.cert_file) != bool(self.key_file):
            raise GrpcTlsError("set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE together")
        if self.require_client_cert and not (self.ca_file and self.cert_file):
            raise GrpcTlsError(
                "GRPC_TLS_REQUIRE_CLIENT_CERT needs GRPC_TLS_CA_FILE (to check callers) and "
                "GRPC_TLS_CERT_FILE/GRPC_TLS_KEY_FILE (this service's own certificate)"
            )

    @property
    def serves_tls(self) -> bool:
        return bool(self.cert_file)

    @property
    def calls_tls(self) -> bool:
        return bool(self.ca_file)

    def server_credentials(self) -> grpc.ServerCredentials | None:
        if not self.serves_tls:
            return None
        return grpc.ssl_server_credentials(
            [(_read(self.key_file), _read(self.cert_file))],
            root_certificates=_read(self.ca_file) if self.require_client_cert else None,
            require_client_auth=self.require_client_cert,
        )

    def channel_credentials(self) -> grpc.ChannelCredentials | None:
        if not self.calls_tls:
            return None
        own = self.serves_tls  # shown when the server asks (mutual TLS)
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca_file),
            private_key=_read(self.key_file) if own else None,
            certificate_chain=_read(self.cert_file) if own else None,
        )


PLAINTEXT = GrpcTls()


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise GrpcTlsError(f"cannot read the gRPC TLS file {path}: {error.strerror}") from error


def add_port(server: aio.Server, address: str, tls: GrpcTls) -> None:
    credentials = tls.server_credentials()
    if credentials is None:
        server.add_insecure_port(address)
    else:
        server.add_secure_port(address, credentials)
