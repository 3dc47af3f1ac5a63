"""Property tests for second factors' parsers of untrusted input: whatever arrives, each either
returns its normal answer or raises its documented error, never anything else — phone numbers
(sms.parse_e164), the app's QR payloads (gatehouse_authenticator.parse_payload, and the round
trip from identity's payloads), and base64url fields from the app."""

from __future__ import annotations

import contextlib
import uuid

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gatehouse_authenticator.payloads import (
    EnrolmentPayload,
    OtpPayload,
    PayloadError,
    parse_payload,
)
from gatehouse_identity.mfa import sms
from gatehouse_identity.mfa.errors import InvalidFactorInputError
from gatehouse_identity.mfa.mobile_app import wire as mobile_app

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Everything a header, a cookie or a JSON string can carry, surrogates included.
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)


@given(ANY_TEXT)
@example("+46 70 123 45 67")
@example("+４６７０１２３４５６７")  # full-width digits
@example("+46701234567\x00")
def test_phone_numbers_parse_or_are_refused(typed: str) -> None:
    try:
        e164 = sms.parse_e164(typed)
    except InvalidFactorInputError:
        return
    assert e164.startswith("+")
    assert e164[1:].isascii()
    assert e164[1:].isdigit()
    assert sms.parse_e164(e164) == e164  # normal form is a fixed point


@given(st.from_regex(r"\+[0-9 -]{6,20}", fullmatch=True))
def test_number_like_input_parses_or_is_refused(typed: str) -> None:
    with contextlib.suppress(InvalidFactorInputError):
        sms.parse_e164(typed)


@given(ANY_TEXT)
@example("gatehouse://enrol?v=1&server=https://[::1&token=x&account=a")
@example("gatehouse://[")
def test_any_qr_text_is_a_payload_or_refused(text: str) -> None:
    try:
        payload = parse_payload(text)
    except PayloadError:
        return
    assert isinstance(payload, EnrolmentPayload | OtpPayload)


# No deadline: how long an example takes says nothing here (no timing asserts in unit tests),
# and on a loaded machine the default one made this test fail at random.
@settings(deadline=None)
@given(
    token=st.text(TOKEN_ALPHABET, min_size=16, max_size=64),
    account=st.text(
        st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=80
    ).filter(lambda value: value.strip() == value),
    user_id=st.uuids(),
    challenge=st.text("0123456789", min_size=4, max_size=10),
)
def test_identity_payloads_round_trip_through_the_app(
    token: str, account: str, user_id: uuid.UUID, challenge: str
) -> None:
    server = "https://login.example.se"
    enrol = parse_payload(mobile_app.enrolment_payload(server=server, token=token, account=account))
    assert enrol == EnrolmentPayload(server=server, token=token, account=account)
    otp = parse_payload(mobile_app.otp_payload(server=server, user_id=user_id, challenge=challenge))
    assert otp == OtpPayload(server=server, user_id=user_id, challenge=challenge)


@given(ANY_TEXT, st.integers(min_value=1, max_value=512))
def test_base64url_fields_decode_or_are_refused(value: str, max_bytes: int) -> None:
    try:
        decoded = mobile_app.from_b64url(value, field="public_key", max_bytes=max_bytes)
    except InvalidFactorInputError:
        return
    assert isinstance(decoded, bytes)
