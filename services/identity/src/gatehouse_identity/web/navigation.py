"""Where the browser goes during sign-in: the `next` page (relative paths only — no open
redirect), the requested level, and the second-factor pages in between."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from gatehouse_identity.levels import parse_level

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


@dataclass(frozen=True)
class Flow:
    """Where a sign-in goes after the second factor, carried from page to page."""

    next_url: str
    level: str | None
    fresh: bool

    @classmethod
    def read(cls, values: Mapping[str, str]) -> Flow:
        return cls(
            next_url=safe_next(values.get("next")),
            level=parse_level(values.get("level"), default="") or None,
            fresh=values.get("fresh") == "1",
        )

    @property
    def query(self) -> str:
        return flow_query(next_url=self.next_url, level=self.level, fresh=self.fresh)

    @property
    def login_url(self) -> str:
        return login_url(next_url=self.next_url, level=self.level, fresh=self.fresh)

    @property
    def second_factor_url(self) -> str:
        return second_factor_url(next_url=self.next_url, level=self.level, fresh=self.fresh)

    def fields(self) -> dict[str, str]:
        return {
            "next": self.next_url,
            "level": self.level or "",
            "fresh": "1" if self.fresh else "",
        }
