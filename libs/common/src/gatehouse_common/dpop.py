"""DPoP proofs (RFC 9449): checking one, as the authorization server (identity's token endpoint)
and every resource server (the registry's API) must, alike.

A proof is a JWT the client signs with its own key for one HTTP request. `verify_proof` checks
what RFC 9449 §4.3 lists and that can be checked without state: `typ: dpop+jwt`, an asymmetric
algorithm of the allow-list (FAPI 2.0 §5.4: PS256, ES256, EdDSA; ES384 too), a `jwk` header with
a public key only, the signature by that key, `htm`/`htu` naming this very request, `iat` recent,
and `ath` matching the access token presented with it. What needs state stays with the caller:
a `jti` seen before is a replay (`DPoPProof.replay_key`), and the server's `nonce`.

`htu` is compared without query and fragment, with scheme and host lower-cased and a default
port dropped (RFC 9449 §4.3 point 9, RFC 3986 §6.2.2-3).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jwk, jws
from joserfc.errors import JoseError

DPOP_TYPE = "dpop+jwt"
ALGORITHMS = ("ES256", "ES384", "PS256", "EdDSA")
# A proof is a few hundred characters; an RSA-4096 key in it about 1,000 more.
MAX_PROOF_LENGTH = 4096
MAX_JTI_LENGTH = 256
MIN_RSA_BITS = 2048
# Members of a JWK that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4;
# RFC 8037 §2).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
KEY_TYPES = frozenset({"EC", "RSA", "OKP"})
DEFAULT_PORTS = {"http": 80, "https": 443}


class _ProofRegistry(jws.JWSRegistry):
    # joserfc's default (512 bytes) is too small for a header carrying an RSA key.
    max_header_length = 3072


PROOF_REGISTRY = _ProofRegistry(algorithms=list(ALGORITHMS))


class DPoPProofError(Exception):
    """The proof cannot be accepted; `description` says why (for `error_description`)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class DPoPProof:
    """A proof whose signature and claims checked out."""

    jkt: str  # RFC 7638 SHA-256 thumbprint of the proof's key: what a token is bound to
    jti: str
    iat: int
    nonce: str | None

    @property
    def replay_key(self) -> bytes:
        """What to remember to refuse this proof a second time (the key and its jti)."""
        return hashlib.sha256(f"dpop\x00{self.jkt}\x00{self.jti}".encode()).digest()


def b64url_sha256(value: str) -> str:
    """base64url (no padding) of SHA-256: `ath` of an access token (RFC 9449 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()).rstrip(b"=").decode()


def normalize_htu(url: str) -> str:
    """The URI as `htu` compares it: no query or fragment, lower-case scheme and host, no
    default port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", "", ""))


def public_key_of(header: dict[str, Any]) -> jwk.Key:
    """The header's `jwk`, refused when it is not a public asymmetric key of enough strength."""
    member = header.get("jwk")
    if not isinstance(member, dict):
        raise DPoPProofError("the proof has no jwk header")
    if member.get("kty") not in KEY_TYPES:
        raise DPoPProofError("the proof's jwk must be an EC, RSA or OKP public key")
    if PRIVATE_MEMBERS & set(member):
        raise DPoPProofError("the proof's jwk must not contain private key material")
    try:
        key = jwk.import_key(member)
    except (JoseError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise DPoPProofError("the proof's jwk is not a valid key") from error
    if member["kty"] == "RSA" and _rsa_bits(member) < MIN_RSA_BITS:
        raise DPoPProofError(f"an RSA key needs at least {MIN_RSA_BITS} bits")
    return key


def _rsa_bits(member: dict[str, Any]) -> int:
    modulus = str(member.get("n", ""))
    raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    return int.from_bytes(raw, "big").bit_length()


def _header_and_claims(proof: str) -> tuple[dict[str, Any], jwk.Key, dict[str, Any]]:
    if not proof or len(proof) > MAX_PROOF_LENGTH or not proof.isascii() or proof.count(".") != 2:
        raise DPoPProofError("the DPoP header is not a compact JWT")
    try:
        header = dict(jws.extract_compact(proof.encode(), None, PROOF_REGISTRY).protected)
    except (JoseError, ValueError, TypeError) as error:
        raise DPoPProofError("the DPoP header is not a compact JWT") from error
    if str(header.get("typ", "")).lower() != DPOP_TYPE:
        raise DPoPProofError("the proof's typ must be dpop+jwt")
    if header.get("alg") not in ALGORITHMS:
        raise DPoPProofError(f"the proof's alg must be one of {', '.join(ALGORITHMS)}")
    key = public_key_of(header)
    try:
        verified = jws.deserialize_compact(proof, key, registry=PROOF_REGISTRY)
        claims = json.loads(verified.payload)
    except (JoseError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise DPoPProofError("the proof's signature does not verify with its jwk") from error
    if not isinstance(claims, dict):
        raise DPoPProofError("the proof's payload is not a JSON object")
    return header, key, claims


def verify_proof(
    proof: str,
    *,
    method: str,
    url: str,
    now: float,
    max_age_s: float,
    leeway_s: float = 5.0,
    access_token: str | None = None,
) -> DPoPProof:
    """The checked proof of the request `method url`; DPoPProofError when it is not one.

    `access_token`: the token sent with the proof (resource servers), whose hash `ath` must
    carry; None at the token endpoint."""
    _header, key, claims = _header_and_claims(proof)
    jti, iat, nonce = claims.get("jti"), claims.get("iat"), claims.get("nonce")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise DPoPProofError("the proof needs a jti")
    if claims.get("htm") != method.upper():
        raise DPoPProofError("the proof's htm is not this request's method")
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalize_htu(htu) != normalize_htu(url):
        raise DPoPProofError("the proof's htu is not this request's URI")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise DPoPProofError("the proof needs an iat")
    if iat > now + leeway_s:
        raise DPoPProofError("the proof's iat is in the future")
    if iat < now - max_age_s - leeway_s:
        raise DPoPProofError("the proof is too old (iat)")
    if nonce is not None and not isinstance(nonce, str):
        raise DPoPProofError("the proof's nonce must be a string")
    if access_token is not None and claims.get("ath") != b64url_sha256(access_token):
        raise DPoPProofError("the proof's ath does not match the access token")
    return DPoPProof(jkt=key.thumbprint(), jti=jti, iat=int(iat), nonce=nonce)
