"""Identity's JWT access tokens (RFC 9068), verified here without a call to identity.

A token is accepted when identity signed it (its JWKS; ES256, or RS256), its header says
`at+jwt`, it was issued by identity for the registry (`iss`, `aud` = ACCESS_TOKEN_AUDIENCE) to
one of API_CLIENT_IDS, it has not expired and was not meant to live longer than
ACCESS_TOKEN_MAX_LIFETIME_S, and no back-channel logout or devices reset revoked it
(revocations.py). A token bound to a DPoP key (`cnf.jkt`, RFC 9449 §6.1) comes out with that
key's thumbprint: dependencies.py then asks for the proof (dpop.py); a `cnf` of any other kind
is refused. A verified token's claims are kept until it expires, so a client
calling again costs a dictionary look-up and the revocation check.

Opaque tokens (identity's OIDC_ACCESS_TOKEN_FORMAT=opaque) are still introspected over gRPC
(identity_grpc.py); `looks_like_jwt` tells them apart.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from gatehouse_registry.auth.identity_grpc import ActiveToken
from gatehouse_registry.auth.oidc_client import (
    ACR_PREFIX,
    IdentityClient,
    IdentityProviderError,
    KeysUnavailableError,
)
from gatehouse_registry.auth.revocations import RevocationList

# RFC 9068 §4: the header's `typ` must be at+jwt (the media type's short or full form).
JWT_TYPES = frozenset({"at+jwt", "application/at+jwt"})
CLOCK_LEEWAY_S = 30
MAX_CACHED = 10_000


def _bound_key(claims: dict[str, Any]) -> str | None:
    """The DPoP key thumbprint of `cnf`; None when unbound, "" for a binding not understood."""
    if "cnf" not in claims:
        return None
    confirmation = claims["cnf"]
    jkt = confirmation.get("jkt") if isinstance(confirmation, dict) else None
    if not isinstance(jkt, str) or not jkt or len(confirmation) != 1:
        return ""
    return jkt


def looks_like_jwt(token: str) -> bool:
    """A compact JWS has three parts; identity's opaque tokens are URL-safe base64 (no dots)."""
    return token.count(".") == 2


@dataclass(frozen=True)
class _Verified:
    active: ActiveToken
    sid: str | None
    issued_at: float


@dataclass(frozen=True)
class MachineToken:
    """A client_credentials token of an operator's machine client (issue 19): no user."""

    client_id: str
    operator_id: uuid.UUID
    scopes: frozenset[str]
    expires_at: float
    dpop_jkt: str | None = None


class AccessTokenVerifier:
    def __init__(
        self,
        identity: IdentityClient,
        revocations: RevocationList,
        *,
        audience: str,
        client_ids: Sequence[str],
        max_lifetime_s: float,
    ) -> None:
        self._identity = identity
        self._revocations = revocations
        self._audience = audience
        self._client_ids = frozenset(client_ids)
        self._max_lifetime_s = max_lifetime_s
        self._verified: dict[bytes, _Verified] = {}

    async def check(self, token: str) -> ActiveToken | None:
        """The token's facts, or None when it is not an access token the registry accepts.
        KeysUnavailableError or RevocationsUnavailableError when that cannot be known now."""
        key = hashlib.sha256(token.encode()).digest()
        verified = self._verified.get(key)
        if verified is None or verified.active.expires_at <= time.time():
            verified = await self._verify(token)
            if verified is None:
                return None
            if len(self._verified) >= MAX_CACHED:
                self._verified.clear()
            self._verified[key] = verified
        refused = await self._revocations.refuses(
            sid=verified.sid, user_id=verified.active.user_id, issued_at=verified.issued_at
        )
        return None if refused else verified.active

    async def check_machine(self, token: str) -> MachineToken | None:
        """A machine client's token (`sub` = `client_id`, an `operator_id` claim), or None.
        Whether the client is still active is the caller's question (its row in the registry)."""
        claims = await self._signed_claims(token)
        if claims is None:
            return None
        try:
            self._registry(operator_id={"essential": True}).validate(claims)
            operator_id = uuid.UUID(str(claims["operator_id"]))
            issued_at, expires_at = float(claims["iat"]), float(claims["exp"])
        except (JoseError, ValueError, TypeError):
            return None
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        jkt = _bound_key(claims)
        scope = claims.get("scope")
        if (
            self._audience not in audiences
            or claims["sub"] != claims["client_id"]
            or expires_at - issued_at > self._max_lifetime_s
            or jkt == ""
        ):
            return None
        return MachineToken(
            client_id=str(claims["client_id"]),
            operator_id=operator_id,
            scopes=frozenset(scope.split() if isinstance(scope, str) else ()),
            expires_at=expires_at,
            dpop_jkt=jkt,
        )

    async def _signed_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a JWT identity signed as an access token; None otherwise."""
        try:
            signed = await self._identity.verify_signature(token)
        except KeysUnavailableError:
            raise
        except IdentityProviderError:
            return None
        if str(signed.header.get("typ", "")).lower() not in JWT_TYPES:
            return None  # an ID token or logout token is not a key to the API
        return dict(signed.claims)

    def _registry(self, **extra: Any) -> jwt.JWTClaimsRegistry:
        return jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_S,
            iss={"essential": True, "value": self._identity.issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            client_id={"essential": True},
            **extra,
        )

    async def _verify(self, token: str) -> _Verified | None:
        claims = await self._signed_claims(token)
        return None if claims is None else self._facts(claims)

    def _facts(self, claims: dict[str, Any]) -> _Verified | None:
        try:
            self._registry().validate(claims)
            user_id = uuid.UUID(str(claims["sub"]))
            issued_at, expires_at = float(claims["iat"]), float(claims["exp"])
        except (JoseError, ValueError, TypeError):
            return None
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if (
            self._audience not in audiences
            or claims["client_id"] not in self._client_ids
            or expires_at - issued_at > self._max_lifetime_s
        ):
            return None
        jkt = _bound_key(claims)
        if jkt == "":
            return None
        acr = str(claims.get("acr", ""))
        amr = claims.get("amr")
        scope = claims.get("scope")
        sid = claims.get("sid")
        return _Verified(
            active=ActiveToken(
                user_id=user_id,
                client_id=str(claims["client_id"]),
                level=acr.removeprefix(ACR_PREFIX) if acr.startswith(ACR_PREFIX) else "",
                amr=[str(value) for value in amr] if isinstance(amr, list) else [],
                scopes=scope.split() if isinstance(scope, str) else [],
                expires_at=expires_at,
                dpop_jkt=jkt,
            ),
            sid=sid if isinstance(sid, str) and sid else None,
            issued_at=issued_at,
        )
