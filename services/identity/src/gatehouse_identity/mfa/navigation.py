"""Where the browser goes during sign-in: the `next` page (relative paths only — no open
redirect), the requested level, and the second-factor pages in between."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

DEFAULT_NEXT = "/account"
MAX_NEXT_LENGTH = 2000


def safe_next(value: str | None) -> str:
    """`value` if it is a path on this site, else the default.

    Refused: absolute URLs (`https://evil`), scheme-relative ones (`//evil`), backslash tricks
    (`/\\evil`, which browsers read as `//evil`), and anything with control characters.
    """
    if not value or len(value) > MAX_NEXT_LENGTH:
        return DEFAULT_NEXT
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


def flow_query(*, next_url: str, level: str | None, fresh: bool = False) -> str:
    params = {"next": next_url}
    if level:
        params["level"] = level
    if fresh:
        params["fresh"] = "1"
    return urlencode(params)


def second_factor_url(*, next_url: str, level: str | None, fresh: bool = False) -> str:
    return f"/login/second-factor?{flow_query(next_url=next_url, level=level, fresh=fresh)}"


def login_url(*, next_url: str, level: str | None, fresh: bool = False) -> str:
    return f"/login?{flow_query(next_url=next_url, level=level, fresh=fresh)}"
