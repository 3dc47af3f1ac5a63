"""TOTP (RFC 6238) as identity computes it: the RFC's own test vectors, and agreement with pyotp
(an independent implementation) for any secret and time."""

from __future__ import annotations

import base64

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse_identity.mfa.errors import InvalidFactorInputError
from gatehouse_identity.mfa.totp import check_code, matching_step, provisioning_uri, totp

# RFC 6238 Appendix B: the seed is the ASCII digits repeated to the hash's block size.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("unix_time", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_appendix_b_vectors(unix_time: int, sha1: str, sha256: str, sha512: str) -> None:
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp(SEEDS[digest], unix_time, digits=8, digest=digest) == expected


@given(secret=st.binary(min_size=20, max_size=64), unix_time=st.integers(0, 2**33))
def test_agrees_with_pyotp(secret: bytes, unix_time: int) -> None:
    reference = pyotp.TOTP(base64.b32encode(secret).decode())
    assert totp(secret, unix_time) == reference.at(unix_time)


def test_window_is_one_step_either_side() -> None:
    secret, now = SEEDS["sha1"], 1_700_000_015
    step = now // 30
    for offset in (-1, 0, 1):
        assert matching_step(secret, totp(secret, now + 30 * offset), now) == step + offset
    for offset in (-2, 2):
        assert matching_step(secret, totp(secret, now + 30 * offset), now) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "123 45"])
def test_codes_of_the_wrong_shape_name_the_field(code: str) -> None:
    with pytest.raises(InvalidFactorInputError) as error:
        check_code(code)
    assert error.value.field == "code"


def test_spaces_in_a_code_are_ignored() -> None:
    assert check_code(" 123 456 ") == "123456"


def test_provisioning_uri_is_understood_by_pyotp() -> None:
    uri = provisioning_uri(SEEDS["sha1"], account="anna@example.se", issuer="Gatehouse Login")
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == base64.b32encode(SEEDS["sha1"]).decode().rstrip("=")
    assert parsed.digits == 6
    assert parsed.interval == 30
    assert parsed.issuer == "Gatehouse Login"
    assert parsed.name == "anna@example.se"
