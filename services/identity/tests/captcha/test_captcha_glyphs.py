"""The captcha's picture: a careful person reads every digit right, a generic OCR does not.

Issue 14: 1 and 7 were drawn almost alike, and 4 of 11 captchas were misread by a careful person.
These tests look at the pictures the service serves (its renderer, its alphabet):

- every glyph of the alphabet is distinguishable from every other: the most alike renderings of
  two different glyphs stay further apart than MIN_DISTANCE. Measured on today's renderer (40
  turned and warped renderings per glyph, normalised to 16×20 grey pixels, RMS difference, mean of
  the ten closest cross pairs): 1 and 7 come to 56–60; every pair of the alphabet in use to 67–70.
- a generic OCR (Tesseract, told the alphabet) reads fewer than one code in five.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from gatehouse_identity.captcha.service import ALPHABET, CODE_LENGTH
from gatehouse_identity.captcha.service import _image as renderer

RENDERINGS = 40
CLOSEST_PAIRS = 10
MIN_DISTANCE = 63.0
NORMALISED = (16, 20)
OCR_TRIES = 30
OCR_MAX_READ = OCR_TRIES // 5


def _normalised(character: str) -> Image.Image:
    """The glyph's ink, cropped and scaled to one size (so only its shape counts)."""
    ink = renderer.glyph(character).getchannel("A")
    return ink.crop(ink.getbbox()).resize(NORMALISED, Image.Resampling.BILINEAR)


def _distance(one: Image.Image, other: Image.Image) -> float:
    rms: float = ImageStat.Stat(ImageChops.difference(one, other)).rms[0]
    return rms


def _closeness(ones: list[Image.Image], others: list[Image.Image]) -> float:
    """How near the most alike renderings of two glyphs come (mean of the closest pairs)."""
    nearest = sorted(_distance(a, b) for a in ones for b in others)[:CLOSEST_PAIRS]
    return sum(nearest) / len(nearest)


def test_the_alphabet_leaves_out_the_digits_people_misread() -> None:
    assert "1" not in ALPHABET or "7" not in ALPHABET
    assert len(ALPHABET) ** CODE_LENGTH >= 200_000, "too few codes left to guess against"


def test_every_glyph_is_distinguishable_from_every_other() -> None:
    drawn = {glyph: [_normalised(glyph) for _ in range(RENDERINGS)] for glyph in ALPHABET}
    too_close = {
        f"{one}/{other}": round(closeness, 1)
        for one, other in itertools.combinations(ALPHABET, 2)
        if (closeness := _closeness(drawn[one], drawn[other])) < MIN_DISTANCE
    }
    assert not too_close, f"glyphs drawn too alike (closeness < {MIN_DISTANCE}): {too_close}"


def _tesseract() -> str:
    """Debian's tesseract-ocr, installed with apt-get when missing and we are root."""
    found = shutil.which("tesseract")
    if found is None and os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "tesseract-ocr"],
        ):
            subprocess.run(command, env=env, capture_output=True, timeout=900, check=False)  # noqa: S603
        found = shutil.which("tesseract")
    if found is None:
        pytest.skip("OCR TEST SKIPPED: no tesseract (apt-get install -y tesseract-ocr)")
    return found


def test_a_generic_ocr_reads_few_codes() -> None:
    tesseract = _tesseract()
    read = []
    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(OCR_TRIES):
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            path = Path(folder) / f"{attempt}.png"
            path.write_bytes(renderer.picture(code))
            done = subprocess.run(  # noqa: S603
                [
                    tesseract,
                    str(path),
                    "stdout",
                    "--psm",
                    "7",
                    "-c",
                    f"tessedit_char_whitelist={ALPHABET}",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            if "".join(done.stdout.split()) == code:
                read.append(code)
    assert len(read) <= OCR_MAX_READ, f"Tesseract read {len(read)} of {OCR_TRIES} codes: {read}"
