"""Sign-in strength: what each second factor proves (amr, RFC 8176) and the level it gives.

Levels, weakest first: `password`, `multi_factor` (password and any second factor; SMS only
before its sunset date), `phishing_resistant` (password and WebAuthn: the signature is bound to
the origin, so a look-alike site cannot relay it — app push with number matching can be relayed
by a real-time phishing proxy, hence only multi-factor).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from gatehouse_identity.accounts.sessions import AuthLevel, Session, level_satisfies

__all__ = ["AuthLevel", "level_satisfies"]


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

METHOD_LEVEL: dict[Method, str] = dict.fromkeys(Method, AuthLevel.MULTI_FACTOR) | {
    Method.WEBAUTHN: AuthLevel.PHISHING_RESISTANT
}


def parse_level(value: str | None, *, default: str) -> str | None:
    """A level named by a caller, the default when absent, None when not a level."""
    if not value:
        return default
    return value if value in AuthLevel.ORDER else None


def stronger(a: str, b: str) -> str:
    return a if level_satisfies(a, b) else b


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


def methods_reaching(need: str, methods: Iterable[Method], *, have: str) -> list[Method]:
    """The methods that would take a session at level `have` to level `need`: only the missing
    factor is asked for (a multi-factor session stepping up to phishing-resistant is offered
    WebAuthn only)."""
    return [m for m in methods if level_satisfies(stronger(have, METHOD_LEVEL[m]), need)]
