"""`/api/v1/me/sessions`: the user's live sessions, ending one, signing out everywhere."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from gatehouse_identity.api.dependencies import Context, CurrentSession
from gatehouse_identity.sessions import active

router = APIRouter(prefix="/api/v1/me", tags=["activity and sessions"])


class SessionResponse(BaseModel):
    session_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None
    level: str
    current: bool


class SignedOutResponse(BaseModel):
    sessions_ended: int


@router.get(
    "/sessions",
    summary="My live sessions, most recently used first",
    responses={401: {"description": "Not signed in"}},
)
async def my_sessions(session: CurrentSession, context: Context) -> list[SessionResponse]:
    found = await active.active_sessions(
        context.database,
        user_id=session.user_id,
        current_hash=session.id_hash,
        idle_timeout_s=context.settings.session_idle_timeout_s,
    )
    return [
        SessionResponse(
            session_id=item.public_id,
            created_at=item.created_at,
            last_seen_at=item.last_seen_at,
            expires_at=item.expires_at,
            ip_address=item.ip_address,
            user_agent=item.user_agent,
            level=item.level,
            current=item.current,
        )
        for item in found
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End one of my sessions (its OpenID Connect tokens are revoked)",
    responses={401: {"description": "Not signed in"}, 404: {"description": "No such session"}},
)
async def end_my_session(session_id: str, session: CurrentSession, context: Context) -> Response:
    await active.end_session(
        context.database, user_id=session.user_id, session_public_id=session_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sessions/sign-out-everywhere",
    summary="End all my sessions, this one too (their OpenID Connect tokens are revoked)",
    responses={401: {"description": "Not signed in"}},
)
async def sign_out_everywhere(session: CurrentSession, context: Context) -> SignedOutResponse:
    ended = await active.sign_out_everywhere(context.database, user_id=session.user_id)
    return SignedOutResponse(sessions_ended=ended)
