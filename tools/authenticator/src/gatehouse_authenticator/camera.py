"""The app's camera: read a QR code from a PNG image (a screenshot, or the `data:` URI a page
shows). Decoding uses zxing-cpp (the `camera` extra); the PNG is unpacked here with zlib, so no
imaging library is needed."""

from __future__ import annotations

import base64
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class CameraError(ValueError):
    """No readable QR code in the image."""


def png_from_data_uri(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not uri.startswith(prefix):
        raise CameraError("not a PNG data URI")
    return base64.b64decode(uri[len(prefix) :])


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(PNG_SIGNATURE):
        raise CameraError("not a PNG image")
    chunks, position = [], len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunks.append((kind, data[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, width_bytes: int, height: int, bpp: int) -> list[bytearray]:
    rows: list[bytearray] = []
    previous = bytearray(width_bytes)
    stride = width_bytes + 1
    for y in range(height):
        kind, line = raw[y * stride], bytearray(raw[y * stride + 1 : (y + 1) * stride])
        for x in range(width_bytes):
            left = line[x - bpp] if x >= bpp else 0
            up, corner = previous[x], previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[x] = (line[x] + _paeth(left, up, corner)) & 0xFF
        rows.append(line)
        previous = line
    return rows


def png_to_grey(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, 8-bit grey pixels) of a non-interlaced greyscale, palette or RGB PNG."""
    chunks = _chunks(data)
    header = next(body for kind, body in chunks if kind == b"IHDR")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if interlace or depth not in (1, 2, 4, 8) or colour not in (0, 2, 3):
        raise CameraError("unsupported PNG layout")
    palette = next((body for kind, body in chunks if kind == b"PLTE"), b"")
    channels = 3 if colour == 2 else 1
    bits = depth * channels
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    rows = _unfilter(raw, (width * bits + 7) // 8, height, max(1, bits // 8))
    grey = bytearray()
    for row in rows:
        for x in range(width):
            if colour == 2:
                r, g, b = row[3 * x : 3 * x + 3]
                grey.append((r + g + b) // 3)
                continue
            bit = x * depth
            value = (row[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
            if colour == 3:
                r, g, b = palette[3 * value : 3 * value + 3]
                grey.append((r + g + b) // 3)
            else:
                grey.append(value * 255 // ((1 << depth) - 1))
    return width, height, bytes(grey)


def read_qr(png: bytes) -> str:
    """The text of the QR code in a PNG image."""
    import zxingcpp  # noqa: PLC0415  (optional: only the camera needs it)

    width, height, grey = png_to_grey(png)
    image = memoryview(grey).cast("B", (height, width))
    results = [r for r in zxingcpp.read_barcodes(image) if "QR" in str(r.format)]
    if not results:
        raise CameraError("no QR code found in the image")
    text: str = results[0].text
    return text
