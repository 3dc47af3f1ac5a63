"""Identity as a relying party of an upstream eID broker: discovery, code exchange with PKCE,
and ID token validation against the broker's JWKS (joserfc does the cryptography)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gatehouse_identity.settings import EidProviderSettings

METADATA_TTL_S = 3600.0
JWKS_REFETCH_MIN_S = 30.0
CLOCK_LEEWAY_S = 60
ALGORITHMS = ["RS256", "PS256", "ES256"]


class UpstreamError(Exception):
    """The broker answered something we cannot accept; the message is for the log."""


@dataclass(frozen=True)
class UpstreamIdentity:
    subject: str
    acr: str | None
    amr: list[str]
    claims: dict[str, Any]


@dataclass
class _Cached:
    metadata: dict[str, Any]
    metadata_at: float
    keys: KeySet | None = None
    keys_at: float = 0.0


class UpstreamClient:
    """Talks to the configured brokers; one instance per identity process."""

    def __init__(self, *, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._cache: dict[str, _Cached] = {}
        self._lock = asyncio.Lock()

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)

    async def metadata(self, provider: EidProviderSettings) -> dict[str, Any]:
        cached = self._cache.get(provider.name)
        if cached is not None and time.monotonic() - cached.metadata_at < METADATA_TTL_S:
            return cached.metadata
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        async with self._http() as http:
            try:
                response = await http.get(url)
                response.raise_for_status()
                metadata: dict[str, Any] = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise UpstreamError(f"{provider.name}: discovery failed: {error}") from error
        if metadata.get("issuer") != provider.issuer:
            # OIDC Discovery §4.3: the document must name the issuer we asked.
            raise UpstreamError(f"{provider.name}: discovery names another issuer")
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(field), str):
                raise UpstreamError(f"{provider.name}: discovery lacks {field}")
        self._cache[provider.name] = _Cached(metadata=metadata, metadata_at=time.monotonic())
        return metadata

    async def authorization_url(
        self,
        provider: EidProviderSettings,
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_challenge: str,
    ) -> str:
        metadata = await self.metadata(provider)
        params = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": provider.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "prompt": "login",
        }
        if provider.acr_values:
            params["acr_values"] = provider.acr_values
        endpoint: str = metadata["authorization_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"

    async def exchange(
        self,
        provider: EidProviderSettings,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        nonce: str,
    ) -> UpstreamIdentity:
        metadata = await self.metadata(provider)
        async with self._http() as http:
            try:
                response = await http.post(
                    metadata["token_endpoint"],
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": redirect_uri,
                        "code_verifier": code_verifier,
                    },
                    auth=(provider.client_id, provider.client_secret.get_secret_value()),
                )
                body = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise UpstreamError(f"{provider.name}: token request failed: {error}") from error
        if response.status_code != 200 or not isinstance(body.get("id_token"), str):
            raise UpstreamError(f"{provider.name}: token endpoint said {body.get('error')!r}")
        return await self.validate_id_token(provider, body["id_token"], nonce=nonce)

    async def _keys(self, provider: EidProviderSettings, *, refresh: bool) -> KeySet:
        cached = self._cache.get(provider.name)
        if cached is None:
            await self.metadata(provider)
            cached = self._cache[provider.name]
        stale = refresh and time.monotonic() - cached.keys_at > JWKS_REFETCH_MIN_S
        if cached.keys is not None and not stale:
            return cached.keys
        async with self._http() as http:
            try:
                response = await http.get(cached.metadata["jwks_uri"])
                response.raise_for_status()
                keys = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as error:
                raise UpstreamError(f"{provider.name}: JWKS unavailable: {error}") from error
        cached.keys, cached.keys_at = keys, time.monotonic()
        return keys

    async def validate_id_token(
        self, provider: EidProviderSettings, id_token: str, *, nonce: str
    ) -> UpstreamIdentity:
        try:
            token = jwt.decode(id_token, await self._keys(provider, refresh=False), ALGORITHMS)
        except JoseError:
            # Perhaps the broker rotated its keys: fetch them once more.
            try:
                token = jwt.decode(id_token, await self._keys(provider, refresh=True), ALGORITHMS)
            except (JoseError, ValueError) as error:
                raise UpstreamError(f"{provider.name}: ID token signature: {error}") from error
        except ValueError as error:
            raise UpstreamError(f"{provider.name}: malformed ID token: {error}") from error
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_S,
            iss={"essential": True, "value": provider.issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise UpstreamError(f"{provider.name}: ID token claims: {error}") from error
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if provider.client_id not in audiences:
            raise UpstreamError(f"{provider.name}: ID token is for another client")
        if len(audiences) > 1 and claims.get("azp") != provider.client_id:
            raise UpstreamError(f"{provider.name}: ID token azp is not us")
        amr = claims.get("amr")
        return UpstreamIdentity(
            subject=str(claims["sub"]),
            acr=claims.get("acr") if isinstance(claims.get("acr"), str) else None,
            amr=[value for value in amr if isinstance(value, str)] if isinstance(amr, list) else [],
            claims=claims,
        )
