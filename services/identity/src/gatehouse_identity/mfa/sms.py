"""Mobile phone numbers and SMS codes — a method being withdrawn.

Numbers are E.164 (validated with phonenumbers) and confirmed by a code. Codes are 6 digits,
stored as HMAC-SHA256 with a server key, single-use, short-lived; identity hands the text to an
`SmsSender` (see sms_senders for why not through the notifier).

Sunset (SMS_SUNSET_DATE, default 2025-06-30): before it, SMS sign-ins show the date as a
warning; from that day on SMS is neither offered nor accepted nor enrolled.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from gatehouse_common.db import Connection
from gatehouse_identity.accounts.sessions import Session
from gatehouse_identity.mfa import factors
from gatehouse_identity.mfa.crypto import keyed_hash
from gatehouse_identity.mfa.errors import (
    ChallengeExpiredError,
    DeliveryFailedError,
    InvalidFactorInputError,
    MethodUnavailableError,
    MfaError,
    NotFoundError,
    WrongCodeError,
)
from gatehouse_identity.mfa.levels import FactorKind
from gatehouse_identity.mfa.runtime import Db, MfaRuntime
from gatehouse_identity.mfa.sms_senders import SmsDeliveryError

CODE_DIGITS = 6
MAX_WRONG_ENROLMENT_CODES = 5
# Codes sent per sign-in attempt within one code lifetime: SMS cost money and can be abused.
MAX_CODES_PER_WINDOW = 5
MOBILE_TYPES = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.PERSONAL_NUMBER,
}
MESSAGES = {
    "en": "{code} is your Gatehouse Login code. It expires in {minutes} minutes. Never share it.",
    "sv": "{code} är din kod till Gatehouse Login. Den gäller i {minutes} minuter. Dela den ej.",
}


class TooManyCodesError(MfaError):
    status_code = 429
    code = "too_many_codes"


def parse_e164(raw: str) -> str:
    """The number in E.164 (`+46701234567`); spaces and dashes are allowed when typing."""
    typed = "".join(raw.split()).replace("-", "")
    problem = "enter a mobile number in international format, for example +46 70 123 45 67"
    if not typed.startswith("+") or not typed[1:].isdigit() or not 8 <= len(typed) <= 16:
        raise InvalidFactorInputError(problem, field="phone_number")
    try:
        number = phonenumbers.parse(typed, None)
    except phonenumbers.NumberParseException as error:
        raise InvalidFactorInputError(problem, field="phone_number") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidFactorInputError(f"not a valid number: {problem}", field="phone_number")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidFactorInputError("this is not a mobile number", field="phone_number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """+46701234567 → +46 ••• •• 67: enough to recognise, too little to misuse."""
    number = phonenumbers.parse(e164, None)
    return f"+{number.country_code} ••• •• {e164[-2:]}"


def check_code(code: str) -> str:
    compact = "".join(code.split())
    if len(compact) != CODE_DIGITS or not compact.isascii() or not compact.isdigit():
        raise InvalidFactorInputError(f"the SMS code has {CODE_DIGITS} digits", field="code")
    return compact


def sunset_error(runtime: MfaRuntime, *, field: str) -> MethodUnavailableError:
    date = runtime.settings.sms_sunset_date.isoformat()
    return MethodUnavailableError(
        f"SMS is no longer accepted as a second factor (withdrawn on {date}); "
        "use the mobile app, an authenticator app or a security key instead",
        field=field,
        sms_sunset_date=date,
    )


def _new_code() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))


def _text(runtime: MfaRuntime, code: str, language: str) -> str:
    minutes = max(1, runtime.settings.sms_code_ttl_s // 60)
    return MESSAGES.get(language, MESSAGES["en"]).format(code=code, minutes=minutes)


async def _send(runtime: MfaRuntime, *, to: str, code: str, language: str) -> None:
    try:
        await runtime.sms_sender.send(to=to, text=_text(runtime, code, language))
    except SmsDeliveryError as error:
        raise DeliveryFailedError(
            "the SMS could not be sent; try again in a moment", field="phone_number"
        ) from error


@dataclass(frozen=True)
class SentCode:
    challenge_id: uuid.UUID
    factor_id: uuid.UUID
    sent_to: str
    expires_at: datetime
    sms_sunset_date: str


async def _issue_code(
    connection: Connection,
    runtime: MfaRuntime,
    *,
    session: Session,
    factor_id: uuid.UUID,
    kind: str,
) -> tuple[uuid.UUID, str, datetime]:
    now = runtime.now()
    ttl = timedelta(seconds=runtime.settings.sms_code_ttl_s)
    recent = await connection.fetchval(
        """SELECT count(*) FROM mfa_challenges
            WHERE session_hash = $1 AND kind = $2 AND created_at > $3""",
        session.id_hash,
        kind,
        now - ttl,
    )
    if recent >= MAX_CODES_PER_WINDOW:
        raise TooManyCodesError(
            "too many codes were sent: wait a few minutes", field="phone_number"
        )
    # A new code replaces the earlier ones of this sign-in attempt.
    await connection.execute(
        """UPDATE mfa_challenges SET status = 'used'
            WHERE session_hash = $1 AND kind = $2 AND status = 'pending'""",
        session.id_hash,
        kind,
    )
    code = _new_code()
    challenge_id = uuid.uuid4()
    await connection.execute(
        """INSERT INTO mfa_challenges (id, user_id, session_hash, kind, challenge, factor_id,
                                       created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        challenge_id,
        session.user_id,
        session.id_hash,
        kind,
        keyed_hash(runtime.code_key, code),
        factor_id,
        now,
        now + ttl,
    )
    return challenge_id, code, now + ttl


async def start_enrolment(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    session: Session,
    phone_number: str,
    language: str,
) -> SentCode:
    e164 = parse_e164(phone_number)
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="phone_number")
    factor_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        existing = await connection.fetchrow(
            """SELECT f.id, f.status
                 FROM phone_numbers p JOIN second_factors f ON f.id = p.factor_id
                WHERE p.user_id = $1 AND p.e164 = $2""",
            session.user_id,
            e164,
        )
        if existing is not None and existing["status"] == "active":
            raise InvalidFactorInputError("this number is already registered", field="phone_number")
        if existing is not None:  # an unconfirmed earlier try: start over
            await connection.execute("DELETE FROM second_factors WHERE id = $1", existing["id"])
        await connection.execute(
            """INSERT INTO second_factors (id, user_id, method, name, status, pending_until)
               VALUES ($1, $2, 'sms', $3, 'pending', $4)""",
            factor_id,
            session.user_id,
            mask(e164),
            runtime.now() + timedelta(seconds=runtime.settings.sms_code_ttl_s),
        )
        await connection.execute(
            "INSERT INTO phone_numbers (factor_id, user_id, e164) VALUES ($1, $2, $3)",
            factor_id,
            session.user_id,
            e164,
        )
        challenge_id, code, expires_at = await _issue_code(
            connection, runtime, session=session, factor_id=factor_id, kind="sms_enrolment"
        )
    try:
        await _send(runtime, to=e164, code=code, language=language)
    except DeliveryFailedError:
        await pool.execute("DELETE FROM second_factors WHERE id = $1", factor_id)
        raise
    return SentCode(
        challenge_id=challenge_id,
        factor_id=factor_id,
        sent_to=mask(e164),
        expires_at=expires_at,
        sms_sunset_date=runtime.settings.sms_sunset_date.isoformat(),
    )


async def _check_code(
    runtime: MfaRuntime,
    *,
    row: asyncpg.Record | None,
    code: str,
) -> None:
    if row is None:
        raise NotFoundError("no code was sent in this session: ask for a new one", field="code")
    if row["expires_at"] <= runtime.now():
        raise ChallengeExpiredError("the code has expired: ask for a new one", field="code")
    if not hmac.compare_digest(bytes(row["challenge"]), keyed_hash(runtime.code_key, code)):
        raise WrongCodeError("the code is wrong", field="code")


async def confirm_enrolment(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    session: Session,
    factor_id: uuid.UUID,
    code: str,
) -> factors.Factor:
    code = check_code(code)
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="phone_number")
    await factors.get_factor(
        pool, user_id=session.user_id, factor_id=factor_id, kind=FactorKind.SMS
    )
    row = await pool.fetchrow(
        """SELECT id, challenge, expires_at FROM mfa_challenges
            WHERE session_hash = $1 AND kind = 'sms_enrolment' AND factor_id = $2
              AND status = 'pending'""",
        session.id_hash,
        factor_id,
    )
    try:
        await _check_code(runtime, row=row, code=code)
    except WrongCodeError as error:
        assert row is not None  # noqa: S101  (_check_code raised NotFound otherwise)
        wrong = await pool.fetchval(
            """UPDATE mfa_challenges SET wrong_attempts = wrong_attempts + 1,
                      status = CASE WHEN wrong_attempts + 1 >= $2 THEN 'used' ELSE status END
                WHERE id = $1 RETURNING wrong_attempts""",
            row["id"],
            MAX_WRONG_ENROLMENT_CODES,
        )
        error.extra["attempts_left"] = max(0, MAX_WRONG_ENROLMENT_CODES - (wrong or 0))
        raise
    assert row is not None  # noqa: S101
    async with pool.acquire() as connection, connection.transaction():
        used = await connection.fetchval(
            """UPDATE mfa_challenges SET status = 'used'
                WHERE id = $1 AND status = 'pending' RETURNING 1""",
            row["id"],
        )
        if used is None:
            raise WrongCodeError("the code was already used", field="code")
        return await factors.activate(connection, factor_id=factor_id, now=runtime.now())


async def phone_numbers(db: Db, *, user_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        """SELECT f.id, f.name, p.e164
             FROM second_factors f JOIN phone_numbers p ON p.factor_id = f.id
            WHERE f.user_id = $1 AND f.status = 'active' ORDER BY f.created_at""",
        user_id,
    )


async def send_sign_in_code(
    pool: asyncpg.Pool,
    runtime: MfaRuntime,
    *,
    session: Session,
    factor_id: uuid.UUID | None,
    language: str,
) -> SentCode:
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="method")
    numbers = await phone_numbers(pool, user_id=session.user_id)
    chosen = [n for n in numbers if factor_id is None or n["id"] == factor_id]
    if not chosen:
        raise NotFoundError("no such phone number on this account", field="factor_id")
    number = chosen[0]
    async with pool.acquire() as connection, connection.transaction():
        challenge_id, code, expires_at = await _issue_code(
            connection, runtime, session=session, factor_id=number["id"], kind="sms_sign_in"
        )
    await _send(runtime, to=number["e164"], code=code, language=language)
    return SentCode(
        challenge_id=challenge_id,
        factor_id=number["id"],
        sent_to=number["name"],
        expires_at=expires_at,
        sms_sunset_date=runtime.settings.sms_sunset_date.isoformat(),
    )


async def verify_sign_in(
    connection: Connection, runtime: MfaRuntime, *, session: Session, code: str
) -> tuple[str, ...]:
    code = check_code(code)
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="method")
    row = await connection.fetchrow(
        """SELECT id, challenge, expires_at, factor_id FROM mfa_challenges
            WHERE session_hash = $1 AND kind = 'sms_sign_in' AND status = 'pending'
            ORDER BY created_at DESC LIMIT 1 FOR UPDATE""",
        session.id_hash,
    )
    await _check_code(runtime, row=row, code=code)
    assert row is not None  # noqa: S101
    await connection.execute(
        "UPDATE mfa_challenges SET status = 'used', answered_at = $2 WHERE id = $1",
        row["id"],
        runtime.now(),
    )
    await connection.execute(
        "UPDATE second_factors SET last_used_at = $2 WHERE id = $1", row["factor_id"], runtime.now()
    )
    return ("sms",)
