"""OCRA (RFC 6287): identity's implementation and the reference app's (written separately)
against the RFC's test vectors, and against each other for the suite the app uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatehouse_authenticator.ocra import ocra as app_ocra
from gatehouse_authenticator.ocra import pin_hash as app_pin_hash
from gatehouse_identity.mfa.mobile_app.ocra import APP_SUITE, OcraSuiteError, ocra, pin_hash

KEY20 = bytes.fromhex("3132333435363738393031323334353637383930")
KEY32 = bytes.fromhex("3132333435363738393031323334353637383930313233343536373839303132")
KEY64 = bytes.fromhex(
    "3132333435363738393031323334353637383930313233343536373839303132"
    "3334353637383930313233343536373839303132333435363738393031323334"
)
PIN_1234_SHA1 = bytes.fromhex("7110eda4d09e062aa5e4a390b0a572ac0d2c0220")

# RFC 6287 Appendix C.1 (one-way challenge-response).
QN08 = [
    "237653",
    "243178",
    "653583",
    "740991",
    "608993",
    "388898",
    "816933",
    "224598",
    "750600",
    "294470",
]
C_QN08_PSHA1 = [
    *("65347737", "86775851", "78192410", "71565254", "10104329"),
    *("65983500", "70069104", "91771096", "75011558", "08522129"),
]
QN08_PSHA1 = ["83238735", "01501458", "17957585", "86776967", "86807031"]
SHA512_C_QN08 = [
    *("07016083", "63947962", "70123924", "25341727", "33203315"),
    *("34205738", "44343969", "51946085", "20403879", "31409299"),
]
SHA512_QN08_T1M = ["95209754", "55907591", "22048402", "24218844", "36209546"]
T1M = 0x132D0B6


@pytest.mark.parametrize("implementation", ["identity", "app"])
def test_rfc6287_one_way_vectors(implementation: str) -> None:
    def compute(suite: str, key: bytes, question: str, **extra: object) -> str:
        if implementation == "identity":
            pin = extra.pop("pin", None)
            return ocra(suite, key, question=question, pin_digest_value=pin, **extra)  # type: ignore[arg-type]
        pin = extra.pop("pin", None)
        return app_ocra(suite, key, question, pin_digest=pin, **extra)  # type: ignore[arg-type]

    assert PIN_1234_SHA1 == pin_hash("1234", "SHA1") == app_pin_hash("1234", "SHA1")
    assert [compute("OCRA-1:HOTP-SHA1-6:QN08", KEY20, str(i) * 8) for i in range(10)] == QN08
    assert [
        compute(
            "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", KEY32, "12345678", counter=c, pin=PIN_1234_SHA1
        )
        for c in range(10)
    ] == C_QN08_PSHA1
    assert [
        compute("OCRA-1:HOTP-SHA256-8:QN08-PSHA1", KEY32, str(i) * 8, pin=PIN_1234_SHA1)
        for i in range(5)
    ] == QN08_PSHA1
    assert [
        compute("OCRA-1:HOTP-SHA512-8:C-QN08", KEY64, str(i) * 8, counter=i) for i in range(10)
    ] == SHA512_C_QN08
    assert [
        compute("OCRA-1:HOTP-SHA512-8:QN08-T1M", KEY64, str(i) * 8, timestamp=T1M) for i in range(5)
    ] == SHA512_QN08_T1M


@given(
    key=st.binary(min_size=32, max_size=32),
    challenge=st.text("0123456789", min_size=10, max_size=10),
    pin=st.text("0123456789", min_size=4, max_size=4),
)
def test_identity_and_app_agree_on_the_app_suite(key: bytes, challenge: str, pin: str) -> None:
    expected = ocra(APP_SUITE, key, question=challenge, pin_digest_value=pin_hash(pin))
    assert app_ocra(APP_SUITE, key, challenge, pin_digest=app_pin_hash(pin)) == expected
    assert len(expected) == 8


@pytest.mark.parametrize(
    "suite",
    ["OCRA-2:HOTP-SHA1-6:QN08", "OCRA-1:HOTP-MD5-6:QN08", "OCRA-1:HOTP-SHA1-6:XN08", "nonsense"],
)
def test_unsupported_suites_are_refused(suite: str) -> None:
    with pytest.raises(OcraSuiteError):
        ocra(suite, KEY20, question="12345678")
