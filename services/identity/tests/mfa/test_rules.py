"""Pure rules of second factors: levels and amr, step-up, redirects after sign-in, phone
numbers, recovery codes, secret encryption and key rotation, the app's QR payloads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from gatehouse_authenticator import app as reference_app
from gatehouse_authenticator.camera import png_from_data_uri, read_qr
from gatehouse_authenticator.payloads import (
    EnrolmentPayload,
    OtpPayload,
    PayloadError,
    parse_payload,
)
from gatehouse_identity.levels import AuthLevel, level_satisfies
from gatehouse_identity.mfa import recovery_codes, sms
from gatehouse_identity.mfa.crypto import SecretBox, SecretBoxError
from gatehouse_identity.mfa.errors import InvalidFactorInputError
from gatehouse_identity.mfa.levels import Method, effective_level, merged_amr, methods_reaching
from gatehouse_identity.mfa.mobile_app import ocra
from gatehouse_identity.mfa.mobile_app import wire as mobile_app
from gatehouse_identity.mfa.qr import png_data_uri
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.navigation import DEFAULT_NEXT, safe_next

LEVELS = ["password", "multi_factor", "phishing_resistant"]


def session(level: str, amr: list[str]) -> Session:
    now = datetime.now(UTC)
    return Session(b"x", uuid.uuid4(), amr, level, now, now)


def test_levels_are_ordered_and_unknown_ones_satisfy_nothing() -> None:
    for i, have in enumerate(LEVELS):
        for j, need in enumerate(LEVELS):
            assert level_satisfies(have, need) is (i >= j)
    assert not level_satisfies("admin", "password")
    assert not level_satisfies("phishing_resistant", "admin")


def test_amr_merges_and_marks_multi_factor() -> None:
    assert merged_amr(["pwd"], ["otp"]) == ["pwd", "otp", "mfa"]
    assert merged_amr(["pwd", "otp", "mfa"], ["hwk"]) == ["pwd", "otp", "hwk", "mfa"]
    assert merged_amr(["pwd", "otp", "mfa"], ["otp"]) == ["pwd", "otp", "mfa"]


def test_sms_counts_as_multi_factor_only_before_the_sunset() -> None:
    by_sms = session(AuthLevel.MULTI_FACTOR, ["pwd", "sms", "mfa"])
    assert effective_level(by_sms, sms_allowed=True) == "multi_factor"
    assert effective_level(by_sms, sms_allowed=False) == "password"
    by_app = session(AuthLevel.MULTI_FACTOR, ["pwd", "sms", "otp", "mfa"])
    assert effective_level(by_app, sms_allowed=False) == "multi_factor"


def test_step_up_asks_only_for_the_missing_factor() -> None:
    everything = list(Method)
    assert methods_reaching("phishing_resistant", everything, have="multi_factor") == [
        Method.WEBAUTHN
    ]
    assert methods_reaching("multi_factor", everything, have="password") == everything


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nSet-Cookie: x=y",
        "/" + "a" * 3000,
        "",
        None,
    ],
)
def test_next_is_a_path_on_this_site_only(target: str | None) -> None:
    assert safe_next(target) == DEFAULT_NEXT


@given(st.text(max_size=200))
def test_next_never_leaves_the_site(target: str) -> None:
    result = safe_next(target)
    assert result.startswith("/")
    assert not result.startswith(("//", "/\\"))
    assert "\\" not in result


def test_paths_are_kept() -> None:
    assert safe_next("/oidc/authorize?client_id=a&state=b") == "/oidc/authorize?client_id=a&state=b"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+46 70 123 45 67", "+46701234567"),
        ("+46-70-1234567", "+46701234567"),
        ("+12015550123", "+12015550123"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed: str, e164: str) -> None:
    assert sms.parse_e164(typed) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "0701234567",
        "+46 70 12",
        "+46812345678",
        "+15555550100",
        "+467012345678901234",
        "+46 7O 123",
    ],
)
def test_non_e164_or_non_mobile_numbers_are_refused(typed: str) -> None:
    with pytest.raises(InvalidFactorInputError) as error:
        sms.parse_e164(typed)
    assert error.value.field == "phone_number"


def test_masked_number_shows_country_and_last_digits() -> None:
    assert sms.mask("+46701234567") == "+46 ••• •• 67"


def test_recovery_codes_are_forgiving_about_case_and_hyphens() -> None:
    code = recovery_codes.new_code()
    assert len(code) == 11
    assert recovery_codes.normalize(code.lower().replace("-", " ")) == code.replace("-", "")
    for bad in ("", "ABCDE", "ABCDE-FGHI0", "ABCDE-FGHIJK"):
        with pytest.raises(InvalidFactorInputError):
            recovery_codes.normalize(bad)


def test_secrets_survive_key_rotation() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    stored = SecretBox([old_key]).encrypt(b"totp secret")
    rotated_box = SecretBox([new_key, old_key])
    assert rotated_box.decrypt(stored) == b"totp secret"
    rewritten = rotated_box.rotated(stored)
    assert rewritten is not None
    assert SecretBox([new_key]).decrypt(rewritten) == b"totp secret"
    assert rotated_box.rotated(rewritten) is None  # already under the newest key
    with pytest.raises(SecretBoxError):
        SecretBox([Fernet.generate_key()]).decrypt(stored)
    with pytest.raises(ValueError, match="SECOND_FACTOR_ENCRYPTION_KEYS"):
        SecretBox([b"not a fernet key"])


def test_the_key_derived_from_secret_key_stays_readable_after_adding_keys() -> None:
    derived_only = SecretBox.from_settings("", "a-secret-key-of-some-length")
    stored = derived_only.encrypt(b"x")
    with_explicit = SecretBox.from_settings(
        Fernet.generate_key().decode(), "a-secret-key-of-some-length"
    )
    assert with_explicit.decrypt(stored) == b"x"


def test_the_app_and_identity_sign_the_same_messages() -> None:
    request_id, challenge = uuid.uuid4(), b"\x01" * 32
    assert reference_app.push_message(
        request_id, challenge, "approve", "42"
    ) == mobile_app.push_message(request_id, challenge, "approve", "42")
    assert reference_app.registration_message(
        "tok", "p256", b"k"
    ) == mobile_app.registration_message("tok", "p256", b"k")
    verifier = ocra.pin_hash("4711")
    message = b"message"
    assert reference_app.pin_proof("4711", message) == mobile_app.b64url(
        mobile_app.pin_proof(verifier, message)
    )


def test_payloads_identity_makes_are_what_the_app_reads() -> None:
    user_id = uuid.uuid4()
    enrol = mobile_app.enrolment_payload(
        server="https://login.example", token="A" * 32, account="a@b.se"
    )
    otp = mobile_app.otp_payload(
        server="https://login.example", user_id=user_id, challenge="0123456789"
    )
    assert parse_payload(enrol) == EnrolmentPayload("https://login.example", "A" * 32, "a@b.se")
    assert parse_payload(otp) == OtpPayload("https://login.example", user_id, "0123456789")
    # ...also through the QR image the page shows.
    assert read_qr(png_from_data_uri(png_data_uri(otp))) == otp


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "gatehouse://enrol",
        "gatehouse://unknown?v=1",
        "gatehouse://enrol?v=1&server=https://x&token=AAAAAAAAAAAAAAAA",  # no account
        "gatehouse://enrol?v=1&server=https://x&token=AAAA%0AAAAAAAAAAAA&account=a",
        "gatehouse://otp?v=1&server=https://x&user=1&challenge=1234",
        "gatehouse://otp?v=1&server=https://x?y=1&user="
        + str(uuid.UUID(int=1))
        + "&challenge=1234",
        "gatehouse://otp?v=1&server=https://x&user="
        + str(uuid.UUID(int=1))
        + "&challenge=12345678901",
    ],
)
def test_malformed_payloads_are_refused_by_the_app(payload: str) -> None:
    with pytest.raises(PayloadError):
        parse_payload(payload)


def test_device_public_keys_must_match_their_type() -> None:
    ed25519 = reference_app.public_key_bytes(reference_app.generate_key("ed25519"))
    p256 = reference_app.public_key_bytes(reference_app.generate_key("p256"))
    mobile_app.load_public_key("ed25519", ed25519)
    mobile_app.load_public_key("p256", p256)
    for key_type, raw in (("ed25519", p256), ("p256", ed25519), ("p256", b"\x04" + b"\x00" * 64)):
        with pytest.raises(InvalidFactorInputError) as error:
            mobile_app.load_public_key(key_type, raw)
        assert error.value.field == "public_key"
    with pytest.raises(InvalidFactorInputError) as wrong_type:
        mobile_app.load_public_key("rsa", ed25519)
    assert wrong_type.value.field == "key_type"
