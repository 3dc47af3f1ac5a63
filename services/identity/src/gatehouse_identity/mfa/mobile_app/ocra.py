"""OCRA (RFC 6287): the one-time password the authenticator app derives offline from the
challenge in the browser's QR code, its per-device key and the PIN.

The app uses suite `OCRA-1:HOTP-SHA256-8:QN10-PSHA256`: an 8-digit HOTP-style answer over a
numeric challenge of up to 10 digits and the SHA-256 of the PIN. A wrong PIN in the app gives a
wrong answer, so the PIN is checked without travelling. This implementation follows the RFC's
reference code and accepts suites of the form
`OCRA-1:HOTP-<H>-<n>:[C-]Q<f><nn>[-P<H>][-S<nnn>][-T<t>]`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

APP_SUITE = "OCRA-1:HOTP-SHA256-8:QN10-PSHA256"
HASHES = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


class OcraSuiteError(ValueError):
    pass


@dataclass(frozen=True)
class Suite:
    text: str
    digest: str
    digits: int
    counter: bool
    question_format: str  # N, A or H
    question_length: int
    pin_digest: str | None
    session_length: int | None
    timestamp_step_s: int | None

    @classmethod
    def parse(cls, text: str) -> Suite:
        try:
            version, crypto, data_input = text.split(":")
            _, hash_name, digits = crypto.split("-")
        except ValueError as error:
            raise OcraSuiteError(f"not an OCRA suite: {text!r}") from error
        if version != "OCRA-1" or not crypto.startswith("HOTP-") or hash_name not in HASHES:
            raise OcraSuiteError(f"unsupported OCRA suite: {text!r}")
        parts = data_input.split("-")
        counter = parts[0] == "C"
        if counter:
            parts = parts[1:]
        if not parts or not parts[0].startswith("Q") or len(parts[0]) != 4:
            raise OcraSuiteError(f"the suite needs a challenge (Q): {text!r}")
        question = parts[0]
        pin_digest = session_length = timestamp_step = None
        for part in parts[1:]:
            if part.startswith("P") and part[1:] in HASHES:
                pin_digest = part[1:]
            elif part.startswith("S") and part[1:].isdigit():
                session_length = int(part[1:])
            elif part.startswith("T") and part[1:-1].isdigit() and part[-1] in "SMH":
                timestamp_step = int(part[1:-1]) * {"S": 1, "M": 60, "H": 3600}[part[-1]]
            else:
                raise OcraSuiteError(f"unsupported OCRA data input {part!r}")
        if question[1] not in "NAH" or not question[2:].isdigit():
            raise OcraSuiteError(f"bad challenge format {question!r}")
        return cls(
            text=text,
            digest=hash_name,
            digits=int(digits),
            counter=counter,
            question_format=question[1],
            question_length=int(question[2:]),
            pin_digest=pin_digest,
            session_length=session_length,
            timestamp_step_s=timestamp_step,
        )


def pin_hash(pin: str, digest: str = "SHA256") -> bytes:
    """OCRA's P input: the hash of the PIN (the server keeps it, encrypted)."""
    return HASHES[digest](pin.encode()).digest()


def _question_hex(question: str, question_format: str) -> str:
    if question_format == "N":
        if not question.isdigit():
            raise OcraSuiteError("a numeric challenge has digits only")
        value = format(int(question), "x")
    elif question_format == "A":
        value = question.encode().hex()
    else:
        value = question
    if len(value) > 256:
        raise OcraSuiteError("the challenge is longer than 128 bytes")
    # As the RFC's reference code: left-aligned, padded with zeros to 128 bytes.
    return value.ljust(256, "0")


def ocra(
    suite_text: str,
    key: bytes,
    *,
    question: str,
    counter: int | None = None,
    pin_digest_value: bytes | None = None,
    session: bytes | None = None,
    timestamp: int | None = None,
) -> str:
    """The OCRA response. `timestamp` is already in time steps of the suite (as in the RFC)."""
    suite = Suite.parse(suite_text)
    if len(question) > suite.question_length and suite.question_format == "N":
        raise OcraSuiteError(f"the challenge has more than {suite.question_length} digits")
    message = suite_text.encode() + b"\x00"
    if suite.counter:
        if counter is None:
            raise OcraSuiteError("this suite needs a counter")
        message += counter.to_bytes(8, "big")
    message += bytes.fromhex(_question_hex(question, suite.question_format))
    if suite.pin_digest is not None:
        expected = HASHES[suite.pin_digest]().digest_size
        if pin_digest_value is None or len(pin_digest_value) != expected:
            raise OcraSuiteError("this suite needs the PIN's hash")
        message += pin_digest_value
    if suite.session_length is not None:
        if session is None or len(session) != suite.session_length:
            raise OcraSuiteError("this suite needs session information")
        message += session
    if suite.timestamp_step_s is not None:
        if timestamp is None:
            raise OcraSuiteError("this suite needs a timestamp")
        message += timestamp.to_bytes(8, "big")
    mac = hmac.new(key, message, HASHES[suite.digest]).digest()
    offset = mac[-1] & 0x0F
    binary = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(binary % 10**suite.digits).zfill(suite.digits)
