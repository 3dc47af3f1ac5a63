"""After a few failed sign-ins from one address, that address must solve a captcha before a
password is even checked: guessing then costs a human step per try.

The gate reserves its slot before the password is checked, in one statement, as the account
lockout does: with a hundred requests from one address in flight at once, exactly
CAPTCHA_AFTER_FAILED_SIGN_INS of them reach argon2 without a captcha (reading the count first
and recording failures afterwards let 9 to 30 through). A reserved slot is kept when the
password is wrong (it is the failure) and given back otherwise. What counts as a failure is the
caller's to say (`failure`: accounts' wrong-credentials error), so throttling needs no accounts.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gatehouse_common.db import Database
from gatehouse_identity.captcha import service as captcha
from gatehouse_identity.captcha.errors import CaptchaFailedError
from gatehouse_identity.throttling.errors import CaptchaRequiredError
from gatehouse_identity.throttling.limits import hit, hits_so_far, release, reserve

FAILURE_WINDOW_S = 15 * 60


def _bucket(address: str) -> str:
    return f"sign_in_failures:{address}"


async def captcha_required(database: Database, *, address: str, after_failures: int) -> bool:
    failures = await hits_so_far(database, bucket=_bucket(address), window_s=FAILURE_WINDOW_S)
    return failures >= after_failures


@asynccontextmanager
async def captcha_gate(
    database: Database,
    *,
    address: str,
    after_failures: int,
    captcha_id: uuid.UUID | None,
    captcha_answer: str | None,
    failure: type[Exception],
) -> AsyncIterator[None]:
    """Around one password check: CaptchaRequiredError (naming captcha_answer) before it when
    the address has no free slot and the captcha is not solved; a `failure` raised inside (a
    wrong password) is counted."""
    bucket = _bucket(address)
    window = await reserve(database, bucket=bucket, window_s=FAILURE_WINDOW_S, limit=after_failures)
    if window is None:
        await _solve(database, captcha_id=captcha_id, captcha_answer=captcha_answer)
    try:
        yield
    except failure:
        if window is None:  # checked thanks to a solved captcha: a failure all the same
            await hit(database, bucket=bucket, window_s=FAILURE_WINDOW_S)
        raise
    except BaseException:
        if window is not None:
            await release(database, bucket=bucket, window=window)
        raise
    if window is not None:
        await release(database, bucket=bucket, window=window)


async def _solve(
    database: Database, *, captcha_id: uuid.UUID | None, captcha_answer: str | None
) -> None:
    if captcha_id is None or not captcha_answer:
        raise CaptchaRequiredError(
            "too many failed sign-ins from your address: type the code shown in the picture"
        )
    try:
        await captcha.solve_challenge(database, challenge_id=captcha_id, answer=captcha_answer)
    except CaptchaFailedError as error:
        raise CaptchaRequiredError(error.message) from error
