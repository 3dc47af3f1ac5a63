"""Property tests for identity's parsers of untrusted input (issue 10): whatever arrives, each
either returns its normal answer or raises its documented error, never anything else.

- phone numbers (mfa.sms.parse_e164 → InvalidFactorInputError),
- the app's QR payloads (gatehouse_authenticator.parse_payload → PayloadError), and the
  round trip from identity's enrolment and OTP payloads,
- password-link tokens (accounts.links → InvalidLinkError / False),
- session tokens (sessions.service.resume_session → None),
- device cookies (throttling.devices.failure_bucket → "unknown").
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gatehouse_authenticator.payloads import (
    EnrolmentPayload,
    OtpPayload,
    PayloadError,
    parse_payload,
)
from gatehouse_identity.accounts import links
from gatehouse_identity.accounts.errors import InvalidLinkError
from gatehouse_identity.mfa import sms
from gatehouse_identity.mfa.errors import InvalidFactorInputError
from gatehouse_identity.mfa.mobile_app import wire as mobile_app
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.throttling.devices import (
    UNKNOWN_CLIENTS,
    failure_bucket,
    issue_device_cookie,
)

KEY = b"device-cookie:test-key"
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Everything a header, a cookie or a JSON string can carry, surrogates included.
ANY_TEXT = st.text(st.characters(codec=None), max_size=300)


class NoRowsDatabase:
    """Stands in for the pool: every query finds nothing, and records what it was given."""

    def __init__(self) -> None:
        self.arguments: list[tuple[Any, ...]] = []

    async def fetchrow(self, _query: str, *args: Any) -> None:
        self.arguments.append(args)

    async def fetchval(self, _query: str, *args: Any) -> None:
        self.arguments.append(args)

    async def execute(self, _query: str, *args: Any) -> str:
        self.arguments.append(args)
        return "DELETE 0"


# --- phone numbers ------------------------------------------------------------------------


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


# --- the app's QR payloads ------------------------------------------------------------------


@given(ANY_TEXT)
@example("gatehouse://enrol?v=1&server=https://[::1&token=x&account=a")
@example("gatehouse://[")
def test_any_qr_text_is_a_payload_or_refused(text: str) -> None:
    try:
        payload = parse_payload(text)
    except PayloadError:
        return
    assert isinstance(payload, EnrolmentPayload | OtpPayload)


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


# --- tokens -----------------------------------------------------------------------------------


@given(ANY_TEXT)
@example("\ud800")
@example("x" * 5000)
def test_any_password_link_token_is_simply_not_valid(token: str) -> None:
    database = NoRowsDatabase()
    with pytest.raises(InvalidLinkError):
        asyncio.run(links.consume_password_link(database, token))  # type: ignore[arg-type]
    assert asyncio.run(links.check_password_link(database, token)) is False  # type: ignore[arg-type]


@given(ANY_TEXT)
@example("\ud800")
@example("")
def test_any_session_token_is_simply_no_session(token: str) -> None:
    database = NoRowsDatabase()
    found = asyncio.run(
        sessions.resume_session(database, token=token, idle_timeout=sessions.timedelta(minutes=30))  # type: ignore[arg-type]
    )
    assert found is None
    asyncio.run(sessions.end_session(database, token=token))  # type: ignore[arg-type]
    for arguments in database.arguments:  # only a fixed-size hash ever reaches the database
        assert len(arguments[0]) == 32


# --- device cookies -------------------------------------------------------------------------


@settings(max_examples=300)
@given(cookie=st.one_of(st.none(), ANY_TEXT), email=ANY_TEXT)
@example(cookie="v1.abc.é", email="anna@example.se")
@example(cookie="v1.abc.\ud800", email="anna@example.se")
@example(cookie="v1.nonce.sig", email="\ud800")
def test_any_device_cookie_is_its_device_or_unknown(cookie: str | None, email: str) -> None:
    bucket = failure_bucket(KEY, cookie=cookie, email=email)
    assert bucket == UNKNOWN_CLIENTS or bucket.startswith("device:")


@given(st.emails())
def test_issued_device_cookies_name_their_device_for_that_login_only(email: str) -> None:
    cookie = issue_device_cookie(KEY, email=email)
    assert (
        failure_bucket(KEY, cookie=cookie, email=email.upper()) == f"device:{cookie.split('.')[1]}"
    )
    assert failure_bucket(KEY, cookie=cookie, email="other" + email) == UNKNOWN_CLIENTS
    assert failure_bucket(b"another key", cookie=cookie, email=email) == UNKNOWN_CLIENTS
