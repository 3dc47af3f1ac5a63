"""A self-hosted captcha: six digits shown as a distorted image, with the same digits spoken as
an audio file for people who cannot see the image. Each challenge answers once, then is spent."""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha

CODE_LENGTH = 6
TTL = timedelta(minutes=10)

_image = ImageCaptcha(width=220, height=80)
_audio = AudioCaptcha()


class CaptchaFailedError(Exception):
    pass


async def create_challenge(pool: asyncpg.Pool) -> uuid.UUID:
    challenge_id = uuid.uuid4()
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    await pool.execute(
        "INSERT INTO captcha_challenges (id, answer, expires_at) VALUES ($1, $2, $3)",
        challenge_id,
        code,
        datetime.now(UTC) + TTL,
    )
    return challenge_id


async def _open_answer(pool: asyncpg.Pool, challenge_id: uuid.UUID) -> str | None:
    answer: str | None = await pool.fetchval(
        """SELECT answer FROM captcha_challenges
            WHERE id = $1 AND used_at IS NULL AND expires_at > now()""",
        challenge_id,
    )
    return answer


async def render_image(pool: asyncpg.Pool, challenge_id: uuid.UUID) -> bytes | None:
    code = await _open_answer(pool, challenge_id)
    return None if code is None else _image.generate(code).getvalue()


async def render_audio(pool: asyncpg.Pool, challenge_id: uuid.UUID) -> bytes | None:
    code = await _open_answer(pool, challenge_id)
    return None if code is None else bytes(_audio.generate(code))


async def solve_challenge(pool: asyncpg.Pool, *, challenge_id: uuid.UUID, answer: str) -> None:
    """Spend the challenge; CaptchaFailedError unless the answer is right and still in time."""
    stored: str | None = await pool.fetchval(
        """UPDATE captcha_challenges SET used_at = now()
            WHERE id = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING answer""",
        challenge_id,
    )
    typed = "".join(answer.split())
    if stored is None or not hmac.compare_digest(stored.encode(), typed.encode()):
        raise CaptchaFailedError("the verification code is wrong or has expired")
