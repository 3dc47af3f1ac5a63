"""Public keys of `private_key_jwt` clients that publish them at a `jwks_uri` (RFC 7523, OIDC
Core §10.1.1), fetched for client_assertions.py and held by the OIDC runtime.

Keys are kept JWKS_CACHE_S and fetched again at once for a key id not yet seen (a client rotating
its key), at most every JWKS_REFETCH_S, so a stream of made-up key ids cannot make identity fetch
in a loop. Redirects are not followed and a document over MAX_JWKS_BYTES is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from gatehouse_identity.oidc import clients
from gatehouse_identity.oidc.errors import invalid_client

JWKS_CACHE_S = 300.0
JWKS_REFETCH_S = 10.0
JWKS_TIMEOUT_S = 5.0
MAX_JWKS_BYTES = 50_000


@dataclass
class _Fetched:
    keys: dict[str, Any]
    at: float
    # When it was fetched because an assertion named a key id it lacked (None: not for that).
    for_unknown_kid: bool = False


class JwksCache:
    """Public keys of clients that publish them at a `jwks_uri`."""

    def __init__(self) -> None:
        self._fetched: dict[str, _Fetched] = {}

    async def keys(self, uri: str, *, kid: str | None) -> dict[str, Any]:
        kept = self._fetched.get(uri)
        now = time.monotonic()
        if kept is not None and now - kept.at < JWKS_CACHE_S:
            knows_kid = kid is None or any(k.get("kid") == kid for k in kept.keys.get("keys", []))
            # A key id not yet seen (the client rotated) is looked for at once, but a stream of
            # made-up key ids makes identity fetch at most every JWKS_REFETCH_S.
            if knows_kid or (kept.for_unknown_kid and now - kept.at < JWKS_REFETCH_S):
                return kept.keys
            fetched = await self._fetch(uri)
            self._fetched[uri] = _Fetched(fetched, now, for_unknown_kid=True)
            return fetched
        fetched = await self._fetch(uri)
        self._fetched[uri] = _Fetched(fetched, now)
        return fetched

    async def _fetch(self, uri: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=JWKS_TIMEOUT_S, follow_redirects=False) as http:
                response = await http.get(uri, headers={"Accept": "application/json"})
            if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
                raise invalid_client("the client's jwks_uri did not answer with its keys")
            document = response.json()
            clients.check_jwks(document)
        except (httpx.HTTPError, ValueError, clients.ClientError) as error:
            raise invalid_client("the client's jwks_uri did not answer with its keys") from error
        keys: dict[str, Any] = document
        return keys
