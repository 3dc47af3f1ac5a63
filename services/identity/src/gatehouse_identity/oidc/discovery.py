"""OpenID Connect Discovery 1.0 metadata and the JWKS (RFC 7517)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gatehouse_common.dpop import ALGORITHMS as DPOP_ALGORITHMS
from gatehouse_identity.oidc.client_assertions import ALGORITHMS as ASSERTION_ALGORITHMS
from gatehouse_identity.oidc.clients import GRANT_TYPES, MACHINE_SCOPES, SUPPORTED_SCOPES
from gatehouse_identity.oidc.keys import ALGORITHM
from gatehouse_identity.oidc.levels import ACR_BY_LEVEL
from gatehouse_identity.oidc.runtime import oidc_runtime

router = APIRouter(tags=["openid-connect"])

# Clients cache the JWKS this long; a successor key is published well before it signs.
JWKS_MAX_AGE_S = 600
AUTH_METHODS = ["private_key_jwt", "client_secret_basic", "client_secret_post", "none"]
AMR_VALUES = ["pwd", "otp", "sms", "hwk", "swk", "pin", "fpt", "face", "mfa", "user", "pop"]


def metadata(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oidc/authorize",
        "token_endpoint": f"{issuer}/oidc/token",
        "userinfo_endpoint": f"{issuer}/oidc/userinfo",
        "jwks_uri": f"{issuer}/oidc/jwks",
        "end_session_endpoint": f"{issuer}/oidc/logout",
        "revocation_endpoint": f"{issuer}/oidc/revoke",
        "pushed_authorization_request_endpoint": f"{issuer}/oidc/par",
        # Per client (RFC 9126 §6: require_pushed_authorization_requests client metadata).
        "require_pushed_authorization_requests": False,
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
        "scopes_supported": [*SUPPORTED_SCOPES, *MACHINE_SCOPES],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": list(ACR_BY_LEVEL.values()),
        "amr_values_supported": AMR_VALUES,
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "azp",
            "sid",
            "at_hash",
            "name",
            "given_name",
            "family_name",
            "email",
            "email_verified",
        ],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "ui_locales_supported": ["en", "sv"],
    }


@router.get("/.well-known/openid-configuration", summary="OpenID Connect discovery document")
async def openid_configuration(request: Request) -> JSONResponse:
    runtime = oidc_runtime(request)
    return JSONResponse(
        metadata(runtime.issuer), headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_S}"}
    )


@router.get("/oidc/jwks", summary="The public keys that sign ID tokens and logout tokens")
async def jwks(request: Request) -> JSONResponse:
    document = await oidc_runtime(request).keys.jwks()
    # Served as application/json, as clients expect (RFC 7517's jwk-set+json is optional).
    return JSONResponse(document, headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_S}"})
