"""No state change from another origin: every POST, PUT, PATCH and DELETE a browser sends from a
page that is not the service's own is refused before routing, pages and JSON API alike.

SameSite=Lax cookies do not stop this: another port on localhost, or a sibling subdomain in
production, is the *same site* and gets the cookies. A browser says where a request comes from:

- `Sec-Fetch-Site` (browsers since 2020–2023): anything but `same-origin` (or `none`, a request
  the user started, e.g. from a bookmark) is refused. It is decisive because it is sent whatever
  the page's referrer policy, and it accounts for every redirect on the way;
- `Origin` (every browser sends it on these methods): when present and not `null` it must be the
  service's public origin (PUBLIC_URL) or the origin the request was addressed to (scheme and
  Host — a page at another origin cannot make a browser send a Host other than the one it
  connects to). Our pages' `Referrer-Policy: no-referrer` makes browsers send `Origin: null`
  even on same-origin form posts, so `null` passes only when `Sec-Fetch-Site` vouches for the
  request; from a browser without Fetch Metadata it is refused (sandboxed frames, data: URLs
  and cross-origin redirects send it too).

A request with neither header comes from a program, not a browser, so it carries no victim's
cookies: it passes (API clients, the token endpoint's relying parties, the authenticator app).

JSON endpoints (under `json_prefixes`) also refuse a declared Content-Type that is not JSON with
415: a form can only send form, multipart or text bodies, and a script from another origin
cannot send JSON without a CORS preflight, which no service answers.

Routes that are cross-origin by design (the OpenID Connect token endpoint, back-channel logout…)
are exempted one by one with `allow_cross_origin(app, path, reason=...)`, next to where they are
wired, and the reason is kept with the exemption (tests/test_cross_origin.py checks each).

Written by hand: the small checks below are all there is to it; CSRF middlewares in libraries
(starlette-csrf and the like) are token schemes for forms, which the pages already have.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from gatehouse_common.input_boundary import drain_body, is_json_media_type

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})
JSON_PREFIXES = ("/api/",)


def allow_cross_origin(app: FastAPI, path: str, *, reason: str) -> None:
    """Exempt `path` (exactly as routed, e.g. "/oidc/token") from the origin checks."""
    if not hasattr(app.state, "cross_origin_exempt"):
        app.state.cross_origin_exempt = {}
    app.state.cross_origin_exempt[path] = reason


def exempt_routes(app: FastAPI) -> dict[str, str]:
    """Every exempted path and why."""
    return dict(getattr(app.state, "cross_origin_exempt", {}))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


class CrossOriginMiddleware:
    """Plain ASGI; safe methods pass after one set lookup."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        public_url: str | None = None,
        json_prefixes: tuple[str, ...] = JSON_PREFIXES,
    ) -> None:
        self.app = app
        self.public_origin = origin_of(public_url or "")
        self.json_prefixes = json_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        exempt = getattr(scope["app"].state, "cross_origin_exempt", {})
        if scope["path"] in exempt:
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        if not self._same_origin(scope, headers):
            await _refuse(
                receive,
                send,
                403,
                "cross_origin_refused",
                "this request came from a page of another origin; it changes nothing",
            )
            return
        content_type = headers.get("content-type")
        is_json_endpoint = str(scope["path"]).startswith(self.json_prefixes)
        if is_json_endpoint and content_type is not None:
            media_type = content_type.split(";", 1)[0].strip().lower()
            if not is_json_media_type(media_type):
                await _refuse(
                    receive, send, 415, "json_required", "send the body as application/json"
                )
                return
        await self.app(scope, receive, send)

    def _same_origin(self, scope: Scope, headers: dict[str, str]) -> bool:
        fetch_site = headers.get("sec-fetch-site")
        origin = (headers.get("origin") or "").strip().lower()
        if fetch_site is not None:
            if fetch_site.strip().lower() not in ALLOWED_FETCH_SITES:
                return False
            if origin in ("", "null"):  # our pages' no-referrer policy makes Origin "null"
                return True
        elif origin == "":
            return True  # not a browser
        addressed = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
        return origin in (self.public_origin, addressed)


async def _refuse(receive: Receive, send: Send, status: int, code: str, detail: str) -> None:
    await drain_body(receive)  # read to the end: the connection carries the next request
    body = json.dumps({"code": code, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
