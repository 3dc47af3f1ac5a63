"""The interface every second-factor method implements, and the values that cross it.

A method is one module (totp.py, sms.py, webauthn.py, mobile_app/, recovery_codes.py) that
provides objects of two shapes:

- an `Enrolment` per kind of factor a user can add: `enrol` starts it, `confirm` finishes it
  (the proof that the user holds what was enrolled);
- a `SignInMethod` per way of answering at sign-in: `challenge` starts one where the method
  needs it, `verify` checks an answer, `refused` is told about a wrong one.

Removing is common to all (factors.remove): a method's rows go with its factor. The registry
(registry.py) lists the implementations; the sign-in flow, the enrolment flow and the pages ask
it, so adding a method is adding a module and one line there, not editing switches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.accounts.models import User
from gatehouse_identity.mfa.errors import AnswerMissingError
from gatehouse_identity.mfa.levels import FactorKind, Method
from gatehouse_identity.mfa.models import Factor
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

Amr = tuple[str, ...]


class AnswerForm(StrEnum):
    """What a person does to answer a method, so a page knows what to show."""

    CODE = "code"  # types a code (shown by an app, printed, or read off a QR code's answer)
    SENT_CODE = "sent_code"  # chooses where a code is sent, then types it
    APP_APPROVAL = "app_approval"  # approves in the phone app; the page waits
    SECURITY_KEY = "security_key"  # touches the key (navigator.credentials.get)


@dataclass(frozen=True)
class ChallengeStart:
    """What the caller gives when a challenge starts."""

    ip_address: str | None = None
    user_agent: str | None = None
    # SMS: the phone number (its factor id) to send to; None: the first one.
    phone_number_id: uuid.UUID | None = None
    # A challenge shown before that may be shown again while it can still be answered.
    shown_challenge_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Challenge:
    """A started challenge; the fields a method does not use stay None."""

    id: uuid.UUID
    method: Method
    expires_at: datetime
    number: int | None = None  # app push: shown in the browser, typed in the app
    qr_payload: str | None = None  # app QR: what the app scans
    options: dict[str, Any] | None = None  # WebAuthn request options
    sent_to: str | None = None  # SMS: the masked number
    sms_sunset_date: str | None = None


@dataclass(frozen=True)
class Answer:
    """What the user sent for `method`: a code, a challenge id, a WebAuthn credential."""

    method: Method
    code: str | None = None
    challenge_id: uuid.UUID | None = None
    credential: dict[str, Any] | None = None

    def needed(self, name: str) -> Any:
        """The value `name` of this answer; AnswerMissingError naming it when not sent."""
        value = getattr(self, name)
        if value is None:
            raise AnswerMissingError(f"{name} is required for this method", field=name)
        return value


@dataclass(frozen=True)
class EnrolmentRequest:
    """What the user gives to start adding a factor; each kind reads what it needs."""

    name: str | None = None
    pin: str | None = None
    pin_confirmation: str | None = None
    phone_number: str | None = None

    def needed(self, name: str) -> str:
        value: str | None = getattr(self, name)
        if value is None:
            raise AnswerMissingError(f"{name} is required for this method", field=name)
        return value


@dataclass(frozen=True)
class EnrolmentProof:
    """What finishes an enrolment: a code (TOTP, SMS), a credential (WebAuthn), or nothing
    when another device finished it (the mobile app registered itself)."""

    factor_id: uuid.UUID | None = None  # the pending factor (not for WebAuthn: none yet)
    code: str | None = None
    challenge_id: uuid.UUID | None = None
    credential: dict[str, Any] | None = None
    name: str | None = None

    def needed(self, name: str) -> Any:
        value = getattr(self, name)
        if value is None:
            raise AnswerMissingError(f"{name} is required for this method", field=name)
        return value


StartedT_co = TypeVar("StartedT_co", covariant=True)


class Enrolment(Protocol[StartedT_co]):
    """Adding one kind of factor; `enrol` answers with what the user needs next (a QR code,
    a secret, creation options, where a code was sent), typed by the method."""

    kind: FactorKind

    async def enrol(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        user: User,
        request: EnrolmentRequest,
    ) -> StartedT_co: ...

    async def confirm(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        proof: EnrolmentProof,
    ) -> Factor: ...


class SignInMethod(Protocol):
    method: Method
    answer_form: AnswerForm
    # Characters a typed answer has (CODE and SENT_CODE forms), for the input's size.
    code_length: int

    async def challenge(
        self, database: Database, runtime: MfaRuntime, *, session: Session, start: ChallengeStart
    ) -> Challenge | None:
        """Start what the user answers; None for methods that need nothing (a code the user
        already has)."""

    async def verify(
        self, connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, answer: Answer
    ) -> Amr:
        """Check the answer inside the caller's transaction (which also raises the session);
        the amr values it proves."""

    async def refused(self, database: Database, runtime: MfaRuntime, *, session: Session) -> None:
        """A wrong answer was given (after the transaction rolled back)."""


class SignInMethodDefaults:
    """What most methods do for the optional parts of SignInMethod: they need no challenge (the
    user already holds the code) and have nothing to count after a wrong answer."""

    async def challenge(
        self,
        database: Database,  # noqa: ARG002  (the interface's arguments)
        runtime: MfaRuntime,  # noqa: ARG002
        *,
        session: Session,  # noqa: ARG002
        start: ChallengeStart,  # noqa: ARG002
    ) -> Challenge | None:
        return None

    async def refused(
        self,
        database: Database,  # noqa: ARG002  (the interface's arguments)
        runtime: MfaRuntime,  # noqa: ARG002
        *,
        session: Session,  # noqa: ARG002
    ) -> None:
        return None
