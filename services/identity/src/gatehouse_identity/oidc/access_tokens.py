"""What an access token is: a JWT a resource server verifies on its own (RFC 9068), or, when
configured, an opaque random string it must introspect.

**JWT** (`OIDC_ACCESS_TOKEN_FORMAT=jwt`, the default): signed with the access-token key (ES256,
or RS256 where only RSA keys are configured: keys.py; header `typ: at+jwt`), so the registry
checks it with identity's JWKS and no call to identity.
It says who (`sub`), for which client (`client_id`) and resource (`aud`,
`OIDC_ACCESS_TOKEN_AUDIENCE`), until when (`exp`, `OIDC_ACCESS_TOKEN_TTL_S`: minutes), how the
user signed in (`acr`, `amr`, `auth_time`) and in which identity session (`sid`, which a
back-channel logout names, so a resource server can refuse the session's tokens at once).
**Opaque** (`opaque`): 256 random bits, nothing readable in them.

Either way only the token's SHA-256 is stored (grants.py), so introspection, userinfo and RFC 7009
revocation answer for both formats exactly as before. A resource server that verifies JWTs
locally learns of revocations from the back-channel logout and the devices-reset event, and of
anything else (a client revoking its own token) when the token expires: hence short lifetimes.

Extending the format (client credentials, DPoP): build an `AccessTokenSubject` for whoever the
token speaks for (`of_grant` for a user's sign-in; a client's own tokens would have
`subject=client_id` and no `sid`/`auth_time`), and call `AccessTokenIssuer.mint` with
`confirmation` — the `cnf` claim (RFC 7800), e.g. `{"jkt": <JWK thumbprint>}` for DPoP
(RFC 9449 §6.1) — and/or `extra_claims`, which may not replace the claims set here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from gatehouse_identity.levels import as_level
from gatehouse_identity.oidc.grant_queries import Grant
from gatehouse_identity.oidc.keys import ACCESS_TOKEN_ALGORITHMS, KeyStore
from gatehouse_identity.oidc.levels import ACR_BY_LEVEL
from gatehouse_identity.oidc.tokens import new_token

AccessTokenFormat = Literal["jwt", "opaque"]
# RFC 9068 §2.1: the media type of a JWT access token, in its header's `typ`.
JWT_TYPE = "at+jwt"
# Claims this module sets; `extra_claims` cannot replace them.
REGISTERED_CLAIMS = frozenset(
    {"iss", "exp", "aud", "sub", "client_id", "iat", "jti", "scope", "auth_time", "acr", "amr"}
    | {"sid", "cnf", "nbf"}
)


class AccessTokenFormatError(ValueError):
    """A binding or claim the configured format cannot carry, or that would replace one of ours."""


@dataclass(frozen=True)
class AccessTokenSubject:
    """Whom and what an access token speaks for."""

    subject: str
    client_id: str
    scopes: Sequence[str]
    # A user's sign-in; None for tokens a client gets for itself.
    level: str | None = None
    amr: Sequence[str] = field(default_factory=tuple)
    auth_time: datetime | None = None
    sid: str | None = None

    @classmethod
    def of_grant(cls, grant: Grant) -> AccessTokenSubject:
        return cls(
            subject=str(grant.user_id),
            client_id=grant.client_id,
            scopes=grant.scopes,
            level=grant.level,
            amr=grant.amr,
            auth_time=grant.auth_time,
            sid=grant.sid,
        )


def access_token_claims(
    subject: AccessTokenSubject,
    *,
    issuer: str,
    audience: str,
    issued_at: datetime,
    expires_at: datetime,
    confirmation: Mapping[str, Any] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The claims of a JWT access token (RFC 9068 §2.2)."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject.subject,
        "aud": audience,
        "client_id": subject.client_id,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": str(uuid.uuid4()),
        "scope": " ".join(subject.scopes),
    }
    known_level = as_level(subject.level) if subject.level else None
    if known_level is not None:
        claims["acr"] = ACR_BY_LEVEL[known_level]
    if subject.amr:
        claims["amr"] = list(subject.amr)
    if subject.auth_time is not None:
        claims["auth_time"] = int(subject.auth_time.timestamp())
    if subject.sid:
        claims["sid"] = subject.sid
    if confirmation is not None:
        claims["cnf"] = dict(confirmation)
    if extra_claims:
        clashes = REGISTERED_CLAIMS & set(extra_claims)
        if clashes:
            raise AccessTokenFormatError(f"extra claims may not replace {sorted(clashes)}")
        claims |= dict(extra_claims)
    return claims


@dataclass(frozen=True)
class AccessTokenIssuer:
    """Makes access tokens in the configured format."""

    keys: KeyStore
    issuer: str
    audience: str
    format: AccessTokenFormat = "jwt"

    async def mint(
        self,
        subject: AccessTokenSubject,
        *,
        issued_at: datetime,
        expires_at: datetime,
        confirmation: Mapping[str, Any] | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        if self.format == "opaque":
            if extra_claims:
                # An opaque token says nothing by itself; its DPoP binding is stored with its
                # hash (grants.py, oidc_access_tokens.dpop_jkt).
                raise AccessTokenFormatError("opaque access tokens carry no claims")
            return new_token()
        claims = access_token_claims(
            subject,
            issuer=self.issuer,
            audience=self.audience,
            issued_at=issued_at,
            expires_at=expires_at,
            confirmation=confirmation,
            extra_claims=extra_claims,
        )
        return await self.keys.sign(claims, typ=JWT_TYPE, algorithms=ACCESS_TOKEN_ALGORITHMS)

    async def for_grant(
        self, grant: Grant, issued_at: datetime, expires_at: datetime, jkt: str | None = None
    ) -> str:
        """A user's access token from their grant (what the code and refresh grants issue),
        bound to the DPoP key `jkt` when given (RFC 9449 §6.1: `cnf.jkt`)."""
        return await self.mint(
            AccessTokenSubject.of_grant(grant),
            issued_at=issued_at,
            expires_at=expires_at,
            confirmation={"jkt": jkt} if jkt else None,
        )
