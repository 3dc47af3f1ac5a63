"""QR codes rendered on the server (segno): a PNG data URI for <img> (allowed by the CSP's
`img-src data:`), always shown with the same content as text for people who cannot scan."""

from __future__ import annotations

import segno


def png_data_uri(payload: str) -> str:
    code = segno.make(payload, error="m", micro=False)
    uri: str = code.png_data_uri(scale=5, border=4)
    return uri
