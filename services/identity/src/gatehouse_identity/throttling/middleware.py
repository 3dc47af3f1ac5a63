"""Per-address and global limits on the endpoints attackers hammer: sign-in, sign-up, password
reset and second factors, for the JSON API and the pages alike. Over a limit the answer is 429
with Retry-After, before any password is checked."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gatehouse_identity.context import IdentityContext
from gatehouse_identity.throttling.limits import Limit, hit, retry_after_s

THROTTLED = Counter(
    "gatehouse_identity_throttled_total", "Requests refused by a rate limit", ["rule"]
)

SIGN_IN = ("sign_in", (Limit("per_address", 30, 60), Limit("global", 3000, 60)))
SIGN_UP = ("sign_up", (Limit("per_address", 20, 3600), Limit("global", 2000, 3600)))
RESET = ("password_reset", (Limit("per_address", 10, 3600), Limit("global", 2000, 3600)))
SECOND_FACTOR = ("second_factor", (Limit("per_address", 30, 60), Limit("global", 3000, 60)))
# Every visit of the sign-in page asks for one (its passkey autofill), the button another.
PASSKEY_OPTIONS = (
    "passkey_options",
    (Limit("per_address", 60, 60), Limit("global", 6000, 60)),
)

EXACT_PATHS = {
    "/api/v1/sessions": SIGN_IN,
    "/login": SIGN_IN,
    "/api/v1/sessions/passkey": SIGN_IN,
    "/login/passkey": SIGN_IN,
    "/api/v1/sessions/passkey/options": PASSKEY_OPTIONS,
    "/api/v1/accounts": SIGN_UP,
    "/signup": SIGN_UP,
    "/api/v1/password/forgot": RESET,
    "/password/forgot": RESET,
}
SECOND_FACTOR_PREFIXES = ("/api/v1/sessions/current/second-factor", "/login/second-factor")


def _rule_for(path: str) -> tuple[str, tuple[Limit, ...]] | None:
    if path in EXACT_PATHS:
        return EXACT_PATHS[path]
    if path.startswith(SECOND_FACTOR_PREFIXES):
        return SECOND_FACTOR
    return None


def client_address(request: Request) -> str:
    # uvicorn has already replaced this with X-Forwarded-For when the peer is a trusted proxy.
    return request.client.host if request.client else "unknown"


class ThrottlingMiddleware:
    """Plain ASGI (a `@app.middleware` layer costs ~0.1 ms on every request, make bench):
    counts only POSTs to the limited paths, everything else passes straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = None
        if scope["type"] == "http" and scope["method"] == "POST":
            rule = _rule_for(scope["path"])
        context = scope["app"].state.context if rule is not None else None
        if rule is None or context is None or not context.settings.throttling_enabled:
            await self.app(scope, receive, send)
            return
        refusal = await _refusal(context, rule, Request(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _refusal(
    context: IdentityContext, rule: tuple[str, tuple[Limit, ...]], request: Request
) -> Response | None:
    """429 with Retry-After when one of the rule's limits is exceeded, else None."""
    name, limits = rule
    for limit in limits:
        scope = client_address(request) if limit.name == "per_address" else "all"
        bucket = f"{name}:{limit.name}:{scope}"
        if await hit(context.database, bucket=bucket, window_s=limit.window_s) > limit.limit:
            THROTTLED.labels(f"{name}:{limit.name}").inc()
            wait = retry_after_s(limit.window_s)
            return JSONResponse(
                {"detail": f"too many attempts; try again in {wait} seconds"},
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
    return None
