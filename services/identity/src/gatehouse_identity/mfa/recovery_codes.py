"""Recovery codes: ten single-use codes, shown once, kept as SHA-256 hashes.

Each code is 10 characters from a 31-symbol alphabet without look-alikes (0/O, 1/I/L): about
49 random bits, so a plain hash is enough (nobody enumerates 2^50 candidates per code), and codes
are looked up by hash directly. Shown as two groups of five: `K7QX4-M2P9T`.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_identity.events import emit
from gatehouse_identity.mfa import queries
from gatehouse_identity.mfa.crypto import sha256
from gatehouse_identity.mfa.errors import RecoveryCodeMalformedError, RecoveryCodeWrongError
from gatehouse_identity.mfa.levels import Method
from gatehouse_identity.mfa.methods import (
    Amr,
    Answer,
    AnswerForm,
    SignInMethodDefaults,
)
from gatehouse_identity.mfa.runtime import MfaRuntime
from gatehouse_identity.sessions.models import Session

# Digits 2-9 and capital letters without I, L and O: 31 symbols, about 49.5 bits per code.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_COUNT = 10
CODE_LENGTH = 10


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize(code: str) -> str:
    """The canonical form of what a user typed (case, spaces and hyphens do not matter)."""
    compact = "".join(code.split()).replace("-", "").upper()
    if len(compact) != CODE_LENGTH or any(char not in ALPHABET for char in compact):
        raise RecoveryCodeMalformedError(
            f"a recovery code has {CODE_LENGTH} letters and digits, like K7QX4-M2P9T",
            field="code",
            length=CODE_LENGTH,
        )
    return compact


async def generate(connection: AsyncConnection, *, user_id: uuid.UUID) -> list[str]:
    """A new set; the old one stops working at once."""
    await queries.delete_recovery_codes(connection, user_id=user_id)
    codes = [new_code() for _ in range(CODE_COUNT)]
    await queries.add_recovery_codes(
        connection, user_id=user_id, code_hashes=[sha256(normalize(code)) for code in codes]
    )
    return codes


async def issue_first_set(connection: AsyncConnection, *, user_id: uuid.UUID) -> list[str] | None:
    """At the user's first enrolment: a set, shown once; None when the user already has one."""
    await queries.lock_user(connection, user_id=user_id)
    if await queries.has_recovery_codes(connection, user_id=user_id):
        return None
    return await generate(connection, user_id=user_id)


async def delete_all(connection: AsyncConnection, *, user_id: uuid.UUID) -> None:
    await queries.delete_recovery_codes(connection, user_id=user_id)


async def use(connection: AsyncConnection, *, user_id: uuid.UUID, code: str) -> int:
    """Spend one code (atomically: a code works once, even in parallel); e-mail the user through
    identity.recovery_code.used. Returns how many are left."""
    if not await queries.spend_recovery_code(
        connection, user_id=user_id, code_hash=sha256(normalize(code))
    ):
        raise RecoveryCodeWrongError(
            "this recovery code is wrong or was already used", field="code"
        )
    left = await queries.remaining_recovery_codes(connection, user_id=user_id)
    await emit(
        connection,
        "identity.recovery_code.used",
        user_id=user_id,
        message=events.RecoveryCodeUsed(user_id=str(user_id), remaining=left),
    )
    return left


class RecoveryCodeSignIn(SignInMethodDefaults):
    """Recovery codes answer a sign-in like a method, but are offered only beside another
    usable method (policy.usable_methods): they recover a lost device."""

    method = Method.RECOVERY_CODE
    answer_form = AnswerForm.CODE
    code_length = CODE_LENGTH + 1  # shown with a hyphen: K7QX4-M2P9T

    async def verify(
        self,
        connection: AsyncConnection,
        runtime: MfaRuntime,  # noqa: ARG002  (the interface's: codes need no secrets)
        *,
        session: Session,
        answer: Answer,
    ) -> Amr:
        await use(connection, user_id=session.user_id, code=answer.needed("code"))
        return ("otp",)


SIGN_IN = RecoveryCodeSignIn()
