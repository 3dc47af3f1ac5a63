"""Passkeys that start a sign-in (issue 18, point 1): the WebAuthn ceremony with no e-mail typed.

The browser is asked for a *discoverable* credential (empty allowCredentials) with user
verification required, so the authenticator itself says who signs in and that it checked the
person (PIN, fingerprint, face): possession and the verification together are two factors, bound
to the origin, hence `phishing_resistant`.

No user and no session exist yet when the challenge is made, so it cannot live in mfa_challenges
(bound to a session): `passkey_challenges` keeps only its SHA-256, found again from the challenge
the browser signs inside clientDataJSON, spent (committed) before the answer is looked at, and
refused once used or expired. The credential id names the factor and so the user; the user handle
the authenticator returns must be that user's. Counters are checked as for a second factor
(webauthn.record_use).
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import webauthn
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import base64url_to_bytes, parse_authenticator_data
from webauthn.helpers.structs import UserVerificationRequirement

from gatehouse_common.db import Database
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.mfa import passkey_queries as queries
from gatehouse_identity.mfa.errors import (
    ChallengeExpiredError,
    ChallengeUsedError,
    MfaError,
    NotFoundError,
    PasskeyNotVerifiedError,
    PasskeyUnknownError,
    SecurityKeyAnswerInvalidError,
    SecurityKeyClonedError,
    SecurityKeyResponseInvalidError,
)
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.mfa.webauthn import MALFORMED, amr_for

# Expired challenges are deleted now and then by the requests that make new ones.
CLEANUP_PROBABILITY = 0.05


@dataclass(frozen=True)
class PasskeyOptions:
    """What navigator.credentials.get() needs, and until when its challenge is accepted."""

    options: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class PasskeyProof:
    """Who a verified passkey assertion names, and what it proves (amr: hwk or swk)."""

    user_id: uuid.UUID
    factor_id: uuid.UUID
    amr: tuple[str, ...]


def _hash(challenge: bytes) -> bytes:
    return hashlib.sha256(challenge).digest()


async def sign_in_options(database: Database, runtime: MfaRuntime) -> PasskeyOptions:
    """Options for a discoverable credential with user verification, their challenge stored
    (as its hash) until it expires."""
    ttl = timedelta(seconds=runtime.settings.webauthn_challenge_ttl_s)
    options = webauthn.generate_authentication_options(
        rp_id=runtime.rp_id,
        timeout=runtime.settings.webauthn_challenge_ttl_s * 1000,
        allow_credentials=[],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    now = runtime.now()
    async with database.connection() as connection:
        await queries.add_challenge(
            connection, challenge_hash=_hash(options.challenge), now=now, expires_at=now + ttl
        )
        if random.random() < CLEANUP_PROBABILITY:  # noqa: S311  (not security relevant)
            await queries.delete_expired_challenges(connection, before=now)
    parsed: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return PasskeyOptions(options=parsed, expires_at=now + ttl)


def _signed_challenge(credential: dict[str, Any]) -> bytes:
    """The challenge the authenticator signed, as clientDataJSON carries it."""
    try:
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        return base64url_to_bytes(client_data["challenge"])
    except (*MALFORMED, AttributeError) as error:
        raise SecurityKeyResponseInvalidError(
            "the passkey's answer has no readable challenge", field="credential"
        ) from error


async def _spend_challenge(database: Database, runtime: MfaRuntime, *, challenge: bytes) -> None:
    """Mark the challenge used (one statement: one sign-in per challenge), or say why not."""
    async with database.connection() as connection:
        if await queries.spend_challenge(
            connection, challenge_hash=_hash(challenge), now=runtime.now()
        ):
            return
        state = await queries.challenge_state(connection, challenge_hash=_hash(challenge))
    if state is None:
        raise NotFoundError("no such passkey challenge: start again", field="credential")
    if state == "used":
        raise ChallengeUsedError(
            "this passkey sign-in has already been used: start again", field="credential"
        )
    raise ChallengeExpiredError("this passkey sign-in has expired: start again", field="credential")


async def _credential_row(database: Database, credential: dict[str, Any]) -> Any:
    """The active credential the assertion names, with its user's handle."""
    try:
        credential_id = base64url_to_bytes(str(credential.get("rawId") or credential["id"]))
    except MALFORMED as error:
        raise SecurityKeyResponseInvalidError(
            "the passkey's id is not base64url", field="credential"
        ) from error
    async with database.connection() as connection:
        row = await queries.active_credential(connection, credential_id=credential_id)
    handle = (credential.get("response") or {}).get("userHandle")
    if row is None or (handle and _decoded(handle) != bytes(row.webauthn_user_handle or b"")):
        raise PasskeyUnknownError(
            "this passkey is not registered on any account here", field="credential"
        )
    return row


def _decoded(value: str) -> bytes | None:
    try:
        return base64url_to_bytes(value)
    except MALFORMED:
        return None


def _user_verified(credential: dict[str, Any]) -> bool:
    try:
        data = base64url_to_bytes(credential["response"]["authenticatorData"])
        return bool(parse_authenticator_data(data).flags.uv)
    except MALFORMED:
        return False


def _verify(
    runtime: MfaRuntime, row: Any, *, credential: dict[str, Any], challenge: bytes
) -> VerifiedAuthentication:
    try:
        return webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=runtime.rp_id,
            expected_origin=runtime.origins,
            credential_public_key=bytes(row.public_key),
            credential_current_sign_count=row.sign_count,
            require_user_verification=True,
        )
    except MALFORMED as error:
        if not _user_verified(credential):
            raise PasskeyNotVerifiedError(
                "the passkey did not verify the user (PIN, fingerprint or face): "
                "user verification is required to sign in with a passkey",
                field="credential",
            ) from error
        raise SecurityKeyAnswerInvalidError(
            f"the passkey's answer is not valid: {error}", field="credential"
        ) from error


async def verify_sign_in(
    database: Database, runtime: MfaRuntime, *, credential: dict[str, Any]
) -> PasskeyProof:
    """Who the assertion proves to be there. The challenge is spent (committed) first, so an
    answer is looked at once. Refusals (all naming `credential`) are audited with the user when
    the credential names one: PasskeyUnknownError, PasskeyNotVerifiedError,
    SecurityKeyClonedError, SecurityKeyAnswerInvalidError, and the challenge's own."""
    user_id: uuid.UUID | None = None
    try:
        challenge = _signed_challenge(credential)
        await _spend_challenge(database, runtime, challenge=challenge)
        row = await _credential_row(database, credential)
        user_id = row.user_id
        verified = _verify(runtime, row, credential=credential, challenge=challenge)
        async with database.transaction() as connection:
            raised = await queries.raise_sign_count(
                connection,
                factor_id=row.id,
                sign_count=verified.new_sign_count,
                now=runtime.now(),
            )
        if not raised:
            raise SecurityKeyClonedError(
                "the passkey's signature counter went backwards: it may have been cloned",
                field="credential",
                reason="sign_count_regression",
            )
    except MfaError as error:
        await audit.record(
            database,
            kind=AuditKind.SIGN_IN_PASSKEY_FAILED,
            user_id=user_id,
            detail={"reason": error.code},
        )
        raise
    return PasskeyProof(user_id=row.user_id, factor_id=row.id, amr=amr_for(row.device_type))


# --- the invitation to add one ----------------------------------------------------------------


async def invitation_due(database: Database, *, user_id: uuid.UUID) -> bool:
    """Invite the user to add a passkey: they have no security key or passkey, and have not
    said "no thanks" (asked once; a key registered before issue 18 counts as one)."""
    async with database.connection() as connection:
        return await queries.invitation_due(connection, user_id=user_id)


async def dismiss_invitation(
    database: Database, runtime: MfaRuntime, *, user_id: uuid.UUID
) -> None:
    """ "No thanks": the invitation is not shown to this user again."""
    async with database.connection() as connection:
        await queries.dismiss_invitation(connection, user_id=user_id, now=runtime.now())
