"""Security keys and passkeys (WebAuthn Level 2, py_webauthn) as a second factor: registration
(of a discoverable credential with user verification, so it can also start a sign-in:
mfa/passkeys.py) and authentication ceremonies with user verification preferred, and clone
detection by the signature counter.

Challenges are single-use, bound to the session that asked for them and short-lived. An
assertion whose counter does not go up (when the authenticator keeps one) is refused: two
authenticators share that key, i.e. it was cloned.

A second-factor method (methods.py): `ENROLMENT` and `SIGN_IN` at the end of this module.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import webauthn
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from gatehouse_common.db import Database, violated_unique_constraint
from gatehouse_identity.accounts.models import User
from gatehouse_identity.mfa import challenges, factors, passkey_queries
from gatehouse_identity.mfa import webauthn_queries as webauthn_rows
from gatehouse_identity.mfa.errors import (
    ChallengeExpiredError,
    ChallengeUsedError,
    NoSecurityKeyError,
    NotFoundError,
    SecurityKeyAnswerInvalidError,
    SecurityKeyClonedError,
    SecurityKeyResponseInvalidError,
    SecurityKeyTakenError,
    SecurityKeyUnknownError,
)
from gatehouse_identity.mfa.levels import FactorKind, Method
from gatehouse_identity.mfa.methods import (
    Amr,
    Answer,
    AnswerForm,
    Challenge,
    ChallengeStart,
    EnrolmentProof,
    EnrolmentRequest,
    SignInMethodDefaults,
)
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

# Errors py_webauthn (and the CBOR/base64 decoders under it) raise for malformed input.
MALFORMED = (WebAuthnException, ValueError, KeyError, TypeError, IndexError)
KNOWN_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


@dataclass(frozen=True)
class Ceremony:
    challenge_id: uuid.UUID
    options: dict[str, Any]
    expires_at: datetime


async def _user_handle(connection: AsyncConnection, *, user_id: uuid.UUID) -> bytes:
    handle = await webauthn_rows.locked_user_handle(connection, user_id=user_id)
    if handle is None:
        handle = secrets.token_bytes(32)
        await webauthn_rows.set_user_handle(connection, user_id=user_id, handle=handle)
    return handle


def _descriptor(credential: webauthn_rows.Credential) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in credential.transports if t in KNOWN_TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=credential.credential_id, transports=transports)


async def _store_challenge(
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    session: Session,
    kind: str,
    challenge: bytes,
) -> uuid.UUID:
    return await challenges.store(
        connection,
        session=session,
        kind=kind,
        challenge=challenge,
        created_at=runtime.now(),
        expires_at=runtime.now() + timedelta(seconds=runtime.settings.webauthn_challenge_ttl_s),
    )


async def _take_challenge(
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    session: Session,
    kind: str,
    challenge_id: uuid.UUID,
) -> bytes:
    """The challenge's bytes, marked used (atomically: one ceremony per challenge)."""
    taken = await webauthn_rows.take_challenge(
        connection,
        challenge_id=challenge_id,
        session_hash=session.id_hash,
        kind=kind,
        now=runtime.now(),
    )
    if taken is not None:
        return taken
    state = await webauthn_rows.challenge_status(
        connection, challenge_id=challenge_id, session_hash=session.id_hash, kind=kind
    )
    if state is None:
        raise NotFoundError("no such WebAuthn challenge in this session", field="challenge_id")
    if state != "pending":
        raise ChallengeUsedError(
            "this challenge was already used: start again", field="challenge_id"
        )
    raise ChallengeExpiredError("this challenge has expired: start again", field="challenge_id")


def _options_dict(options: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return parsed


# --- registration -----------------------------------------------------------------------------


async def registration_options(
    database: Database, runtime: MfaRuntime, *, session: Session, user_name: str, display_name: str
) -> Ceremony:
    async with database.transaction() as connection:
        handle = await _user_handle(connection, user_id=session.user_id)
        existing = await webauthn_rows.active_credentials(connection, user_id=session.user_id)
        options = webauthn.generate_registration_options(
            rp_id=runtime.rp_id,
            rp_name=runtime.settings.webauthn_rp_name,
            user_name=user_name,
            user_id=handle,
            user_display_name=display_name,
            timeout=runtime.settings.webauthn_challenge_ttl_s * 1000,
            # A discoverable credential with user verification: a passkey that can start a
            # sign-in by itself (sign_in.service.sign_in_with_passkey). Keys registered before
            # (and this one as a second factor after a password) need neither at sign-in.
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(found) for found in existing],
        )
        challenge_id = await _store_challenge(
            connection,
            runtime,
            session=session,
            kind="webauthn_registration",
            challenge=options.challenge,
        )
    return Ceremony(
        challenge_id=challenge_id,
        options=_options_dict(options),
        expires_at=runtime.now() + timedelta(seconds=runtime.settings.webauthn_challenge_ttl_s),
    )


async def register(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    challenge_id: uuid.UUID,
    name: str,
    credential: dict[str, Any],
) -> Factor:
    name = factors.check_name(name)
    async with database.transaction() as connection:
        challenge = await _take_challenge(
            connection,
            runtime,
            session=session,
            kind="webauthn_registration",
            challenge_id=challenge_id,
        )
    # The challenge is spent (committed above) before the response is even looked at.
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=runtime.rp_id,
            expected_origin=runtime.origins,
            # Asked for, not insisted on: what counts is the user verification of each
            # passkey sign-in, which is checked there (mfa/passkeys.py).
            require_user_verification=False,
        )
    except MALFORMED as error:
        raise SecurityKeyResponseInvalidError(
            f"the security key's response is not valid: {error}", field="credential"
        ) from error
    transports = [
        t
        for t in credential.get("response", {}).get("transports", []) or []
        if t in KNOWN_TRANSPORTS
    ]
    factor_id = uuid.uuid4()
    try:
        async with database.transaction() as connection:
            return await _insert_credential(
                connection,
                runtime,
                session=session,
                factor_id=factor_id,
                name=name,
                verified=verified,
                transports=transports,
            )
    except exc.IntegrityError as error:
        if violated_unique_constraint(error) is None:
            raise
        raise SecurityKeyTakenError(
            "this security key is already registered", field="credential"
        ) from error


async def _insert_credential(
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    session: Session,
    factor_id: uuid.UUID,
    name: str,
    verified: VerifiedRegistration,
    transports: list[str],
) -> Factor:
    await factors.add_pending(
        connection,
        factor_id=factor_id,
        user_id=session.user_id,
        kind=FactorKind.WEBAUTHN,
        name=name,
        pending_until=None,
    )
    await webauthn_rows.add_credential(
        connection,
        factor_id=factor_id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        device_type=verified.credential_device_type.value,
        backed_up=verified.credential_backed_up,
        aaguid=verified.aaguid,
    )
    return await factors.activate(connection, factor_id=factor_id, now=runtime.now())


# --- authentication ---------------------------------------------------------------------------


async def authentication_options(
    database: Database, runtime: MfaRuntime, *, session: Session
) -> Ceremony:
    async with database.connection() as connection:
        credentials = await webauthn_rows.active_credentials(connection, user_id=session.user_id)
    if not credentials:
        raise NoSecurityKeyError("no security key is registered", field="method")
    options = webauthn.generate_authentication_options(
        rp_id=runtime.rp_id,
        timeout=runtime.settings.webauthn_challenge_ttl_s * 1000,
        allow_credentials=[_descriptor(found) for found in credentials],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    async with database.transaction() as connection:
        challenge_id = await _store_challenge(
            connection,
            runtime,
            session=session,
            kind="webauthn_authentication",
            challenge=options.challenge,
        )
    return Ceremony(
        challenge_id=challenge_id,
        options=_options_dict(options),
        expires_at=runtime.now() + timedelta(seconds=runtime.settings.webauthn_challenge_ttl_s),
    )


def amr_for(device_type: str) -> tuple[str, ...]:
    """A single-device credential lives in hardware (a key, a TPM): hwk. A synced passkey can
    be copied between devices by its provider: swk."""
    return ("hwk",) if device_type == "single_device" else ("swk",)


async def verify_assertion(
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    session: Session,
    challenge_id: uuid.UUID,
    credential: dict[str, Any],
) -> tuple[str, ...]:
    challenge = await _take_challenge(
        connection,
        runtime,
        session=session,
        kind="webauthn_authentication",
        challenge_id=challenge_id,
    )
    raw_id = str(credential.get("rawId") or credential.get("id") or "")
    registered = {
        bytes_to_base64url(found.credential_id): found
        for found in await webauthn_rows.active_credentials(connection, user_id=session.user_id)
    }
    key = registered.get(raw_id.rstrip("="))
    if key is None:
        raise SecurityKeyUnknownError(
            "this security key is not registered on this account", field="credential"
        )
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=runtime.rp_id,
            expected_origin=runtime.origins,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
            require_user_verification=False,
        )
    except MALFORMED as error:
        if "sign count" in str(error).lower():
            raise SecurityKeyClonedError(
                "the security key's signature counter went backwards: it may have been cloned, "
                "so it is refused",
                field="credential",
                reason="sign_count_regression",
            ) from error
        raise SecurityKeyAnswerInvalidError(
            f"the security key's answer is not valid: {error}", field="credential"
        ) from error
    await record_use(
        connection, runtime, factor_id=key.factor_id, new_sign_count=verified.new_sign_count
    )
    return amr_for(key.device_type)


async def record_use(
    connection: AsyncConnection, runtime: MfaRuntime, *, factor_id: uuid.UUID, new_sign_count: int
) -> None:
    """Raise the credential's counter to the assertion's, or refuse it as a clone
    (SecurityKeyClonedError) when it does not go up. Atomic: of two parallel assertions with
    the same counter, only one raises it."""
    if not await passkey_queries.raise_sign_count(
        connection, factor_id=factor_id, sign_count=new_sign_count, now=runtime.now()
    ):
        raise SecurityKeyClonedError(
            "the security key's signature counter went backwards: it may have been cloned",
            field="credential",
            reason="sign_count_regression",
        )


class WebAuthnEnrolment:
    kind = FactorKind.WEBAUTHN

    async def enrol(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        user: User,
        request: EnrolmentRequest,  # noqa: ARG002  (the interface's: nothing to type first)
    ) -> Ceremony:
        """The creation options for navigator.credentials.create(); the factor exists only
        once the browser's answer is registered (`confirm`)."""
        return await registration_options(
            database, runtime, session=session, user_name=user.email, display_name=user.full_name
        )

    async def confirm(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        proof: EnrolmentProof,
    ) -> Factor:
        return await register(
            database,
            runtime,
            session=session,
            challenge_id=proof.needed("challenge_id"),
            name=proof.name or "",
            credential=proof.needed("credential"),
        )


class WebAuthnSignIn(SignInMethodDefaults):
    method = Method.WEBAUTHN
    answer_form = AnswerForm.SECURITY_KEY
    code_length = 0

    async def challenge(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        start: ChallengeStart,  # noqa: ARG002  (the interface's: a ceremony needs nothing)
    ) -> Challenge | None:
        ceremony = await authentication_options(database, runtime, session=session)
        return Challenge(
            id=ceremony.challenge_id,
            method=self.method,
            expires_at=ceremony.expires_at,
            options=ceremony.options,
        )

    async def verify(
        self, connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, answer: Answer
    ) -> Amr:
        return await verify_assertion(
            connection,
            runtime,
            session=session,
            challenge_id=answer.needed("challenge_id"),
            credential=answer.needed("credential"),
        )


ENROLMENT = WebAuthnEnrolment()
SIGN_IN = WebAuthnSignIn()
