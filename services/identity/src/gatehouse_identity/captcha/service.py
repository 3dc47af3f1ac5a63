"""A self-hosted captcha: six digits shown as a distorted image, with the same digits spoken as
an audio file for people who cannot see the image. Each challenge answers once, then is spent.

The picture comes from the `captcha` library, tuned so that a careful person reads it right while
a generic OCR still fails (services/identity/tests/test_captcha_glyphs.py measures both):

- The alphabet leaves out 1 and 7: rotated and warped, the library's 1 (with its flag) and 7 were
  the pair whose most alike renderings came far closer than any other pair's, and people misread
  them (448311 as 448317). Eight digits remain: 8^6 ≈ 262,000 codes, and each challenge answers
  once, so guessing stays hopeless.
- Each digit turns at most 15° (the library's ±30° turns a 1 into a 7 and blurs 3/8 and 5/6).
- Digits overlap less, and the ink is always dark on the light background (the library's random
  colours and its brightness mask could draw light grey on white). Readable ink alone lets
  Tesseract read a third of the codes; two wavy lines through the digits bring that to none,
  while a person reads past them.
"""

from __future__ import annotations

import hmac
import math
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from io import BytesIO

from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha, random_color
from PIL import Image
from PIL.ImageDraw import Draw
from PIL.ImageFilter import SMOOTH

from gatehouse_common.db import Database
from gatehouse_identity.captcha import queries
from gatehouse_identity.captcha.errors import CaptchaFailedError, CaptchaMissingError

CODE_LENGTH = 6
ALPHABET = "02345689"
TTL = timedelta(minutes=10)
_DARKEST_INK, _LIGHTEST_INK = 30, 80
_WAVY_LINES = 2


class GlyphPicture(ImageCaptcha):
    """The library's renderer with gentler turns and less overlap (see the module's docstring)."""

    character_rotate = (-15, 15)
    word_offset_dx = 0.1
    # The library pastes each glyph through a mask made from its ink's brightness (1.97 × the
    # grey level: full strength only for ink lighter than 130, so dark ink came out faint). Full
    # strength from our darkest ink up, so dark ink stays dark on the light background.
    lookup_table = [min(255, level * 255 // _DARKEST_INK) for level in range(256)]  # noqa: RUF012

    def glyph(self, character: str) -> Image.Image:
        """One character as this renderer draws it inside a code (turned and warped), in black on
        a transparent background: what the glyph test compares."""
        scratch = Draw(Image.new("RGB", (1, 1)))
        drawn: Image.Image = self._draw_character(character, scratch, (0, 0, 0, 255))
        return drawn

    def picture(self, code: str) -> bytes:
        """The code as a PNG: dark ink on a light background, dots, and two wavy lines through
        the digits (what a generic OCR stumbles on; a reader looks past them)."""
        ink = random_color(_DARKEST_INK, _LIGHTEST_INK, 255)
        image = self.create_captcha_image(code, ink, random_color(238, 255))
        self.create_noise_dots(image, ink)
        for _ in range(_WAVY_LINES):
            _draw_wavy_line(image, ink)
        out = BytesIO()
        image.filter(SMOOTH).save(out, format="png")
        return out.getvalue()


def _draw_wavy_line(image: Image.Image, ink: tuple[int, ...]) -> None:
    """A sine wave across the whole picture, through the middle band where the digits are."""
    width, height = image.size
    middle = height // 3 + secrets.randbelow(height // 3)
    amplitude = height // 10 + secrets.randbelow(height // 6)
    period = width * (0.6 + secrets.randbelow(60) / 100)
    phase = secrets.randbelow(628) / 100
    points = [
        (x, middle + amplitude * math.sin(phase + 2 * math.pi * x / period))
        for x in range(0, width + 1, 4)
    ]
    Draw(image).line(points, fill=ink, width=2)


_image = GlyphPicture(width=220, height=80)
_audio = AudioCaptcha()


async def create_challenge(database: Database) -> uuid.UUID:
    challenge_id = uuid.uuid4()
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    async with database.connection() as connection:
        await queries.insert_challenge(
            connection, challenge_id=challenge_id, answer=code, expires_at=datetime.now(UTC) + TTL
        )
    return challenge_id


async def _open_answer(database: Database, challenge_id: uuid.UUID) -> str | None:
    async with database.connection() as connection:
        return await queries.open_answer(connection, challenge_id=challenge_id)


async def render_image(database: Database, challenge_id: uuid.UUID) -> bytes | None:
    code = await _open_answer(database, challenge_id)
    return None if code is None else _image.picture(code)


async def render_audio(database: Database, challenge_id: uuid.UUID) -> bytes | None:
    code = await _open_answer(database, challenge_id)
    return None if code is None else bytes(_audio.generate(code))


async def solve_challenge(database: Database, *, challenge_id: uuid.UUID, answer: str) -> None:
    """Spend the challenge; CaptchaFailedError unless the answer is right and still in time."""
    async with database.connection() as connection:
        stored = await queries.spend(connection, challenge_id=challenge_id)
    typed = "".join(answer.split())
    if stored is None or not hmac.compare_digest(stored.encode(), typed.encode()):
        raise CaptchaFailedError("the verification code is wrong or has expired")


async def check_answer(
    database: Database, *, challenge_id: uuid.UUID | None, answer: str | None
) -> None:
    """A captcha the caller must have solved: CaptchaMissingError when nothing was typed,
    CaptchaFailedError when the answer is wrong (the challenge is spent either way)."""
    if challenge_id is None or not answer:
        raise CaptchaMissingError("type the code shown in the picture")
    await solve_challenge(database, challenge_id=challenge_id, answer=answer)
