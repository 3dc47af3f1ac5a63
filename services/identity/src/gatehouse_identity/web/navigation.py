"""Where the browser goes during sign-in: the `next` page (relative paths only — no open
redirect), the requested level, and the second-factor pages in between."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request, Response

from gatehouse_identity.accounts.links import LinkReturn
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


# Sign-up and "Forgot your password?" leave the sign-in page for an e-mail: the return address
# goes with them as `next`/`level`, is kept server-side with the link (accounts.links), and the
# page that confirms the new password signs in towards it (issue 14: it was dropped).


def return_query(next_url: str, level: str | None) -> str:
    """`?next=…&level=…` for the sign-in page's links to sign-up and the forgotten password;
    empty when the sign-in is not going anywhere in particular."""
    if safe_next(next_url) == DEFAULT_NEXT and not level:
        return ""
    return "?" + flow_query(next_url=safe_next(next_url), level=level)


def link_return(values: Mapping[str, str]) -> LinkReturn | None:
    """The return address a sign-up or forgotten-password form carries, validated as the sign-in
    page does (a path on this site, a known level); None when it carries none."""
    flow = Flow.read(values)
    if flow.next_url == DEFAULT_NEXT and flow.level is None:
        return None
    return LinkReturn(next_url=flow.next_url, level=flow.level)


def login_after_link(back: LinkReturn | None) -> str:
    """The sign-in page after a password was set from an e-mailed link, towards where the
    person was going when they asked for it (validated again: it was stored, not trusted)."""
    if back is None:
        return "/login"
    return Flow.read({"next": back.next_url, "level": back.level or ""}).login_url


# "Add a second factor to continue": the enrolment pages are the security page's own, so the way
# back to the service that asked is kept in a short-lived cookie scoped to them, and the page that
# confirms the enrolment offers it (issue 14: it linked only to the security page).
RETURN_COOKIE = "gh_return"
RETURN_COOKIE_MAX_AGE_S = 1800


def remember_return(response: Response, flow: Flow) -> None:
    response.set_cookie(
        RETURN_COOKIE,
        flow.query,
        path="/account/security",
        max_age=RETURN_COOKIE_MAX_AGE_S,
        secure=True,
        httponly=True,
        samesite="lax",
    )


def continue_url(request: Request) -> str | None:
    """Where to continue after an enrolment that a sign-in asked for (validated again)."""
    remembered = request.cookies.get(RETURN_COOKIE)
    if not remembered:
        return None
    return Flow.read(dict(parse_qsl(remembered))).login_url
