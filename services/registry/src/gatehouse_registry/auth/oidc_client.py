"""The registry as an OpenID Connect relying party of identity: discovery, the code exchange,
and validating ID tokens, logout tokens and JWT access tokens against identity's JWKS (joserfc
does the crypto; the JWKS is fetched again when a token names a key it does not hold)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gatehouse_registry.auth.dpop_client import ALGORITHM as DPOP_ALGORITHM
from gatehouse_registry.auth.dpop_client import DPoPSigner
from gatehouse_registry.settings import RegistryAuthSettings

logger = logging.getLogger(__name__)

METADATA_TTL_S = 3600.0
JWKS_REFETCH_MIN_S = 10.0
CLOCK_LEEWAY_S = 60
LOGOUT_TOKEN_MAX_AGE_S = 300
# Identity signs ID and logout tokens RS256, access tokens ES256 (or RS256 when it has only RSA
# keys): asymmetric only, so a token signed with the public key as an HMAC secret never verifies.
ALGORITHMS = ["RS256", "ES256"]
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ACR_PREFIX = "urn:gatehouse:acr:"


class IdentityProviderError(Exception):
    """Identity answered something the registry cannot accept (the message is for the log)."""


class KeysUnavailableError(IdentityProviderError):
    """Identity's JWKS could not be fetched: nothing can be verified right now."""


def key_id(token: str) -> str | None:
    """The `kid` a compact JWS names in its header (unverified: only to pick the key)."""
    encoded = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


@dataclass(frozen=True)
class SignIn:
    """A validated sign-in: the ID token's claims and the token itself."""

    claims: dict[str, Any]
    id_token: str
    access_token: str

    @property
    def level(self) -> str:
        acr = str(self.claims.get("acr", ""))
        return acr.removeprefix(ACR_PREFIX) if acr.startswith(ACR_PREFIX) else ""


def _offers_dpop(metadata: dict[str, Any]) -> bool:
    offered = metadata.get("dpop_signing_alg_values_supported")
    return isinstance(offered, list) and DPOP_ALGORITHM in offered


class IdentityClient:
    def __init__(self, settings: RegistryAuthSettings, *, issuer: str) -> None:
        self._settings = settings
        self.issuer = issuer.rstrip("/")
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._lock = asyncio.Lock()
        self._http: httpx.AsyncClient | None = None
        self._dpop = DPoPSigner(settings.oidc_client_secret.get_secret_value())

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self._settings.identity_http_timeout_s, follow_redirects=False
            )
        return self._http

    def _internal(self, url: str) -> str:
        """The URL the registry itself should use for an endpoint identity published."""
        internal = self._settings.identity_internal_url.rstrip("/")
        if not internal or not url.startswith(self.issuer):
            return url
        base = urlsplit(internal)
        parts = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_S:
            return self._metadata
        url = self._internal(f"{self.issuer}/.well-known/openid-configuration")
        try:
            response = await self.http.get(url)
            response.raise_for_status()
            metadata: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise IdentityProviderError(f"discovery failed: {error}") from error
        if metadata.get("issuer") != self.issuer:
            raise IdentityProviderError("discovery names another issuer")
        self._metadata, self._metadata_at = metadata, time.monotonic()
        return metadata

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> str:
        metadata = await self.metadata()
        endpoint: str = metadata["authorization_endpoint"]
        params = {
            "response_type": "code",
            "client_id": self._settings.oidc_client_id,
            "redirect_uri": redirect_uri,
            "scope": self._settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "acr_values": ACR_PREFIX + self._settings.required_level,
        }
        par_endpoint = metadata.get("pushed_authorization_request_endpoint")
        if isinstance(par_endpoint, str) and par_endpoint:
            request_uri = await self._push(par_endpoint, params, dpop=_offers_dpop(metadata))
            params = {"client_id": self._settings.oidc_client_id, "request_uri": request_uri}
        return f"{endpoint}?{urlencode(params)}"

    async def _post_as_client(self, endpoint: str, data: dict[str, str], *, dpop: bool) -> Any:
        """POST to one of identity's endpoints as the client (client_secret_basic), with a DPoP
        proof when `dpop` (for `endpoint`, the URL identity published), retried once with a
        new nonce when identity asks for one."""
        auth = (self._settings.oidc_client_id, self._settings.oidc_client_secret.get_secret_value())
        for _ in range(2):
            headers = {"DPoP": self._dpop.proof(htm="POST", htu=endpoint)} if dpop else {}
            response = await self.http.post(
                self._internal(endpoint), data=data, auth=auth, headers=headers
            )
            self._dpop.nonce = response.headers.get("dpop-nonce") or self._dpop.nonce
            if not (dpop and response.status_code == 400 and "use_dpop_nonce" in response.text):
                break
        return response

    async def _push(self, par_endpoint: str, params: dict[str, str], *, dpop: bool) -> str:
        """Push the authorization request (RFC 9126) as the client: the browser then carries only
        a request_uri, and nothing in the request can be read or changed on its way. With DPoP,
        the code is bound to the registry's key (RFC 9449 §10.1)."""
        try:
            try:
                response = await self._post_as_client(par_endpoint, params, dpop=dpop)
            except httpx.TransportError:
                # A kept-alive connection identity closed as idle while we sent on it (seen as
                # a reset with no message): once more on a new connection. Safe to repeat: an
                # unused request_uri only expires.
                response = await self._post_as_client(par_endpoint, params, dpop=dpop)
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise IdentityProviderError(f"pushed authorization request failed: {error}") from error
        request_uri = body.get("request_uri") if isinstance(body, dict) else None
        if response.status_code != 201 or not isinstance(request_uri, str):
            error_code = body.get("error") if isinstance(body, dict) else None
            raise IdentityProviderError(f"pushed authorization request: {error_code!r}")
        return request_uri

    async def end_session_url(self, *, id_token: str, post_logout_redirect_uri: str) -> str:
        endpoint: str = (await self.metadata())["end_session_endpoint"]
        params = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": self._settings.oidc_client_id,
        }
        return f"{endpoint}?{urlencode(params)}"

    async def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> SignIn:
        metadata = await self.metadata()
        try:
            response = await self._post_as_client(
                metadata["token_endpoint"],
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier,
                },
                dpop=_offers_dpop(metadata),
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise IdentityProviderError(f"token request failed: {error}") from error
        if response.status_code != 200:
            raise IdentityProviderError(f"token endpoint: {body.get('error')!r}")
        id_token, access_token = body.get("id_token"), body.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise IdentityProviderError("token response without id_token or access_token")
        claims = await self.validate_id_token(id_token, nonce=nonce)
        return SignIn(claims=claims, id_token=id_token, access_token=access_token)

    async def _key_set(self, *, refresh: bool) -> KeySet:
        """Identity's keys: fetched once, and again when `refresh` asks (at most every
        JWKS_REFETCH_MIN_S). A failed refresh keeps the keys already held; with none held,
        KeysUnavailableError."""
        async with self._lock:
            stale = refresh and time.monotonic() - self._keys_at > JWKS_REFETCH_MIN_S
            if self._keys is not None and not stale:
                return self._keys
            self._keys_at = time.monotonic()
            try:
                jwks_uri = self._internal((await self.metadata())["jwks_uri"])
                response = await self.http.get(jwks_uri)
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
            except (IdentityProviderError, httpx.HTTPError, ValueError, JoseError) as error:
                if self._keys is not None:
                    logger.warning(
                        "JWKS refresh failed; keeping the keys held", extra={"error": str(error)}
                    )
                    return self._keys
                self._keys_at = 0.0
                raise KeysUnavailableError(f"JWKS unavailable: {error}") from error
            return self._keys

    async def _decode(self, token: str) -> jwt.Token:
        """Signature check with identity's keys, fetched again (at most every
        JWKS_REFETCH_MIN_S) when the token names a key they lack — identity publishes a new
        key a day before it signs, so that happens only after an early rotation. Only RS256 and
        ES256 are accepted: `alg: none` or a symmetric algorithm never verify. KeysUnavailableError
        when the JWKS cannot be fetched, IdentityProviderError for a token that does not
        verify."""
        if len(token) > 16000:
            raise IdentityProviderError("token too long")
        keys = await self._key_set(refresh=False)
        kid = key_id(token)
        if kid is None or kid not in {key.kid for key in keys.keys}:
            keys = await self._key_set(refresh=True)
        try:
            return jwt.decode(token, keys, ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise IdentityProviderError(f"bad signature: {error}") from error

    async def verify_signature(self, token: str) -> jwt.Token:
        """A JWT identity signed (header and claims not yet checked): see `_decode`."""
        return await self._decode(token)

    def _check_audience(self, claims: dict[str, Any]) -> None:
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self._settings.oidc_client_id not in audiences:
            raise IdentityProviderError("token for another client")
        if len(audiences) > 1 and claims.get("azp") != self._settings.oidc_client_id:
            raise IdentityProviderError("azp is not the registry")

    async def validate_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        token = await self._decode(id_token)
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_S,
            iss={"essential": True, "value": self.issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise IdentityProviderError(f"ID token claims: {error}") from error
        self._check_audience(claims)
        return claims

    async def validate_logout_token(self, logout_token: str) -> dict[str, Any]:
        """OpenID Connect Back-Channel Logout 1.0 §2.6."""
        token = await self._decode(logout_token)
        if token.header.get("typ") not in (None, "logout+jwt", "JWT"):
            raise IdentityProviderError("not a logout token")
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_S,
            iss={"essential": True, "value": self.issuer},
            iat={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise IdentityProviderError(f"logout token claims: {error}") from error
        self._check_audience(claims)
        events = claims.get("events")
        if not isinstance(events, dict) or LOGOUT_EVENT not in events:
            raise IdentityProviderError("logout token without the back-channel logout event")
        if "nonce" in claims:
            raise IdentityProviderError("a logout token must not carry a nonce")
        if not claims.get("sid") and not claims.get("sub"):
            raise IdentityProviderError("logout token names neither sid nor sub")
        if abs(time.time() - float(claims["iat"])) > LOGOUT_TOKEN_MAX_AGE_S:
            raise IdentityProviderError("logout token too old")
        return claims
