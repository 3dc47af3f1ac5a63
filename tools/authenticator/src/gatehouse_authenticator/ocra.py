"""OCRA (RFC 6287), written for the app on its own (not shared with the server, so the two
check each other as well as the RFC's test vectors)."""

from __future__ import annotations

import hashlib
import hmac

_HASHES = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def pin_hash(pin: str, algorithm: str = "SHA256") -> bytes:
    return _HASHES[algorithm](pin.encode("ascii")).digest()


def ocra(
    suite: str,
    key: bytes,
    question: str,
    *,
    counter: int | None = None,
    pin_digest: bytes | None = None,
    timestamp: int | None = None,
) -> str:
    """Compute an OCRA response for suites `OCRA-1:HOTP-<hash>-<digits>:[C-]Q<N|A|H><len>
    [-P<hash>][-T<step>]` (the parts this app and the RFC's vectors use)."""
    _version, crypto_function, data_input = suite.split(":")
    _, algorithm, digits = crypto_function.split("-")
    fields = data_input.split("-")
    message = bytearray(suite.encode("ascii") + b"\0")
    if fields[0] == "C":
        if counter is None:
            raise ValueError("the suite needs a counter")
        message += counter.to_bytes(8, "big")
        fields = fields[1:]
    kind = fields[0][1]
    if kind == "N":
        question_hex = format(int(question, 10), "x")
    elif kind == "A":
        question_hex = question.encode("ascii").hex()
    else:
        question_hex = question
    message += bytes.fromhex(question_hex + "0" * (256 - len(question_hex)))
    for field in fields[1:]:
        if field.startswith("P"):
            if pin_digest is None:
                raise ValueError("the suite needs the PIN")
            message += pin_digest
        elif field.startswith("T"):
            if timestamp is None:
                raise ValueError("the suite needs a time")
            message += timestamp.to_bytes(8, "big")
        else:
            raise ValueError(f"unsupported OCRA input {field}")
    mac = hmac.new(key, bytes(message), _HASHES[algorithm]).digest()
    start = mac[-1] & 0x0F
    value = int.from_bytes(mac[start : start + 4], "big") & 0x7FFFFFFF
    return str(value % 10 ** int(digits)).rjust(int(digits), "0")
