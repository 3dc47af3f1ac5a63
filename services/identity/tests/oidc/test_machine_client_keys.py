"""The JWK Set an operator pastes for its machine client (issue 19): public RSA (2048-4096 bits)
or EC P-256 signing keys only, at most five, and every refusal names the member at fault."""

from __future__ import annotations

import json
from typing import Any

import pytest
from joserfc.jwk import ECKey, OKPKey, RSAKey

from gatehouse_identity.oidc.clients import ClientError
from gatehouse_identity.oidc.machine_clients import parse_machine_jwks


def jwks(*keys: dict[str, Any]) -> str:
    return json.dumps({"keys": list(keys)})


EC = ECKey.generate_key("P-256").as_dict(private=False)
RSA = RSAKey.generate_key(2048).as_dict(private=False)


def test_public_rsa_and_ec_keys_are_accepted() -> None:
    parsed = parse_machine_jwks(jwks(EC, {**RSA, "use": "sig", "alg": "PS256", "kid": "k1"}))
    assert [key["kty"] for key in parsed["keys"]] == ["EC", "RSA"]


@pytest.mark.filterwarnings("ignore:Key size should be")
@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "jwks"),
        ("[]", "jwks.keys"),
        (jwks(), "jwks.keys"),
        (jwks(*[EC] * 6), "jwks.keys"),
        (jwks(ECKey.generate_key("P-256").as_dict(private=True)), "jwks.keys[0]"),
        (jwks(RSAKey.generate_key(2048).as_dict(private=True)), "jwks.keys[0]"),
        (jwks({"kty": "oct", "k": "c2VjcmV0"}), "jwks.keys[0]"),
        (jwks(OKPKey.generate_key("Ed25519").as_dict(private=False)), "jwks.keys[0].kty"),
        (jwks(ECKey.generate_key("P-384").as_dict(private=False)), "jwks.keys[0].crv"),
        (jwks(RSAKey.generate_key(1024).as_dict(private=False)), "jwks.keys[0].n"),
        (jwks(EC, {**EC, "use": "enc"}), "jwks.keys[1].use"),
        (jwks({**RSA, "alg": "RS256"}), "jwks.keys[0].alg"),
        (jwks({**EC, "x": "!!!"}), "jwks.keys[0].x"),
        (jwks({**EC, "x": EC["x"][:-4]}), "jwks.keys[0].x"),
        (jwks({**EC, "kid": ""}), "jwks.keys[0].kid"),
        (json.dumps({"keys": [EC], "pad": "x" * 20_000}), "jwks"),
    ],
    # Named, not derived from the values: keys generated at collection differ in every
    # pytest-xdist worker, and workers must collect the same ids.
    ids=[
        "not-json",
        "not-an-object",
        "no-keys",
        "too-many-keys",
        "ec-private",
        "rsa-private",
        "symmetric",
        "ed25519",
        "p384",
        "rsa-1024",
        "encryption-key",
        "rs256",
        "bad-base64",
        "short-coordinate",
        "empty-kid",
        "oversized",
    ],
)
def test_what_is_not_a_public_signing_key_is_refused_naming_where(text: str, field: str) -> None:
    with pytest.raises(ClientError) as refused:
        parse_machine_jwks(text)
    assert str(refused.value).split(":", 1)[0] == field, str(refused.value)
