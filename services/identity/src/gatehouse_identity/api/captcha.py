"""Captcha challenges: a new one (JSON), its picture and its spoken alternative."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response
from pydantic import BaseModel

from gatehouse_identity.api.dependencies import Db
from gatehouse_identity.captcha import service

router = APIRouter(tags=["captcha"])


class CaptchaResponse(BaseModel):
    captcha_id: uuid.UUID
    image_url: str
    audio_url: str


@router.post(
    "/api/v1/captcha", status_code=status.HTTP_201_CREATED, summary="A new captcha challenge"
)
async def create_captcha(database: Db) -> CaptchaResponse:
    challenge_id = await service.create_challenge(database)
    return CaptchaResponse(
        captcha_id=challenge_id,
        image_url=f"/captcha/{challenge_id}/image.png",
        audio_url=f"/captcha/{challenge_id}/audio.wav",
    )


@router.get("/captcha/{challenge_id}/image.png", include_in_schema=False)
async def captcha_image(challenge_id: uuid.UUID, database: Db) -> Response:
    image = await service.render_image(database, challenge_id)
    if image is None:
        raise HTTPException(404, "challenge unknown or spent")
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/captcha/{challenge_id}/audio.wav", include_in_schema=False)
async def captcha_audio(challenge_id: uuid.UUID, database: Db) -> Response:
    audio = await service.render_audio(database, challenge_id)
    if audio is None:
        raise HTTPException(404, "challenge unknown or spent")
    return Response(audio, media_type="audio/wav", headers={"Cache-Control": "no-store"})
