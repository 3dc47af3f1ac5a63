"""Serves a challenge's picture and its spoken alternative."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from gatehouse_identity.captcha import service

router = APIRouter(tags=["captcha"])


@router.get("/captcha/{challenge_id}/image.png", include_in_schema=False)
async def captcha_image(challenge_id: uuid.UUID, request: Request) -> Response:
    image = await service.render_image(request.app.state.context.pool, challenge_id)
    if image is None:
        raise HTTPException(404, "challenge unknown or spent")
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/captcha/{challenge_id}/audio.wav", include_in_schema=False)
async def captcha_audio(challenge_id: uuid.UUID, request: Request) -> Response:
    audio = await service.render_audio(request.app.state.context.pool, challenge_id)
    if audio is None:
        raise HTTPException(404, "challenge unknown or spent")
    return Response(audio, media_type="audio/wav", headers={"Cache-Control": "no-store"})
