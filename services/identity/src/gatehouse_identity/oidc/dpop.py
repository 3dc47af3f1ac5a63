"""DPoP at identity (RFC 9449): the proofs sent to the token, PAR and userinfo endpoints, and the
server nonces that keep a proof from being made in advance.

A proof is checked by gatehouse_common.dpop (the registry checks its own the same way); here come
what needs the server: the `jti` is remembered in PostgreSQL (oidc_used_jtis) so a copy is
refused by every replica, and at the token and PAR endpoints the proof must carry a nonce this
server issued within NONCE_LIFETIME_S — else the answer is `use_dpop_nonce` with a fresh one in
`DPoP-Nonce` (§8). Nonces need no storage: each is a time, 8 random bytes and an HMAC of both
under a key derived from SECRET_KEY, so any replica checks any other's. Every answer to a DPoP
request carries a fresh nonce, so clients rotate to new ones as they go.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gatehouse_common.db import Database
from gatehouse_common.dpop import DPoPProof, DPoPProofError, verify_proof
from gatehouse_identity.oidc import queries
from gatehouse_identity.oidc.errors import OAuthError

NONCE_LIFETIME_S = 300
# How old a proof may be (its iat): a proof is made for the request it goes with.
PROOF_MAX_AGE_S = 60
CLOCK_LEEWAY_S = 5
NONCE_HEADER = "DPoP-Nonce"
_NONCE_FORMAT = ">Q8s"


class NonceSource:
    """Issues and checks DPoP nonces (stateless, see the module's docstring)."""

    def __init__(self, key: bytes, *, lifetime_s: int = NONCE_LIFETIME_S) -> None:
        self._key = key
        self.lifetime_s = lifetime_s

    @classmethod
    def from_secret(cls, secret_key: str) -> NonceSource:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gatehouse-identity dpop nonce"
        ).derive(secret_key.encode())
        return cls(key)

    def issue(self, *, now: float | None = None) -> str:
        body = struct.pack(
            _NONCE_FORMAT, int(now if now is not None else time.time()), secrets.token_bytes(8)
        )
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode()

    def is_current(self, nonce: str | None, *, now: float | None = None) -> bool:
        if not nonce or len(nonce) > 64:
            return False
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except ValueError:
            return False
        body, mac = raw[:16], raw[16:]
        if len(body) != 16 or not hmac.compare_digest(
            mac, hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        ):
            return False
        issued: int = struct.unpack(_NONCE_FORMAT, body)[0]
        moment = now if now is not None else time.time()
        return moment - self.lifetime_s <= issued <= moment + CLOCK_LEEWAY_S


def invalid_dpop_proof(description: str, nonce: str | None = None) -> OAuthError:
    headers = {NONCE_HEADER: nonce} if nonce else {}
    return OAuthError("invalid_dpop_proof", description, headers=headers)


@dataclass(frozen=True)
class DPoPChecker:
    database: Database
    nonces: NonceSource

    async def at_authorization_server(self, values: list[str], *, url: str) -> DPoPProof | None:
        """The proof of a token or PAR request (None when none was sent); OAuthError
        `invalid_dpop_proof`, or `use_dpop_nonce` with a nonce to use."""
        if not values:
            return None
        proof = await self._checked(values, method="POST", url=url, access_token=None)
        if not self.nonces.is_current(proof.nonce):
            raise OAuthError(
                "use_dpop_nonce",
                "a DPoP proof must carry the server's nonce (DPoP-Nonce)",
                headers={NONCE_HEADER: self.nonces.issue()},
            )
        await self._remember(proof)
        return proof

    async def at_resource(
        self, values: list[str], *, method: str, url: str, access_token: str
    ) -> DPoPProof:
        """The proof sent with a DPoP-bound access token (userinfo); no nonce asked."""
        proof = await self._checked(values, method=method, url=url, access_token=access_token)
        await self._remember(proof)
        return proof

    async def _checked(
        self, values: list[str], *, method: str, url: str, access_token: str | None
    ) -> DPoPProof:
        if len(values) != 1:
            raise invalid_dpop_proof("send exactly one DPoP header")
        try:
            return verify_proof(
                values[0],
                method=method,
                url=url,
                now=time.time(),
                max_age_s=PROOF_MAX_AGE_S,
                leeway_s=CLOCK_LEEWAY_S,
                access_token=access_token,
            )
        except DPoPProofError as error:
            raise invalid_dpop_proof(error.description, self.nonces.issue()) from error

    async def _remember(self, proof: DPoPProof) -> None:
        kept_until = datetime.fromtimestamp(proof.iat + PROOF_MAX_AGE_S + 2 * CLOCK_LEEWAY_S, UTC)
        async with self.database.connection() as connection:
            first = await queries.remember_jti(
                connection, digest=proof.replay_key, expires_at=kept_until
            )
        if not first:
            raise invalid_dpop_proof("this DPoP proof was already used (jti)")
