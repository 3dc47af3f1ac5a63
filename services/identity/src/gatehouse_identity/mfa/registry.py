"""Every second-factor method, by what a user enrols and by what they answer at sign-in. Adding
a method is adding its module and its lines here."""

from __future__ import annotations

from gatehouse_identity.mfa import recovery_codes, sms, totp, webauthn
from gatehouse_identity.mfa.levels import FactorKind, Method
from gatehouse_identity.mfa.methods import Enrolment, SignInMethod
from gatehouse_identity.mfa.mobile_app import enrolment as mobile_enrolment
from gatehouse_identity.mfa.mobile_app import offline, push

ENROLMENTS: dict[FactorKind, Enrolment[object]] = {
    FactorKind.TOTP: totp.ENROLMENT,
    FactorKind.MOBILE_APP: mobile_enrolment.ENROLMENT,
    FactorKind.WEBAUTHN: webauthn.ENROLMENT,
    FactorKind.SMS: sms.ENROLMENT,
}

SIGN_IN_METHODS: dict[Method, SignInMethod] = {
    Method.TOTP: totp.SIGN_IN,
    Method.MOBILE_APP_PUSH: push.SIGN_IN,
    Method.MOBILE_APP_QR: offline.SIGN_IN,
    Method.WEBAUTHN: webauthn.SIGN_IN,
    Method.SMS: sms.SIGN_IN,
    Method.RECOVERY_CODE: recovery_codes.SIGN_IN,
}


def sign_in_method(method: Method) -> SignInMethod:
    return SIGN_IN_METHODS[method]


def enrolment_of(kind: FactorKind) -> Enrolment[object]:
    return ENROLMENTS[kind]
