"""Domain errors of second factors, one code per thing a person can be told (the sentences are
`error.<code>` in i18n/*.json). Families group them by what went wrong; the family decides the
kind (and so the status a transport gives it), the subclass the sentence.
"""

from __future__ import annotations

from gatehouse_identity.errors import IdentityError, Kind


class MfaError(IdentityError):
    """Base of every second-factor error."""


# --- malformed input (422, naming the field) ---------------------------------------------------


class InvalidFactorInputError(MfaError):
    """Malformed input: wrong length, not E.164, undecodable payload, wrong key type..."""

    code = "second_factor_input_invalid"


class FactorNameInvalidError(InvalidFactorInputError):
    code = "factor_name_invalid"


class AnswerMissingError(InvalidFactorInputError):
    """The chosen method needs a value that was not sent (`field` names it)."""

    code = "answer_missing"


class TotpCodeMalformedError(InvalidFactorInputError):
    code = "totp_code_malformed"


class SmsCodeMalformedError(InvalidFactorInputError):
    code = "sms_code_malformed"


class AppPasswordMalformedError(InvalidFactorInputError):
    code = "app_password_malformed"


class RecoveryCodeMalformedError(InvalidFactorInputError):
    code = "recovery_code_malformed"


class PinMalformedError(InvalidFactorInputError):
    code = "pin_malformed"


class PinsDifferError(InvalidFactorInputError):
    code = "pins_differ"


class PhoneNumberInvalidError(InvalidFactorInputError):
    code = "phone_number_invalid"


class PhoneNumberNotMobileError(InvalidFactorInputError):
    code = "phone_number_not_mobile"


class PhoneNumberTakenError(InvalidFactorInputError):
    code = "phone_number_taken"


class SecurityKeyResponseInvalidError(InvalidFactorInputError):
    """The browser's WebAuthn answer could not be read or verified as a registration."""

    code = "security_key_response_invalid"


class AppRequestMalformedError(InvalidFactorInputError):
    """The mobile app sent something this server cannot read (base64, key, token format)."""

    code = "app_request_malformed"


class PushNumberMalformedError(InvalidFactorInputError):
    code = "push_number_malformed"


# --- well-formed answers that do not verify (401) -----------------------------------------------


class WrongCodeError(MfaError):
    """A well-formed answer that does not verify (wrong code, bad signature, wrong PIN)."""

    code = "wrong_answer"
    kind = Kind.UNAUTHENTICATED


class TotpCodeWrongError(WrongCodeError):
    code = "totp_code_wrong"


class TotpCodeReusedError(WrongCodeError):
    code = "totp_code_reused"


class SmsCodeWrongError(WrongCodeError):
    code = "sms_code_wrong"


class SmsCodeUsedError(WrongCodeError):
    code = "sms_code_used"


class RecoveryCodeWrongError(WrongCodeError):
    code = "recovery_code_wrong"


class AppPasswordWrongError(WrongCodeError):
    code = "app_password_wrong"


class PinWrongError(WrongCodeError):
    code = "pin_wrong"


class EnrolmentCancelledError(WrongCodeError):
    """The PIN proof was wrong too often while the app registered: the enrolment is gone."""

    code = "enrolment_cancelled"


class AppSignatureInvalidError(WrongCodeError):
    code = "app_signature_invalid"


class PushNumberMismatchError(WrongCodeError):
    """The app: the number typed does not match the browser's; the request is cancelled."""

    code = "push_number_mismatch"


class PushRejectedError(WrongCodeError):
    """The browser: the request was cancelled because the app sent the wrong number."""

    code = "push_rejected"


class SecurityKeyUnknownError(WrongCodeError):
    code = "security_key_unknown"


class SecurityKeyClonedError(WrongCodeError):
    """The signature counter did not go up: two authenticators share the key."""

    code = "security_key_cloned"


class SecurityKeyAnswerInvalidError(WrongCodeError):
    code = "security_key_answer_invalid"


class PasskeyUnknownError(WrongCodeError):
    """A passkey-first sign-in with a credential no account has (or whose user handle is not
    its account's)."""

    code = "passkey_unknown"


class PasskeyNotVerifiedError(WrongCodeError):
    """A passkey-first sign-in whose authenticator did not verify the user (no UV flag)."""

    code = "passkey_not_verified"


class AttemptEndedError(MfaError):
    """Too many wrong answers, or a request denied on the device: the sign-in attempt (the
    session) is over; start again."""

    code = "sign_in_attempt_ended"
    kind = Kind.UNAUTHENTICATED


# --- challenges: expired (410), already used or not yet answered (409) -------------------------


class ChallengeExpiredError(MfaError):
    code = "challenge_expired"
    kind = Kind.GONE


class SmsCodeExpiredError(ChallengeExpiredError):
    code = "sms_code_expired"


class PushRequestExpiredError(ChallengeExpiredError):
    code = "push_request_expired"


class ApprovalExpiredError(ChallengeExpiredError):
    """Approved in the app, but the browser came to collect it too late."""

    code = "approval_expired"


class QrCodeExpiredError(ChallengeExpiredError):
    code = "qr_code_expired"


class ChallengeUsedError(MfaError):
    """Already answered, used or denied: a replay."""

    code = "challenge_used"
    kind = Kind.CONFLICT


class PushRequestAnsweredError(ChallengeUsedError):
    code = "push_request_answered"


class ApprovalUsedError(ChallengeUsedError):
    code = "approval_used"


class QrCodeUsedError(ChallengeUsedError):
    code = "qr_code_used"


class SecurityKeyTakenError(ChallengeUsedError):
    code = "security_key_taken"


class ChallengePendingError(MfaError):
    code = "push_pending"
    kind = Kind.CONFLICT


# --- not found (404) ---------------------------------------------------------------------------


class NotFoundError(MfaError):
    code = "challenge_not_found"
    kind = Kind.NOT_FOUND


class FactorNotFoundError(NotFoundError):
    code = "factor_not_found"


class EnrolmentExpiredError(NotFoundError):
    code = "enrolment_expired"


class EnrolmentTokenUnknownError(NotFoundError):
    """The app presented an enrolment QR code that is unknown, used or expired."""

    code = "enrolment_token_unknown"


class SmsCodeNotSentError(NotFoundError):
    code = "sms_code_not_sent"


class PhoneNumberNotFoundError(NotFoundError):
    code = "phone_number_not_found"


class PushRequestNotFoundError(NotFoundError):
    code = "push_request_not_found"


# --- not possible for this account or device (403, 401, 423) ------------------------------------


class MethodUnavailableError(MfaError):
    """The method is not enrolled, locked, or withdrawn (SMS after its sunset date)."""

    code = "method_unavailable"
    kind = Kind.PERMISSION_DENIED


class SmsWithdrawnError(MethodUnavailableError):
    """After the sunset date (`sms_sunset_date`) SMS is neither accepted nor enrolled."""

    code = "sms_withdrawn"


class NoMobileDeviceError(MethodUnavailableError):
    code = "no_mobile_device"


class NoSecurityKeyError(MethodUnavailableError):
    code = "no_security_key"


class SecondFactorNeededError(MethodUnavailableError):
    """Something that only makes sense once the user has a second factor."""

    code = "second_factor_needed"


class StepUpRequiredError(MfaError):
    """The session is below the level this action needs; `level` says which one, `fresh` that
    a second factor must be proved again."""

    code = "step_up_required"
    kind = Kind.PERMISSION_DENIED


class DeviceUnknownError(MfaError):
    """The mobile app's device token is missing, unknown or revoked."""

    code = "device_unknown"
    kind = Kind.UNAUTHENTICATED


class DeviceLockedError(MfaError):
    """Too many wrong PINs: the device is locked until it is enrolled again (HTTP 423)."""

    code = "device_locked"
    kind = Kind.PERMISSION_DENIED


# --- limits and the SMS provider ---------------------------------------------------------------


class TooManySmsCodesError(MfaError):
    code = "too_many_sms_codes"
    kind = Kind.TOO_MANY_REQUESTS


class TooManyAppRequestsError(MfaError):
    code = "too_many_app_requests"
    kind = Kind.TOO_MANY_REQUESTS


class SmsNotSentError(MfaError):
    """The SMS provider did not take the message (HTTP 502: the fault is upstream)."""

    code = "sms_not_sent"
    kind = Kind.CONFLICT
