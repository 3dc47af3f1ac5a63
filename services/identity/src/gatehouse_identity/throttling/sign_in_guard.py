"""After a few failed sign-ins from one address, that address must solve a captcha before a
password is even checked: guessing then costs a human step per try."""

from __future__ import annotations

import uuid

import asyncpg

from gatehouse_identity.accounts.errors import InvalidInputError
from gatehouse_identity.captcha import service as captcha
from gatehouse_identity.throttling.limits import hit, hits_so_far

FAILURE_WINDOW_S = 15 * 60


class CaptchaRequiredError(InvalidInputError):
    pass


def _bucket(address: str) -> str:
    return f"sign_in_failures:{address}"


async def captcha_required(pool: asyncpg.Pool, *, address: str, after_failures: int) -> bool:
    failures = await hits_so_far(pool, bucket=_bucket(address), window_s=FAILURE_WINDOW_S)
    return failures >= after_failures


async def check_captcha(
    pool: asyncpg.Pool,
    *,
    address: str,
    after_failures: int,
    captcha_id: uuid.UUID | None,
    captcha_answer: str | None,
) -> None:
    """CaptchaRequiredError (naming captcha_answer) unless no captcha is due or it is solved."""
    if not await captcha_required(pool, address=address, after_failures=after_failures):
        return
    if captcha_id is None or not captcha_answer:
        raise CaptchaRequiredError(
            "too many failed sign-ins from your address: type the code shown in the picture",
            field="captcha_answer",
        )
    try:
        await captcha.solve_challenge(pool, challenge_id=captcha_id, answer=captcha_answer)
    except captcha.CaptchaFailedError as error:
        raise CaptchaRequiredError(str(error), field="captcha_answer") from error


async def record_failure(pool: asyncpg.Pool, *, address: str) -> None:
    await hit(pool, bucket=_bucket(address), window_s=FAILURE_WINDOW_S)
