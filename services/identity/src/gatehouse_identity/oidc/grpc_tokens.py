"""gatehouse.identity.v1.TokenService: relying services check identity's access tokens.

The service-token interceptor has already refused calls without valid credentials; this servicer
also checks *who* calls (`OIDC_INTROSPECTION_CALLERS`), because an answer names a user.
"""

from __future__ import annotations

import grpc
from grpc import aio

from gatehouse.identity.v1 import token_service_pb2 as pb
from gatehouse.identity.v1 import token_service_pb2_grpc as pb_grpc
from gatehouse_common.grpc_server import Registration
from gatehouse_common.service_auth import (
    METADATA_KEY,
    InvalidServiceTokenError,
    Secrets,
    verified_caller,
    verify_service_token,
)
from gatehouse_common.timestamps import timestamp
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.oidc import grants
from gatehouse_identity.oidc.tokens import MAX_ACCESS_TOKEN_LENGTH

LEVEL_TO_WIRE = {
    "password": pb.AUTHENTICATION_LEVEL_PASSWORD,
    "multi_factor": pb.AUTHENTICATION_LEVEL_MULTI_FACTOR,
    "phishing_resistant": pb.AUTHENTICATION_LEVEL_PHISHING_RESISTANT,
}
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["TokenService"].full_name


def caller_of(context: aio.ServicerContext, secret: Secrets) -> str | None:
    """Who calls: as the server's interceptor verified it (every call of identity's server
    passes it), else verified here from the metadata."""
    verified = verified_caller()
    if verified is not None:
        return verified
    metadata = dict(context.invocation_metadata() or ())
    header = str(metadata.get(METADATA_KEY, ""))
    try:
        return verify_service_token(secret, header.removeprefix("Bearer "))
    except InvalidServiceTokenError:
        return None


class TokenServicer(pb_grpc.TokenServiceServicer):
    def __init__(self, context: IdentityContext) -> None:
        self._context = context
        self._secret = context.settings.service_auth_secrets

    async def IntrospectToken(  # noqa: N802  (gRPC method name)
        self, request: pb.IntrospectTokenRequest, context: aio.ServicerContext
    ) -> pb.IntrospectTokenResponse:
        caller = caller_of(context, self._secret)
        if caller not in self._context.settings.oidc_introspection_callers:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"{caller!r} may not introspect tokens"
            )
        token = request.token
        if not token or len(token) > MAX_ACCESS_TOKEN_LENGTH or not token.isascii():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "token: not an access token")
        info = await grants.introspect(self._context.database, token)
        if info is None or info.dpop_jkt is not None:
            # A DPoP-bound token is good only with a proof, which this call cannot carry.
            return pb.IntrospectTokenResponse(active=False)
        grant = info.grant
        return pb.IntrospectTokenResponse(
            active=True,
            user_id=str(grant.user_id),
            client_id=grant.client_id,
            level=LEVEL_TO_WIRE.get(grant.level, pb.AUTHENTICATION_LEVEL_UNSPECIFIED),
            amr=grant.amr,
            scopes=grant.scopes,
            expire_time=timestamp(info.expires_at),
            auth_time=timestamp(grant.auth_time),
        )


def token_service_registration(context: IdentityContext) -> Registration:
    """What identity's gRPC server registers (see grpc_api.start_grpc_server)."""
    servicer = TokenServicer(context)

    def register(server: aio.Server) -> None:
        pb_grpc.add_TokenServiceServicer_to_server(servicer, server)

    return register
