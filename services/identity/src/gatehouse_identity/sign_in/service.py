"""Signing in, as the JSON API and the pages both do it: the password (accounts.sign_in), a
session at the `password` level, and what that session still needs (mfa.policy) — a second
factor, or enrolling one first. Or a passkey (mfa.passkeys), which alone reaches the strongest
level.

Everything comes in as plain values (the address, the user agent, the device cookie), so the
flow does not care which transport asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gatehouse_common.db import Database
from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts import sign_in as password_sign_in
from gatehouse_identity.accounts.errors import AccountBlockedError
from gatehouse_identity.accounts.models import User, UserStatus
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.levels import AuthLevel
from gatehouse_identity.mfa import passkeys, policy
from gatehouse_identity.mfa.errors import PasskeyUnknownError
from gatehouse_identity.mfa.levels import effective_level
from gatehouse_identity.mfa.policy import Requirement
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.models import NewSession, Session
from gatehouse_identity.settings import IdentitySettings
from gatehouse_identity.sign_in import notices
from gatehouse_identity.throttling.devices import (
    UNKNOWN_CLIENTS,
    failure_bucket,
    issue_device_cookie,
)


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
        database, runtime, session=new.session, requested_level=requested_level
    )
    return SignedIn(
        user=checked.user,
        new=new,
        new_device_cookie=checked.new_device_cookie,
        requirement=need,
    )


async def sign_in_with_passkey(
    database: Database,
    runtime: MfaRuntime,
    *,
    settings: IdentitySettings,
    credential: dict[str, Any],
    address: str | None,
    user_agent: str | None,
    device_cookie: str | None,
    requested_level: str | None,
) -> SignedIn:
    """A discoverable passkey with user verification names the user and proves two factors
    bound to this origin (mfa.passkeys): the session starts `phishing_resistant`, which every
    level a client may ask for is satisfied by. A blocked account is refused as after its right
    password (AccountBlockedError); a pending one as an unknown passkey."""
    proof = await passkeys.verify_sign_in(database, runtime, credential=credential)
    user = await accounts.get_user(database, user_id=proof.user_id)
    if user.status is not UserStatus.ACTIVE:
        await audit.record(
            database,
            kind=AuditKind.SIGN_IN_PASSKEY_FAILED,
            user_id=user.id,
            detail={"reason": user.status.value},
        )
        if user.status is UserStatus.BLOCKED:
            raise AccountBlockedError(
                "the account is blocked: set a new password from a reset link"
            )
        raise PasskeyUnknownError(
            "this passkey is not registered on any account here", field="credential"
        )
    key = password_sign_in.device_key(settings)
    known = failure_bucket(key, cookie=device_cookie, email=user.email) != UNKNOWN_CLIENTS
    # The network is remembered as after a password; a synced passkey used from a new browser
    # on a new network is told to the user as well.
    await notices.note_sign_in(
        database,
        user_id=user.id,
        address=address,
        user_agent=user_agent,
        known_device=known,
    )
    new = await sessions.start_session(
        database,
        user_id=user.id,
        amr=[*proof.amr, "mfa"],
        level=AuthLevel.PHISHING_RESISTANT,
        absolute_timeout=timedelta(seconds=settings.session_absolute_timeout_s),
        ip_address=address,
        user_agent=user_agent,
        with_second_factor=True,
    )
    await audit.record(
        database,
        kind=AuditKind.SIGN_IN_PASSKEY,
        user_id=user.id,
        detail={"level": AuthLevel.PHISHING_RESISTANT, "factor_id": str(proof.factor_id)},
    )
    need = await policy.requirement(
        database, runtime, session=new.session, requested_level=requested_level
    )
    return SignedIn(
        user=user,
        new=new,
        new_device_cookie=None if known else issue_device_cookie(key, email=user.email),
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
        database, runtime, session=session, requested_level=requested_level, fresh=fresh
    )
    return SessionStatus(
        level=effective_level(session, sms_allowed=runtime.sms_allowed), requirement=need
    )


async def sign_out(database: Database, *, token: str) -> None:
    await sessions.end_session(database, token=token)
