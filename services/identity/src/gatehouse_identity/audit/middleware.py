"""Puts where each HTTP request came from into `audit.service.current_client` (pure ASGI, so
the value is seen by the endpoint and everything it awaits)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gatehouse_identity.audit.service import ClientInfo, current_client


class ClientInfoMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # uvicorn has already replaced the peer with X-Forwarded-For from trusted proxies.
        client = scope.get("client")
        user_agent = None
        for name, value in scope.get("headers") or ():
            if name == b"user-agent":
                user_agent = value.decode("latin-1")
                break
        token = current_client.set(ClientInfo.of(client[0] if client else None, user_agent))
        try:
            await self.app(scope, receive, send)
        finally:
            current_client.reset(token)
