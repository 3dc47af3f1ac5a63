"""What each second factor proves (amr, RFC 8176) and the level (gatehouse_identity.levels) it
gives: any second factor reaches `multi_factor` (SMS only before its sunset date), WebAuthn
`phishing_resistant` — app push with number matching can be relayed by a real-time phishing
proxy, hence only multi-factor.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from gatehouse_identity.levels import AuthLevel, Level, level_satisfies, stronger
from gatehouse_identity.sessions.models import Session


class FactorKind(StrEnum):
    """What a user enrols (a row of second_factors)."""

    TOTP = "totp"
    MOBILE_APP = "mobile_app"
    WEBAUTHN = "webauthn"
    SMS = "sms"


class Method(StrEnum):
    """What a user does at sign-in."""

    TOTP = "totp"
    MOBILE_APP_PUSH = "mobile_app_push"
    MOBILE_APP_QR = "mobile_app_qr"
    WEBAUTHN = "webauthn"
    SMS = "sms"
    RECOVERY_CODE = "recovery_code"


# Methods each enrolled kind offers at sign-in.
METHODS_OF_KIND: dict[FactorKind, tuple[Method, ...]] = {
    FactorKind.TOTP: (Method.TOTP,),
    FactorKind.MOBILE_APP: (Method.MOBILE_APP_PUSH, Method.MOBILE_APP_QR),
    FactorKind.WEBAUTHN: (Method.WEBAUTHN,),
    FactorKind.SMS: (Method.SMS,),
}
KIND_OF_METHOD: dict[Method, FactorKind | None] = {
    method: kind for kind, methods in METHODS_OF_KIND.items() for method in methods
} | {Method.RECOVERY_CODE: None}

# Strong methods: losing the last one leaves only SMS or recovery codes, so removing it needs a
# fresh second factor.
STRONG_KINDS = frozenset({FactorKind.TOTP, FactorKind.MOBILE_APP, FactorKind.WEBAUTHN})

# RFC 8176 values. App push: a device key signs (swk) after the PIN (pin). App QR: an OCRA
# one-time password (otp) computed with the PIN. Recovery codes are printed one-time passwords.
# WebAuthn gives hwk or swk depending on the credential (see webauthn.amr_for).
METHOD_AMR: dict[Method, tuple[str, ...]] = {
    Method.TOTP: ("otp",),
    Method.MOBILE_APP_PUSH: ("swk", "pin"),
    Method.MOBILE_APP_QR: ("otp", "pin"),
    Method.WEBAUTHN: ("hwk",),
    Method.SMS: ("sms",),
    Method.RECOVERY_CODE: ("otp",),
}
SECOND_FACTOR_AMR = frozenset({"otp", "swk", "hwk", "pin", "sms"})
STRONG_AMR = frozenset({"otp", "swk", "hwk", "pin"})

METHOD_LEVEL: dict[Method, Level] = dict.fromkeys(Method, AuthLevel.MULTI_FACTOR) | {
    Method.WEBAUTHN: AuthLevel.PHISHING_RESISTANT
}


def merged_amr(existing: Iterable[str], added: Iterable[str]) -> list[str]:
    """The session's amr after a second factor: old values first, `mfa` once two factors."""
    amr = [value for value in existing if value != "mfa"]
    amr += [value for value in added if value not in amr]
    if "pwd" in amr and SECOND_FACTOR_AMR.intersection(amr):
        amr.append("mfa")
    return amr


def effective_level(session: Session, *, sms_allowed: bool) -> str:
    """The session's level now: one raised by SMS alone falls back to `password` once SMS is
    no longer accepted (a session can outlive the sunset by a few hours)."""
    if (
        not sms_allowed
        and session.level == AuthLevel.MULTI_FACTOR
        and "sms" in session.amr
        and not STRONG_AMR.intersection(session.amr)
    ):
        return AuthLevel.PASSWORD
    return session.level


def raised_level(session: Session, method: Method) -> str:
    """The session's level once `method` is proved in it."""
    return stronger(session.level, METHOD_LEVEL[method])


def methods_reaching(need: str, methods: Iterable[Method], *, have: str) -> list[Method]:
    """The methods that would take a session at level `have` to level `need`: only the missing
    factor is asked for (a multi-factor session stepping up to phishing-resistant is offered
    WebAuthn only)."""
    return [m for m in methods if level_satisfies(stronger(have, METHOD_LEVEL[m]), need)]
