"""DPoP proof checks (RFC 9449 §4.3) shared by identity and the registry: each rule refused on
its own, and the URI comparison's normalisation."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey

from gatehouse_common.dpop import DPoPProofError, b64url_sha256, normalize_htu, verify_proof

URL = "https://id.example/oidc/token"
NOW = time.time()
KEY = ECKey.generate_key("P-256")


def _proof(
    key: Any = KEY, *, alg: str = "ES256", header: dict[str, Any] | None = None, **claims: Any
) -> str:
    body = {"jti": uuid.uuid4().hex, "htm": "POST", "htu": URL, "iat": int(NOW)} | claims
    protected = {"alg": alg, "typ": "dpop+jwt", "jwk": key.as_dict(private=False)}
    return jws.serialize_compact(
        protected | (header or {}), json.dumps(body).encode(), key, algorithms=[alg]
    )


def _verify(proof: str, **options: Any) -> Any:
    return verify_proof(
        proof, **({"method": "POST", "url": URL, "now": NOW, "max_age_s": 60} | options)
    )


@pytest.mark.parametrize(
    ("key", "alg"),
    [
        (KEY, "ES256"),
        (RSAKey.generate_key(2048), "PS256"),
        (OKPKey.generate_key("Ed25519"), "EdDSA"),
    ],
)
def test_a_good_proof_gives_the_key_thumbprint(key: Any, alg: str) -> None:
    checked = _verify(_proof(key, alg=alg, nonce="n"))
    assert checked.jkt == key.thumbprint()
    assert checked.nonce == "n"
    assert len(checked.replay_key) == hashlib.sha256().digest_size


def test_ath_binds_the_proof_to_the_access_token() -> None:
    proof = _proof(ath=b64url_sha256("token"))
    assert _verify(proof, access_token="token")
    with pytest.raises(DPoPProofError, match="ath"):
        _verify(proof, access_token="another")


@pytest.mark.parametrize(
    ("what", "proof"),
    [
        ("private key in jwk", _proof(header={"jwk": KEY.as_dict(private=True)})),
        ("symmetric jwk", _proof(header={"jwk": {"kty": "oct", "k": "c2VjcmV0"}})),
        ("typ", _proof(header={"typ": "JWT"})),
        ("RS256", _proof(RSAKey.generate_key(2048), alg="RS256")),
        ("small RSA key", _proof(RSAKey.generate_key(1024), alg="PS256")),
        ("htm", _proof(htm="GET")),
        ("htu", _proof(htu="https://id.example/oidc/par")),
        ("old", _proof(iat=int(NOW) - 120)),
        ("future", _proof(iat=int(NOW) + 120)),
        ("no jti", _proof(jti=None)),
        (
            "other key's jwk",
            _proof(header={"jwk": ECKey.generate_key("P-256").as_dict(private=False)}),
        ),
        ("garbage", "a.b.c"),
        ("not ascii", "é.é.é"),
    ],
)
def test_proofs_that_must_be_refused(what: str, proof: str) -> None:
    with pytest.raises(DPoPProofError):
        _verify(proof)


def test_htu_compares_without_query_default_port_or_case() -> None:
    assert normalize_htu("HTTPS://ID.example:443/oidc/token?x=1#f") == URL
    assert normalize_htu("http://127.0.0.1:8001/a") == "http://127.0.0.1:8001/a"
    assert _verify(_proof(htu="https://ID.example:443/oidc/token"))
