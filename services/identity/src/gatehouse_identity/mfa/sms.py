"""Mobile phone numbers and SMS codes — a method being withdrawn.

Numbers are E.164 (validated with phonenumbers) and confirmed by a code. Codes are 6 digits,
stored as HMAC-SHA256 with a server key, single-use, short-lived; identity hands the text to an
`SmsSender` (see sms_senders for why not through the notifier).

Sunset (SMS_SUNSET_DATE, default 2025-06-30): before it, SMS sign-ins show the date as a
warning; from that day on SMS is neither offered nor accepted nor enrolled.

A second-factor method (methods.py): `ENROLMENT` and `SIGN_IN` at the end of this module.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.models import User
from gatehouse_identity.mfa import challenges, factors, queries
from gatehouse_identity.mfa import sms_queries as sms_rows
from gatehouse_identity.mfa.crypto import keyed_hash
from gatehouse_identity.mfa.errors import (
    PhoneNumberInvalidError,
    PhoneNumberNotFoundError,
    PhoneNumberNotMobileError,
    PhoneNumberTakenError,
    SmsCodeExpiredError,
    SmsCodeMalformedError,
    SmsCodeNotSentError,
    SmsCodeUsedError,
    SmsCodeWrongError,
    SmsNotSentError,
    SmsWithdrawnError,
    TooManySmsCodesError,
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
from gatehouse_identity.mfa.sms_queries import PhoneNumber
from gatehouse_identity.mfa.sms_senders import SmsDeliveryError
from gatehouse_identity.sessions.models import Session

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


def parse_e164(raw: str) -> str:
    """The number in E.164 (`+46701234567`); spaces and dashes are allowed when typing."""
    typed = "".join(raw.split()).replace("-", "")
    problem = "enter a mobile number in international format, for example +46 70 123 45 67"
    if not typed.startswith("+") or not typed[1:].isdigit() or not 8 <= len(typed) <= 16:
        raise PhoneNumberInvalidError(problem, field="phone_number")
    try:
        number = phonenumbers.parse(typed, None)
    except phonenumbers.NumberParseException as error:
        raise PhoneNumberInvalidError(problem, field="phone_number") from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberInvalidError(f"not a valid number: {problem}", field="phone_number")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneNumberNotMobileError("this is not a mobile number", field="phone_number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """+46701234567 → +46 ••• •• 67: enough to recognise, too little to misuse."""
    number = phonenumbers.parse(e164, None)
    return f"+{number.country_code} ••• •• {e164[-2:]}"


def check_code(code: str) -> str:
    compact = "".join(code.split())
    if len(compact) != CODE_DIGITS or not compact.isascii() or not compact.isdigit():
        raise SmsCodeMalformedError(
            f"the SMS code has {CODE_DIGITS} digits", field="code", digits=CODE_DIGITS
        )
    return compact


def sunset_error(runtime: MfaRuntime, *, field: str) -> SmsWithdrawnError:
    date = runtime.settings.sms_sunset_date.isoformat()
    return SmsWithdrawnError(
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
        raise SmsNotSentError(
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
    connection: AsyncConnection,
    runtime: MfaRuntime,
    *,
    session: Session,
    factor_id: uuid.UUID,
    kind: str,
) -> tuple[uuid.UUID, str, datetime]:
    now = runtime.now()
    ttl = timedelta(seconds=runtime.settings.sms_code_ttl_s)
    recent = await challenges.count_recent(connection, session=session, kind=kind, since=now - ttl)
    if recent >= MAX_CODES_PER_WINDOW:
        raise TooManySmsCodesError(
            "too many codes were sent: wait a few minutes", field="phone_number"
        )
    # A new code replaces the earlier ones of this sign-in attempt.
    await challenges.supersede_pending(connection, session=session, kind=kind)
    code = _new_code()
    challenge_id = await challenges.store(
        connection,
        session=session,
        kind=kind,
        challenge=keyed_hash(runtime.code_key, code),
        created_at=now,
        expires_at=now + ttl,
        factor_id=factor_id,
    )
    return challenge_id, code, now + ttl


async def start_enrolment(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    phone_number: str,
    language: str,
) -> SentCode:
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="phone_number")
    e164 = parse_e164(phone_number)
    factor_id = uuid.uuid4()
    async with database.transaction() as connection:
        existing = await sms_rows.factor_of_number(connection, user_id=session.user_id, e164=e164)
        if existing is not None and existing.status == "active":
            raise PhoneNumberTakenError("this number is already registered", field="phone_number")
        if existing is not None:  # an unconfirmed earlier try: start over
            await queries.delete_factor(connection, factor_id=existing.factor_id)
        await factors.add_pending(
            connection,
            factor_id=factor_id,
            user_id=session.user_id,
            kind=FactorKind.SMS,
            name=mask(e164),
            pending_until=runtime.now() + timedelta(seconds=runtime.settings.sms_code_ttl_s),
        )
        await sms_rows.add_number(
            connection, factor_id=factor_id, user_id=session.user_id, e164=e164
        )
        challenge_id, code, expires_at = await _issue_code(
            connection, runtime, session=session, factor_id=factor_id, kind="sms_enrolment"
        )
    try:
        await _send(runtime, to=e164, code=code, language=language)
    except SmsNotSentError:
        async with database.connection() as connection:
            await queries.delete_pending(connection, factor_id=factor_id)
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
    sent: sms_rows.SentCode | None,
    code: str,
) -> None:
    if sent is None:
        raise SmsCodeNotSentError(
            "no code was sent in this session: ask for a new one", field="code"
        )
    if sent.expires_at <= runtime.now():
        raise SmsCodeExpiredError("the code has expired: ask for a new one", field="code")
    if not hmac.compare_digest(sent.challenge, keyed_hash(runtime.code_key, code)):
        raise SmsCodeWrongError("the code is wrong", field="code")


async def confirm_enrolment(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    factor_id: uuid.UUID,
    code: str,
) -> Factor:
    code = check_code(code)
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="phone_number")
    async with database.connection() as connection:
        await factors.get_factor(
            connection, user_id=session.user_id, factor_id=factor_id, kind=FactorKind.SMS
        )
        sent = await sms_rows.enrolment_code(
            connection, session_hash=session.id_hash, factor_id=factor_id
        )
        try:
            await _check_code(runtime, sent=sent, code=code)
        except SmsCodeWrongError as error:
            assert sent is not None  # noqa: S101  (_check_code raised NotFound otherwise)
            wrong = await sms_rows.count_wrong_code(
                connection, challenge_id=sent.id, limit=MAX_WRONG_ENROLMENT_CODES
            )
            error.params["attempts_left"] = max(0, MAX_WRONG_ENROLMENT_CODES - wrong)
            raise
    assert sent is not None  # noqa: S101
    async with database.transaction() as connection:
        if not await sms_rows.spend_code(connection, challenge_id=sent.id):
            raise SmsCodeUsedError("the code was already used", field="code")
        return await factors.activate(connection, factor_id=factor_id, now=runtime.now())


async def phone_numbers(database: Database, *, user_id: uuid.UUID) -> list[PhoneNumber]:
    """The user's confirmed numbers, in the order they were added."""
    async with database.connection() as connection:
        return await sms_rows.active_numbers(connection, user_id=user_id)


async def send_sign_in_code(
    database: Database,
    runtime: MfaRuntime,
    *,
    session: Session,
    factor_id: uuid.UUID | None,
    language: str,
) -> SentCode:
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="method")
    numbers = await phone_numbers(database, user_id=session.user_id)
    chosen = [n for n in numbers if factor_id is None or n.id == factor_id]
    if not chosen:
        raise PhoneNumberNotFoundError("no such phone number on this account", field="factor_id")
    number = chosen[0]
    async with database.transaction() as connection:
        challenge_id, code, expires_at = await _issue_code(
            connection, runtime, session=session, factor_id=number.id, kind="sms_sign_in"
        )
    await _send(runtime, to=number.e164, code=code, language=language)
    return SentCode(
        challenge_id=challenge_id,
        factor_id=number.id,
        sent_to=number.name,
        expires_at=expires_at,
        sms_sunset_date=runtime.settings.sms_sunset_date.isoformat(),
    )


async def verify_sign_in(
    connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, code: str
) -> tuple[str, ...]:
    code = check_code(code)
    if not runtime.sms_allowed:
        raise sunset_error(runtime, field="method")
    sent = await sms_rows.latest_sign_in_code(connection, session_hash=session.id_hash)
    await _check_code(runtime, sent=sent, code=code)
    assert sent is not None  # noqa: S101
    await sms_rows.use_code(connection, challenge_id=sent.id, now=runtime.now())
    if sent.factor_id is not None:  # always set for sign-in codes (_issue_code)
        await queries.mark_used(connection, factor_id=sent.factor_id, now=runtime.now())
    return ("sms",)


class SmsEnrolment:
    kind = FactorKind.SMS

    async def enrol(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        user: User,
        request: EnrolmentRequest,
    ) -> SentCode:
        return await start_enrolment(
            database,
            runtime,
            session=session,
            phone_number=request.needed("phone_number"),
            language=user.email_language,
        )

    async def confirm(
        self,
        database: Database,
        runtime: MfaRuntime,
        *,
        session: Session,
        proof: EnrolmentProof,
    ) -> Factor:
        return await confirm_enrolment(
            database,
            runtime,
            session=session,
            factor_id=proof.needed("factor_id"),
            code=proof.code or "",
        )


class SmsSignIn(SignInMethodDefaults):
    method = Method.SMS
    answer_form = AnswerForm.SENT_CODE
    code_length = CODE_DIGITS

    async def challenge(
        self, database: Database, runtime: MfaRuntime, *, session: Session, start: ChallengeStart
    ) -> Challenge | None:
        user = await accounts.get_user(database, user_id=session.user_id)
        sent = await send_sign_in_code(
            database,
            runtime,
            session=session,
            factor_id=start.phone_number_id,
            language=user.email_language,
        )
        return Challenge(
            id=sent.challenge_id,
            method=self.method,
            expires_at=sent.expires_at,
            sent_to=sent.sent_to,
            sms_sunset_date=sent.sms_sunset_date,
        )

    async def verify(
        self, connection: AsyncConnection, runtime: MfaRuntime, *, session: Session, answer: Answer
    ) -> Amr:
        return await verify_sign_in(
            connection, runtime, session=session, code=answer.needed("code")
        )


ENROLMENT = SmsEnrolment()
SIGN_IN = SmsSignIn()
