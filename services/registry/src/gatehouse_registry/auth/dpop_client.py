"""The registry's own DPoP key (RFC 9449) for its sign-in at identity: the code it gets is bound
to this key at the pushed authorization request, and only a proof by it redeems the code, so a
code that leaks on its way back through the browser is worth nothing to whoever took it.

The key is derived from the registry's client secret (HKDF, then a P-256 private scalar): every
replica has the same one without another secret to distribute, whichever replica the browser
comes back to. Identity's nonce (`DPoP-Nonce`) is kept from its last answer and sent in the next
proof; a `use_dpop_nonce` answer is retried once with the new one.
"""

from __future__ import annotations

import json
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jws
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
# The order of the P-256 group: a private scalar is 1 .. order - 1.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def key_from_secret(secret: str) -> ECKey:
    seed = HKDF(
        algorithm=hashes.SHA256(), length=48, salt=None, info=b"gatehouse-registry dpop key"
    ).derive(secret.encode())
    scalar = int.from_bytes(seed, "big") % (P256_ORDER - 1) + 1
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ECKey.import_key(pem)


class DPoPSigner:
    def __init__(self, secret: str) -> None:
        self._key = key_from_secret(secret)
        self._public = self._key.as_dict(private=False)
        self.jkt = self._key.thumbprint()
        self.nonce: str | None = None

    def proof(self, *, htm: str, htu: str) -> str:
        claims = {"jti": uuid.uuid4().hex, "htm": htm, "htu": htu, "iat": int(time.time())}
        if self.nonce:
            claims["nonce"] = self.nonce
        header = {"alg": ALGORITHM, "typ": "dpop+jwt", "jwk": self._public}
        return jws.serialize_compact(
            header, json.dumps(claims).encode(), self._key, algorithms=[ALGORITHM]
        )
