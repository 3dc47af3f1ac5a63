"""What ID tokens and userinfo say about the user (OpenID Connect Core §2, §5.1, §5.4)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from gatehouse_identity.accounts.models import User
from gatehouse_identity.levels import as_level
from gatehouse_identity.oidc.grant_queries import Grant
from gatehouse_identity.oidc.grants import IssuedTokens
from gatehouse_identity.oidc.keys import KeyStore
from gatehouse_identity.oidc.levels import ACR_BY_LEVEL
from gatehouse_identity.oidc.tokens import half_hash


def user_claims(user: User, scopes: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        claims |= {
            "name": user.full_name,
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
    if "email" in scopes:
        # Accounts exist only once their owner followed the e-mailed link: the address works.
        claims |= {"email": user.email, "email_verified": True}
    return claims


def acr_for(level: str) -> str | None:
    known = as_level(level)
    return ACR_BY_LEVEL[known] if known else None


async def id_token(
    keys: KeyStore,
    *,
    issuer: str,
    user: User,
    grant: Grant,
    issued: IssuedTokens,
    ttl_s: int,
    nonce: str | None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        **user_claims(user, grant.scopes),
        "iss": issuer,
        "aud": grant.client_id,
        "azp": grant.client_id,
        "iat": now,
        "exp": now + ttl_s,
        "auth_time": int(grant.auth_time.timestamp()),
        "sid": grant.sid,
        "at_hash": half_hash(issued.access_token),
        "jti": str(uuid.uuid4()),
    }
    acr = acr_for(grant.level)
    if acr:
        claims["acr"] = acr
    if grant.amr:
        claims["amr"] = grant.amr
    if nonce:
        claims["nonce"] = nonce
    return await keys.sign(claims)
