"""Signing in, as the JSON API and the pages both do it: the password (accounts.sign_in), a
session at the `password` level, and what that session still needs (mfa.policy) — a second
factor, or enrolling one first.

Everything comes in as plain values (the address, the user agent, the device cookie), so the
flow does not care which transport asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from gatehouse_common.db import Database
from gatehouse_identity.accounts import sign_in as password_sign_in
from gatehouse_identity.accounts.models import User
from gatehouse_identity.levels import AuthLevel
from gatehouse_identity.mfa import policy
from gatehouse_identity.mfa.levels import effective_level
from gatehouse_identity.mfa.policy import Requirement
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.models import NewSession, Session
from gatehouse_identity.settings import IdentitySettings
from gatehouse_identity.sign_in import notices


@dataclass(frozen=True)
class SignedIn:
    """A password session and what it still needs."""

    user: User
    new: NewSession
    # A device cookie to set when this browser was not yet known for the account.
    new_device_cookie: str | None
    requirement: Requirement


async def sign_in_with_password(
    database: Database,
    runtime: MfaRuntime,
    *,
    hasher: PasswordHasher,
    settings: IdentitySettings,
    email: str,
    password: str,
    address: str | None,
    user_agent: str | None,
    device_cookie: str | None,
    captcha_id: uuid.UUID | None,
    captcha_answer: str | None,
    requested_level: str | None,
) -> SignedIn:
    """Check the password (InvalidCredentialsError, CaptchaRequiredError), start a session at
    the `password` level, and say what it needs to reach `requested_level` (or the user's
    policy when None). A new browser on a new network is told to the user (notices): the
    password alone is what a thief has, so the notice does not wait for the second factor."""
    checked = await password_sign_in.sign_in_with_password(
        database,
        hasher=hasher,
        settings=settings,
        email=email,
        password=password,
        address=address,
        device_cookie=device_cookie,
        captcha_id=captcha_id,
        captcha_answer=captcha_answer,
    )
    await notices.note_sign_in(
        database,
        user_id=checked.user.id,
        address=address,
        user_agent=user_agent,
        known_device=checked.new_device_cookie is None,
    )
    new = await sessions.start_session(
        database,
        user_id=checked.user.id,
        amr=["pwd"],
        level=AuthLevel.PASSWORD,
        absolute_timeout=timedelta(seconds=settings.session_absolute_timeout_s),
        ip_address=address,
        user_agent=user_agent,
    )
    need = await policy.requirement(
        database.raw_pool, runtime, session=new.session, requested_level=requested_level
    )
    return SignedIn(
        user=checked.user,
        new=new,
        new_device_cookie=checked.new_device_cookie,
        requirement=need,
    )


@dataclass(frozen=True)
class SessionStatus:
    """A session's level now (an SMS-only one counts as `password` after the sunset) and what
    it needs for the level asked about."""

    level: str
    requirement: Requirement


async def session_status(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    requested_level: str | None,
    fresh: bool = False,
) -> SessionStatus:
    need = await policy.requirement(
        database.raw_pool, runtime, session=session, requested_level=requested_level, fresh=fresh
    )
    return SessionStatus(
        level=effective_level(session, sms_allowed=runtime.sms_allowed), requirement=need
    )


async def sign_out(database: Database, *, token: str) -> None:
    await sessions.end_session(database, token=token)
